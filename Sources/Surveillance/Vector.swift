import FHIR
import Foundation
import SQLKit
import Storage

// 病媒生物监测: Aedes (dengue vector) density reports per monitoring site, graded into warning levels
// (蚊媒监测预警分级响应, 003).

/// A monitoring site (监测点) of a 街道.
public struct VectorSite: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var subdistrict: String
    public var name: String
    /// `residential` 居民区, `park` 公园绿地, `construction` 建筑工地, `school` 学校, `hospital` 医疗机构, `other`.
    public var kind: String
}

/// One survey of a site: the Breteau index (`breteau`: containers with larvae per 100 households) or the
/// mosquito-ovitrap index (`moi`: positive ovitraps per 100 effective ones).
public struct VectorReport: Sendable, Codable, Equatable {
    public var site: String
    public var day: String
    public var method: String
    /// Households examined (breteau) or effective ovitraps (moi).
    public var examined: Int
    /// Positive containers (breteau) or positive ovitraps (moi).
    public var positive: Int
    public var index: Double
    /// 0 无传播风险, 1 有传播风险, 2 有暴发风险, 3 有流行风险 (see ``VectorSurveillance/grade(_:)``).
    public var level: Int

    public init(site: String, day: String, method: String, examined: Int, positive: Int, index: Double = 0, level: Int = 0) {
        self.site = site
        self.day = day
        self.method = method
        self.examined = examined
        self.positive = positive
        self.index = index
        self.level = level
    }
}

/// A 街道's mosquito density over a period: its sites' highest index and level per method.
public struct VectorArea: Sendable, Codable, Equatable {
    public var subdistrict: String
    public var method: String
    public var sites: Int
    public var reports: Int
    public var meanIndex: Double
    public var maxIndex: Double
    public var level: Int
}

public enum VectorSurveillance {
    public static let methods = ["breteau": "布雷图指数", "moi": "诱蚊诱卵器指数"]
    public static let siteKinds = ["residential": "居民区", "park": "公园绿地", "construction": "建筑工地", "school": "学校", "hospital": "医疗机构", "other": "其他"]
    /// The warning levels: the four bands of China's dengue vector guidance, the same for BI and MOI
    /// (index < 5, 5–10, 10–20, ≥ 20).
    public static let levels: [(lowerBound: Double, name: String, colour: String)] = [
        (0, "无传播风险", "绿色"), (5, "有传播风险", "黄色"), (10, "有暴发风险", "橙色"), (20, "有区域流行风险", "红色"),
    ]

    /// The level of an index: the highest band whose lower bound it reaches.
    public static func grade(_ index: Double) -> Int {
        levels.lastIndex { index >= $0.lowerBound } ?? 0
    }

    /// The index of a survey: positives per 100 examined, one decimal.
    public static func index(examined: Int, positive: Int) -> Double {
        examined > 0 ? (Double(positive) * 1000 / Double(examined)).rounded() / 10 : 0
    }
}

