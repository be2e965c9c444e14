import Crypto
import Foundation
public import SQLKit
public import Storage
import Synchronization

/// What one audit entry records: who, in which role, did what to which record of whose, why, from where, with what outcome.
public struct AuditRecord: Sendable, Equatable {
    /// The account or client id (never a name).
    public var actor: String
    /// The actor's role.
    public var actorRole: String
    /// `read`, `search`, `create`, `update`, `delete`, `export`, `login`, `login-failed`, `logout`, `admin`, `review`…
    public var action: String
    /// The record touched: `Type/id`, a route, or an account.
    public var entity: String
    /// The Patient id whose record it is; empty when none.
    public var patient: String
    /// The purpose of use (`treatment`, `self`, `public-health`, `management`, `audit`, `system`…).
    public var purpose: String
    /// Where from: the client's address.
    public var source: String
    /// `allowed`, `denied` or `failed`.
    public var outcome: String
    /// Whether the access broke the glass (emergency access outside the actor's scope), for review.
    public var breakGlass: Bool
    /// The stated reason for breaking the glass, or the denial's reason.
    public var reason: String

    /// Creates a record.
    public init(actor: String, actorRole: String, action: String, entity: String, patient: String = "", purpose: String,
                source: String, outcome: String = "allowed", breakGlass: Bool = false, reason: String = "") {
        self.actor = actor
        self.actorRole = actorRole
        self.action = action
        self.entity = entity
        self.patient = patient
        self.purpose = purpose
        self.source = source
        self.outcome = outcome
        self.breakGlass = breakGlass
        self.reason = reason
    }
}

extension AuditRecord {
    /// A record of what `principal` did (nil: someone not signed in), with the role's default purpose.
    public init(by principal: Principal?, action: String, entity: String, patient: String = "", source: String,
                outcome: String = "allowed", reason: String = "") {
        self.init(actor: principal?.subject ?? "anonymous", actorRole: principal?.role.rawValue ?? "anonymous", action: action, entity: entity,
                  patient: patient, purpose: principal.map { FHIRGuard.defaultPurpose($0.role) } ?? "login", source: source,
                  outcome: outcome, reason: reason)
    }

    /// A record of an operator's command-line action.
    public static func byOperator(_ command: String, action: String, entity: String, purpose: String = "operations", reason: String = "") -> AuditRecord {
        AuditRecord(actor: "cli:\(command)", actorRole: "operator", action: action, entity: entity, purpose: purpose, source: "cli", reason: reason)
    }
}

/// One entry of the chain: the record, its place and time, and the hashes that link it to the one before.
public struct AuditEntry: Sendable, Equatable {
    /// The position in the chain, from 1, without gaps.
    public var seq: Int64
    /// When it was recorded (ISO 8601, Asia/Shanghai).
    public var recordedAt: String
    /// What happened.
    public var record: AuditRecord
    /// The hash of the entry before (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 of this entry's fields and `previousHash`.
    public var hash: String

