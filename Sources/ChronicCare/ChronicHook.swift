import FHIR
import Foundation
import SQLKit
import Storage

/// Feeds the chronic registries from the record inside every FHIR write (自动建档): an active, not refuted
/// diagnosis enrols its programme (confirmed); blood-pressure and fasting-glucose Observations become
/// readings, after which the resident's schedule and control status are recomputed; two elevated blood
/// pressures (≥ 140 or ≥ 90 mmHg) on different days enrol a resident not yet registered as suspected
/// hypertension, for the family doctor to confirm or dismiss.
public struct ChronicHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Condition", "Observation"]
    let engine: DatabaseEngine

    /// Creates the hook for the store's engine.
    public init(engine: DatabaseEngine) {
        self.engine = engine
    }

    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {
        guard let resource, let patient = Self.patient(resource["subject"]) else {
            if resource == nil, type == "Observation" {
                try await sql.raw("DELETE FROM chronic_reading WHERE source = \(bind: "Observation/\(id)")").run()
            }
            return
        }
        if type == "Condition" {
            try await condition(resource, id: id, patient: patient, sql: sql)
        } else {
            try await observation(resource, id: id, patient: patient, sql: sql)
        }
    }

    private func condition(_ condition: JSONValue, id: String, patient: String, sql: any SQLDatabase) async throws {
        let clinical = condition["clinicalStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue ?? "active"
        let verification = condition["verificationStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue ?? "confirmed"
        guard ["active", "recurrence", "relapse"].contains(clinical), !["refuted", "entered-in-error"].contains(verification) else { return }
        let codes = (condition["code"]?["coding"]?.arrayValue ?? []).compactMap { coding -> String? in
            guard coding["system"]?.stringValue?.lowercased().contains("icd-10") == true else { return nil }
            return coding["code"]?.stringValue?.uppercased()
        }
        guard !codes.isEmpty else { return }
        let since = String((condition["onsetDateTime"]?.stringValue ?? condition["recordedDate"]?.stringValue ?? CalendarDay.today()).prefix(10))
        for row in try await sql.raw("SELECT code, icd_prefixes FROM chronic_programme").all() {
            let programme = try row.decode(column: "code", as: String.self)
            let prefixes = try row.decode(column: "icd_prefixes", as: String.self).split(separator: ",").map(String.init)
            guard codes.contains(where: { code in prefixes.contains { code.hasPrefix($0) } }) else { continue }
            try await sql.raw("""
                INSERT INTO chronic_enrolment (patient_id, programme, status, source, since, follow_ups_year, uncontrolled_streak)
                VALUES (\(bind: patient), \(bind: programme), 'confirmed', \(bind: "Condition/\(id)"), \(bind: since), 0, 0)
                ON CONFLICT (patient_id, programme) DO UPDATE SET status = 'confirmed', source = excluded.source
                """).run()
            try await ChronicSchedule.recompute(sql: sql, engine: engine, day: CalendarDay.today(), patient: patient)
        }
    }

    private func observation(_ observation: JSONValue, id: String, patient: String, sql: any SQLDatabase) async throws {
        let source = "Observation/\(id)"
        // Other Observations cost nothing here; a reading's Observation replaces its row (or removes it when
        // it was entered in error or its values are implausible).
        let codes = (observation["code"]?["coding"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
        guard codes.contains("85354-9") || codes.contains("1558-6") else { return }
        guard observation["status"]?.stringValue != "entered-in-error", let reading = Self.reading(observation) else {
            try await sql.raw("DELETE FROM chronic_reading WHERE source = \(bind: source)").run()
            try await ChronicSchedule.recompute(sql: sql, engine: engine, day: CalendarDay.today(), patient: patient)
            return
        }
        try await sql.raw("""
            INSERT INTO chronic_reading (source, patient_id, kind, taken_on, value1, value2)
            VALUES (\(bind: source), \(bind: patient), \(bind: reading.kind), \(bind: reading.day), \(bind: reading.value1), \(bind: reading.value2))
            ON CONFLICT (source) DO UPDATE SET patient_id = excluded.patient_id, kind = excluded.kind, taken_on = excluded.taken_on,
                value1 = excluded.value1, value2 = excluded.value2
            """).run()
        if reading.kind == "bp" {
            let elevatedDays = try await sql.raw("""
                SELECT COUNT(DISTINCT taken_on) AS n FROM chronic_reading WHERE patient_id = \(bind: patient) AND kind = 'bp' AND (value1 >= 140 OR value2 >= 90)
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            if elevatedDays >= 2 {
                try await sql.raw("""
                    INSERT INTO chronic_enrolment (patient_id, programme, status, source, since, follow_ups_year, uncontrolled_streak)
                    VALUES (\(bind: patient), 'hypertension', 'suspected', 'readings', \(bind: reading.day), 0, 0)
                    ON CONFLICT (patient_id, programme) DO NOTHING
                    """).run()
            }
        }
        try await ChronicSchedule.recompute(sql: sql, engine: engine, day: CalendarDay.today(), patient: patient, reading: reading.kind)
    }

    /// A blood pressure (LOINC 85354-9 with systolic 8480-6 and diastolic 8462-4 components) or fasting
    /// glucose (1558-6, mmol/L) reading with its day; nil for other Observations or implausible values.
    static func reading(_ observation: JSONValue) -> (kind: String, day: String, value1: Double, value2: Double?)? {
        guard let day = (observation["effectiveDateTime"]?.stringValue ?? observation["effectivePeriod"]?["start"]?.stringValue).map({ String($0.prefix(10)) }),
              CalendarDay.isValid(day) else { return nil }
        let codes = (observation["code"]?["coding"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
        if codes.contains("85354-9") {
            var systolic: Double?, diastolic: Double?
            for component in observation["component"]?.arrayValue ?? [] {
                let code = component["code"]?["coding"]?.arrayValue?.first?["code"]?.stringValue
                let value = component["valueQuantity"]?["value"]?.doubleValue
                if code == "8480-6" { systolic = value } else if code == "8462-4" { diastolic = value }
            }
            guard let systolic, let diastolic, FollowUpForm.systolicRange.contains(systolic), FollowUpForm.diastolicRange.contains(diastolic) else { return nil }
            return ("bp", day, systolic, diastolic)
        }
        if codes.contains("1558-6"), let quantity = observation["valueQuantity"], let value = quantity["value"]?.doubleValue,
           (quantity["code"]?.stringValue ?? quantity["unit"]?.stringValue) == "mmol/L", FollowUpForm.glucoseRange.contains(value) {
            return ("fpg", day, value, nil)
        }
        return nil
    }

    static func patient(_ reference: JSONValue?) -> String? {
        guard let text = reference?["reference"]?.stringValue, text.hasPrefix("Patient/") else { return nil }
        return String(text.dropFirst("Patient/".count))
    }
}
