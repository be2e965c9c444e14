import FHIR
import Foundation
import SQLKit
import Storage

/// A case report card (传染病报告卡) as the CDC sees it.
public struct CaseReport: Sendable, Codable, Equatable {
    public var id: String
    /// What it came from: `Condition/<id>`, `Encounter/<id>`, or `card/<id>` for a card entered by hand.
    public var source: String
    public var patient: String
    /// The disease code of the list (`surveillance_disease`) and the diagnosis's ICD-10 code.
    public var disease: String
    public var icd10: String
    /// The resident's 街道 and district (from the Registry's resident directory) when known.
    public var subdistrict: String?
    public var district: String?
    public var onsetDate: String?
    public var diagnosedAt: String
    /// `suspected` (疑似病例), `clinical` (临床诊断病例), `confirmed` (实验室确诊病例) or `carrier` (病原携带者).
    public var certainty: String
    /// The reporting doctor (Practitioner id) and the visit (Encounter id), when the record names them.
    public var reporter: String?
    public var encounter: String?
    public var reportedAt: String
    /// Diagnosis plus the disease's deadline (2 or 24 hours); `late` when reported after it.
    public var deadlineAt: String
    public var late: Bool
    /// `submitted`, `verified` (审核通过), `rejected` (退回/删除) or `duplicate` (重卡).
    public var status: String
    public var duplicateOf: String?
    public var revision: Int
}

/// One change to a card.
public struct CaseReportChange: Sendable, Codable, Equatable {
    public var seq: Int
    public var at: String
    public var actor: String
    /// `created`, `updated` (from the record), `verified`, `corrected`, `rejected`, `duplicate`.
    public var action: String
    public var detail: String
}

/// Writing cards: shared by the write hook (direct push from the EMR) and the card entered by hand.
enum CaseReports {
    static let certainties = ["suspected": "疑似病例", "clinical": "临床诊断病例", "confirmed": "实验室确诊病例", "carrier": "病原携带者"]

    /// The notifiable diseases as stored.
    static func diseases(sql: any SQLDatabase) async throws -> [NotifiableDisease] {
        try await sql.raw("SELECT code, name, class, icd_prefixes, deadline_hours FROM surveillance_disease").all().map { row in
            var disease = NotifiableDisease(code: try row.decode(column: "code", as: String.self), name: try row.decode(column: "name", as: String.self),
                                            diseaseClass: try row.decode(column: "class", as: String.self),
                                            icdPrefixes: try row.decode(column: "icd_prefixes", as: String.self).split(separator: ",").map(String.init))
            disease.deadlineHours = try row.decode(column: "deadline_hours", as: Int.self)
            return disease
        }
    }

    /// What a new or revised card says.
    struct Draft: Sendable {
        var source: String
        var patient: String
        var disease: NotifiableDisease
        var icd10: String
        var onsetDate: String?
        /// The diagnosis instant, epoch milliseconds.
        var diagnosedAt: Int64
        var certainty: String
        var reporter: String?
        var encounter: String?
    }