    /// The SHA-256 (hex) over the entry's fields and the previous hash, each field length-prefixed so no two entries share an input.
    public static func computeHash(seq: Int64, recordedAt: String, record: AuditRecord, previousHash: String) -> String {
        var hasher = SHA256()
        for field in [String(seq), recordedAt, record.actor, record.actorRole, record.action, record.entity, record.patient,
                      record.purpose, record.source, record.outcome, record.breakGlass ? "1" : "0", record.reason, previousHash] {
            let bytes = Array(field.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return Hex.encode(hasher.finalize())
    }
}

/// The last audit entry a process appended (its position and hash), kept so that the next append can link to it
/// without reading the chain's head first. Only a hint: ``AuditLog/append(_:sql:engine:head:)`` checks it in
/// the inserting statement.
public final class AuditHead: Sendable {
    private let state = Mutex<(seq: Int64, hash: String)?>(nil)

    /// Appends waiting for the next group commit on PostgreSQL (see ``AuditLog/append(_:)``): their records and
    /// who to answer, and whether a group is being committed now.
    struct Waiting {
        var appends: [(records: [AuditRecord], answer: CheckedContinuation<[AuditEntry], any Error>)] = []
        var committing = false
    }
    let waiting = Mutex(Waiting())

    /// Creates an empty hint (the first append reads the head).
    public init() {}

    /// The last entry appended, if known.
    var last: (seq: Int64, hash: String)? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// The tamper-evident audit log (网链中心): every access and change is appended as an entry carrying
/// the SHA-256 of the entry before, so that editing or deleting any entry in the database breaks the chain.
public struct AuditLog: Sendable {
    /// The hash before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The database holding the chain.
    public let database: Database
    /// The last entry this process appended, so the next append need not read the head first.
    public let head: AuditHead

    /// Creates the log.
    public init(database: Database, head: AuditHead = AuditHead()) {
        self.database = database
        self.head = head
    }

    /// Appends records in their own transaction and returns the entries made (committed when it returns).
    ///
    /// On PostgreSQL the appends of concurrent callers are committed together: the chain's advisory lock is held
    /// until the commit has been flushed to the WAL, so with one transaction per append (every audited read makes
    /// one) the chain took one append per WAL flush, whatever the number of requests. The first caller to find no
    /// group being committed commits every append waiting then, in one transaction, and goes on while more have
    /// arrived; each caller is answered when its group has committed (or failed: then every append of the group
    /// fails, and none of it is stored). SQLite commits its writers in groups already (one writer connection).
    @discardableResult
    public func append(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        guard !records.isEmpty else { return [] }
        guard database.engine == .postgres else {
            return try await database.write { sql in try await Self.append(records, sql: sql, engine: database.engine, head: head) }
        }
        return try await withCheckedThrowingContinuation { answer in
            let commits = head.waiting.withLock { waiting in
                waiting.appends.append((records, answer))
                guard !waiting.committing else { return false }
                waiting.committing = true
                return true
            }
            if commits { Task { await commitGroups() } }
        }
    }

    /// Commits the waiting appends, a group at a time (at most 1,000 records), until none wait.
    private func commitGroups() async {
        while true {
            let group = head.waiting.withLock { waiting in
                var group: [(records: [AuditRecord], answer: CheckedContinuation<[AuditEntry], any Error>)] = []
                var count = 0
                while let next = waiting.appends.first, group.isEmpty || count + next.records.count <= 1_000 {
                    group.append(waiting.appends.removeFirst())
                    count += next.records.count
                }
                if group.isEmpty { waiting.committing = false }
                return group
            }
            guard !group.isEmpty else { return }
            do {
                let entries = try await database.write { sql in
                    try await Self.append(group.flatMap(\.records), sql: sql, engine: database.engine, head: head)
                }
                var start = 0
                for member in group {
                    member.answer.resume(returning: Array(entries[start..<(start + member.records.count)]))
                    start += member.records.count
                }
            } catch {
                for member in group { member.answer.resume(throwing: error) }
            }
        }
    }

    /// Appends records inside the caller's transaction (so a change and its audit entry commit together).
    /// On PostgreSQL a transaction-scoped advisory lock keeps the chain linear under concurrent writers; the
    /// lock is the schema's (the chain lives in it), so databases sharing a server by schema do not wait on
    /// each other's chains. SQLite has one writer already.
    ///
    /// With `head` (the last entry this process appended), a single record is appended in one statement that
    /// checks that entry is still the chain's last — the head is not read first. When it is not (another
    /// process appended, or the transaction that appended it rolled back) nothing is inserted and the head is
    /// read as without `head`; so the chain stays linear and gapless whatever the cache holds.
    @discardableResult
    public static func append(_ records: [AuditRecord], sql: any SQLDatabase, engine: DatabaseEngine, head: AuditHead? = nil) async throws -> [AuditEntry] {
        guard !records.isEmpty else { return [] }
        if engine == .postgres {
            try await sql.raw("SELECT pg_advisory_xact_lock(7310105, hashtext(current_schema()))").run()
        }
        if let head, records.count == 1, let record = records.first, let last = head.last {
            let now = ISO8601Timestamp.now()
            let seq = last.seq + 1
            let entry = AuditEntry(seq: seq, recordedAt: now, record: record, previousHash: last.hash,
                                   hash: AuditEntry.computeHash(seq: seq, recordedAt: now, record: record, previousHash: last.hash))
            let inserted = try await sql.raw("""
                INSERT INTO audit_entry (seq, recorded_at, actor, actor_role, action, entity, patient, purpose, source, outcome,
                    break_glass, reason, prev_hash, hash)
                SELECT \(bind: seq), \(bind: now), \(bind: record.actor), \(bind: record.actorRole), \(bind: record.action), \(bind: record.entity),
                    \(bind: record.patient), \(bind: record.purpose), \(bind: record.source), \(bind: record.outcome), \(bind: record.breakGlass ? 1 : 0),
                    \(bind: record.reason), \(bind: last.hash), \(bind: entry.hash)
                WHERE EXISTS (SELECT 1 FROM audit_entry WHERE seq = \(bind: last.seq) AND hash = \(bind: last.hash))
                AND NOT EXISTS (SELECT 1 FROM audit_entry WHERE seq > \(bind: last.seq))
                RETURNING seq
                """).first()
            if inserted != nil {
                head.last = (seq, entry.hash)
                return [entry]
            }
        }
        var seq: Int64 = 0
        var previous = genesis
        if let head = try await sql.raw("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").first() {
            seq = try head.decode(column: "seq", as: Int64.self)
            previous = try head.decode(column: "hash", as: String.self)
        }
        let now = ISO8601Timestamp.now()
        var entries: [AuditEntry] = []
        entries.reserveCapacity(records.count)
        for record in records {
            seq += 1
            let hash = AuditEntry.computeHash(seq: seq, recordedAt: now, record: record, previousHash: previous)
            entries.append(AuditEntry(seq: seq, recordedAt: now, record: record, previousHash: previous, hash: hash))
            previous = hash
        }
        for chunk in stride(from: 0, to: entries.count, by: 200).map({ entries[$0..<min(entries.count, $0 + 200)] }) {
            var query = SQLQueryString("""
                INSERT INTO audit_entry (seq, recorded_at, actor, actor_role, action, entity, patient, purpose, source, outcome,
                    break_glass, reason, prev_hash, hash) VALUES
                """)
            for (index, entry) in chunk.enumerated() {
                let r = entry.record
                query.appendLiteral(index == 0 ? " (" : ", (")
                query.appendInterpolation(bind: entry.seq); query.appendLiteral(", ")
                query.appendInterpolation(bind: entry.recordedAt); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.actor); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.actorRole); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.action); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.entity); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.patient); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.purpose); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.source); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.outcome); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.breakGlass ? 1 : 0); query.appendLiteral(", ")
                query.appendInterpolation(bind: r.reason); query.appendLiteral(", ")
                query.appendInterpolation(bind: entry.previousHash); query.appendLiteral(", ")
                query.appendInterpolation(bind: entry.hash); query.appendLiteral(")")
            }
            try await sql.raw(query).run()
        }
        if let head, let last = entries.last { head.last = (last.seq, last.hash) }
        return entries
    }

    /// The outcome of checking the chain.
    public struct Verification: Sendable, Equatable {
        /// Entries checked.
        public var checked: Int
        /// The first entry that does not fit the chain (edited, or following a deleted one), nil when whole.
        public var firstBroken: Int64?
        /// What is wrong with it.
        public var problem: String?
        /// The hash of the last entry: compare it with a copy kept elsewhere to detect a cut tail.
        public var headHash: String
        /// Whether the chain is whole.
        public var intact: Bool { firstBroken == nil }
    }

    /// The hash input of each row, assembled by the database as the same length-prefixed concatenation that
    /// ``AuditEntry/computeHash(seq:recordedAt:record:previousHash:)`` hashes, so that verification decodes
    /// four columns per row instead of fourteen.
    static func hashInputSQL(_ engine: DatabaseEngine) -> String {
        let fields = ["CAST(seq AS TEXT)", "recorded_at", "actor", "actor_role", "action", "entity", "patient", "purpose", "source", "outcome",
                      "CASE WHEN break_glass = 0 THEN '0' ELSE '1' END", "reason", "prev_hash"]
        let length: (String) -> String = { engine == .postgres ? "CAST(octet_length(\($0)) AS TEXT)" : "CAST(length(CAST(\($0) AS BLOB)) AS TEXT)" }
        return fields.map { "\(length($0)) || ':' || \($0)" }.joined(separator: " || ")
    }

    struct VerifyRow: Sendable {
        var seq: Int64
        var input: String
        var previousHash: String
        var hash: String
    }

    private func page(after: Int64, size: Int) async throws -> [VerifyRow] {
        let input = Self.hashInputSQL(database.engine)
        return try await database.read { sql in
            try await sql.raw("""
                SELECT seq, \(unsafeRaw: input) AS input, prev_hash, hash FROM audit_entry WHERE seq > \(bind: after) ORDER BY seq LIMIT \(literal: size)
                """).all().map { row in
                VerifyRow(seq: try row.decode(column: "seq", as: Int64.self), input: try row.decode(column: "input", as: String.self),
                          previousHash: try row.decode(column: "prev_hash", as: String.self), hash: try row.decode(column: "hash", as: String.self))
            }
        }
    }

    /// Reads the whole chain in order and recomputes every hash; names the first entry that is broken.
    /// The next page is read while the current one is hashed.
    public func verify(pageSize: Int = 20_000) async throws -> Verification {
        var expectedSeq: Int64 = 1
        var previous = Self.genesis
        var checked = 0
        var current = try await page(after: 0, size: pageSize)
        while !current.isEmpty {
            let after = current.last?.seq ?? 0
            async let next = page(after: after, size: pageSize)
            for row in current {
                if row.seq != expectedSeq {
                    _ = try? await next
                    return Verification(checked: checked, firstBroken: row.seq, problem: "entries \(expectedSeq)–\(row.seq - 1) are missing: deleted from the chain", headHash: previous)
                }
                if row.previousHash != previous {
                    _ = try? await next
                    return Verification(checked: checked, firstBroken: row.seq, problem: "its link to the entry before does not match: an entry before it was changed or removed", headHash: previous)
                }
                var hasher = SHA256()
                hasher.update(data: Array(row.input.utf8))
                let hash = Hex.encode(hasher.finalize())
                if hash != row.hash {
                    _ = try? await next
                    return Verification(checked: checked, firstBroken: row.seq, problem: "its content does not match its hash: the entry was edited", headHash: previous)
                }
                previous = hash
                expectedSeq += 1
                checked += 1
            }
            current = try await next
        }
        return Verification(checked: checked, firstBroken: nil, problem: nil, headHash: previous)
    }

    /// Entries about one patient's record, newest first (for the resident's "who read my record" view).
    public func entries(patient: String, limit: Int = 100, before: Int64? = nil) async throws -> [AuditEntry] {
        try await database.read { sql in
            let upper = before ?? Int64.max
            return try await sql.raw("""
                SELECT seq, recorded_at, actor, actor_role, action, entity, patient, purpose, source, outcome, break_glass, reason, prev_hash, hash
                FROM audit_entry WHERE patient = \(bind: patient) AND seq < \(bind: upper) ORDER BY seq DESC LIMIT \(literal: limit)
                """).all().map(Self.decode)
        }
    }

    /// Entries newest first, optionally only break-glass ones or one actor's, for the audit and security administrators.
    public func entries(breakGlassOnly: Bool = false, actor: String? = nil, limit: Int = 100, before: Int64? = nil) async throws -> [AuditEntry] {
        try await database.read { sql in
            var filter = SQLQueryString("seq < ")
            filter.appendInterpolation(bind: before ?? Int64.max)
            if breakGlassOnly { filter.appendLiteral(" AND break_glass = 1") }
            if let actor { filter.appendLiteral(" AND actor = "); filter.appendInterpolation(bind: actor) }
            return try await sql.raw("""
                SELECT seq, recorded_at, actor, actor_role, action, entity, patient, purpose, source, outcome, break_glass, reason, prev_hash, hash
                FROM audit_entry WHERE \(filter) ORDER BY seq DESC LIMIT \(literal: limit)
                """).all().map(Self.decode)
        }
    }

    /// One entry by its position.
    public func entry(seq: Int64) async throws -> AuditEntry? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT seq, recorded_at, actor, actor_role, action, entity, patient, purpose, source, outcome, break_glass, reason, prev_hash, hash
                FROM audit_entry WHERE seq = \(bind: seq)
                """).first().map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            seq: try row.decode(column: "seq", as: Int64.self),
            recordedAt: try row.decode(column: "recorded_at", as: String.self),
            record: AuditRecord(
                actor: try row.decode(column: "actor", as: String.self),
                actorRole: try row.decode(column: "actor_role", as: String.self),
                action: try row.decode(column: "action", as: String.self),
                entity: try row.decode(column: "entity", as: String.self),
                patient: try row.decode(column: "patient", as: String.self),
                purpose: try row.decode(column: "purpose", as: String.self),
                source: try row.decode(column: "source", as: String.self),
                outcome: try row.decode(column: "outcome", as: String.self),
                breakGlass: try row.decode(column: "break_glass", as: Int.self) != 0,
                reason: try row.decode(column: "reason", as: String.self)
            ),
            previousHash: try row.decode(column: "prev_hash", as: String.self),
            hash: try row.decode(column: "hash", as: String.self)
        )
    }
}
