/// Who is making a request: an account (person) or a registered system, with its role, its anchors
/// (institution, district, practitioner, patient) and the scopes of its token.
public struct Principal: Sendable, Codable, Equatable {
    /// The account id (`access_user.id`) or the client id of a system.
    public var subject: String
    /// The role.
    public var role: Role
    /// The display name (shown to the person; never logged).
    public var displayName: String
    /// The institution's Organization id, for roles bound to one.
    public var institution: String?
    /// The district code (GB/T 2260), for district-wide roles.
    public var district: String?
    /// The Practitioner id of a clinician.
    public var practitioner: String?
    /// The Patient id of a resident.
    public var patient: String?
    /// What the credentials allow, as SMART-on-FHIR-style scopes.
    public var scopes: ScopeSet

    /// Creates a principal.
    public init(subject: String, role: Role, displayName: String, institution: String? = nil, district: String? = nil,
                practitioner: String? = nil, patient: String? = nil, scopes: ScopeSet = .all) {
        self.subject = subject
        self.role = role
        self.displayName = displayName
        self.institution = institution
        self.district = district
        self.practitioner = practitioner
        self.patient = patient
        self.scopes = scopes
    }
}
