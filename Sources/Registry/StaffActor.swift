/// Who acts on the staff side of a domain's workflow (a consultation, a return visit, a home-service order):
/// the account, its Practitioner (if any) and its institution.
public struct StaffActor: Sendable {
    public var account: String
    public var practitioner: String?
    public var institution: String

    public init(account: String, practitioner: String?, institution: String) {
        self.account = account
        self.practitioner = practitioner
        self.institution = institution
    }
}
