import FHIR
import Foundation
import SQLKit
import Storage

extension SurveillanceService {
    /// The demo district's infectious disease history over the 60 days before `day`: about 2% of residents
    /// with a notifiable diagnosis written to their record as a Condition (influenza for all ages; hand,
    /// foot and mouth disease and mumps for children; infectious diarrhoea; a few cases of tuberculosis),
    /// and, in the 街道 with most children, a cluster of hand, foot and mouth disease (six children) in the last five days.
    /// The write hook makes the cards; their report times are then set a few hours after the diagnosis, one
    /// in ten past the deadline, as a district's history would have them. Deterministic; does nothing when
    /// the district already has cards. Returns the number of cards.
    public func seedDemo(district: String, today day: String = CalendarDay.today()) async throws -> Int {
        let existing = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM surveillance_report WHERE district = \(bind: district)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        guard existing == 0 else { return 0 }
        let residents = try await database.read { sql in
            try await sql.raw("""
                SELECT patient_id, subdistrict, birth_date FROM registry_resident WHERE district = \(bind: district) AND active = 1 AND subdistrict IS NOT NULL ORDER BY patient_id
                """).all().map { (id: try $0.decode(column: "patient_id", as: String.self), subdistrict: try $0.decode(column: "subdistrict", as: String.self),
                                  birth: try $0.decode(column: "birth_date", as: String?.self) ?? "1970-01-01") }
        }
        guard !residents.isEmpty else { return 0 }
        let year = Int(day.prefix(4)) ?? 2026
        func age(_ birth: String) -> Int { year - (Int(birth.prefix(4)) ?? year) }
        // The 街道 with the most children under 6 gets the cluster.
        var children: [String: [String]] = [:]
        for resident in residents where age(resident.birth) < 6 { children[resident.subdistrict, default: []].append(resident.id) }
        let clusterPlace = children.max { $0.value.count < $1.value.count }?.key
        var cases: [(patient: String, code: String, daysAgo: Int)] = []
        for resident in residents {
            let number = resident.id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0x7FFF_FFFF }
            guard number % 50 == 0 else { continue }
            let years = age(resident.birth)
            let code: String
            switch number / 50 % 10 {
            case 0...3: code = "J11.1"
            case 4, 5: code = years < 6 ? "B08.4" : "A09.0"
            case 6: code = years < 15 ? "B26.9" : "J11.1"
            case 7, 8: code = "A09.0"
            default: code = years >= 15 ? "A16.2" : "J11.1"
            }
            cases.append((resident.id, code, 6 + number / 500 % 54))
        }
        if let clusterPlace, let kids = children[clusterPlace] {
            for (index, patient) in kids.prefix(6).enumerated() { cases.append((patient, "B08.4", index % 5)) }
        }
        var sources: [String] = []
        try await store.write { writer in
            for item in cases {
                let diagnosed = CalendarDay.shift(day, days: -item.daysAgo)
                let stored = try await writer.create(.object([
                    "resourceType": .string("Condition"),
                    "clinicalStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-clinical"), "code": .string("active")])])]),
                    "verificationStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-ver-status"), "code": .string("confirmed")])])]),
                    "code": .object(["coding": .array([.object(["system": .string("http://hl7.org/fhir/sid/icd-10"), "code": .string(item.code)])])]),
                    "subject": .object(["reference": .string("Patient/\(item.patient)")]),
                    "onsetDateTime": .string(CalendarDay.shift(diagnosed, days: -1)),
                    "recordedDate": .string(diagnosed + "T10:00:00+08:00"),
                ]))
                sources.append("Condition/\(stored.id)")
            }
            try await writer.flush()
            // Report times as the history would have them: 2–7 hours after the diagnosis, every tenth after 30.
            for (index, source) in sources.enumerated() {
                let hours = index % 10 == 9 ? 30 : 2 + index % 6
                guard let row = try await writer.sql.raw("SELECT id, diagnosed_at, deadline_at FROM surveillance_report WHERE source = \(bind: source)").first(),
                      let diagnosed = FHIRDateRange.parse(try row.decode(column: "diagnosed_at", as: String.self)),
                      let deadline = FHIRDateRange.parse(try row.decode(column: "deadline_at", as: String.self)) else { continue }
                let reported = diagnosed.low + Int64(hours) * 3_600_000
                try await writer.sql.raw("""
                    UPDATE surveillance_report SET reported_at = \(bind: CaseReports.timestamp(reported)), late = \(unsafeRaw: reported > deadline.low ? "1" : "0")
                    WHERE id = \(bind: try row.decode(column: "id", as: String.self))
                    """).run()
            }
        }
        return sources.count
    }

    /// The demo district's childhood vaccinations: every child under 8 gets the programme's doses due by
    /// `day`, each on its due day, from a lot per vaccine and year, except that about one child in twenty
    /// misses a dose (and all after it of that vaccine), so the coverage table and the overdue lists show
    /// something. Deterministic; does nothing when the district already has doses. Returns the doses.
    public func seedDemoVaccinations(district: String, today day: String = CalendarDay.today()) async throws -> Int {
        let children = try await database.read { sql in
            guard try await sql.raw("""
                SELECT COUNT(*) AS n FROM surveillance_immunization i JOIN registry_resident d ON d.patient_id = i.patient_id WHERE d.district = \(bind: district)
                """).first()?.decode(column: "n", as: Int.self) == 0 else { return [(String, String)]() }
            return try await sql.raw("""
                SELECT patient_id, birth_date FROM registry_resident WHERE district = \(bind: district) AND active = 1 AND birth_date >= \(bind: Vaccination.monthsBefore(day, 96))
                ORDER BY patient_id
                """).all().map { (try $0.decode(column: "patient_id", as: String.self), try $0.decode(column: "birth_date", as: String?.self) ?? "") }
        }
        var made = 0
        try await store.write { writer in
            for (patient, birth) in children where CalendarDay.isValid(birth) {
                let number = patient.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0x7FFF_FFFF }
                // One child in twenty stops one vaccine's series at a dose.
                let skipped = number % 20 == 0 ? Vaccination.schedule[number / 20 % Vaccination.schedule.count] : nil
                for dose in Vaccination.schedule {
                    let due = Vaccination.monthsBefore(birth, -dose.dueMonths)
                    guard due <= day else { continue }
                    if let skipped, skipped.vaccine == dose.vaccine, dose.dose >= skipped.dose { continue }
                    _ = try await writer.create(.object([
                        "resourceType": .string("Immunization"), "status": .string("completed"),
                        "vaccineCode": .object(["coding": .array([.object(["system": .string(Vaccination.system), "code": .string(dose.vaccine), "display": .string(dose.name)])])]),
                        "patient": .object(["reference": .string("Patient/\(patient)")]),
                        "occurrenceDateTime": .string(due),
                        "lotNumber": .string("\(dose.vaccine)-\(due.prefix(4))-\(number % 3 + 1)"),
                        "protocolApplied": .array([.object(["doseNumberPositiveInt": .integer(Int64(dose.dose))])]),
                    ]))
                    made += 1
                }
            }
        }
        return made
    }
}
