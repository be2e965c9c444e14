import Foundation
import SQLKit
import SQLiteKit
import Synchronization

/// The SQLite writer connection with group commit: concurrent write transactions share one SQLite
/// transaction, each in its own savepoint, and all of them are committed together.
///
/// Writers take turns on the connection. The first opens the transaction (`BEGIN IMMEDIATE`); each writer runs
/// its work inside `SAVEPOINT` … `RELEASE` (a failure is undone with `ROLLBACK TO` and touches no one else's
/// work). When it is done and others are waiting for the connection, it hands the connection over without
/// committing and waits; the last writer of the group — nobody waiting, or the group full or old — commits,
/// and only then is every writer of the group answered. So no caller learns that its write succeeded before
/// that write is committed, and a failed commit fails every writer of the group (none of their work stays).
/// One commit writes the pages all of them changed to the WAL once, instead of once per writer.
final class SQLiteGroupWriter: Sendable {
    /// The connection all writes go through.
    let connection: SQLiteConnection
    /// The connection's thread, on which the writers' transaction code runs.
    let thread: WriterThread

    /// At most this many writers share one commit.
    static let maxMembers = 64
    /// A group takes no new writer after this long, so the first ones are not kept waiting.
    static let maxAge: Duration = .milliseconds(5)

    private struct State {
        /// A writer holds the connection.
        var busy = false
        /// Writers waiting for the connection, in arrival order.
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// The open transaction's start, nil when none is open.
        var groupStarted: ContinuousClock.Instant?
        /// Writers whose work is done and waits for the group's commit.
        var members: [CheckedContinuation<Void, any Error>] = []
    }

    private let state = Mutex(State())

    init(connection: SQLiteConnection, thread: WriterThread) {
        self.connection = connection
        self.thread = thread
    }

    /// Runs `body` as one writer of a group: its changes commit with the group's, or not at all.
    func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        await takeTurn()
        let sql = connection.sql(queryLogLevel: nil)
        if state.withLock({ $0.groupStarted == nil }) {
            do {
                try await sql.raw("BEGIN IMMEDIATE").run()
            } catch {
                releaseTurn()
                throw error
            }
            state.withLock { $0.groupStarted = .now }
        }
        let outcome: Result<T, any Error>
        do {
            try await sql.raw("SAVEPOINT weijian_write").run()
        } catch {
            try await abandonGroup(sql, error, throwing: error)
        }
        do {
            let value = try await body(sql)
            try await sql.raw("RELEASE weijian_write").run()
            outcome = .success(value)
        } catch {
            do {
                try await sql.raw("ROLLBACK TO weijian_write").run()
                try await sql.raw("RELEASE weijian_write").run()
            } catch let lost {
                // SQLite rolled the whole transaction back itself (e.g. an I/O error): the group is lost. The
                // others get that error; this writer its own.
                try await abandonGroup(sql, lost, throwing: error)
            }
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let value):
            try await finishTurn(sql, joining: true)
            return value
        case .failure(let error):
            try await finishTurn(sql, joining: false)
            throw error
        }
    }

    /// Waits for the connection.
    private func takeTurn() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    /// Gives the connection to the next waiting writer, or frees it.
    private func releaseTurn() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }

    /// After a writer's savepoint: hands the connection to the next writer within the open transaction, or,
    /// when nobody waits or the group is full or old, commits the group. `joining`: the writer succeeded and
    /// waits for the commit (it returns once its work is committed, and throws if the commit fails).
    private func finishTurn(_ sql: any SQLDatabase, joining: Bool) async throws {
        enum Next { case handOver(CheckedContinuation<Void, Never>), commit }
        let next = state.withLock { state -> Next in
            let full = state.members.count + 1 >= Self.maxMembers || (state.groupStarted.map { .now - $0 >= Self.maxAge } ?? true)
            if !full, !state.waiting.isEmpty { return .handOver(state.waiting.removeFirst()) }
            return .commit
        }
        switch next {
        case .handOver(let writer):
            if joining {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    state.withLock { $0.members.append(continuation) }
                    writer.resume()
                }
            } else {
                writer.resume()
            }
        case .commit:
            let members = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
                defer { state.members.removeAll(); state.groupStarted = nil }
                return state.members
            }
            do {
                if members.isEmpty && !joining {
                    try await sql.raw("ROLLBACK").run()
                } else {
                    try await sql.raw("COMMIT").run()
                }
            } catch {
                try? await sql.raw("ROLLBACK").run()
                releaseTurn()
                for member in members { member.resume(throwing: error) }
                if joining { throw error }
                return
            }
            releaseTurn()
            for member in members { member.resume() }
        }
    }

    /// The transaction cannot go on (a savepoint could not be made or undone): rolls it back, fails every
    /// writer waiting for its commit with `error` and this one with `own`, and frees the connection.
    private func abandonGroup(_ sql: any SQLDatabase, _ error: any Error, throwing own: any Error) async throws -> Never {
        try? await sql.raw("ROLLBACK").run()
        let members = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            defer { state.members.removeAll(); state.groupStarted = nil }
            return state.members
        }
        releaseTurn()
        for member in members { member.resume(throwing: error) }
        throw own
    }
}
