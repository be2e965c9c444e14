import FHIR
import Foundation
import Messaging
import SQLKit
import Storage

// 接种门诊预约: a CHC's vaccination clinic opens half-day sessions with a number of places; a parent or the
// CHC books a child's next dose into one; the dose given marks the appointment attended.

/// A half-day session of a CHC's vaccination clinic.
public struct VaccinationSession: Sendable, Codable, Equatable {
    public var id: String
    public var organization: String
    public var day: String
    /// `am` 上午 or `pm` 下午.
    public var period: String
    public var capacity: Int
    public var booked: Int
}

/// A child's appointment for one dose.
public struct VaccinationAppointment: Sendable, Codable, Equatable {
    public var id: String
    public var session: String
    public var organization: String
    public var day: String
    public var period: String
    public var patient: String
    public var vaccine: String
    public var dose: Int
    /// `booked`, `cancelled` or `attended`.
    public var status: String
}

extension SurveillanceService {
    /// Opens a session. 422 for a day before today or more than 90 days ahead, a period other than am/pm, or a
    /// capacity outside 1–500; 409 when the clinic already has that session.
    public func openVaccinationSession(organization: String, district: String, day: String, period: String, capacity: Int, actor: String,
                                       today: String = CalendarDay.today()) async throws -> VaccinationSession {
        var issues: [OutcomeIssue] = []
        if !CalendarDay.isValid(day) { issues.append(OutcomeIssue(code: "value", diagnostics: "日期须为 YYYY-MM-DD", expression: "day")) }
        else if day < today || day > CalendarDay.shift(today, days: 90) { issues.append(OutcomeIssue(code: "value", diagnostics: "只能开放今天起 90 天内的门诊", expression: "day")) }
        if period != "am" && period != "pm" { issues.append(OutcomeIssue(code: "value", diagnostics: "时段须为 am（上午）或 pm（下午）", expression: "period")) }
        if !(1...500).contains(capacity) { issues.append(OutcomeIssue(code: "value", diagnostics: "号源数须在 1–500 之间", expression: "capacity")) }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        let session = VaccinationSession(id: RecordID.make("vx"), organization: organization, day: day, period: period, capacity: capacity, booked: 0)
        try await database.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO surveillance_vaccination_session (id, organization, district, day, period, capacity, booked, created_by)
                VALUES (\(bind: session.id), \(bind: organization), \(bind: district), \(bind: day), \(bind: period), \(bind: capacity), 0, \(bind: actor))
                ON CONFLICT (organization, day, period) DO NOTHING RETURNING id
                """).first()
            if inserted == nil { throw FHIRError.conflict("该接种门诊 \(day) \(period == "am" ? "上午" : "下午") 已开放") }
        }
        return session
    }

    /// A clinic's sessions (or the district's) from `from` on, 28 days, with places left or not.
    public func vaccinationSessions(district: String, organization: String?, from: String = CalendarDay.today()) async throws -> [VaccinationSession] {
        guard CalendarDay.isValid(from) else { throw FHIRError.badRequest("from 须为 YYYY-MM-DD") }
        return try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district) AND day >= \(bind: from) AND day <= \(bind: CalendarDay.shift(from, days: 27))"
            if let organization { filter = "\(filter) AND organization = \(bind: organization)" }
            return try await sql.raw("SELECT * FROM surveillance_vaccination_session WHERE \(filter) ORDER BY day, period, organization").all().map(Self.session)
        }
    }

    /// Books a dose of the national programme for `patient` into a session: 422 for a dose not in the schedule;
    /// 404 for an unknown session; 409 when the session is past or full, the dose was already given, or the
    /// child already has an appointment for it. The place is taken with a conditional update, so a session is
    /// never overbooked. A text message confirms it to the family.
    public func bookVaccination(session id: String, patient: String, vaccine: String, dose: Int, actor: String, today: String = CalendarDay.today()) async throws -> VaccinationAppointment {
        guard let scheduled = Vaccination.schedule.first(where: { $0.vaccine == vaccine && $0.dose == dose }) else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "国家免疫规划中没有 \(vaccine) 第 \(dose) 剂；可选：" + Set(Vaccination.schedule.map(\.vaccine)).sorted().joined(separator: "、"), expression: "vaccine")])
        }
        return try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM surveillance_vaccination_session WHERE id = \(bind: id)").first() else {
                throw FHIRError.notFound("没有接种门诊时段 \(id)")
            }
            let session = try Self.session(row)
            guard session.day >= today else { throw FHIRError.conflict("该时段已过") }
            if try await sql.raw("SELECT source FROM surveillance_immunization WHERE patient_id = \(bind: patient) AND vaccine = \(bind: vaccine) AND dose = \(bind: dose)").first() != nil {
                throw FHIRError.conflict("\(scheduled.name) 第 \(dose) 剂已接种")
            }
            if try await sql.raw("""
                SELECT id FROM surveillance_vaccination_appointment WHERE patient_id = \(bind: patient) AND vaccine = \(bind: vaccine) AND dose = \(bind: dose) AND status = 'booked'
                """).first() != nil {
                throw FHIRError.conflict("\(scheduled.name) 第 \(dose) 剂已有预约，如需改期请先取消")
            }
            guard try await sql.raw("""
                UPDATE surveillance_vaccination_session SET booked = booked + 1 WHERE id = \(bind: id) AND booked < capacity RETURNING id
                """).first() != nil else {
                throw FHIRError.conflict("该时段已约满，请选择其他时段")
            }
            let appointment = VaccinationAppointment(id: RecordID.make("va"), session: id, organization: session.organization, day: session.day, period: session.period,
                                                     patient: patient, vaccine: vaccine, dose: dose, status: "booked")
            try await sql.raw("""
                INSERT INTO surveillance_vaccination_appointment (id, session_id, patient_id, vaccine, dose, status, booked_by, created_at)
                VALUES (\(bind: appointment.id), \(bind: id), \(bind: patient), \(bind: vaccine), \(bind: dose), 'booked', \(bind: actor), \(bind: ISO8601Timestamp.now()))
                """).run()
            try await Outbox.enqueue([Outbox.Draft(recipient: patient, topic: "vaccination-appointment",
                                                   body: "【卫健】已预约 \(session.day) \(session.period == "am" ? "上午" : "下午") 接种\(scheduled.name)第\(dose)剂，请携带预防接种证按时前往。",
                                                   dedupeKey: "vaccination-appointment:\(appointment.id)")], sql: sql, engine: database.engine)
            return appointment
        }
    }

    /// Cancels a booked appointment and frees its place. 404 unknown; 409 when it is not booked any more.
    public func cancelVaccination(appointment id: String) async throws -> VaccinationAppointment {
        try await database.write { sql in
            guard let current = try await Self.appointment(id, sql: sql) else { throw FHIRError.notFound("没有预约 \(id)") }
            guard current.status == "booked" else { throw FHIRError.conflict("预约已\(current.status == "cancelled" ? "取消" : "完成接种")") }
            try await sql.raw("UPDATE surveillance_vaccination_appointment SET status = 'cancelled' WHERE id = \(bind: id) AND status = 'booked'").run()
            try await sql.raw("UPDATE surveillance_vaccination_session SET booked = booked - 1 WHERE id = \(bind: current.session) AND booked > 0").run()
            var cancelled = current
            cancelled.status = "cancelled"
            return cancelled
        }
    }

    /// One appointment.
    public func vaccinationAppointment(id: String) async throws -> VaccinationAppointment? {
        try await database.read { try await Self.appointment(id, sql: $0) }
    }

    /// A clinic's appointments of a day (its list at the door), or one child's.
    public func vaccinationAppointments(organization: String? = nil, day: String? = nil, patient: String? = nil) async throws -> [VaccinationAppointment] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let organization { filter = "\(filter) AND s.organization = \(bind: organization)" }
            if let day { filter = "\(filter) AND s.day = \(bind: day)" }
            if let patient { filter = "\(filter) AND a.patient_id = \(bind: patient)" }
            return try await sql.raw("""
                SELECT a.*, s.organization, s.day, s.period FROM surveillance_vaccination_appointment a JOIN surveillance_vaccination_session s ON s.id = a.session_id
                WHERE \(filter) ORDER BY s.day, s.period, a.created_at LIMIT 1000
                """).all().map(Self.appointment)
        }
    }

    static func appointment(_ id: String, sql: any SQLDatabase) async throws -> VaccinationAppointment? {
        try await sql.raw("""
            SELECT a.*, s.organization, s.day, s.period FROM surveillance_vaccination_appointment a JOIN surveillance_vaccination_session s ON s.id = a.session_id WHERE a.id = \(bind: id)
            """).first().map(Self.appointment)
    }

    static func session(_ row: any SQLRow) throws -> VaccinationSession {
        VaccinationSession(id: try row.decode(column: "id", as: String.self), organization: try row.decode(column: "organization", as: String.self),
                           day: try row.decode(column: "day", as: String.self), period: try row.decode(column: "period", as: String.self),
                           capacity: try row.decode(column: "capacity", as: Int.self), booked: try row.decode(column: "booked", as: Int.self))
    }

    static func appointment(_ row: any SQLRow) throws -> VaccinationAppointment {
        VaccinationAppointment(id: try row.decode(column: "id", as: String.self), session: try row.decode(column: "session_id", as: String.self),
                               organization: try row.decode(column: "organization", as: String.self), day: try row.decode(column: "day", as: String.self),
                               period: try row.decode(column: "period", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
                               vaccine: try row.decode(column: "vaccine", as: String.self), dose: try row.decode(column: "dose", as: Int.self),
                               status: try row.decode(column: "status", as: String.self))
    }
}