    static func timestamp(_ milliseconds: Int64) -> String {
        ISO8601Timestamp.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Creates the card of `draft.source`, or revises it when the record changed it (a card the CDC has
    /// already reviewed keeps its status; the change is in its history). Returns the card id.
    @discardableResult
    static func write(_ draft: Draft, actor: String, sql: any SQLDatabase, now: Date = Date()) async throws -> String {
        let reported = ISO8601Timestamp.format(now)
        if let row = try await sql.raw("SELECT id, disease, icd10, certainty, onset_date, revision FROM surveillance_report WHERE source = \(bind: draft.source)").first() {
            let id = try row.decode(column: "id", as: String.self)
            let before = [try row.decode(column: "disease", as: String.self), try row.decode(column: "icd10", as: String.self),
                          try row.decode(column: "certainty", as: String.self), try row.decode(column: "onset_date", as: String?.self) ?? ""]
            let after = [draft.disease.code, draft.icd10, draft.certainty, draft.onsetDate ?? ""]
            guard before != after else { return id }
            try await sql.raw("""
                UPDATE surveillance_report SET disease = \(bind: draft.disease.code), icd10 = \(bind: draft.icd10), certainty = \(bind: draft.certainty),
                    onset_date = \(bind: draft.onsetDate), revision = revision + 1 WHERE id = \(bind: id)
                """).run()
            try await history(id, actor: actor, action: "updated", detail: "\(before.joined(separator: " ")) → \(after.joined(separator: " "))", at: reported, sql: sql)
            return id
        }
        let id = RecordID.make("ir")
        let deadline = draft.diagnosedAt + Int64(draft.disease.deadlineHours) * 3_600_000
        let late = Int64(now.timeIntervalSince1970 * 1000) > deadline
        let place = try await sql.raw("SELECT subdistrict, district FROM registry_resident WHERE patient_id = \(bind: draft.patient)").first()
        try await sql.raw("""
            INSERT INTO surveillance_report (id, source, patient_id, disease, icd10, subdistrict, district, onset_date, diagnosed_at, certainty, reporter,
                encounter_id, reported_at, deadline_at, late, status, duplicate_of, revision)
            VALUES (\(bind: id), \(bind: draft.source), \(bind: draft.patient), \(bind: draft.disease.code), \(bind: draft.icd10),
                \(bind: try place?.decode(column: "subdistrict", as: String?.self)), \(bind: try place?.decode(column: "district", as: String?.self)),
                \(bind: draft.onsetDate), \(bind: timestamp(draft.diagnosedAt)), \(bind: draft.certainty), \(bind: draft.reporter), \(bind: draft.encounter),
                \(bind: reported), \(bind: timestamp(deadline)), \(unsafeRaw: late ? "1" : "0"), 'submitted', NULL, 1)
            """).run()
        try await history(id, actor: actor, action: "created", detail: "\(draft.disease.name) \(draft.icd10) \(certainties[draft.certainty] ?? draft.certainty)", at: reported, sql: sql)
        return id
    }

    /// Withdraws the cards of these sources still in force (`rejected`, history: withdrawn by the record), in
    /// one statement per 500 sources.
    static func withdraw(sources: [String], sql: any SQLDatabase) async throws {
        guard !sources.isEmpty else { return }
        let now = ISO8601Timestamp.now()
        for slice in sources.chunked(500) {
            let chunk = Array(slice)
            let ids = try await sql.raw("""
                UPDATE surveillance_report SET status = 'rejected', revision = revision + 1
                WHERE source IN (\(binds: chunk)) AND status IN ('submitted', 'verified') RETURNING id
                """).all().map { try $0.decode(column: "id", as: String.self) }
            for id in ids { try await history(id, actor: "emr", action: "withdrawn", detail: "病历中的诊断已删除、排除或更正为非法定传染病", at: now, sql: sql) }
        }
    }

    static func history(_ id: String, actor: String, action: String, detail: String, at: String, sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO surveillance_report_history (report_id, seq, at, actor, action, detail)
            SELECT \(bind: id), COALESCE(MAX(seq), 0) + 1, \(bind: at), \(bind: actor), \(bind: action), \(bind: detail)
            FROM surveillance_report_history WHERE report_id = \(bind: id)
            """).run()
    }

    static func report(_ row: any SQLRow) throws -> CaseReport {
        CaseReport(
            id: try row.decode(column: "id", as: String.self), source: try row.decode(column: "source", as: String.self),
            patient: try row.decode(column: "patient_id", as: String.self), disease: try row.decode(column: "disease", as: String.self),
            icd10: try row.decode(column: "icd10", as: String.self), subdistrict: try row.decode(column: "subdistrict", as: String?.self),
            district: try row.decode(column: "district", as: String?.self), onsetDate: try row.decode(column: "onset_date", as: String?.self),
            diagnosedAt: try row.decode(column: "diagnosed_at", as: String.self), certainty: try row.decode(column: "certainty", as: String.self),
            reporter: try row.decode(column: "reporter", as: String?.self), encounter: try row.decode(column: "encounter_id", as: String?.self),
            reportedAt: try row.decode(column: "reported_at", as: String.self), deadlineAt: try row.decode(column: "deadline_at", as: String.self),
            late: try row.decode(column: "late", as: Int.self) != 0, status: try row.decode(column: "status", as: String.self),
            duplicateOf: try row.decode(column: "duplicate_of", as: String?.self), revision: try row.decode(column: "revision", as: Int.self))
    }
}
