import FHIR
import Foundation
import SQLKit
public import Storage

/// A case report card entered by hand (the domain API's 报告卡), checked before anything is stored.
public struct CaseReportForm: Sendable, Codable, Equatable {
    public var patient: String
    /// The ICD-10 code of the diagnosis; it must be a notifiable disease's.
    public var icd10: String
    public var onsetDate: String?
    /// The diagnosis time (FHIR dateTime), not in the future.
    public var diagnosedAt: String
    /// `suspected`, `clinical`, `confirmed` or `carrier`.
    public var certainty: String

    public init(patient: String, icd10: String, onsetDate: String?, diagnosedAt: String, certainty: String) {
        self.patient = patient
        self.icd10 = icd10
        self.onsetDate = onsetDate
        self.diagnosedAt = diagnosedAt
        self.certainty = certainty
    }
}

/// What the CDC does with a card (审核): verify, correct (订正: disease, certainty, onset), reject, or mark as
/// a duplicate of another card.
public struct CaseReportReview: Sendable, Codable, Equatable {
    /// `verify`, `correct`, `reject` or `duplicate`.
    public var action: String
    public var icd10: String?
    public var certainty: String?
    public var onsetDate: String?
    /// The card it duplicates (for `duplicate`).
    public var duplicateOf: String?
    /// Why (required to reject).
    public var reason: String?

    public init(action: String, icd10: String? = nil, certainty: String? = nil, onsetDate: String? = nil, duplicateOf: String? = nil, reason: String? = nil) {
        self.action = action
        self.icd10 = icd10
        self.certainty = certainty
        self.onsetDate = onsetDate
        self.duplicateOf = duplicateOf
        self.reason = reason
    }
}

/// Reporting timeliness of a district (报告及时率), as CIDARS reports it.
public struct ReportTimeliness: Sendable, Codable, Equatable {
    public var reports: Int
    public var late: Int
    /// Percent reported within the deadline, rounded down.
    public var timelyPercent: Int
    /// Median hours from diagnosis to report.
    public var medianHours: Double?
}

/// Infectious disease reporting: cards entered by hand, the CDC's list and review, duplicates, timeliness.
public struct SurveillanceService: Sendable {
    /// The FHIR store (the record, for the resident a card is about).
    public let store: FHIRStore
    public var database: Database { store.database }

    public init(store: FHIRStore) {
        self.store = store
    }

    /// The notifiable disease list.
    public func diseases() async throws -> [NotifiableDisease] {
        try await database.read { try await CaseReports.diseases(sql: $0) }
    }

    /// Enters a card by hand (for a diagnosis the EMR did not push). Refused with 422 for an unknown disease
    /// code, an onset after the diagnosis, a diagnosis in the future or an unknown certainty; 404 for an
    /// unknown resident.
    public func report(_ form: CaseReportForm, reporter: String?, actor: String, now: Date = Date()) async throws -> CaseReport {
        let diseases = try await diseases()
        var issues: [OutcomeIssue] = []
        func add(_ field: String, _ text: String) { issues.append(OutcomeIssue(code: "value", diagnostics: text, expression: field)) }
        let disease = NotifiableDisease.matching(form.icd10, in: diseases)
        if disease == nil { add("icd10", "ICD-10 编码 '\(form.icd10)' 不属于法定传染病目录 (not a notifiable disease code); 例如 A09、B05、J10") }
        let diagnosed = FHIRDateRange.parse(form.diagnosedAt)
        if diagnosed == nil { add("diagnosedAt", "诊断时间须为 YYYY-MM-DD 或 YYYY-MM-DDThh:mm:ss+08:00") }
        if let diagnosed, diagnosed.low > Int64(now.timeIntervalSince1970 * 1000) { add("diagnosedAt", "诊断时间晚于现在") }
        if let onset = form.onsetDate {
            if !CalendarDay.isValid(onset) { add("onsetDate", "发病日期须为 YYYY-MM-DD") }
            else if let diagnosed, let day = FHIRDateRange.parse(onset), day.low > (FHIRDateRange.parse(String(form.diagnosedAt.prefix(10)))?.low ?? diagnosed.low) {
                add("onsetDate", "发病日期 \(onset) 晚于诊断日期 \(form.diagnosedAt.prefix(10)) (onset after the diagnosis)")
            }
        }
        if CaseReports.certainties[form.certainty] == nil { add("certainty", "诊断类型须为 suspected（疑似）、clinical（临床诊断）、confirmed（实验室确诊）或 carrier（病原携带者）") }
        guard issues.isEmpty, let disease, let diagnosed else { throw FHIRError.unprocessable(issues) }
        return try await store.write { writer in
            guard FHIRID.isValid(form.patient), try await writer.read(type: "Patient", id: form.patient) != nil else {
                throw FHIRError.notFound("居民 Patient/\(form.patient) 不存在：请先建档或通过主索引查找")
            }
            let id = try await CaseReports.write(CaseReports.Draft(
                source: "card/" + UUID().uuidString.lowercased(), patient: form.patient, disease: disease, icd10: form.icd10.uppercased(),
                onsetDate: form.onsetDate, diagnosedAt: diagnosed.low, certainty: form.certainty, reporter: reporter, encounter: nil
            ), actor: actor, sql: writer.sql, now: now)
            guard let row = try await writer.sql.raw("SELECT * FROM surveillance_report WHERE id = \(bind: id)").first() else {
                throw FHIRError(status: 500, code: "exception", "the card disappeared")
            }
            return try CaseReports.report(row)
        }
    }

