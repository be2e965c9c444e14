import Foundation

/// A referral (转诊) up to a hospital department or down to a CHC, and where it stands in the closed loop:
/// `requested` → `accepted` or `declined` → `booked` (an appointment) → `visited` → `completed` (the
/// feedback and discharge summary back to the family doctor); `cancelled` by the sender while open.
public struct Referral: Sendable, Codable, Equatable {
    /// The referral number.
    public var id: String
    /// `up` (family doctor → hospital department) or `down` (hospital → CHC).
    public var direction: String
    /// The resident (Patient id), the sender (institution and Practitioner) and the receiving institution.
    public var patient: String
    public var fromOrganization: String
    public var fromPractitioner: String
    public var toOrganization: String
    /// The receiving department (up); empty for a CHC (down).
    public var department: String
    /// Why the resident is referred.
    public var reason: String
    /// ICD-10 code and text of the diagnosis.
    public var diagnosisCode: String?
    public var diagnosisText: String?
    /// References into the record sent with the request (`Observation/…`, `Condition/…`).
    public var records: [String]
    /// The care plan of a down-referral (下转康复方案).
    public var carePlan: String?
    /// The resident's family doctor, who gets the feedback.
    public var familyDoctor: String?
    /// Where it stands: `requested`, `accepted`, `declined`, `booked`, `visited`, `completed` or `cancelled`.
    public var status: String
    /// When it was sent; when and by whom (Practitioner id) it was answered, and why it was declined.
    public var requestedAt: String
    public var decidedAt: String?
    public var decidedBy: String?
    public var declineReason: String?
    /// The appointment booked for it, and when the resident came.
    public var appointment: String?
    public var visitedAt: String?
    /// The discharge summary or feedback (出院小结/转诊反馈).
    public var summary: String?
    /// When the feedback was sent (the loop closed).
    public var completedAt: String?

    /// The FHIR ids written for it.
    public var serviceRequestID: String { "ref-\(id)" }
    public var taskID: String { "ref-\(id)-task" }
    public var feedbackTaskID: String { "ref-\(id)-feedback" }
    public var summaryID: String { "ref-\(id)-summary" }
    public var carePlanID: String { "ref-\(id)-careplan" }

    /// Statuses of a referral still in progress (one such per resident, receiver, department and direction).
    public static let openStatuses: Set<String> = ["requested", "accepted", "booked", "visited"]

    /// The Chinese label of a status.
    public static func label(_ status: String) -> String {
        ["requested": "待接收", "accepted": "已接收", "declined": "已拒绝", "booked": "已预约", "visited": "已就诊",
         "completed": "已反馈", "cancelled": "已撤回"][status] ?? status
    }
}

/// A new referral as its sender fills it in.
public struct ReferralRequest: Sendable, Codable {
    /// The resident (Patient id).
    public var patient: String
    /// `up` (default) or `down`.
    public var direction: String?
    /// The receiving hospital (up) or CHC (down).
    public var toOrganization: String
    /// The receiving department (up).
    public var department: String?
    /// Why; the diagnosis as ICD-10 code and text; links into the resident's record (`Observation/<id>`, …).
    public var reason: String
    public var diagnosisCode: String?
    public var diagnosisText: String?
    public var records: [String]?
    /// The care plan a down-referral must carry.
    public var carePlan: String?

    /// Creates a request.
    public init(patient: String, direction: String? = nil, toOrganization: String, department: String? = nil, reason: String,
                diagnosisCode: String? = nil, diagnosisText: String? = nil, records: [String]? = nil, carePlan: String? = nil) {
        self.patient = patient
        self.direction = direction
        self.toOrganization = toOrganization
        self.department = department
        self.reason = reason
        self.diagnosisCode = diagnosisCode
        self.diagnosisText = diagnosisText
        self.records = records
        self.carePlan = carePlan
    }
}

/// Who acts on a referral: their account, Practitioner and institution.
public struct ReferralActor: Sendable {
    /// The account id (for the records), the Practitioner id and the institution (Organization id).
    public var account: String
    public var practitioner: String
    public var organization: String

    /// Creates an actor.
    public init(account: String, practitioner: String, organization: String) {
        self.account = account
        self.practitioner = practitioner
        self.organization = organization
    }
}
