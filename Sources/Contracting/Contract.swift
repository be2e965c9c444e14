import FHIR
import Foundation

/// A family-doctor contract (家庭医生签约, "1+1+1"): a resident with a family doctor at a CHC, plus a
/// district hospital and a city hospital of their choice, for a service package and a period.
public struct Contract: Sendable, Codable, Equatable {
    /// The contract number.
    public var id: String
    /// The resident (Patient id).
    public var patient: String
    /// The family doctor (Practitioner id).
    public var practitioner: String
    /// The CHC (Organization id).
    public var organization: String
    /// The district (GB/T 2260) and 街道 of the resident when signed.
    public var district: String
    public var subdistrict: String?
    /// The chosen district hospital and city hospital (Organization ids).
    public var districtHospital: String?
    public var cityHospital: String?
    /// The service package.
    public var package: String
    /// `active`, `terminated`, `transferred` or `expired`.
    public var status: String
    /// First and last day (YYYY-MM-DD, Asia/Shanghai).
    public var startDate: String
    public var endDate: String
    /// `online` (the resident), `desk` (CHC staff), `waitlist` (a freed place), `transfer` or `import` (from a legacy system).
    public var channel: String
    /// When it ended and why.
    public var endedOn: String?
    public var endReason: String?
    /// The contract this one continues (after a transfer).
    public var previous: String?
    /// The FHIR resources that show it: `EpisodeOfCare/<id>` and `CareTeam/<id>`.
    public var episodeOfCare: String { "EpisodeOfCare/\(Self.episodeID(id))" }
    public var careTeam: String { "CareTeam/\(Self.careTeamID(id))" }

    static func episodeID(_ contract: String) -> String { "contract-\(contract)" }
    static func careTeamID(_ contract: String) -> String { "contract-\(contract)-team" }

    enum CodingKeys: String, CodingKey {
        case id, patient, practitioner, organization, district, subdistrict, districtHospital, cityHospital, package, status
        case startDate, endDate, channel, endedOn, endReason, previous
    }

    /// The service packages (服务包): the basic package for everyone and paid packages for key groups.
    public static let packages: [String: String] = [
        "basic": "基础服务包",
        "elderly": "老年人健康管理服务包",
        "chronic": "慢病管理服务包（高血压、糖尿病）",
        "maternal-child": "孕产妇和儿童健康服务包",
        "rehabilitation": "康复护理服务包（失能、残疾）",
    ]
}

/// A request to sign (签约) a resident with a family doctor.
public struct SignRequest: Sendable, Codable, Equatable {
    /// The resident (Patient id).
    public var patient: String
    /// The family doctor (Practitioner id).
    public var practitioner: String
    /// The district hospital and city hospital chosen (Organization ids; optional).
    public var districtHospital: String?
    public var cityHospital: String?
    /// The service package (`basic` when not given).
    public var package: String?

    /// Creates a request.
    public init(patient: String, practitioner: String, districtHospital: String? = nil, cityHospital: String? = nil, package: String? = nil) {
        self.patient = patient
        self.practitioner = practitioner
        self.districtHospital = districtHospital
        self.cityHospital = cityHospital
        self.package = package
    }
}

/// The doctor has no free place: the resident may join the waiting list (候补).
public struct ContractFull: Error, Sendable, CustomStringConvertible {
    /// The doctor asked for.
    public let practitioner: String
    /// The residents already waiting for them.
    public let waiting: Int

    public var description: String {
        "家庭医生 Practitioner/\(practitioner) 的签约名额已满（已有 \(waiting) 人候补）；可加入候补名单，有名额时按顺序自动签约 (the doctor has no free place; join the waiting list)"
    }
}

/// A family doctor's places.
public struct DoctorPlaces: Sendable, Codable, Equatable {
    public var practitioner: String
    public var organization: String
    public var capacity: Int
    public var signed: Int
    public var waiting: Int
    /// Free places now.
    public var free: Int { max(0, capacity - signed) }

    enum CodingKeys: String, CodingKey { case practitioner, organization, capacity, signed, waiting, free }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(practitioner, forKey: .practitioner)
        try container.encode(organization, forKey: .organization)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(signed, forKey: .signed)
        try container.encode(waiting, forKey: .waiting)
        try container.encode(free, forKey: .free)
    }

    public init(practitioner: String, organization: String, capacity: Int, signed: Int, waiting: Int) {
        self.practitioner = practitioner
        self.organization = organization
        self.capacity = capacity
        self.signed = signed
        self.waiting = waiting
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        practitioner = try container.decode(String.self, forKey: .practitioner)
        organization = try container.decode(String.self, forKey: .organization)
        capacity = try container.decode(Int.self, forKey: .capacity)
        signed = try container.decode(Int.self, forKey: .signed)
        waiting = try container.decode(Int.self, forKey: .waiting)
    }
}