    /// The cards of a district, newest first, optionally only late ones or of one status; each with the
    /// cards of the same resident and disease within 30 days (possible duplicates across institutions).
    public func reports(district: String, status: String? = nil, lateOnly: Bool = false, limit: Int = 200) async throws -> [CaseReport] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let status { filter = "\(filter) AND status = \(bind: status)" }
            if lateOnly { filter = "\(filter) AND late = 1" }
            return try await sql.raw("""
                SELECT * FROM surveillance_report WHERE \(filter) ORDER BY reported_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))
                """).all().map(CaseReports.report)
        }
    }

    /// One card and its history.
    public func report(id: String) async throws -> (CaseReport, [CaseReportChange])? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM surveillance_report WHERE id = \(bind: id)").first() else { return nil }
            let changes = try await sql.raw("SELECT * FROM surveillance_report_history WHERE report_id = \(bind: id) ORDER BY seq").all().map {
                CaseReportChange(seq: try $0.decode(column: "seq", as: Int.self), at: try $0.decode(column: "at", as: String.self),
                                 actor: try $0.decode(column: "actor", as: String.self), action: try $0.decode(column: "action", as: String.self),
                                 detail: try $0.decode(column: "detail", as: String.self))
            }
            return (try CaseReports.report(row), changes)
        }
    }

    /// Other cards of the same resident and disease diagnosed within 30 days of this one (重卡 candidates).
    public func possibleDuplicates(of id: String) async throws -> [CaseReport] {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT patient_id, disease, diagnosed_at FROM surveillance_report WHERE id = \(bind: id)").first() else { return [] }
            let diagnosed = try row.decode(column: "diagnosed_at", as: String.self)
            let day = String(diagnosed.prefix(10))
            return try await sql.raw("""
                SELECT * FROM surveillance_report WHERE patient_id = \(bind: try row.decode(column: "patient_id", as: String.self))
                    AND disease = \(bind: try row.decode(column: "disease", as: String.self)) AND id <> \(bind: id)
                    AND diagnosed_at >= \(bind: CalendarDay.shift(day, days: -30)) AND diagnosed_at < \(bind: CalendarDay.shift(day, days: 31))
                    AND status <> 'rejected' ORDER BY diagnosed_at
                """).all().map(CaseReports.report)
        }
    }

    /// Reviews a card. 409 for a card already rejected or marked duplicate; 422 for an unusable correction.
    public func review(id: String, _ review: CaseReportReview, actor: String, district: String) async throws -> CaseReport {
        let diseases = try await diseases()
        return try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM surveillance_report WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有报告卡 \(id)")
            }
            let card = try CaseReports.report(row)
            guard card.status == "submitted" || card.status == "verified" else { throw FHIRError.conflict("报告卡已\(card.status == "rejected" ? "退回" : "标为重卡")，不能再审核") }
            let now = ISO8601Timestamp.now()
            switch review.action {
            case "verify":
                try await sql.raw("UPDATE surveillance_report SET status = 'verified' WHERE id = \(bind: id)").run()
                try await CaseReports.history(id, actor: actor, action: "verified", detail: "审核通过", at: now, sql: sql)
            case "correct":
                var disease = card.disease, icd10 = card.icd10, certainty = card.certainty, onset = card.onsetDate
                var issues: [OutcomeIssue] = []
                if let code = review.icd10 {
                    if let match = NotifiableDisease.matching(code, in: diseases) { disease = match.code; icd10 = code.uppercased() }
                    else { issues.append(OutcomeIssue(code: "value", diagnostics: "ICD-10 编码 '\(code)' 不属于法定传染病目录", expression: "icd10")) }
                }
                if let value = review.certainty {
                    if CaseReports.certainties[value] != nil { certainty = value }
                    else { issues.append(OutcomeIssue(code: "value", diagnostics: "诊断类型须为 suspected、clinical、confirmed 或 carrier", expression: "certainty")) }
                }
                if let value = review.onsetDate {
                    if !CalendarDay.isValid(value) || value > String(card.diagnosedAt.prefix(10)) {
                        issues.append(OutcomeIssue(code: "value", diagnostics: "发病日期须为 YYYY-MM-DD 且不晚于诊断日期 \(card.diagnosedAt.prefix(10))", expression: "onsetDate"))
                    } else { onset = value }
                }
                if review.icd10 == nil && review.certainty == nil && review.onsetDate == nil {
                    issues.append(OutcomeIssue(code: "required", diagnostics: "订正须至少修改 icd10、certainty 或 onsetDate 之一", expression: "action"))
                }
                guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
                try await sql.raw("""
                    UPDATE surveillance_report SET disease = \(bind: disease), icd10 = \(bind: icd10), certainty = \(bind: certainty), onset_date = \(bind: onset),
                        revision = revision + 1 WHERE id = \(bind: id)
                    """).run()
                try await CaseReports.history(id, actor: actor, action: "corrected",
                                              detail: "\(card.disease) \(card.icd10) \(card.certainty) \(card.onsetDate ?? "") → \(disease) \(icd10) \(certainty) \(onset ?? "")", at: now, sql: sql)
            case "reject":
                guard let reason = review.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw FHIRError.unprocessable([OutcomeIssue(code: "required", diagnostics: "退回须填写原因 (reason)", expression: "reason")])
                }
                try await sql.raw("UPDATE surveillance_report SET status = 'rejected' WHERE id = \(bind: id)").run()
                try await CaseReports.history(id, actor: actor, action: "rejected", detail: String(reason.prefix(500)), at: now, sql: sql)
            case "duplicate":
                guard let other = review.duplicateOf, other != id, let kept = try await sql.raw("""
                    SELECT id FROM surveillance_report WHERE id = \(bind: other) AND patient_id = \(bind: card.patient) AND disease = \(bind: card.disease) AND status <> 'rejected' AND status <> 'duplicate'
                    """).first() else {
                    throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "duplicateOf 须为同一居民、同一病种的另一张有效报告卡", expression: "duplicateOf")])
                }
                let keptID = try kept.decode(column: "id", as: String.self)
                try await sql.raw("UPDATE surveillance_report SET status = 'duplicate', duplicate_of = \(bind: keptID) WHERE id = \(bind: id)").run()
                try await CaseReports.history(id, actor: actor, action: "duplicate", detail: "重卡，保留 \(keptID)", at: now, sql: sql)
            default:
                throw FHIRError.badRequest("action 须为 verify（审核通过）、correct（订正）、reject（退回）或 duplicate（重卡）")
            }
            guard let updated = try await sql.raw("SELECT * FROM surveillance_report WHERE id = \(bind: id)").first() else {
                throw FHIRError(status: 500, code: "exception", "the card disappeared")
            }
            return try CaseReports.report(updated)
        }
    }

    /// Timeliness of the district's cards (not rejected or duplicate) reported since `from` (YYYY-MM-DD).
    public func timeliness(district: String, from: String) async throws -> ReportTimeliness {
        guard CalendarDay.isValid(from) else { throw FHIRError.badRequest("from 须为 YYYY-MM-DD") }
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT diagnosed_at, reported_at, late FROM surveillance_report
                WHERE district = \(bind: district) AND reported_at >= \(bind: from) AND status IN ('submitted', 'verified')
                """).all().map { (try $0.decode(column: "diagnosed_at", as: String.self), try $0.decode(column: "reported_at", as: String.self), try $0.decode(column: "late", as: Int.self)) }
        }
        let hours = rows.compactMap { row -> Double? in
            guard let diagnosed = FHIRDateRange.parse(row.0), let reported = FHIRDateRange.parse(row.1) else { return nil }
            return Double(reported.low - diagnosed.low) / 3_600_000
        }.sorted()
        let late = rows.filter { $0.2 != 0 }.count
        let median: Double? = Statistics.median(sorted: hours)
        return ReportTimeliness(reports: rows.count, late: late, timelyPercent: rows.isEmpty ? 0 : (rows.count - late) * 100 / rows.count,
                                medianHours: median.map { ($0 * 10).rounded() / 10 })
    }
}

/// Notifiable cases of one disease in an area over a period (the disease burden of a health portrait).
public struct DiseaseBurden: Sendable, Codable, Equatable {
    public var disease: String
    public var name: String
    public var cases: Int
}

extension SurveillanceService {
    /// Valid cards by disease, onset (else diagnosis) from `from` to `to`, in a district or one of its 街道;
    /// most cases first.
    public func burden(district: String, subdistrict: String?, from: String, to: String) async throws -> [DiseaseBurden] {
        let names = Dictionary(try await diseases().map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district) AND status IN ('submitted', 'verified')"
            if let subdistrict { filter = "\(filter) AND subdistrict = \(bind: subdistrict)" }
            return try await sql.raw("""
                SELECT disease, COUNT(*) AS n FROM surveillance_report WHERE \(filter)
                    AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) >= \(bind: from) AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) <= \(bind: to)
                GROUP BY disease ORDER BY COUNT(*) DESC, disease
                """).all().map {
                let code = try $0.decode(column: "disease", as: String.self)
                return DiseaseBurden(disease: code, name: names[code] ?? code, cases: try $0.decode(column: "n", as: Int.self))
            }
        }
    }
}

/// The quality of one reporter's case report cards since a day: how many, how many late, how many the CDC has
/// reviewed, and of those how many it had to correct or reject (报告及时率, 报告准确率).
public struct ReporterQuality: Sendable, Codable, Equatable {
    /// The reporting practitioner's id (nil: pushed by a system without one).
    public var reporter: String?
    public var cards: Int
    public var late: Int
    public var reviewed: Int
    public var amended: Int
}

extension SurveillanceService {
    /// Per reporter, the district's cards reported since `from` (duplicates left out: a second card is not an error
    /// of the first reporter's data).
    public func reporterQuality(district: String, from: String) async throws -> [ReporterQuality] {
        guard CalendarDay.isValid(from) else { throw FHIRError.badRequest("from 须为 YYYY-MM-DD") }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT r.reporter AS reporter, COUNT(*) AS cards, SUM(r.late) AS late,
                    SUM(CASE WHEN r.status IN ('verified', 'rejected') OR EXISTS (SELECT 1 FROM surveillance_report_history h WHERE h.report_id = r.id AND h.action = 'corrected') THEN 1 ELSE 0 END) AS reviewed,
                    SUM(CASE WHEN r.status = 'rejected' OR EXISTS (SELECT 1 FROM surveillance_report_history h WHERE h.report_id = r.id AND h.action = 'corrected') THEN 1 ELSE 0 END) AS amended
                FROM surveillance_report r
                WHERE r.district = \(bind: district) AND r.reported_at >= \(bind: from) AND r.status <> 'duplicate'
                GROUP BY r.reporter ORDER BY r.reporter
                """).all().map {
                ReporterQuality(reporter: try $0.decode(column: "reporter", as: String?.self), cards: try $0.decode(column: "cards", as: Int.self),
                                late: try $0.decode(column: "late", as: Int?.self) ?? 0, reviewed: try $0.decode(column: "reviewed", as: Int?.self) ?? 0,
                                amended: try $0.decode(column: "amended", as: Int?.self) ?? 0)
            }
        }
    }
}
