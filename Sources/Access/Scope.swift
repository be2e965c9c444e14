/// One SMART-on-FHIR-style scope, such as `patient/*.read`, `user/Observation.write` or `system/*.*`.
public struct Scope: Sendable, Codable, Hashable, CustomStringConvertible {
    /// Whose data the scope reaches.
    public enum Context: String, Sendable, Codable {
        /// The patient in context: the resident's own record.
        case patient
        /// Whatever the user may see.
        case user
        /// A system acting on its own behalf.
        case system
    }
    /// The context.
    public var context: Context
    /// A FHIR resource type, or `*`.
    public var resourceType: String
    /// May read (read, vread, search, history).
    public var read: Bool
    /// May write (create, update, delete).
    public var write: Bool

    /// Parses `context/Type.access`; access is `read`, `write` or `*`. Nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let context = Context(rawValue: String(parts[0])) else { return nil }
        let rest = parts[1].split(separator: ".", maxSplits: 1)
        guard rest.count == 2 else { return nil }
        let type = String(rest[0])
        guard type == "*" || (type.first?.isUppercase == true && type.allSatisfy({ $0.isLetter })) else { return nil }
        switch rest[1] {
        case "read": (read, write) = (true, false)
        case "write": (read, write) = (false, true)
        case "*": (read, write) = (true, true)
        default: return nil
        }
        self.context = context
        self.resourceType = type
    }

    /// Creates a scope.
    public init(context: Context, resourceType: String, read: Bool, write: Bool) {
        self.context = context
        self.resourceType = resourceType
        self.read = read
        self.write = write
    }

    /// The scope as text.
    public var description: String {
        "\(context.rawValue)/\(resourceType).\(read && write ? "*" : (write ? "write" : "read"))"
    }
}

/// The scopes a credential carries. Web sessions carry every scope of the user's role (`user/*.*`).
public struct ScopeSet: Sendable, Codable, Equatable {
    /// The scopes.
    public var scopes: [Scope]

    /// Creates a set.
    public init(_ scopes: [Scope]) {
        self.scopes = scopes
    }

    /// Everything the role allows.
    public static let all = ScopeSet([Scope(context: .user, resourceType: "*", read: true, write: true)])

    /// Parses a space-separated scope string; unknown scopes are returned separately so the caller can refuse them.
    public static func parse(_ text: String) -> (ScopeSet, unknown: [String]) {
        var scopes: [Scope] = []
        var unknown: [String] = []
        for word in text.split(separator: " ") {
            // OpenID and SMART launch scopes carry no data access of their own.
            if ["openid", "fhirUser", "profile", "offline_access", "launch", "launch/patient"].contains(word) { continue }
            if let scope = Scope(String(word)) { scopes.append(scope) } else { unknown.append(String(word)) }
        }
        return (ScopeSet(scopes), unknown)
    }

    /// Whether the scopes allow reading (or writing) resources of `type`.
    public func allows(_ type: String, write: Bool) -> Bool {
        scopes.contains { ($0.resourceType == "*" || $0.resourceType == type) && (write ? $0.write : $0.read) }
    }

    /// Whether every scope is patient-context (a token limited to the resident's own record).
    public var patientOnly: Bool { !scopes.isEmpty && scopes.allSatisfy { $0.context == .patient } }

    /// The scopes as a space-separated string.
    public var text: String { scopes.map(\.description).joined(separator: " ") }

    /// The scopes of `self` that `other` also grants (for narrowing a token's request to the role's reach).
    public func narrowed(to allowed: (Scope) -> Bool) -> ScopeSet {
        ScopeSet(scopes.filter(allowed))
    }
}
