import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit
import Synchronization

/// Leasing a connection from the PostgreSQL pool without hanging when PostgreSQL is gone.
///
/// `PostgresClient` queues a lease until a connection is free or can be made, with no deadline: with PostgreSQL
/// stopped every request would wait for as long as it stays stopped. Here a lease that has waited ``probeAfter``
/// asks ``PostgresReachability`` whether PostgreSQL's port answers at all (one TCP connect, shared by every waiting
/// lease); when it does not, the lease is cancelled and fails with ``Database/DatabaseUnavailable``
/// (which the HTTP layer answers with 503). A pool that is merely busy keeps its waiters waiting. Nothing is
/// remembered between requests: as soon as PostgreSQL answers again, leases succeed again.
enum PostgresLease {
    /// How long a lease waits before PostgreSQL's reachability is checked.
    static let probeAfter: Duration = .milliseconds(750)

    /// Runs `body` with a pooled connection, failing with ``Database/DatabaseUnavailable`` when none can be had
    /// because PostgreSQL does not answer.
    static func withConnection<T>(_ client: PostgresClient, reachability: PostgresReachability,
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let handoff = Handoff()
        // The lease is held by a task of its own, which hands the connection over and keeps it until it is returned.
        let holder = Task {
            do {
                try await client.withConnection { connection in
                    guard handoff.deliver(connection) else { return }
                    await handoff.waitUntilReturned()
                }
            } catch {
                handoff.fail(error)
            }
        }
        let connection: PostgresConnection
        do {
            connection = try await handoff.connection(holder: holder, reachability: reachability)
        } catch {
            holder.cancel()
            throw error
        }
        defer { handoff.giveBack() }
        return try await body(connection)
    }

    /// The meeting point of the waiting caller and the task holding the lease.
    final class Handoff: Sendable {
        private struct State {
            var caller: CheckedContinuation<PostgresConnection, any Error>?
            var connection: PostgresConnection?
            var outcome: Result<Void, any Error>?
            var returned = false
            var holderWaiting: CheckedContinuation<Void, Never>?
        }
        private let state = Mutex(State())

        /// The holder has a connection: hands it to the caller. False when the caller has given up (release it).
        func deliver(_ connection: PostgresConnection) -> Bool {
            let (accepted, caller) = state.withLock { state -> (Bool, CheckedContinuation<PostgresConnection, any Error>?) in
                guard state.outcome == nil else { return (false, nil) }
                state.outcome = .success(())
                state.connection = connection
                defer { state.caller = nil }
                return (true, state.caller)
            }
            caller?.resume(returning: connection)
            return accepted
        }

        /// The lease failed (or the caller gave up and the holder was cancelled).
        func fail(_ error: any Error) {
            let caller = state.withLock { state -> CheckedContinuation<PostgresConnection, any Error>? in
                guard state.outcome == nil else { return nil }
                state.outcome = .failure(error)
                defer { state.caller = nil }
                return state.caller
            }
            caller?.resume(throwing: error)
        }

        /// The caller is done with the connection.
        func giveBack() {
            let holder = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.returned = true
                defer { state.holderWaiting = nil }
                return state.holderWaiting
            }
            holder?.resume()
        }

        /// The holder keeps the lease until the caller gives the connection back.
        func waitUntilReturned() async {
            await withCheckedContinuation { continuation in
                let returned = state.withLock { state -> Bool in
                    if state.returned { return true }
                    state.holderWaiting = continuation
                    return false
                }
                if returned { continuation.resume() }
            }
        }

        /// Waits for the connection; after ``PostgresLease/probeAfter`` (and every time again after that) checks that
        /// PostgreSQL answers, and gives up with ``Database/DatabaseUnavailable`` when it does not.
        func connection(holder: Task<Void, Never>, reachability: PostgresReachability) async throws -> PostgresConnection {
            let watchdog = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: PostgresLease.probeAfter)
                    if Task.isCancelled { return }
                    if let problem = await reachability.problem() {
                        fail(Database.DatabaseUnavailable(description: "PostgreSQL does not answer: \(problem)"))
                        holder.cancel()
                        return
                    }
                }
            }
            defer { watchdog.cancel() }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresConnection, any Error>) in
                    let ready = state.withLock { state -> Result<PostgresConnection, any Error>? in
                        switch state.outcome {
                        case .success: return state.connection.map { .success($0) }
                        case .failure(let error): return .failure(error)
                        case nil:
                            state.caller = continuation
                            return nil
                        }
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                fail(CancellationError())
            }
        }
    }
}

/// Whether PostgreSQL's port accepts connections: a TCP connect (2 s at most), asked at most once per half second
/// however many leases are waiting. Only TCP: a PostgreSQL session would take one of the server's connection slots
/// just when a busy server has none to spare; a stopped server refuses the connect at once, an unreachable one times
/// out.
final class PostgresReachability: Sendable {
    private let host: String
    private let port: Int
    private let state = Mutex<(checked: ContinuousClock.Instant?, problem: String?, running: Task<String?, Never>?)>((nil, nil, nil))

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Nil when PostgreSQL's port answers, else what went wrong.
    func problem() async -> String? {
        let task = state.withLock { state -> Task<String?, Never>? in
            if let running = state.running { return running }
            if let checked = state.checked, ContinuousClock.now - checked < .milliseconds(500) { return nil }
            let running = Task { await self.probe() }
            state.running = running
            return running
        }
        guard let task else { return state.withLock { $0.problem } }
        let problem = await task.value
        state.withLock { state in
            state.checked = .now
            state.problem = problem
            state.running = nil
        }
        return problem
    }

    private func probe() async -> String? {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return nil
        } catch {
            return "\(host):\(port): \(error)"
        }
    }
}

extension Database {
    /// Whether `error` means the database cannot be used at the moment (rather than that the request was wrong):
    /// PostgreSQL unreachable or gone mid-request (connection errors, SQLSTATE class 08, shutdown 57P01–57P03),
    /// SQLite busy past its timeout, read-only, full, unreadable or unopenable. The HTTP layer answers 503.
    public static func isUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        if let error = error as? PSQLError {
            if [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed].contains(error.code) { return true }
            if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) }
            return false
        }
        if let error = error as? SQLiteError {
            // The basic codes and their extended variants (`busyTimeout`, `readonlyDirectory`, `ioErrorFailedWrite`…).
            let reason = String(describing: error.reason).lowercased()
            return ["busy", "locked", "readonly", "ioerror", "full", "cantopen"].contains { reason.hasPrefix($0) }
        }
        return false
    }
}
