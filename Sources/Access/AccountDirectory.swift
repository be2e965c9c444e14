import Foundation
public import SQLKit
public import Storage

/// An account of a person.
public struct Account: Sendable, Equatable {
    /// The account id.
    public var id: String
    /// The login name.
    public var username: String
    /// The name shown to the person.
    public var displayName: String
    /// The one role.
    public var role: Role
    /// Institution (Organization id), district code, Practitioner id and Patient id, as the role needs.
    public var institution: String?
    /// See ``institution``.
    public var district: String?
    /// See ``institution``.
    public var practitioner: String?
    /// See ``institution``.
    public var patient: String?
    /// Failed logins in a row.
    public var failedLogins: Int
    /// Locked until this time (ms since 1970), if locked.
    public var lockedUntilMs: Int64?
    /// Disabled by an administrator.
    public var disabled: Bool

    /// The principal of a web session for this account: every scope the role has.
    public var principal: Principal {
        Principal(subject: id, role: role, displayName: displayName, institution: institution, district: district,
                  practitioner: practitioner, patient: patient, scopes: .all)
    }
}

/// What an administrator gives to create an account.
public struct NewAccount: Sendable {
    /// Login name: 3–32 letters, digits, `.`, `_` or `-`.
    public var username: String
    /// The name shown.
    public var displayName: String
    /// The role.
    public var role: Role
    /// The initial password.
    public var password: String
    /// Anchors, as the role needs.
    public var institution: String?
    /// See ``institution``.
    public var district: String?
    /// See ``institution``.
    public var practitioner: String?
    /// See ``institution``.
    public var patient: String?

    /// Creates the request.
    public init(username: String, displayName: String, role: Role, password: String, institution: String? = nil,
                district: String? = nil, practitioner: String? = nil, patient: String? = nil) {
        self.username = username
        self.displayName = displayName
        self.role = role
        self.password = password
        self.institution = institution
        self.district = district
        self.practitioner = practitioner
        self.patient = patient
    }
}

/// An account request that cannot be carried out, with a message for the person.
public struct AccountError: Error, Sendable, CustomStringConvertible {
    /// HTTP status: 400, 404 or 409.
    public let status: Int
    /// What is wrong, in Chinese.
    public let description: String
}

/// The outcome of a login attempt.
public enum LoginOutcome: Sendable, Equatable {
    /// The password matched.
    case success(Account)
    /// Wrong user name or password (not saying which).
    case invalid
    /// Too many recent failures: try again after this many seconds.
    case throttled(retryAfter: Int)
    /// Locked after too many failures, for this many more seconds.
    case locked(retryAfter: Int)
    /// Disabled by an administrator.
    case disabled
}

/// The rules for failed logins: a growing back-off, then a lockout.
public struct LoginPolicy: Sendable {
    /// Failures allowed before waiting is required.
    public var freeFailures = 3
    /// Failures in a row that lock the account.
    public var lockAfter = 10
    /// How long a lockout lasts.
    public var lockSeconds = 15 * 60

    /// Creates the policy.
    public init(freeFailures: Int = 3, lockAfter: Int = 10, lockSeconds: Int = 15 * 60) {
        self.freeFailures = freeFailures
        self.lockAfter = lockAfter
        self.lockSeconds = lockSeconds
    }

    /// Seconds to wait after `failures` failures in a row before the next attempt: 0, then 1, 2, 4, 8 … capped at 5 minutes.
    public func backoff(after failures: Int) -> Int {
        guard failures >= freeFailures else { return 0 }
        return min(300, 1 << min(16, failures - freeFailures))
    }
}

/// Accounts of people: creation with password rules, login with back-off and lockout, unlocking and disabling.
public struct AccountDirectory: Sendable {
    /// The database.
    public let database: Database
    /// Password hashing.
    public let hasher: PasswordHasher
    /// Failed-login rules.
    public let policy: LoginPolicy

