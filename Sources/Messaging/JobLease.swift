import Foundation
public import Storage

/// Background work that must run once however many server processes share the database (the hourly jobs:
/// chronic reminders, early-warning detection, indicators, enforcement rules). `job_run` has a row per job: who
/// holds it and until when (a lease), and when it last started and finished. A process runs a job only after
/// claiming it: no one holds an unexpired lease and the last successful run finished at least `every` seconds
/// ago. The claim is one conditional UPDATE, so two processes asking at once get one yes: PostgreSQL re-checks
/// the condition on the row the first one changed, SQLite has one writer. A process that dies holding a job keeps
/// the others out until its lease ends; then the next claim takes it over.
public struct JobLease: Sendable {
    /// The database with `job_run`.
    public let database: Database
    /// Who claims: by default one random name per process (``processHolder``).
    public let holder: String

    /// This process's name in `job_run` (random; no host name or personal data).
    public static let processHolder = RecordID.make("proc-", length: 16)

    /// The name under which the server's hourly jobs are claimed.
    public static let hourly = "hourly"

    /// Creates the claimant.
    public init(database: Database, holder: String = JobLease.processHolder) {
        self.database = database
        self.holder = holder
    }

    /// Claims `job` when it is due: nobody holds an unexpired lease on it and its last successful run finished
    /// `every` seconds or more before `now`. The lease lasts `lease` seconds. True when this holder now runs it.
    public func claim(_ job: String, every: Int, lease: Int, now: Date = Date()) async throws -> Bool {
        let start = ISO8601Timestamp.format(now)
        let due = ISO8601Timestamp.format(now.addingTimeInterval(-Double(every)))
        let until = ISO8601Timestamp.format(now.addingTimeInterval(Double(lease)))
        return try await database.write { sql in
            try await sql.raw("INSERT INTO job_run (name) VALUES (\(bind: job)) ON CONFLICT (name) DO NOTHING").run()
            return try await !sql.raw("""
                UPDATE job_run SET holder = \(bind: holder), lease_until = \(bind: until), last_started = \(bind: start)
                WHERE name = \(bind: job) AND (lease_until IS NULL OR lease_until < \(bind: start))
                    AND (last_finished IS NULL OR last_finished <= \(bind: due))
                RETURNING name
                """).all().isEmpty
        }
    }

    /// Ends this holder's lease on `job`; a successful run sets the time it finished (the next run is due
    /// `every` seconds after it), a failed one does not (the job is due again at once).
    public func finish(_ job: String, succeeded: Bool, now: Date = Date()) async throws {
        let finished = ISO8601Timestamp.format(now)
        try await database.write { sql in
            if succeeded {
                try await sql.raw("""
                    UPDATE job_run SET lease_until = NULL, last_finished = \(bind: finished) WHERE name = \(bind: job) AND holder = \(bind: holder)
                    """).run()
            } else {
                try await sql.raw("UPDATE job_run SET lease_until = NULL WHERE name = \(bind: job) AND holder = \(bind: holder)").run()
            }
        }
    }

    /// Makes `job` due now, whoever ran it last and whatever lease is held (for the benchmark, which measures a
    /// server's first run on a database an earlier measurement used).
    public func makeDue(_ job: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE job_run SET last_finished = NULL, lease_until = NULL WHERE name = \(bind: job)").run()
        }
    }

    /// Runs `body` if this holder can claim `job` (see ``claim(_:every:lease:now:)``) and ends the lease after it,
    /// successful or not. Nil when the job was not due or another process holds it.
    public func runIfDue<T: Sendable>(_ job: String, every: Int, lease: Int, _ body: () async throws -> T) async throws -> T? {
        guard try await claim(job, every: every, lease: lease) else { return nil }
        let result: T
        do {
            result = try await body()
        } catch {
            try? await finish(job, succeeded: false)
            throw error
        }
        try await finish(job, succeeded: true)
        return result
    }
}
