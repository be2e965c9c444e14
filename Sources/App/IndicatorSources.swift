import ChronicCare
import Contracting
import FHIR
import Foundation
import Indicators
import Referral
import Registry
import Storage
import Surveillance

// Each domain's contribution to the indicator engine (its `IndicatorSource`), over the domain's own service:
// the domains do not know the engine, and the engine knows them only through the protocol.

/// 家庭医生签约: coverage of all residents and of the key groups, for the district and each 街道.
struct ContractingIndicators: IndicatorSource {
    let contracting: ContractingService
    let definitions = [
        IndicatorDefinition(code: "contract-rate", name: "家庭医生签约覆盖率", unit: "%", domain: "contracting", definition: "签约在约居民数 ÷ 常住居民数"),
        IndicatorDefinition(code: "key-contract-rate", name: "重点人群签约率", unit: "%", domain: "contracting", definition: "签约在约的重点人群居民 ÷ 重点人群居民"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        let report = try await contracting.coverage(district: district, by: "subdistrict", on: day)
        var values = [IndicatorValue.percent("contract-rate", area: district, period: period, report.all.contracted, of: report.all.residents),
                      IndicatorValue.percent("key-contract-rate", area: district, period: period, report.keyPopulation.contracted, of: report.keyPopulation.residents)]
        values += report.rows.map { IndicatorValue.percent("contract-rate", area: $0.key, period: period, $0.contracted, of: $0.residents) }
        return values.compactMap { $0 }
    }
}

/// 慢病管理: the managed and controlled shares of the hypertension and type 2 diabetes registers.
struct ChronicIndicators: IndicatorSource {
    let chronic: ChronicService
    static let programmes = [("hypertension", "高血压"), ("type2-diabetes", "糖尿病")]
    var definitions: [IndicatorDefinition] {
        Self.programmes.flatMap { code, name in [
            IndicatorDefinition(code: "\(code)-managed", name: "\(name)患者规范管理率", unit: "%", domain: "chronic", definition: "一年内随访 ≥4 次的登记患者 ÷ 登记患者", target: 70),
            IndicatorDefinition(code: "\(code)-controlled", name: "\(name)患者控制率", unit: "%", domain: "chronic", definition: "最近一次测量达标的登记患者 ÷ 登记患者", target: 60),
        ] }
    }

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        for (programme, _) in Self.programmes {
            for (by, isDistrict) in [("district", true), ("subdistrict", false)] {
                for row in try await chronic.rates(district: district, programme: programme, by: by, on: day) {
                    let area = isDistrict ? district : row.key
                    values.append(.percent("\(programme)-managed", area: area, period: period, row.managed, of: row.registered))
                    values.append(.percent("\(programme)-controlled", area: area, period: period, row.controlled, of: row.registered))
                }
            }
        }
        return values.compactMap { $0 }
    }
}

