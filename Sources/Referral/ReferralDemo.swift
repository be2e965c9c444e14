import Foundation
import Registry
import SQLKit
import Storage

extension ReferralService {
    /// The demo district's slot pool: for each of the next `days` days, morning sessions of the district's regional
    /// medical centre (or its first hospital) in cardiology, endocrinology and neurology, the cardiology one a named
    /// expert's (20% reserved for CHCs), and ten inpatient beds in geriatrics (20% reserved for family doctors).
    /// Does nothing when the hospital already has schedules. Returns the schedules made.
    public func seedDemo(district: String, days: Int = 7, now: Date = Date()) async throws -> Int {
        let hospitals = Catalog.institutions.filter { $0.district == district && Self.hospitalTypes.contains($0.type) }
        guard let hospital = hospitals.first(where: { ($0.roles ?? []).contains("regional-medical-centre") }) ?? hospitals.first else { return 0 }
        let existing = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM referral_schedule WHERE organization_id = \(bind: hospital.id)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        guard existing == 0 else { return 0 }
        let expert = try await store.read(type: "Practitioner", id: "\(hospital.id)-dr1").flatMap { $0.deleted ? nil : "\(hospital.id)-dr1" }
        var made = 0
        for offset in 1...max(1, days) {
            let day = CalendarDay.shift(CalendarDay.today(now), days: offset)
            let plans = [
                SchedulePlan(organization: hospital.id, department: "cardiology", practitioner: expert, day: day, start: "08:00", end: "11:30", slotMinutes: 15),
                SchedulePlan(organization: hospital.id, department: "endocrinology", day: day, start: "08:00", end: "11:30", slotMinutes: 15, reservedPercent: 20),
                SchedulePlan(organization: hospital.id, department: "neurology", day: day, start: "13:30", end: "16:30", slotMinutes: 15, reservedPercent: 20),
                SchedulePlan(organization: hospital.id, department: "geriatrics", service: .inpatient, day: day, beds: 10),
            ]
            for plan in plans {
                _ = try await createSchedule(plan, actor: "demo", now: now)
                made += 1
            }
        }
        return made
    }
}
