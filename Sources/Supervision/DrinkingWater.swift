public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A drinking-water site under supervision (生活饮用水卫生监督): a secondary-supply tank (二次供水), a direct
/// drinking-water system (管道直饮水) or a public supply point, with its 街道.
public struct WaterSite: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var subdistrict: String
    public var name: String
    /// One of ``DrinkingWater/kinds``.
    public var kind: String
    public var address: String
    public var latest: WaterTest?
}

/// One sampling of a site and its results against the standard.
public struct WaterTest: Sendable, Codable, Equatable {
    public var sampledAt: String
    /// Indicator code → measured value.
    public var results: [String: Double]
    /// Indicator codes outside their limits.
    public var failed: [String]
    public var qualified: Bool
}

/// An indicator of GB 5749-2022 (生活饮用水卫生标准) checked at the tap, with its limits.
public struct WaterIndicator: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var unit: String
    public var minimum: Double?
    public var maximum: Double?

    public func passes(_ value: Double) -> Bool {
        (minimum.map { value >= $0 - 1e-9 } ?? true) && (maximum.map { value <= $0 + 1e-9 } ?? true)
    }

    /// The limit as the standard states it.
    public var limit: String {
        switch (minimum, maximum) {
        case (let low?, let high?): "\(Self.number(low))–\(Self.number(high))"
        case (nil, let high?): high == 0 ? "不得检出" : "≤\(Self.number(high))"
        case (let low?, nil): "≥\(Self.number(low))"
        default: "—"
        }
    }

    public static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// 生活饮用水安全: sites, their samplings, and the latest result for the public page behind each site's QR code.
public struct DrinkingWater: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public static let kinds = ["secondary-supply": "二次供水", "direct-drinking": "管道直饮水", "public-supply": "集中式供水末梢"]

    /// The routine indicators checked at the tap (GB 5749-2022, table 1 and the disinfectant residual of table 2).
    public static let indicators = [
        WaterIndicator(code: "turbidity", name: "浑浊度", unit: "NTU", minimum: nil, maximum: 1),
        WaterIndicator(code: "colour", name: "色度", unit: "铂钴色度单位", minimum: nil, maximum: 15),
        WaterIndicator(code: "ph", name: "pH", unit: "", minimum: 6.5, maximum: 8.5),
        WaterIndicator(code: "total-coliforms", name: "总大肠菌群", unit: "MPN/100mL", minimum: nil, maximum: 0),
        WaterIndicator(code: "colony-count", name: "菌落总数", unit: "MPN/mL", minimum: nil, maximum: 100),
        WaterIndicator(code: "free-chlorine", name: "游离氯（末梢）", unit: "mg/L", minimum: 0.05, maximum: 2),
    ]


    /// Adds a site. 422 for an unknown kind, a 街道 outside the district, an empty or over-long name or address.
    public func addSite(district: String, subdistrict: String, name: String, kind: String, address: String) async throws -> WaterSite {
        guard Catalog.subdistricts(of: district).contains(where: { $0.code == subdistrict }) else { throw SupervisionInput.invalid("本区没有街道 \(subdistrict)", "subdistrict") }
        guard Self.kinds[kind] != nil else { throw SupervisionInput.invalid("类型须为 \(Self.kinds.keys.sorted().joined(separator: "、")) 之一", "kind") }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines), address = address.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw SupervisionInput.invalid("请填写名称（不超过 100 字）", "name") }
        guard !address.isEmpty, address.count <= 200 else { throw SupervisionInput.invalid("请填写地址（不超过 200 字）", "address") }
        let id = RecordID.make("ws")
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO supervision_water_site (id, district, subdistrict, name, kind, address, created_at)
                VALUES (\(bind: id), \(bind: district), \(bind: subdistrict), \(bind: name), \(bind: kind), \(bind: address), \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return WaterSite(id: id, district: district, subdistrict: subdistrict, name: name, kind: kind, address: address, latest: nil)
    }

    /// Records a sampling. 404 for a site of another district; 422 for an unknown indicator, a missing one, a value
    /// that is not a finite non-negative number, or a sampling time that is not a dateTime or lies in the future.
    public func recordTest(site id: String, district: String, sampledAt: String, results: [String: Double], actor: String, now: Date = Date()) async throws -> WaterTest {
        let sampledMillis = try FHIRDateRange.pastMillis(sampledAt, field: "sampledAt", label: "采样时间", now: now)
        let known = Set(Self.indicators.map(\.code))
        if let unknown = results.keys.sorted().first(where: { !known.contains($0) }) { throw SupervisionInput.invalid("未知指标 \(unknown)", "results") }
        if let missing = Self.indicators.first(where: { results[$0.code] == nil }) { throw SupervisionInput.invalid("缺少指标 \(missing.name)（\(missing.code)）", "results") }
        if let bad = results.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite || $0.value < 0 || $0.value > 1_000_000 }) {
            throw SupervisionInput.invalid("指标 \(bad.key) 的数值须为非负数", "results")
        }
        let failed = Self.indicators.filter { !$0.passes(results[$0.code] ?? 0) }.map(\.code)
        let json = String(decoding: try JSONEncoder.sorted.encode(results), as: UTF8.self)
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM supervision_water_site WHERE id = \(bind: id) AND district = \(bind: district)").first() != nil else {
                throw FHIRError.notFound("没有饮用水监测点 \(id)")
            }
            try await sql.raw("""
                INSERT INTO supervision_water_test (site_id, sampled_at, sampled_ms, results, qualified, tested_by, recorded_at)
                VALUES (\(bind: id), \(bind: sampledAt), \(bind: sampledMillis), \(bind: json), \(bind: failed.isEmpty ? 1 : 0), \(bind: actor), \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return WaterTest(sampledAt: sampledAt, results: results, failed: failed, qualified: failed.isEmpty)
    }

    /// The district's sites with their latest sampling (`district` nil with `id`: one site wherever it is, for the
    /// public page).
    public func sites(district: String?, id: String? = nil) async throws -> [WaterSite] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let district { filter = "\(filter) AND s.district = \(bind: district)" }
            if let id { filter = "\(filter) AND s.id = \(bind: id)" }
            let rows = try await sql.raw("""
                SELECT s.*, t.sampled_at AS t_at, t.results AS t_results FROM supervision_water_site s
                LEFT JOIN supervision_water_test t ON t.id = (SELECT MAX(u.id) FROM supervision_water_test u WHERE u.site_id = s.id
                    AND u.sampled_ms = (SELECT MAX(v.sampled_ms) FROM supervision_water_test v WHERE v.site_id = s.id))
                WHERE \(filter) ORDER BY s.subdistrict, s.name LIMIT 1000
                """).all()
            return try rows.map { row in
                var latest: WaterTest?
                if let at = try row.decode(column: "t_at", as: String?.self), let text = try row.decode(column: "t_results", as: String?.self),
                   let results = try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8)) {
                    let failed = Self.indicators.filter { indicator in results[indicator.code].map { !indicator.passes($0) } ?? true }.map(\.code)
                    latest = WaterTest(sampledAt: at, results: results, failed: failed, qualified: failed.isEmpty)
                }
                return WaterSite(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                                 subdistrict: try row.decode(column: "subdistrict", as: String.self), name: try row.decode(column: "name", as: String.self),
                                 kind: try row.decode(column: "kind", as: String.self), address: try row.decode(column: "address", as: String.self), latest: latest)
            }
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
