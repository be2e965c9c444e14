import Foundation
import Storage

/// A clinical department that publishes schedules and receives referrals (科室).
public struct Department: Sendable, Codable, Equatable {
    /// The code used in the API (`cardiology`).
    public var code: String
    /// The Chinese name (心血管内科).
    public var name: String

    /// The departments the platform knows; schedules and referrals name one of these.
    public static let all: [Department] = [
        Department(code: "cardiology", name: "心血管内科"), Department(code: "endocrinology", name: "内分泌科"),
        Department(code: "neurology", name: "神经内科"), Department(code: "respiratory", name: "呼吸内科"),
        Department(code: "gastroenterology", name: "消化内科"), Department(code: "nephrology", name: "肾内科"),
        Department(code: "geriatrics", name: "老年医学科"), Department(code: "orthopaedics", name: "骨科"),
        Department(code: "general-surgery", name: "普外科"), Department(code: "ophthalmology", name: "眼科"),
        Department(code: "rehabilitation", name: "康复医学科"), Department(code: "general-practice", name: "全科"),
    ]

    /// The Chinese name of a department code (the code itself when unknown).
    public static func name(_ code: String) -> String { all.first { $0.code == code }?.name ?? code }
}

/// What a schedule offers: outpatient visits in time slices (分时段预约) or inpatient beds (住院床位) by day.
public enum ScheduleService: String, Sendable, Codable, CaseIterable {
    /// 门诊号源: one slot is one visit at a time.
    case outpatient
    /// 住院床位: one slot is one bed for an admission on the schedule's day.
    case inpatient
}

/// The plan of a new schedule: who, which day, the session's hours, the slice length and the reserved share.
public struct SchedulePlan: Sendable, Codable {
    /// The hospital (Organization id).
    public var organization: String
    /// The department code (see ``Department``).
    public var department: String
    /// A named expert (Practitioner id); nil for a department session.
    public var practitioner: String?
    /// Outpatient slots (default) or inpatient beds.
    public var service: ScheduleService?
    /// The day, YYYY-MM-DD (Asia/Shanghai).
    public var day: String
    /// Session start, HH:mm (outpatient; default 08:00).
    public var start: String?
    /// Session end, HH:mm (outpatient; default 11:30).
    public var end: String?
    /// Minutes per slot (outpatient; default 10).
    public var slotMinutes: Int?
    /// Beds offered (inpatient).
    public var beds: Int?
    /// Percent of the slots reserved for CHCs' family doctors (社区预留). Default: 20 for a regional medical
    /// centre's expert and for inpatient beds, else 0.
    public var reservedPercent: Int?
    /// Hours before a reserved slot's start at which, still unbooked, it opens to the public (default 24).
    public var releaseHours: Int?

    /// Creates a plan.
    public init(organization: String, department: String, practitioner: String? = nil, service: ScheduleService? = nil, day: String,
                start: String? = nil, end: String? = nil, slotMinutes: Int? = nil, beds: Int? = nil, reservedPercent: Int? = nil, releaseHours: Int? = nil) {
        self.organization = organization
        self.department = department
        self.practitioner = practitioner
        self.service = service
        self.day = day
        self.start = start
        self.end = end
        self.slotMinutes = slotMinutes
        self.beds = beds
        self.reservedPercent = reservedPercent
        self.releaseHours = releaseHours
    }
}

/// A published schedule (排班) with its slot counts.
public struct Schedule: Sendable, Codable, Equatable {
    /// The schedule's id, also `Schedule/<id>` in FHIR.
    public var id: String
    /// The hospital (Organization id), the department's code and Chinese name.
    public var organization: String
    public var department: String
    public var departmentName: String
    /// The named expert (Practitioner id), nil for a department session.
    public var practitioner: String?
    /// `outpatient` or `inpatient`.
    public var service: String
    /// The day (YYYY-MM-DD, Asia/Shanghai).
    public var day: String
    /// The share reserved for CHCs (percent) and how many hours before a slot's start it opens to the public.
    public var reservedPercent: Int
    public var releaseHours: Int
    /// Slots in all, free ones, and the reserved ones among them.
    public var slots: Int
    public var free: Int
    public var reservedFree: Int
}

