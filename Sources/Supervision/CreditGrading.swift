public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A finding against an institution, as credit grading weighs it.
public struct CreditFinding: Sendable, Codable, Equatable {
    /// One of ``Enforcement/severities``.
    public var severity: String
    public var penalised: Bool
    /// Rectified and verified by its deadline.
    public var rectifiedOnTime: Bool

    public init(severity: String, penalised: Bool, rectifiedOnTime: Bool) {
        self.severity = severity
        self.penalised = penalised
        self.rectifiedOnTime = rectifiedOnTime
    }
}

/// What an institution's credit score is computed from.
public struct CreditInputs: Sendable, Codable, Equatable {
    /// Findings of the last 24 months.
    public var findings: [CreditFinding]
    /// Complaints (投诉) of the last 12 months, except those dismissed.
    public var complaints: Int
    /// Medical-waste alerts of the last 12 months.
    public var wasteAlerts: Int
    /// The institution's data quality (%), the mean of its data-quality indicators; nil when none is measured.
    public var dataQuality: Double?

    public init(findings: [CreditFinding] = [], complaints: Int = 0, wasteAlerts: Int = 0, dataQuality: Double? = nil) {
        self.findings = findings
        self.complaints = complaints
        self.wasteAlerts = wasteAlerts
        self.dataQuality = dataQuality
    }
}

/// A deduction from the score, with its reason.
public struct CreditDeduction: Sendable, Codable, Equatable {
    public var reason: String
    public var points: Int
}

/// An institution's credit record (信用档案): score, grade, the inspections a year the grade sets, and why.
public struct CreditRecord: Sendable, Codable, Equatable {
    public var institution: String
    public var name: String
    public var score: Int
    /// `A`, `B`, `C` or `D` (``CreditGrading/grades``).
    public var grade: String
    public var inspectionsPerYear: Int
    public var deductions: [CreditDeduction]
}

/// 信用分级分类监管: a documented score per institution and the grade that sets how often it is inspected.
///
/// The score starts at 100 and loses:
/// - for each finding of the last 24 months: 2 (轻微), 6 (一般) or 12 (严重) points, halved (rounding down) when it
///   was rectified and verified by its deadline; 4 more when it was penalised;
/// - 2 points for each complaint of the last 12 months not dismissed, at most 10;
/// - 2 points for each medical-waste alert of the last 12 months, at most 10;
/// - when data quality is below 95%: one point for each 5 points (or part) it falls short, at most 10.
///
/// It never goes below 0. Grades: A (守信) ≥ 90, B (基本守信) 75–89, C (失信风险) 60–74, D (严重失信) < 60; routine
/// inspections a year: A 1, B 2, C 4, D 12 (monthly), so that attention goes where the risk is.
public enum CreditGrading {
    public static let findingPoints = ["minor": 2, "general": 6, "serious": 12]
    public static let penaltyPoints = 4
    public static let complaintPoints = 2, complaintCap = 10
    public static let wastePoints = 2, wasteCap = 10
    public static let dataQualityTarget = 95.0, dataQualityCap = 10
    /// Grade → (lowest score, name, inspections a year), best first.
    public static let grades: [(grade: String, minimum: Int, name: String, inspections: Int)] = [
        ("A", 90, "守信", 1), ("B", 75, "基本守信", 2), ("C", 60, "失信风险", 4), ("D", 0, "严重失信", 12),
    ]
    /// The institution types graded (medical institutions; not the CDC, the supervision institute or the commission).
    public static let gradedTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child", "mental-health", "chc", "chc-branch", "station", "village-clinic", "emergency"]

    /// The deductions the inputs earn, in the order of the rules above.
    public static func deductions(_ inputs: CreditInputs) -> [CreditDeduction] {
        var deductions: [CreditDeduction] = []
        for finding in inputs.findings {
            let base = findingPoints[finding.severity] ?? 0
            let name = Enforcement.severities[finding.severity] ?? finding.severity
            deductions.append(finding.rectifiedOnTime ? CreditDeduction(reason: "\(name)违法行为（按期整改，减半）", points: base / 2)
                                                      : CreditDeduction(reason: "\(name)违法行为", points: base))
            if finding.penalised { deductions.append(CreditDeduction(reason: "受到行政处罚", points: penaltyPoints)) }
        }
        if inputs.complaints > 0 {
            deductions.append(CreditDeduction(reason: "投诉 \(inputs.complaints) 件", points: min(complaintCap, inputs.complaints * complaintPoints)))
        }
        if inputs.wasteAlerts > 0 {
            deductions.append(CreditDeduction(reason: "医疗废物预警 \(inputs.wasteAlerts) 次", points: min(wasteCap, inputs.wasteAlerts * wastePoints)))
        }
        if let quality = inputs.dataQuality, quality < dataQualityTarget {
            let points = min(dataQualityCap, Int(((dataQualityTarget - quality) / 5).rounded(.up)))
            deductions.append(CreditDeduction(reason: "数据质量 \(String(format: "%.1f", quality))%（低于 \(Int(dataQualityTarget))%）", points: points))
        }
        return deductions.filter { $0.points > 0 }
    }