/// 传染病与应急: report timeliness this year, childhood vaccination coverage (the cohort born two years ago),
/// and, from the resources the hospitals report, ICU beds per 100 beds and beds per 1,000 residents.
struct SurveillanceIndicators: IndicatorSource {
    let surveillance: SurveillanceService
    let definitions = [
        IndicatorDefinition(code: "report-timeliness", name: "传染病报告及时率", unit: "%", domain: "surveillance", definition: "时限内报告的报告卡 ÷ 报告卡（本年）", target: 100),
        IndicatorDefinition(code: "vaccination-coverage", name: "免疫规划疫苗接种率", unit: "%", domain: "surveillance", definition: "两年前出生队列已接种剂次 ÷ 应种剂次", target: 95),
        IndicatorDefinition(code: "icu-bed-ratio", name: "医院 ICU 床位占床位总数比例", unit: "%", domain: "emergency", definition: "填报医院 ICU 床位 ÷ 实际开放床位"),
        IndicatorDefinition(code: "beds-per-1000", name: "千人口医疗机构床位数", unit: "张/千人", domain: "emergency", definition: "各机构填报的实际开放床位 ÷ 常住人口 × 1000"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        let timeliness = try await surveillance.timeliness(district: district, from: String(day.prefix(4)) + "-01-01")
        values.append(.percent("report-timeliness", area: district, period: period, timeliness.reports - timeliness.late, of: timeliness.reports))
        let cohort = (Int(day.prefix(4)) ?? 2026) - 2
        let coverage = try await surveillance.vaccinationCoverage(district: district, cohort: cohort, by: "district", on: day)
        values.append(.percent("vaccination-coverage", area: district, period: period, coverage.map(\.vaccinated).reduce(0, +), of: coverage.map(\.eligible).reduce(0, +)))
        let resources = try await surveillance.resources(district: district)
        let readiness = Emergency.readiness(resources)
        values.append(.percent("icu-bed-ratio", area: district, period: period, readiness.map(\.icuBeds).reduce(0, +), of: readiness.map(\.beds).reduce(0, +)))
        let beds = resources.filter { $0.kind == "beds" }.map(\.total).reduce(0, +)
        if beds > 0, let population = Catalog.divisions.first(where: { $0.code == district })?.population, population > 0 {
            values.append(IndicatorValue(code: "beds-per-1000", area: district, period: period, value: (Double(beds) * 100_000 / Double(population)).rounded() / 100,
                                         numerator: Double(beds), denominator: Double(population)))
        }
        return values.compactMap { $0 }
    }
}

/// 双向转诊与互认: this year's referral closure, decisions within 48 hours, and result recognition.
struct ReferralIndicators: IndicatorSource {
    let referral: ReferralService
    let definitions = [
        IndicatorDefinition(code: "referral-closure", name: "双向转诊闭环率", unit: "%", domain: "referral", definition: "反馈出院小结的转诊 ÷ 已接收转诊（本年）", target: 90),
        IndicatorDefinition(code: "referral-48h", name: "转诊 48 小时内处理率", unit: "%", domain: "referral", definition: "48 小时内接收或退回的转诊 ÷ 转诊（本年）", target: 95),
        IndicatorDefinition(code: "result-recognition", name: "检查检验结果互认率", unit: "%", domain: "referral", definition: "互认的检查检验 ÷ 可互认的（互认 + 重复）（本年）"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        let from = String(day.prefix(4)) + "-01-01"
        let rates = try await referral.rates(district: district, from: from, to: day)
        let recognition = try await referral.recognitionRate(district: district, from: from, to: day)
        return [IndicatorValue.percent("referral-closure", area: district, period: period, rates.completed, of: rates.accepted),
                IndicatorValue.percent("referral-48h", area: district, period: period, rates.decidedWithin48h, of: rates.sent),
                IndicatorValue.percent("result-recognition", area: district, period: period, recognition.recognised, of: recognition.recognised + recognition.repeated)].compactMap { $0 }
    }
}

/// 15分钟健康服务圈: the shares of residents and of area within a 15-minute walk of a primary-care service point,
/// for the district and each 街道, from the registry's geography (no value before geography is loaded).
struct ServiceCircleIndicators: IndicatorSource {
    let registry: RegistryService
    let definitions = [
        IndicatorDefinition(code: "circle15-residents", name: "15分钟健康服务圈居民覆盖率", unit: "%", domain: "registry",
                            definition: "居住点在基层医疗卫生服务点步行15分钟（直线900米）内的居民 ÷ 居民", target: 90),
        IndicatorDefinition(code: "circle15-area", name: "15分钟健康服务圈面积覆盖率", unit: "%", domain: "registry",
                            definition: "距基层医疗卫生服务点直线900米内的50米网格 ÷ 辖区内的50米网格"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        guard let report = try await registry.serviceCircle(district: district)?.report else { return [] }
        // The area's numerator and denominator are 50 m grid cells (0.0025 km² each).
        return ([report.total] + report.subdistricts).flatMap { area in
            [IndicatorValue.percent("circle15-residents", area: area.code, period: period, area.reachedResidents, of: area.residents),
             IndicatorValue.percent("circle15-area", area: area.code, period: period, area.reachedCells, of: area.cells)]
        }.compactMap { $0 }
    }
}

extension IndicatorService {
    /// The engine over every domain's source.
    public static func platform(_ platform: Platform) -> IndicatorService {
        IndicatorService(database: platform.database, sources: [
            ContractingIndicators(contracting: ContractingService(store: platform.fhir)), ChronicIndicators(chronic: ChronicService(store: platform.fhir)),
            SurveillanceIndicators(surveillance: SurveillanceService(store: platform.fhir)), ReferralIndicators(referral: ReferralService(store: platform.fhir)),
            ServiceCircleIndicators(registry: RegistryService(database: platform.database, fhir: platform.fhir)),
        ], store: platform.fhir)
    }
}

/// The demo district's resources (beds, ICU beds, fever clinics, stockpiles), as its hospitals and CHCs would
/// report them, so that the emergency pages and the bed indicators have figures. Deterministic.
public enum DemoResources {
    @discardableResult
    public static func seed(platform: Platform, district: String) async throws -> Int {
        let surveillance = SurveillanceService(store: platform.fhir)
        var rows = 0
        let institutions = Catalog.institutions.filter { $0.district == district && ["hospital", "tcm-hospital", "maternal-child", "chc"].contains($0.type) }
        for (index, institution) in institutions.enumerated() {
            let levels: [ResourceLevel]
            if institution.type == "chc" {
                levels = [("beds", 40 + 10 * (index % 4), 8), ("fever-clinics", 1, 1), ("n95", 2000, 1600), ("protective-suits", 300, 260), ("test-kits", 1000, 900)]
                    .map { ResourceLevel(organization: institution.id, kind: $0.0, total: $0.1, available: $0.2) }
            } else {
                let beds = institution.level == "tertiary" ? 1200 : 500 + 100 * (index % 3)
                // The large hospitals meet the 10% ICU share; the smaller ones fall short (as a plan's target would show).
                let icu = institution.level == "tertiary" ? beds / 9 : beds * 6 / 100
                levels = [("beds", beds, beds / 12), ("icu-beds", icu, icu / 5), ("convertible-icu-beds", beds / 10, beds / 10), ("negative-pressure-rooms", 12, 5),
                          ("fever-clinics", 4, 2), ("ambulances", 3, 2), ("n95", 20_000, 15_000), ("protective-suits", 5_000, 4_200), ("test-kits", 50_000, 41_000)]
                    .map { ResourceLevel(organization: institution.id, kind: $0.0, total: $0.1, available: $0.2) }
            }
            rows += try await surveillance.recordResources(levels, organization: institution.id, district: district, actor: "seed")
        }
        return rows
    }
}
