import Foundation
import Messaging
import SQLKit
import Storage

extension ChronicService {
    /// Puts reminders to residents in the outbox (随访提醒、体检提醒): a follow-up due within 7 days, or
    /// overdue by at most 30 (longer-overdue residents are on the family doctor's overdue list, to be called),
    /// and a yearly health check or complication screening due within 30 days or overdue by at most 30.
    /// One reminder per resident, programme or check, and due day, however often this runs. The text names
    /// neither the resident nor their number. Returns the reminders considered (new or already sent).
    @discardableResult
    public func enqueueReminders(on day: String = CalendarDay.today()) async throws -> Int {
        try await database.write { sql in
            var drafts: [Outbox.Draft] = []
            let from = CalendarDay.shift(day, days: -30)
            for row in try await sql.raw("""
                SELECT e.patient_id, e.programme, e.next_due, p.name FROM chronic_enrolment e
                JOIN chronic_programme p ON p.code = e.programme JOIN registry_resident d ON d.patient_id = e.patient_id
                WHERE e.status = 'confirmed' AND d.active = 1 AND e.next_due >= \(bind: from) AND e.next_due <= \(bind: CalendarDay.shift(day, days: 7))
                """).all() {
                let patient = try row.decode(column: "patient_id", as: String.self)
                let due = try row.decode(column: "next_due", as: String.self)
                let name = try row.decode(column: "name", as: String.self)
                let text = due < day ? "【卫健】您的\(name)随访已于 \(due) 到期，请尽快联系您的家庭医生。"
                                     : "【卫健】您的\(name)随访将于 \(due) 到期，请按时到社区卫生服务中心随访或联系家庭医生。"
                drafts.append(Outbox.Draft(recipient: patient, topic: "chronic-followup", body: text,
                                           dedupeKey: "chronic-followup:\(patient):\(try row.decode(column: "programme", as: String.self)):\(due)"))
            }
            let active = Set(try await sql.raw("""
                SELECT DISTINCT e.patient_id FROM chronic_enrolment e JOIN registry_resident d ON d.patient_id = e.patient_id
                WHERE e.status = 'confirmed' AND d.active = 1
                """).all().map { try $0.decode(column: "patient_id", as: String.self) })
            for check in try await ChronicCheck.due(sql: sql, engine: database.engine, patients: nil, dueFrom: from, dueBy: CalendarDay.shift(day, days: 30))
            where active.contains(check.patient) {
                let text = check.due < day ? "【卫健】您的\(check.name)已于 \(check.due) 到期，请联系家庭医生预约。"
                                           : "【卫健】您的\(check.name)将于 \(check.due) 到期，请联系家庭医生预约。"
                drafts.append(Outbox.Draft(recipient: check.patient, topic: "chronic-check", body: text, dedupeKey: "chronic-check:\(check.patient):\(check.check):\(check.due)"))
            }
            try await Outbox.enqueue(drafts, sql: sql, engine: database.engine)
            return drafts.count
        }
    }
}