    /// Score, grade and inspections a year.
    public static func grade(_ inputs: CreditInputs) -> (score: Int, grade: String, inspections: Int, deductions: [CreditDeduction]) {
        let deductions = deductions(inputs)
        let score = max(0, 100 - deductions.map(\.points).reduce(0, +))
        let grade = grades.first { score >= $0.minimum } ?? grades[grades.count - 1]
        return (score, grade.grade, grade.inspections, deductions)
    }

    /// The due days of `count` inspections spread over `year`: the middle of each equal part of the year.
    public static func dueDays(year: Int, count: Int) -> [String] {
        let start = String(format: "%04d-01-01", year)
        let length = CalendarDay.days(from: start, to: String(format: "%04d-01-01", year + 1))
        return (0..<max(1, count)).map { CalendarDay.shift(start, days: (2 * $0 + 1) * length / (2 * max(1, count))) }
    }
}

/// A planned routine inspection (日常监督检查) of an institution, and its outcome.
public struct PlannedInspection: Sendable, Codable, Equatable {
    public var id: String
    public var institution: String
    public var dueDay: String
    /// The grade that set the frequency when it was planned.
    public var grade: String
    /// `planned` or `done`.
    public var status: String
    /// `compliant` (合格) or `findings` (发现问题), once done.
    public var result: String?
    public var detail: String?
    public var inspectedAt: String?
    /// The case the findings opened.
    public var caseID: String?
}

extension Enforcement {
    /// What each graded institution of the district has earned: findings of the last 24 months, complaints and
    /// waste alerts of the last 12; `dataQuality` comes from the indicators (the caller's).
    public func creditInputs(district: String, dataQuality: [String: Double], today: String = CalendarDay.today()) async throws -> [String: CreditInputs] {
        let twoYears = CalendarDay.shift(today, days: -730), oneYear = CalendarDay.shift(today, days: -365)
        return try await database.read { sql in
            var inputs: [String: CreditInputs] = [:]
            for institution in Catalog.institutions where institution.district == district && CreditGrading.gradedTypes.contains(institution.type) {
                inputs[institution.id] = CreditInputs(dataQuality: dataQuality[institution.id])
            }
            let findings = try await sql.raw("""
                SELECT c.institution_id, c.severity, c.penalty, c.rectify_by,
                    (SELECT MAX(e.at) FROM supervision_case_event e WHERE e.case_id = c.id AND e.action = 'verify-rectification') AS rectified_at
                FROM supervision_case c
                WHERE c.district = \(bind: district) AND c.institution_id IS NOT NULL AND c.severity IS NOT NULL AND c.status <> 'dismissed' AND c.opened_at >= \(bind: twoYears)
                ORDER BY c.opened_at, c.id
                """).all()
            for row in findings {
                let institution = try row.decode(column: "institution_id", as: String.self)
                guard inputs[institution] != nil else { continue }
                let rectifyBy = try row.decode(column: "rectify_by", as: String?.self)
                let rectifiedAt = try row.decode(column: "rectified_at", as: String?.self)
                let onTime = rectifyBy.map { deadline in rectifiedAt.map { String($0.prefix(10)) <= deadline } ?? false } ?? false
                inputs[institution]?.findings.append(CreditFinding(severity: try row.decode(column: "severity", as: String.self),
                                                                   penalised: try row.decode(column: "penalty", as: String?.self) != nil, rectifiedOnTime: onTime))
            }
            for row in try await sql.raw("""
                SELECT r.institution_id, COUNT(*) AS n FROM supervision_report r JOIN supervision_case c ON c.id = r.case_id
                WHERE r.district = \(bind: district) AND r.kind = 'complaint' AND r.received_at >= \(bind: oneYear) AND c.status <> 'dismissed'
                GROUP BY r.institution_id
                """).all() {
                guard let institution = try row.decode(column: "institution_id", as: String?.self), inputs[institution] != nil else { continue }
                inputs[institution]?.complaints = try row.decode(column: "n", as: Int.self)
            }
            for row in try await sql.raw("""
                SELECT institution_id, COUNT(*) AS n FROM supervision_waste_alert WHERE district = \(bind: district) AND raised_at >= \(bind: oneYear) GROUP BY institution_id
                """).all() {
                let institution = try row.decode(column: "institution_id", as: String.self)
                guard inputs[institution] != nil else { continue }
                inputs[institution]?.wasteAlerts = try row.decode(column: "n", as: Int.self)
            }
            return inputs
        }
    }

