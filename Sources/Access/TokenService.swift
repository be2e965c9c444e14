import Foundation
import JWTKit
public import SQLKit
public import Storage

/// The claims of a Weijian API token.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var iss: IssuerClaim
    var role: String
    var scope: String
    var name: String
    var inst: String?
    var dist: String?
    var prac: String?
    var pat: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == TokenService.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "not issued here") }
    }
}

/// A registered system (a hospital EMR) that gets tokens by client credentials.
public struct RegisteredClient: Sendable, Equatable {
    /// The client id.
    public var clientID: String
    /// The system's name.
    public var name: String
    /// The institution it speaks for (Organization id): it sees that institution's patients.
    public var institution: String?
    /// For the district's own exchange platform (区域平台): the district it serves; it sees every record, each access logged.
    public var district: String?
    /// The scopes it may ask for.
    public var scopes: ScopeSet
    /// Disabled by an administrator.
    public var disabled: Bool
}

/// Short-lived signed API tokens (JWT, HMAC-SHA256 via jwt-kit) carrying SMART-on-FHIR-style scopes,
/// and the registry of systems that obtain them with client credentials.
public struct TokenService: Sendable {
    /// The `iss` of every token.
    static let issuer = "weijian"
    /// How long a token lives.
    public let lifetime: Duration
    let keys: JWTKeyCollection
    let database: Database
    let hasher: PasswordHasher

    /// Creates the service with the signing key (32 bytes, hex) from the key file.
    public init(secrets: AccessSecrets, database: Database, hasher: PasswordHasher, lifetime: Duration = .seconds(900)) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Hex.decode(secrets.tokenKey) ?? Array(secrets.tokenKey.utf8)), digestAlgorithm: .sha256)
        self.keys = keys
        self.database = database
        self.hasher = hasher
        self.lifetime = lifetime
    }

    /// A token for a principal, with the scopes given (already narrowed to what the role allows).
    public func issue(for principal: Principal, now: Date = Date()) async throws -> String {
        let claims = AccessTokenClaims(
            sub: SubjectClaim(value: principal.subject),
            exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))),
            iat: IssuedAtClaim(value: now), iss: IssuerClaim(value: Self.issuer),
            role: principal.role.rawValue, scope: principal.scopes.text, name: principal.displayName,
            inst: principal.institution, dist: principal.district, prac: principal.practitioner, pat: principal.patient
        )
        return try await keys.sign(claims)
    }

    /// The principal of a valid token; nil for an expired, forged or malformed one.
    public func principal(fromToken token: String) async -> Principal? {
        guard token.count < 8192, let claims = try? await keys.verify(token, as: AccessTokenClaims.self),
              let role = Role(rawValue: claims.role) else { return nil }
        let (scopes, unknown) = ScopeSet.parse(claims.scope)
        guard unknown.isEmpty else { return nil }
        return Principal(subject: claims.sub.value, role: role, displayName: claims.name, institution: claims.inst,
                         district: claims.dist, practitioner: claims.prac, patient: claims.pat, scopes: scopes)
    }

    /// The principal of a client, with the scopes it asked for (nil: all it is registered for).
    public static func principal(for client: RegisteredClient, scopes: ScopeSet) -> Principal {
        Principal(subject: client.clientID, role: .systemClient, displayName: client.name, institution: client.institution,
                  district: client.district, scopes: scopes)
    }

    /// Registers a system; returns its client secret, shown once.
    public func registerClient(clientID: String, name: String, institution: String?, district: String? = nil, scopes: ScopeSet) async throws -> String {
        guard (institution == nil) != (district == nil) else {
            throw AccountError(status: 400, description: "接入系统须指定所属机构（institution）或所服务的区（district，区域平台），二者取一")
        }
        guard (3...64).contains(clientID.count), clientID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw AccountError(status: 400, description: "client_id 须为3–64位字母、数字或 . _ -")
        }
        guard !scopes.scopes.isEmpty, scopes.scopes.allSatisfy({ $0.context == .system }) else {
            throw AccountError(status: 400, description: "接入系统的权限范围须为 system/… 形式，例如 system/Encounter.write")
        }
        let secret = AccessSecrets.randomHex()
        let hash = await hasher.hash(secret)
        try await database.write { sql in
            if try await sql.raw("SELECT client_id FROM access_client WHERE client_id = \(bind: clientID)").first() != nil {
                throw AccountError(status: 409, description: "client_id \(clientID) 已存在")
            }
            try await sql.raw("""
                INSERT INTO access_client (client_id, name, secret_hash, institution, district, scopes, disabled, created_at)
                VALUES (\(bind: clientID), \(bind: name), \(bind: hash), \(bind: institution), \(bind: district), \(bind: scopes.text), 0, \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return secret
    }

    /// The client whose id and secret match, nil otherwise (or when disabled).
    public func authenticateClient(clientID: String, secret: String) async throws -> RegisteredClient? {
        let row = try await database.read { sql in
            try await sql.raw("SELECT client_id, name, secret_hash, institution, district, scopes, disabled FROM access_client WHERE client_id = \(bind: clientID)").first()
        }
        guard let row else {
            await hasher.dummyVerify(secret)
            return nil
        }
        let hash = try row.decode(column: "secret_hash", as: String.self)
        guard await hasher.verify(secret, hash: hash) else { return nil }
        let client = RegisteredClient(
            clientID: try row.decode(column: "client_id", as: String.self), name: try row.decode(column: "name", as: String.self),
            institution: try row.decode(column: "institution", as: String?.self),
            district: try row.decode(column: "district", as: String?.self),
            scopes: ScopeSet.parse(try row.decode(column: "scopes", as: String.self)).0,
            disabled: try row.decode(column: "disabled", as: Int.self) != 0
        )
        return client.disabled ? nil : client
    }
}
