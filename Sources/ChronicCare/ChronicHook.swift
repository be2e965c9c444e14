import FHIR
import Foundation
import SQLKit
import Storage

/// Feeds the chronic registries from the record inside every FHIR write (自动建档): an active, not refuted
/// diagnosis enrols its programme (confirmed); blood-pressure and fasting-glucose Observations become
/// readings, after which the resident's schedule and control status are recomputed; two elevated blood
/// pressures (≥ 140 or ≥ 90 mmHg) on different days enrol a resident not yet registered as suspected
/// hypertension, for the family doctor to confirm or dismiss; a completed Procedure coded as one of the
/// periodic checks (yearly health check, complication screening) marks that check done.
public struct ChronicHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Condition", "Observation", "Procedure"]
    let engine: DatabaseEngine

    /// Creates the hook for the store's engine.
    public init(engine: DatabaseEngine) {
        self.engine = engine
    }

    public let batched = true

    /// The transaction's diagnoses and readings, set-based: enrolments upserted, readings replaced, suspected
    /// cases found, and the schedules of every resident touched recomputed, in a handful of statements.
    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        var enrolments: [String: [RowValue]] = [:]
        var readings: [String: (patient: String, kind: String, day: String, value1: Double, value2: Double?)] = [:]
        var dropped: [String] = []
        var touched = Set<String>()
        var elevated = Set<String>()
        var programmes: [(code: String, prefixes: [String])]?
        var checks: [String: (name: String, codes: Set<String>)]?
        // Per Procedure written, the checks it marks done now (a later version replaces an earlier one's).
        var checksDone: [String: [[RowValue]]] = [:]
        for version in versions {
            let source = "\(version.type)/\(version.id)"
            guard let resource = version.resource else {
                if version.type == "Observation" { dropped.append(source); readings[source] = nil }
                if version.type == "Procedure" { checksDone[source] = [] }
                continue
            }
            guard let patient = Self.patient(resource["subject"]) else { continue }
            if version.type == "Procedure" {
                if checks == nil { checks = try await ChronicCheck.all(sql: sql) }
                let day = ChronicCheck.day(of: resource)
                checksDone[source] = day.map { day in
                    ChronicCheck.satisfied(by: resource, checks: checks ?? [:]).map { [.text(source + "|" + $0), .text(patient), .text($0), .text(day)] }
                } ?? []
            } else if version.type == "Condition" {
                let codes = Diagnosis.activeICD10Codes(of: resource)
                guard !codes.isEmpty else { continue }
                if programmes == nil {
                    programmes = try await sql.raw("SELECT code, icd_prefixes FROM chronic_programme").all().map {
                        (try $0.decode(column: "code", as: String.self), try $0.decode(column: "icd_prefixes", as: String.self).split(separator: ",").map(String.init))
                    }
                }
                let since = String((resource["onsetDateTime"]?.stringValue ?? resource["recordedDate"]?.stringValue ?? CalendarDay.today()).prefix(10))
                for programme in programmes ?? [] where codes.contains(where: { code in programme.prefixes.contains { code.hasPrefix($0) } }) {
                    enrolments["\(patient)|\(programme.code)"] = [.text(patient), .text(programme.code), .text("confirmed"), .text(source), .text(since), .int(0), .int(0)]
                    touched.insert(patient)
                }
            } else {
                let codes = (resource["code"]?["coding"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
                guard codes.contains("85354-9") || codes.contains("1558-6") else { continue }
                touched.insert(patient)
                // A reading entered in error, or with implausible values, is removed rather than kept.
                guard resource["status"]?.stringValue != "entered-in-error", let reading = Self.reading(resource) else {
                    dropped.append(source)
                    readings[source] = nil
                    continue
                }
                readings[source] = (patient, reading.kind, reading.day, reading.value1, reading.value2)
                if reading.kind == "bp", reading.value1 >= 140 || (reading.value2 ?? 0) >= 90 { elevated.insert(patient) }
            }
        }
        try await MultiRowInsert.forEachChunk(sql, dropped, "DELETE FROM chronic_reading WHERE source IN {in}")
        if !checksDone.isEmpty {
            // Rows are keyed `Procedure/<id>|<check>`: drop every row of the Procedures written, then insert what they say now.
            if checks == nil { checks = try await ChronicCheck.all(sql: sql) }
            let codes = (checks ?? [:]).keys.sorted()
            try await MultiRowInsert.forEachChunk(sql, checksDone.keys.sorted().flatMap { source in codes.map { source + "|" + $0 } },
                                                  "DELETE FROM chronic_check_done WHERE source IN {in}")
            var rows = BatchInsert(table: "chronic_check_done", columns: ["source", "patient_id", "check_code", "done_on"])
            for (_, done) in checksDone.sorted(by: { $0.key < $1.key }) { done.forEach { rows.append($0) } }
            try await rows.flush(sql, engine: engine)
        }
        var readingRows = BatchInsert(table: "chronic_reading", columns: ["source", "patient_id", "kind", "taken_on", "value1", "value2"], suffix: """
            ON CONFLICT (source) DO UPDATE SET patient_id = excluded.patient_id, kind = excluded.kind, taken_on = excluded.taken_on,
                value1 = excluded.value1, value2 = excluded.value2
            """)
        for (source, reading) in readings.sorted(by: { $0.key < $1.key }) {
            readingRows.append([.text(source), .text(reading.patient), .text(reading.kind), .text(reading.day), .double(reading.value1), reading.value2.map(RowValue.double) ?? .text(nil)])
        }
        try await readingRows.flush(sql, engine: engine)
        var enrolmentRows = BatchInsert(table: "chronic_enrolment", columns: Self.enrolmentColumns,
                                        suffix: "ON CONFLICT (patient_id, programme) DO UPDATE SET status = 'confirmed', source = excluded.source")
        for (_, row) in enrolments.sorted(by: { $0.key < $1.key }) { enrolmentRows.append(row) }
        try await enrolmentRows.flush(sql, engine: engine)
        // Two elevated pressures on different days: suspected hypertension for those not yet registered.
        var suspected = BatchInsert(table: "chronic_enrolment", columns: Self.enrolmentColumns, suffix: "ON CONFLICT (patient_id, programme) DO NOTHING")
        let candidates = elevated.sorted()
        for slice in candidates.chunked(500) {
            let chunk = Array(slice)
            for row in try await sql.raw("""
                SELECT patient_id, MIN(taken_on) AS first FROM chronic_reading WHERE patient_id IN (\(binds: chunk)) AND kind = 'bp' AND (value1 >= 140 OR value2 >= 90)
                GROUP BY patient_id HAVING COUNT(DISTINCT taken_on) >= 2
                """).all() {
                suspected.append([.text(try row.decode(column: "patient_id", as: String.self)), .text("hypertension"), .text("suspected"), .text("readings"),
                                  .text(CalendarDay.today()), .int(0), .int(0)])
            }
        }
        try await suspected.flush(sql, engine: engine)
        try await ChronicSchedule.recompute(sql: sql, engine: engine, day: CalendarDay.today(), patients: touched.sorted())
    }

    static let enrolmentColumns = ["patient_id", "programme", "status", "source", "since", "follow_ups_year", "uncontrolled_streak"]

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