/// A slot (号源) as a booker sees it.
public struct Slot: Sendable, Codable, Equatable {
    /// The slot's id, also `Slot/<id>` in FHIR.
    public var id: String
    /// Its schedule, hospital and department.
    public var schedule: String
    public var organization: String
    public var department: String
    /// Start and end with the Shanghai offset.
    public var start: String
    public var end: String
    /// `reserved` (社区预留) or `public`.
    public var pool: String
    /// When a reserved slot opens to the public.
    public var releasedAt: String
    /// Whether a public booker may take it now (public, or reserved and released).
    public var openToPublic: Bool
    /// `free` or `booked`.
    public var status: String
}

/// How a booking came about.
public enum BookingChannel: String, Sendable, Codable {
    /// A family doctor for a contracted resident: reserved slots too (社区预留号).
    case familyDoctor = "family-doctor"
    /// The resident themselves: public slots, and reserved ones once released.
    case resident
    /// For an accepted referral: reserved slots too (转诊优先).
    case referral
    /// Filled from the waiting list when a slot was freed.
    case waitlist

    /// Whether this channel may take a reserved slot before its release.
    public var mayUseReserved: Bool { self != .resident }
}

/// A request to book one slot for one resident.
public struct BookingRequest: Sendable {
    /// The slot and the resident (Patient id).
    public var slot: String
    public var patient: String
    /// Who books, which decides the pools open to the booking.
    public var channel: BookingChannel
    /// The department the booker means; a slot of another department is refused.
    public var department: String?
    /// The referral the booking serves.
    public var referral: String?
    /// Who books (account id).
    public var actor: String

    /// Creates a request.
    public init(slot: String, patient: String, channel: BookingChannel, department: String? = nil, referral: String? = nil, actor: String) {
        self.slot = slot
        self.patient = patient
        self.channel = channel
        self.department = department
        self.referral = referral
        self.actor = actor
    }
}

/// An appointment (预约) in a slot.
public struct Appointment: Sendable, Codable, Equatable {
    /// The appointment's id, also `Appointment/<id>` in FHIR.
    public var id: String
    /// The slot, its schedule and the resident (Patient id).
    public var slot: String
    public var schedule: String
    public var patient: String
    /// The ``BookingChannel`` it came through, and the referral it serves.
    public var channel: String
    public var referral: String?
    /// `booked`, `cancelled`, `rescheduled`, `fulfilled` or `noshow`.
    public var status: String
    /// The slot's start, hospital and department.
    public var start: String
    public var organization: String
    public var department: String
}

/// The answer to joining a waiting list: the place in the queue (1 = next).
public struct WaitlistPlace: Sendable, Codable, Equatable {
    /// The schedule, the resident, and the place (1 = next).
    public var schedule: String
    public var patient: String
    public var position: Int
}

/// Instants as the slots store them: milliseconds since 1970, shown with the Shanghai offset.
public enum SlotTime {
    /// Milliseconds since 1970 of a date.
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// The instant in ISO 8601 with the Shanghai offset.
    public static func text(_ millis: Int64) -> String {
        ISO8601Timestamp.format(Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// `day` (YYYY-MM-DD) at `time` (HH:mm) in Shanghai, or nil when either is malformed.
    public static func millis(day: String, time: String) -> Int64? {
        guard CalendarDay.isValid(day) else { return nil }
        let parts = time.split(separator: ":").compactMap { Int($0) }
        guard time.count == 5, parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) else { return nil }
        let days = day.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ISO8601Timestamp.shanghai
        guard let date = calendar.date(from: DateComponents(year: days[0], month: days[1], day: days[2], hour: parts[0], minute: parts[1])) else { return nil }
        return millis(date)
    }
}