    /// Creates the directory.
    public init(database: Database, hasher: PasswordHasher = PasswordHasher(), policy: LoginPolicy = LoginPolicy()) {
        self.database = database
        self.hasher = hasher
        self.policy = policy
    }

    static let columns = "id, username, display_name, role, institution, district, practitioner_id, patient_id, failed_logins, locked_until_ms, disabled"

    /// Creates an account; one role per account, anchored as the role requires.
    public func create(_ new: NewAccount) async throws -> Account {
        let username = new.username.trimmingCharacters(in: .whitespaces)
        guard (3...32).contains(username.count), username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw AccountError(status: 400, description: "用户名须为3–32位字母、数字或 . _ -")
        }
        let displayName = new.displayName.trimmingCharacters(in: .whitespaces)
        guard !displayName.isEmpty, displayName.count <= 64 else { throw AccountError(status: 400, description: "请填写姓名（不超过64字）") }
        if let weakness = PasswordHasher.weakness(of: new.password, username: username) { throw AccountError(status: 400, description: weakness) }
        if new.role.needsInstitution && (new.institution ?? "").isEmpty { throw AccountError(status: 400, description: "\(new.role.label)账号须指定所属机构") }
        if new.role.needsDistrict && (new.district ?? "").isEmpty { throw AccountError(status: 400, description: "\(new.role.label)账号须指定所属区") }
        if new.role == .resident && (new.patient ?? "").isEmpty { throw AccountError(status: 400, description: "居民账号须关联本人的健康档案（Patient）") }
        if (new.role == .familyDoctor || new.role == .hospitalClinician) && (new.practitioner ?? "").isEmpty {
            throw AccountError(status: 400, description: "\(new.role.label)账号须关联执业人员（Practitioner）")
        }
        if new.role.isAdministrator && (new.patient != nil || new.practitioner != nil) {
            throw AccountError(status: 400, description: "管理员账号不得关联健康档案或执业人员")
        }
        let hash = await hasher.hash(new.password)
        let id = UUID().uuidString.lowercased()
        let account = Account(id: id, username: username, displayName: displayName, role: new.role, institution: new.institution,
                              district: new.district, practitioner: new.practitioner, patient: new.role == .resident ? new.patient : nil,
                              failedLogins: 0, lockedUntilMs: nil, disabled: false)
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM access_user WHERE username = \(bind: username)").first() != nil {
                throw AccountError(status: 409, description: "用户名 \(username) 已被使用")
            }
            if let patient = account.patient, try await sql.raw("SELECT id FROM access_user WHERE patient_id = \(bind: patient)").first() != nil {
                throw AccountError(status: 409, description: "该健康档案已有居民账号")
            }
            try await sql.raw("""
                INSERT INTO access_user (id, username, display_name, role, institution, district, practitioner_id, patient_id,
                    password_hash, failed_logins, disabled, created_at)
                VALUES (\(bind: id), \(bind: username), \(bind: displayName), \(bind: new.role.rawValue), \(bind: account.institution),
                    \(bind: account.district), \(bind: account.practitioner), \(bind: account.patient), \(bind: hash), 0, 0, \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return account
    }

    /// An account by id.
    public func account(id: String) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM access_user WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// An account by login name.
    public func account(username: String) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM access_user WHERE username = \(bind: username)").first().map(Self.decode)
        }
    }

    /// The residents' accounts of the given Patient ids (a phone may be a household's, shared by several).
    public func residentAccounts(patients: [String]) async throws -> [Account] {
        guard !patients.isEmpty else { return [] }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT \(unsafeRaw: Self.columns) FROM access_user
                WHERE role = \(bind: Role.resident.rawValue) AND patient_id IN (\(binds: patients)) ORDER BY username
                """).all().map(Self.decode)
        }
    }

    /// Every account, by login name.
    public func all() async throws -> [Account] {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM access_user ORDER BY username").all().map(Self.decode)
        }
    }

    /// Checks a password, applying back-off and lockout; the failure count is kept in the database so it survives restarts.
    public func login(username: String, password: String, now: Date = Date()) async throws -> LoginOutcome {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let row = try await database.read { sql in
            try await sql.raw("""
                SELECT \(unsafeRaw: Self.columns), password_hash, last_failed_ms FROM access_user WHERE username = \(bind: username)
                """).first()
        }
        guard let row else {
            await hasher.dummyVerify(password)
            return .invalid
        }
        let account = try Self.decode(row)
        let hash = try row.decode(column: "password_hash", as: String.self)
        let lastFailed = try row.decode(column: "last_failed_ms", as: Int64?.self)
        if account.disabled { return .disabled }
        if let until = account.lockedUntilMs, until > nowMs { return .locked(retryAfter: Int((until - nowMs + 999) / 1000)) }
        let wait = policy.backoff(after: account.failedLogins)
        if wait > 0, let lastFailed, lastFailed + Int64(wait) * 1000 > nowMs {
            return .throttled(retryAfter: Int((lastFailed + Int64(wait) * 1000 - nowMs + 999) / 1000))
        }
        if await hasher.verify(password, hash: hash) {
            try await database.write { sql in
                try await sql.raw("UPDATE access_user SET failed_logins = 0, last_failed_ms = NULL, locked_until_ms = NULL WHERE id = \(bind: account.id)").run()
            }
            var done = account
            done.failedLogins = 0
            done.lockedUntilMs = nil
            return .success(done)
        }
        let failures = account.failedLogins + 1
        let lockUntil: Int64? = failures >= policy.lockAfter ? nowMs + Int64(policy.lockSeconds) * 1000 : nil
        try await database.write { sql in
            try await sql.raw("""
                UPDATE access_user SET failed_logins = \(bind: failures), last_failed_ms = \(bind: nowMs), locked_until_ms = \(bind: lockUntil)
                WHERE id = \(bind: account.id)
                """).run()
        }
        if let lockUntil { return .locked(retryAfter: Int((lockUntil - nowMs) / 1000)) }
        return .invalid
    }

    /// Clears a lockout and the failure count (the security administrator's act).
    public func unlock(id: String) async throws {
        let changed = try await database.write { sql in
            try await sql.raw("UPDATE access_user SET failed_logins = 0, last_failed_ms = NULL, locked_until_ms = NULL WHERE id = \(bind: id) RETURNING id").all().count
        }
        if changed == 0 { throw AccountError(status: 404, description: "账号不存在") }
    }

    /// Disables or re-enables an account.
    public func setDisabled(id: String, _ disabled: Bool) async throws {
        let changed = try await database.write { sql in
            try await sql.raw("UPDATE access_user SET disabled = \(bind: disabled ? 1 : 0) WHERE id = \(bind: id) RETURNING id").all().count
        }
        if changed == 0 { throw AccountError(status: 404, description: "账号不存在") }
    }

    static func role(_ row: any SQLRow) throws -> Role {
        let text = try row.decode(column: "role", as: String.self)
        guard let role = Role(rawValue: text) else { throw AccountError(status: 500, description: "账号角色 \(text) 无效") }
        return role
    }

    static func decode(_ row: any SQLRow) throws -> Account {
        Account(
            id: try row.decode(column: "id", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            role: try Self.role(row),
            institution: try row.decode(column: "institution", as: String?.self),
            district: try row.decode(column: "district", as: String?.self),
            practitioner: try row.decode(column: "practitioner_id", as: String?.self),
            patient: try row.decode(column: "patient_id", as: String?.self),
            failedLogins: try row.decode(column: "failed_logins", as: Int.self),
            lockedUntilMs: try row.decode(column: "locked_until_ms", as: Int64?.self),
            disabled: try row.decode(column: "disabled", as: Int.self) != 0
        )
    }
}