extension SurveillanceService {
    /// Adds a monitoring site. 422 for an empty name or an unknown kind.
    public func addVectorSite(district: String, subdistrict: String, name: String, kind: String) async throws -> VectorSite {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        var issues: [OutcomeIssue] = []
        if name.isEmpty || name.count > 100 { issues.append(OutcomeIssue(code: "value", diagnostics: "监测点名称须为 1–100 字", expression: "name")) }
        if VectorSurveillance.siteKinds[kind] == nil {
            issues.append(OutcomeIssue(code: "value", diagnostics: "监测点类型须为 " + VectorSurveillance.siteKinds.keys.sorted().joined(separator: "、"), expression: "kind"))
        }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        let site = VectorSite(id: RecordID.make("vs"), district: district, subdistrict: subdistrict, name: name, kind: kind)
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO surveillance_vector_site (id, district, subdistrict, name, kind) VALUES (\(bind: site.id), \(bind: district), \(bind: subdistrict), \(bind: name), \(bind: kind))
                """).run()
        }
        return site
    }

    public func vectorSites(district: String) async throws -> [VectorSite] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM surveillance_vector_site WHERE district = \(bind: district) ORDER BY subdistrict, name").all().map {
                VectorSite(id: try $0.decode(column: "id", as: String.self), district: try $0.decode(column: "district", as: String.self),
                           subdistrict: try $0.decode(column: "subdistrict", as: String.self), name: try $0.decode(column: "name", as: String.self),
                           kind: try $0.decode(column: "kind", as: String.self))
            }
        }
    }

    /// Records a survey (a site's survey by one method on a day replaces an earlier one) and grades it. A survey
    /// at level 2 or above (有暴发风险) raises a signal for the 街道 in the same transaction (detector
    /// `vector-<method>`, one per 街道, method and day). 404 for a site of another district; 422 for a bad day,
    /// method or counts. Returns the graded survey.
    public func recordVectorReport(_ report: VectorReport, district: String, reporter: String, today: String = CalendarDay.today()) async throws -> VectorReport {
        var issues: [OutcomeIssue] = []
        if !CalendarDay.isValid(report.day) { issues.append(OutcomeIssue(code: "value", diagnostics: "调查日期须为 YYYY-MM-DD", expression: "day")) }
        else if report.day > today { issues.append(OutcomeIssue(code: "value", diagnostics: "调查日期晚于今天", expression: "day")) }
        if VectorSurveillance.methods[report.method] == nil { issues.append(OutcomeIssue(code: "value", diagnostics: "method 须为 breteau（布雷图指数）或 moi（诱蚊诱卵器指数）", expression: "method")) }
        if !(1...100_000).contains(report.examined) { issues.append(OutcomeIssue(code: "value", diagnostics: "调查户数或有效诱蚊诱卵器数须在 1–100000 之间", expression: "examined")) }
        if report.positive < 0 || report.positive > 100_000 || (report.method == "moi" && report.positive > report.examined) {
            issues.append(OutcomeIssue(code: "value", diagnostics: report.method == "moi" ? "阳性诱蚊诱卵器数须在 0 与有效数之间" : "阳性容器数须在 0–100000 之间", expression: "positive"))
        }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        var graded = report
        graded.index = VectorSurveillance.index(examined: report.examined, positive: report.positive)
        graded.level = VectorSurveillance.grade(graded.index)
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT subdistrict, name FROM surveillance_vector_site WHERE id = \(bind: report.site) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有监测点 \(report.site)")
            }
            let subdistrict = try row.decode(column: "subdistrict", as: String.self), name = try row.decode(column: "name", as: String.self)
            try await sql.raw("""
                INSERT INTO surveillance_vector_report (site_id, day, method, district, subdistrict, examined, positive, index_value, level, reported_by, reported_at)
                VALUES (\(bind: report.site), \(bind: report.day), \(bind: report.method), \(bind: district), \(bind: subdistrict), \(bind: report.examined), \(bind: report.positive),
                    \(bind: graded.index), \(bind: graded.level), \(bind: reporter), \(bind: now))
                ON CONFLICT (site_id, day, method) DO UPDATE SET examined = excluded.examined, positive = excluded.positive, index_value = excluded.index_value,
                    level = excluded.level, reported_by = excluded.reported_by, reported_at = excluded.reported_at
                """).run()
            if graded.level >= 2 {
                let band = VectorSurveillance.levels[graded.level]
                _ = try await Self.raise([("mosquito", subdistrict, "vector-" + report.method, report.day, report.positive,
                                           "\(name)：\(VectorSurveillance.methods[report.method] ?? report.method) \(graded.index)，\(band.name)（\(band.colour)）")],
                                         district: district, sql: sql, engine: database.engine)
            }
        }
        return graded
    }

    /// Each 街道's density from `from` to `to`, per method: the sites surveyed, the mean and highest index,
    /// and the level of the highest.
    public func vectorAreas(district: String, from: String, to: String) async throws -> [VectorArea] {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to) else { throw FHIRError.badRequest("from、to 须为 YYYY-MM-DD") }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT subdistrict, method, COUNT(DISTINCT site_id) AS sites, COUNT(*) AS reports, AVG(index_value) AS mean_index, MAX(index_value) AS max_index
                FROM surveillance_vector_report WHERE district = \(bind: district) AND day >= \(bind: from) AND day <= \(bind: to)
                GROUP BY subdistrict, method ORDER BY subdistrict, method
                """).all().map { row in
                let maxIndex = try row.decode(column: "max_index", as: Double.self)
                return VectorArea(subdistrict: try row.decode(column: "subdistrict", as: String.self), method: try row.decode(column: "method", as: String.self),
                                  sites: try row.decode(column: "sites", as: Int.self), reports: try row.decode(column: "reports", as: Int.self),
                                  meanIndex: (try row.decode(column: "mean_index", as: Double.self) * 10).rounded() / 10, maxIndex: maxIndex,
                                  level: VectorSurveillance.grade(maxIndex))
            }
        }
    }
}
