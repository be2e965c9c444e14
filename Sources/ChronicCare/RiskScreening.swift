import FHIR
import Foundation
import SQLKit
import Storage

/// The latest risk screening of a resident (风险筛查), as the worklist shows it.
public struct Screening: Sendable, Codable, Equatable {
    public var patient: String
    /// `diabetes-risk` (中国糖尿病风险评分).
    public var kind: String
    public var screenedOn: String
    public var points: Int
    /// Parts the record lacked (the score is then a lower bound).
    public var missing: [String]
    /// `open` (high risk, awaiting the family doctor), `closed` (assessed) or `low`.
    public var status: String
    /// What the doctor found when closing: `diabetes` (enrolled as suspected), `normal`, `declined`.
    public var outcome: String?
    /// The FHIR RiskAssessment documenting the score.
    public var assessment: String
}

/// What screening a panel did.
public struct ScreeningRun: Sendable, Codable, Equatable {
    /// Residents scored.
    public var screened: Int
    /// Of them at high risk (≥ 25 points), now on the worklist.
    public var highRisk: Int
    /// Residents the score does not apply to (already diabetic, outside ages 20–74, no birth date).
    public var notApplicable: Int
}

extension ChronicService {
    static let screeningOutcomes = ["diabetes": "疑似糖尿病，已登记待确诊", "normal": "OGTT 正常", "declined": "居民拒绝进一步检查"]

