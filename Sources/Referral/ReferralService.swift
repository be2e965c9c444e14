import FHIR
import Foundation
import Registry
public import SQLKit
public import Storage

/// Two-way referral and the slot pool (双向转诊, 号源统筹): schedules and time-sliced slots with a share
/// reserved for CHCs (社区预留) that opens to the public at a lead time, booking by family doctors and
/// residents, cancellation, no-shows, rescheduling and a waiting list, and the referral loop. Every change
/// writes the `referral_*` rows and the FHIR record (Schedule, Slot, Appointment, ServiceRequest, Task,
/// Communication, CarePlan) in one transaction.
///
/// A slot is taken by one conditional `UPDATE … WHERE status = 'free'` whose row count is checked, and a
/// partial unique index allows one live appointment per slot, so no slot is booked twice on either engine,
/// whatever the concurrency or the number of server processes. Callers decide who may act for whom.
public struct ReferralService: Sendable {
    /// The FHIR store (and through it the database).
    public let store: FHIRStore
    /// The database.
    public var database: Database { store.database }

    /// Creates the service over the platform's store.
    public init(store: FHIRStore) {
        self.store = store
    }

    public static let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child"]

    static func newID(_ prefix: String) -> String {
        RecordID.make(prefix)
    }

    static func invalid(_ text: String, _ expression: String? = nil) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: expression)])
    }


    // MARK: schedules

    /// Publishes a schedule and its slots (as FHIR Schedule and Slots too). 422 for an unknown hospital or
    /// department, a day in the past, malformed hours, or shares out of range.
    public func createSchedule(_ plan: SchedulePlan, actor: String, now: Date = Date()) async throws -> Schedule {
        guard let hospital = Catalog.institutions.first(where: { $0.id == plan.organization }), Self.hospitalTypes.contains(hospital.type) else {
            throw Self.invalid("'\(plan.organization)' 不是名录中的医院，只有医院发布号源 (not a hospital)", "organization")
        }
        guard Department.all.contains(where: { $0.code == plan.department }) else {
            throw Self.invalid("未知科室 '\(plan.department)'；可选：\(Department.all.map(\.code).joined(separator: ", "))", "department")
        }
        guard CalendarDay.isValid(plan.day) else { throw Self.invalid("日期 '\(plan.day)' 应为 YYYY-MM-DD", "day") }
        guard plan.day >= CalendarDay.today(now) else { throw Self.invalid("日期 \(plan.day) 已过，不能发布号源", "day") }
        let service = plan.service ?? .outpatient
        let isExpertOfCentre = plan.practitioner != nil && (hospital.roles ?? []).contains("regional-medical-centre")
        let reserved = plan.reservedPercent ?? (isExpertOfCentre || service == .inpatient ? 20 : 0)
        let releaseHours = plan.releaseHours ?? 24
        guard (0...100).contains(reserved) else { throw Self.invalid("预留比例应在 0–100 之间", "reservedPercent") }
        guard (0...336).contains(releaseHours) else { throw Self.invalid("预留号释放提前量应在 0–336 小时之间", "releaseHours") }
        var times: [(Int64, Int64)] = []
        switch service {
        case .outpatient:
            let minutes = plan.slotMinutes ?? 10
            guard (5...240).contains(minutes) else { throw Self.invalid("每个时段应为 5–240 分钟", "slotMinutes") }
            guard let start = SlotTime.millis(day: plan.day, time: plan.start ?? "08:00"), let end = SlotTime.millis(day: plan.day, time: plan.end ?? "11:30"), end > start else {
                throw Self.invalid("时段应为 HH:mm，且结束晚于开始", "start")
            }
            var at = start
            while at + Int64(minutes) * 60_000 <= end {
                times.append((at, at + Int64(minutes) * 60_000))
                at += Int64(minutes) * 60_000
            }
        case .inpatient:
            let beds = plan.beds ?? 0
            guard let admission = SlotTime.millis(day: plan.day, time: "08:00") else { throw Self.invalid("日期无效", "day") }
            guard (1...500).contains(beds) else { throw Self.invalid("床位数应在 1–500 之间", "beds") }
            times = Array(repeating: (admission, admission + 86_400_000), count: beds)
        }
        guard !times.isEmpty, times.count <= 500 else { throw Self.invalid("一次排班应有 1–500 个号源（现为 \(times.count) 个）", "slotMinutes") }
        guard let last = times.last, last.0 > SlotTime.millis(now) else { throw Self.invalid("所有时段均已过去", "start") }
        let id = Self.newID("s")
        let createdAt = ISO8601Timestamp.format(now)
        return try await store.write { writer in
            try await writer.sql.raw("""
                INSERT INTO referral_schedule (id, organization_id, department, practitioner_id, service, day, reserved_percent, release_hours, created_by, created_at)
                VALUES (\(bind: id), \(bind: plan.organization), \(bind: plan.department), \(bind: plan.practitioner), \(bind: service.rawValue), \(bind: plan.day),
                    \(bind: reserved), \(bind: releaseHours), \(bind: actor), \(bind: createdAt))
                """).run()
            _ = try await writer.create(ReferralResources.schedule(id: id, plan: plan, service: service), id: id)
            var rows = BatchInsert(table: "referral_slot", columns: ["id", "schedule_id", "organization_id", "department", "start_ms", "end_ms", "pool", "release_ms", "status"])
            for (index, (start, end)) in times.enumerated() {
                // Reserved slots spread over the session: slot i is reserved when the running share passes a whole slot.
                let isReserved = (index + 1) * reserved / 100 > index * reserved / 100
                let slotID = "\(id)-\(index + 1)"
                let release = isReserved ? start - Int64(releaseHours) * 3_600_000 : 0
                rows.append([.text(slotID), .text(id), .text(plan.organization), .text(plan.department), .int(start), .int(end),
                             .text(isReserved ? "reserved" : "public"), .int(release), .text("free")])
                _ = try await writer.create(ReferralResources.slot(id: slotID, schedule: id, department: plan.department, startMillis: start, endMillis: end,
                                                                   pool: isReserved ? "reserved" : "public", busy: false), id: slotID)
            }
            try await rows.flush(writer.sql, engine: database.engine)
            return try await schedule(id, sql: writer.sql)
        }
    }

    /// A schedule with its counts.
    public func schedule(_ id: String) async throws -> Schedule {
        try await database.read { try await schedule(id, sql: $0) }
    }

    /// Schedules of a hospital (optionally one department) from `day` for `days` days, by day.
    public func schedules(organization: String, department: String? = nil, from day: String, days: Int = 14) async throws -> [Schedule] {
        try await database.read { sql in
            try await sql.raw("""
                \(unsafeRaw: Self.scheduleSelect) WHERE s.organization_id = \(bind: organization) AND s.day >= \(bind: day) AND s.day <= \(bind: CalendarDay.shift(day, days: days))
                AND (\(bind: department ?? "") = '' OR s.department = \(bind: department ?? "")) ORDER BY s.day, s.department, s.id
                """).all().map(Self.decodeSchedule)
        }
    }

    static let scheduleSelect = """
        SELECT s.id, s.organization_id, s.department, s.practitioner_id, s.service, s.day, s.reserved_percent, s.release_hours,
            (SELECT COUNT(*) FROM referral_slot t WHERE t.schedule_id = s.id) AS slots,
            (SELECT COUNT(*) FROM referral_slot t WHERE t.schedule_id = s.id AND t.status = 'free') AS free,
            (SELECT COUNT(*) FROM referral_slot t WHERE t.schedule_id = s.id AND t.status = 'free' AND t.pool = 'reserved') AS reserved_free
        FROM referral_schedule s
        """

    func schedule(_ id: String, sql: any SQLDatabase) async throws -> Schedule {
        guard let row = try await sql.raw("\(unsafeRaw: Self.scheduleSelect) WHERE s.id = \(bind: id)").first() else {
            throw FHIRError.notFound("排班 \(id) 不存在 (no such schedule)")
        }
        return try Self.decodeSchedule(row)
    }

    static func decodeSchedule(_ row: any SQLRow) throws -> Schedule {
        let department = try row.decode(column: "department", as: String.self)
        return Schedule(
            id: try row.decode(column: "id", as: String.self), organization: try row.decode(column: "organization_id", as: String.self),
            department: department, departmentName: Department.name(department), practitioner: try row.decode(column: "practitioner_id", as: String?.self),
            service: try row.decode(column: "service", as: String.self), day: try row.decode(column: "day", as: String.self),
            reservedPercent: try row.decode(column: "reserved_percent", as: Int.self), releaseHours: try row.decode(column: "release_hours", as: Int.self),
            slots: try row.decode(column: "slots", as: Int.self), free: try row.decode(column: "free", as: Int.self),
            reservedFree: try row.decode(column: "reserved_free", as: Int.self)
        )
    }

    /// The slots of a schedule, in time order, as seen at `now`.
    public func slots(schedule: String, now: Date = Date()) async throws -> [Slot] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM referral_slot WHERE schedule_id = \(bind: schedule) ORDER BY start_ms, id").all().map { try Self.decodeSlot($0, now: now) }
        }
    }

    static func decodeSlot(_ row: any SQLRow, now: Date) throws -> Slot {
        let pool = try row.decode(column: "pool", as: String.self)
        let release = try row.decode(column: "release_ms", as: Int64.self)
        return Slot(
            id: try row.decode(column: "id", as: String.self), schedule: try row.decode(column: "schedule_id", as: String.self),
            organization: try row.decode(column: "organization_id", as: String.self), department: try row.decode(column: "department", as: String.self),
            start: SlotTime.text(try row.decode(column: "start_ms", as: Int64.self)), end: SlotTime.text(try row.decode(column: "end_ms", as: Int64.self)),
            pool: pool, releasedAt: SlotTime.text(release), openToPublic: pool == "public" || release <= SlotTime.millis(now),
            status: try row.decode(column: "status", as: String.self)
        )
    }
}