    /// The credit records of the district's graded institutions, lowest score first.
    public func credit(district: String, dataQuality: [String: Double], today: String = CalendarDay.today()) async throws -> [CreditRecord] {
        try await creditInputs(district: district, dataQuality: dataQuality, today: today).map { institution, inputs in
            let graded = CreditGrading.grade(inputs)
            let name = Catalog.institutions.first { $0.id == institution }.map { $0.shortName ?? $0.name } ?? institution
            return CreditRecord(institution: institution, name: name, score: graded.score, grade: graded.grade, inspectionsPerYear: graded.inspections, deductions: graded.deductions)
        }.sorted { ($0.score, $0.institution) < ($1.score, $1.institution) }
    }

    /// Plans the year's routine inspections from the grades: the planned (not yet done) inspections due from
    /// `today` on are replaced by the current grade's, spread over the year; done ones stay. Returns the plan.
    public func planInspections(district: String, year: Int, credit: [CreditRecord], today: String = CalendarDay.today()) async throws -> [PlannedInspection] {
        guard (2000...2100).contains(year) else { throw SupervisionInput.invalid("年度须在 2000 至 2100 之间", "year") }
        try await database.write { sql in
            try await sql.raw("DELETE FROM supervision_inspection WHERE district = \(bind: district) AND year = \(bind: year) AND status = 'planned' AND due_day >= \(bind: today)").run()
            for record in credit {
                for day in CreditGrading.dueDays(year: year, count: record.inspectionsPerYear) where day >= today {
                    try await sql.raw("""
                        INSERT INTO supervision_inspection (id, district, year, institution_id, due_day, grade, status)
                        VALUES (\(bind: Self.newID("si")), \(bind: district), \(bind: year), \(bind: record.institution), \(bind: day), \(bind: record.grade), 'planned')
                        ON CONFLICT (district, institution_id, due_day) DO NOTHING
                        """).run()
                }
            }
        }
        return try await inspections(district: district, year: year)
    }

    /// The year's inspections (or the one of `id`), by due day.
    public func inspections(district: String, year: Int? = nil, id: String? = nil) async throws -> [PlannedInspection] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let year { filter = "\(filter) AND year = \(bind: year)" }
            if let id { filter = "\(filter) AND id = \(bind: id)" }
            return try await sql.raw("SELECT * FROM supervision_inspection WHERE \(filter) ORDER BY due_day, institution_id").all().map {
                PlannedInspection(id: try $0.decode(column: "id", as: String.self), institution: try $0.decode(column: "institution_id", as: String.self),
                                  dueDay: try $0.decode(column: "due_day", as: String.self), grade: try $0.decode(column: "grade", as: String.self),
                                  status: try $0.decode(column: "status", as: String.self), result: try $0.decode(column: "result", as: String?.self),
                                  detail: try $0.decode(column: "detail", as: String?.self), inspectedAt: try $0.decode(column: "inspected_at", as: String?.self),
                                  caseID: try $0.decode(column: "case_id", as: String?.self))
            }
        }
    }

    /// Records a planned inspection's outcome: `compliant`, or `findings` with their severity, which opens a case
    /// already found (立案). 404 for another district's inspection, 409 for one already done.
    public func recordInspection(_ id: String, result: String, detail: String, severity: String?, district: String, actor: String) async throws -> PlannedInspection {
        guard result == "compliant" || result == "findings" else { throw SupervisionInput.invalid("检查结果须为 compliant（合格）或 findings（发现问题）", "result") }
        let detail = try Self.text(detail, field: "detail", label: "检查记录", max: 2000) ?? ""
        if result == "findings" {
            guard let severity, Self.severities[severity] != nil else { throw SupervisionInput.invalid("发现问题时须写明情节：minor、general 或 serious", "severity") }
        }
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT institution_id, status FROM supervision_inspection WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有检查计划 \(id)")
            }
            guard try row.decode(column: "status", as: String.self) == "planned" else { throw FHIRError.conflict("该次检查已记录结果") }
            let institution = try row.decode(column: "institution_id", as: String.self)
            var caseID: String?
            if result == "findings" {
                let name = Catalog.institutions.first { $0.id == institution }?.name ?? institution
                caseID = try await Self.open(source: "plan", rule: nil, key: "inspection:\(id)", institution: institution, subject: name, subdistrict: nil, detail: detail,
                                             district: district, actor: actor, eventDetail: "日常监督检查发现问题：\(detail)", at: now, status: "found", severity: severity, sql: sql)
            }
            try await sql.raw("""
                UPDATE supervision_inspection SET status = 'done', result = \(bind: result), detail = \(bind: detail), inspected_at = \(bind: now), inspector = \(bind: actor),
                    case_id = \(bind: caseID) WHERE id = \(bind: id)
                """).run()
        }
        guard let done = try await inspections(district: district, id: id).first else { throw FHIRError.notFound("本区没有检查计划 \(id)") }
        return done
    }
}