    /// Screens the given residents (a family doctor's panel) with the Chinese diabetes risk score: each score
    /// documented as a FHIR RiskAssessment; high-risk residents go to the family doctor's worklist (status
    /// `open`) unless a doctor closed an earlier high-risk screening within the year.
    public func screenDiabetesRisk(patients: [String], practitioner: String, today: String = CalendarDay.today()) async throws -> ScreeningRun {
        var scores: [(patient: String, score: DiabetesRiskScore)] = []
        var notApplicable = 0
        for patient in patients.sorted() {
            if let score = try await diabetesRisk(patient: patient, on: today) { scores.append((patient, score)) } else { notApplicable += 1 }
        }
        let run = ScreeningRun(screened: scores.count, highRisk: scores.filter { $0.score.highRisk }.count, notApplicable: notApplicable)
        try await store.write { writer in
            var earlier: [String: (status: String, closedOn: String?)] = [:]
            for slice in scores.chunked(500) {
                let chunk = slice.map(\.patient)
                for row in try await writer.sql.raw("""
                    SELECT patient_id, status, closed_on FROM chronic_screening WHERE kind = 'diabetes-risk' AND patient_id IN (\(binds: chunk))
                    """).all() {
                    earlier[try row.decode(column: "patient_id", as: String.self)] = (try row.decode(column: "status", as: String.self), try row.decode(column: "closed_on", as: String?.self))
                }
            }
            var rows = BatchInsert(table: "chronic_screening", columns: ["patient_id", "kind", "screened_on", "points", "missing", "status", "outcome", "closed_on", "assessment_id"], suffix: """
                ON CONFLICT (patient_id, kind) DO UPDATE SET screened_on = excluded.screened_on, points = excluded.points, missing = excluded.missing,
                    status = excluded.status, outcome = excluded.outcome, closed_on = excluded.closed_on, assessment_id = excluded.assessment_id
                """)
            for (patient, score) in scores {
                let missing = score.missing.map { ["systolic": "收缩压", "bmi": "体重指数", "waist": "腰围"][$0] ?? $0 }
                let assessment = try await writer.create(.object([
                    "resourceType": .string("RiskAssessment"), "status": .string("final"),
                    "subject": .object(["reference": .string("Patient/\(patient)")]),
                    "occurrenceDateTime": .string(today),
                    "performer": .object(["reference": .string("Practitioner/\(practitioner)")]),
                    "code": .object(["text": .string("2型糖尿病风险筛查")]),
                    "method": .object(["text": .string("中国糖尿病风险评分（《中国2型糖尿病防治指南》）")]),
                    "prediction": .array([.object([
                        "outcome": .object(["text": .string("2型糖尿病")]),
                        "qualitativeRisk": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/risk-probability"),
                                                                               "code": .string(score.highRisk ? "high" : "low")])])]),
                    ])]),
                    "note": .array([.object(["text": .string("评分 \(score.points) 分（≥ \(DiabetesRiskScore.threshold) 分为高危）" + (missing.isEmpty ? "" : "；缺少：" + missing.joined(separator: "、") + "，评分为下限"))])]),
                ]))
                // A high risk the doctor closed within the year stays closed; otherwise it (re)opens.
                let keep = earlier[patient].flatMap { $0.status == "closed" && ($0.closedOn ?? "") >= CalendarDay.shift(today, days: -365) ? $0.closedOn : nil }
                let status = score.highRisk ? (keep == nil ? "open" : "closed") : "low"
                rows.append([.text(patient), .text("diabetes-risk"), .text(today), .int(Int64(score.points)), .text(score.missing.joined(separator: ",")),
                             .text(status), .text(status == "closed" ? "normal" : nil), .text(status == "closed" ? keep : nil), .text(assessment.id)])
            }
            try await rows.flush(writer.sql, engine: database.engine)
        }
        return run
    }

    /// Closes a high-risk screening after the doctor's assessment (e.g. an OGTT): `diabetes` enrols the
    /// resident as suspected type 2 diabetes for confirmation; `normal` and `declined` only close it.
    public func closeScreening(patient: String, outcome: String, today: String = CalendarDay.today()) async throws -> Screening {
        guard Self.screeningOutcomes[outcome] != nil else {
            throw FHIRError.badRequest("outcome 须为 diabetes（疑似糖尿病）、normal（正常）或 declined（拒绝检查）")
        }
        return try await store.write { writer in
            guard let row = try await writer.sql.raw("""
                SELECT status FROM chronic_screening WHERE patient_id = \(bind: patient) AND kind = 'diabetes-risk'
                """).first(), try row.decode(column: "status", as: String.self) == "open" else {
                throw FHIRError.conflict("该居民没有待处理的糖尿病高危筛查")
            }
            try await writer.sql.raw("""
                UPDATE chronic_screening SET status = 'closed', outcome = \(bind: outcome), closed_on = \(bind: today)
                WHERE patient_id = \(bind: patient) AND kind = 'diabetes-risk'
                """).run()
            if outcome == "diabetes" {
                try await writer.sql.raw("""
                    INSERT INTO chronic_enrolment (patient_id, programme, status, source, since, follow_ups_year, uncontrolled_streak)
                    VALUES (\(bind: patient), 'type2-diabetes', 'suspected', 'screening', \(bind: today), 0, 0) ON CONFLICT (patient_id, programme) DO NOTHING
                    """).run()
                try await ChronicSchedule.recompute(sql: writer.sql, engine: database.engine, day: today, patient: patient)
            }
            guard let screening = try await Self.screenings(sql: writer.sql, patients: [patient]).first else {
                throw FHIRError(status: 500, code: "exception", "the screening disappeared")
            }
            return screening
        }
    }

    /// The latest screenings of the given residents.
    public func screenings(patients: [String]) async throws -> [Screening] {
        try await database.read { try await Self.screenings(sql: $0, patients: patients) }
    }

    static func screenings(sql: any SQLDatabase, patients: [String]) async throws -> [Screening] {
        var found: [Screening] = []
        for slice in patients.chunked(500) {
            let chunk = Array(slice)
            for row in try await sql.raw("SELECT * FROM chronic_screening WHERE patient_id IN (\(binds: chunk)) ORDER BY patient_id, kind").all() {
                let missing = try row.decode(column: "missing", as: String.self)
                found.append(Screening(
                    patient: try row.decode(column: "patient_id", as: String.self), kind: try row.decode(column: "kind", as: String.self),
                    screenedOn: try row.decode(column: "screened_on", as: String.self), points: try row.decode(column: "points", as: Int.self),
                    missing: missing.isEmpty ? [] : missing.split(separator: ",").map(String.init), status: try row.decode(column: "status", as: String.self),
                    outcome: try row.decode(column: "outcome", as: String?.self), assessment: try row.decode(column: "assessment_id", as: String.self)))
            }
        }
        return found
    }
}
