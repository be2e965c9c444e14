import ChronicCare
import Collaboration
import Contracting
import FHIR
import Foundation
import Indicators
import Portal
import Referral
import Registry
import Storage
import Surveillance

// Each domain's contribution to the indicator engine (its `IndicatorSource`), over the domain's own service:
// the domains do not know the engine, and the engine knows them only through the protocol.

/// The breakdowns the sources compute besides the district: 街道, institution (the residents' CHC), sex, age group.
let allBreakdowns = ["subdistrict", "organization", "sex", "age"]

/// Where a breakdown's row goes: the 街道 or institution as the area, or the district with a category.
func breakdownSlot(_ by: String, key: String, district: String) -> (area: String, category: String) {
    switch by {
    case "sex", "age": (district, "\(by):\(key)")
    default: (key, "")
    }
}

/// 家庭医生签约: coverage of all residents and of the key groups, for the district, each 街道, each CHC's residents,
/// each sex and age group.
struct ContractingIndicators: IndicatorSource {
    let contracting: ContractingService
    let definitions = [
        IndicatorDefinition(code: "contract-rate", name: "家庭医生签约覆盖率", unit: "%", domain: "contracting", definition: "签约在约居民数 ÷ 常住居民数",
                            disaggregations: allBreakdowns),
        IndicatorDefinition(code: "key-contract-rate", name: "重点人群签约率", unit: "%", domain: "contracting", definition: "签约在约的重点人群居民 ÷ 重点人群居民",
                            scope: "重点人群"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        for by in allBreakdowns {
            let report = try await contracting.coverage(district: district, by: by, on: day, totals: by == allBreakdowns[0])
            if by == allBreakdowns[0] {
                values += [IndicatorValue.percent("contract-rate", area: district, period: period, report.all.contracted, of: report.all.residents),
                           IndicatorValue.percent("key-contract-rate", area: district, period: period, report.keyPopulation.contracted, of: report.keyPopulation.residents)]
            }
            values += report.rows.filter { !$0.key.isEmpty }.map {
                let slot = breakdownSlot(by, key: $0.key, district: district)
                return IndicatorValue.percent("contract-rate", area: slot.area, category: slot.category, period: period, $0.contracted, of: $0.residents)
            }
        }
        return values.compactMap { $0 }
    }
}

/// 慢病管理: the managed and controlled shares of the hypertension and type 2 diabetes registers.
struct ChronicIndicators: IndicatorSource {
    let chronic: ChronicService
    static let programmes = [("hypertension", "高血压"), ("type2-diabetes", "糖尿病")]
    var definitions: [IndicatorDefinition] {
        Self.programmes.flatMap { code, name in [
            IndicatorDefinition(code: "\(code)-managed", name: "\(name)患者规范管理率", unit: "%", domain: "chronic", definition: "一年内随访 ≥4 次的登记患者 ÷ 登记患者", target: 70,
                                scope: "登记患者", disaggregations: allBreakdowns),
            IndicatorDefinition(code: "\(code)-controlled", name: "\(name)患者控制率", unit: "%", domain: "chronic", definition: "最近一次测量达标的登记患者 ÷ 登记患者", target: 60,
                                scope: "登记患者", disaggregations: allBreakdowns),
        ] }
    }

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        for (programme, _) in Self.programmes {
            for by in ["district"] + allBreakdowns {
                for row in try await chronic.rates(district: district, programme: programme, by: by, on: day) where !row.key.isEmpty {
                    let slot = by == "district" ? (area: district, category: "") : breakdownSlot(by, key: row.key, district: district)
                    values.append(.percent("\(programme)-managed", area: slot.area, category: slot.category, period: period, row.managed, of: row.registered))
                    values.append(.percent("\(programme)-controlled", area: slot.area, category: slot.category, period: period, row.controlled, of: row.registered))
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
        IndicatorDefinition(code: "report-timeliness", name: "传染病报告及时率", unit: "%", domain: "surveillance", definition: "时限内报告的报告卡 ÷ 报告卡（本年）", target: 100,
                            scope: "法定传染病报告卡", nature: "约束性"),
        IndicatorDefinition(code: "vaccination-coverage", name: "免疫规划疫苗接种率", unit: "%", domain: "surveillance", definition: "两年前出生队列已接种剂次 ÷ 应种剂次", target: 95,
                            scope: "适龄儿童", nature: "约束性"),
        IndicatorDefinition(code: "icu-bed-ratio", name: "医院 ICU 床位占床位总数比例", unit: "%", domain: "emergency", definition: "填报医院 ICU 床位 ÷ 实际开放床位",
                            scope: "医疗机构", disaggregations: ["organization"]),
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
        values += readiness.map { IndicatorValue.percent("icu-bed-ratio", area: $0.organization, period: period, $0.icuBeds, of: $0.beds) }
        let beds = resources.filter { $0.kind == "beds" }.map(\.total).reduce(0, +)
        if beds > 0, let population = Catalog.divisions.first(where: { $0.code == district })?.population, population > 0 {
            values.append(IndicatorValue(code: "beds-per-1000", area: district, period: period, value: (Double(beds) * 100_000 / Double(population)).rounded() / 100,
                                         numerator: Double(beds), denominator: Double(population)))
        }
        return values.compactMap { $0 }
    }
}

/// 双向转诊与互认: this year's referral closure, decisions within 48 hours, result recognition, and the community's
/// use of the slots reserved for it.
struct ReferralIndicators: IndicatorSource {
    let referral: ReferralService
    let definitions = [
        IndicatorDefinition(code: "referral-closure", name: "双向转诊闭环率", unit: "%", domain: "referral", definition: "反馈出院小结的转诊 ÷ 已接收转诊（本年）", target: 90,
                            scope: "转诊单"),
        IndicatorDefinition(code: "referral-48h", name: "转诊 48 小时内处理率", unit: "%", domain: "referral", definition: "48 小时内接收或退回的转诊 ÷ 转诊（本年）", target: 95,
                            scope: "转诊单"),
        IndicatorDefinition(code: "result-recognition", name: "检查检验结果互认率", unit: "%", domain: "referral", definition: "互认的检查检验 ÷ 可互认的（互认 + 重复）（本年）",
                            scope: "检查检验"),
        IndicatorDefinition(code: "reserved-slot-use", name: "社区预留号源使用率", unit: "%", domain: "referral",
                            definition: "家庭医生或转诊预约的预留号源 ÷ 为社区预留的号源（近30天开诊）", scope: "预留号源", disaggregations: ["organization"]),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        let from = String(day.prefix(4)) + "-01-01"
        let rates = try await referral.rates(district: district, from: from, to: day)
        let recognition = try await referral.recognitionRate(district: district, from: from, to: day)
        let reserved = try await reservedValues(district: district, day: day, period: period)
        return ([IndicatorValue.percent("referral-closure", area: district, period: period, rates.completed, of: rates.accepted),
                 IndicatorValue.percent("referral-48h", area: district, period: period, rates.decidedWithin48h, of: rates.sent),
                 IndicatorValue.percent("result-recognition", area: district, period: period, recognition.recognised, of: recognition.recognised + recognition.repeated)]
                + reserved).compactMap { $0 }
    }

    /// The reserved slots that opened in the last 30 days, for the district and each hospital.
    func reservedValues(district: String, day: String, period: String) async throws -> [IndicatorValue?] {
        let use = try await referral.reservedSlotUse(district: district, from: CalendarDay.shift(day, days: -29), to: day)
        return [IndicatorValue.percent("reserved-slot-use", area: district, period: period, use.map(\.usedByCommunity).reduce(0, +), of: use.map(\.reserved).reduce(0, +))]
            + use.map { IndicatorValue.percent("reserved-slot-use", area: $0.organization, period: period, $0.usedByCommunity, of: $0.reserved) }
    }
}

/// 数据质量 (the seeds' data-asset centre): per institution, how far its figures can be trusted: its residents'
/// records complete (the CHC's), and its case report cards of the year on time and left unamended by the CDC's
/// review (each reporting institution's, found through the reporter's PractitionerRole).
struct DataQualityIndicators: IndicatorSource {
    let registry: RegistryService
    let surveillance: SurveillanceService
    let store: FHIRStore
    static let codes = ["dq-completeness", "dq-timeliness", "dq-validity"]
    let definitions = [
        IndicatorDefinition(code: "dq-completeness", name: "健康档案完整率", unit: "%", domain: "quality",
                            definition: "必填项（\(RegistryService.requiredFields.joined(separator: "、"))）齐全的居民档案 ÷ 居民档案", target: 95,
                            scope: "社区卫生服务中心居民档案", disaggregations: ["organization"]),
        IndicatorDefinition(code: "dq-timeliness", name: "传染病报告卡及时率（按报告机构）", unit: "%", domain: "quality",
                            definition: "时限内报告的报告卡 ÷ 报告卡（本年，不含重卡）", target: 95, scope: "报告机构", disaggregations: ["organization"]),
        IndicatorDefinition(code: "dq-validity", name: "传染病报告卡准确率", unit: "%", domain: "quality",
                            definition: "经疾控审核未订正、未退回的报告卡 ÷ 已审核报告卡（本年）", target: 95, scope: "报告机构", disaggregations: ["organization"]),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        let records = try await registry.completeness(district: district)
        values.append(.percent("dq-completeness", area: district, period: period, records.map(\.complete).reduce(0, +), of: records.map(\.records).reduce(0, +)))
        values += records.map { IndicatorValue.percent("dq-completeness", area: $0.organization, period: period, $0.complete, of: $0.records) }
        // Cards by reporting institution (a reporter without a role in the directory counts for the district only).
        var byOrganization: [String: (cards: Int, late: Int, reviewed: Int, amended: Int)] = [:]
        var total = (cards: 0, late: 0, reviewed: 0, amended: 0)
        for quality in try await surveillance.reporterQuality(district: district, from: String(day.prefix(4)) + "-01-01") {
            total = (total.cards + quality.cards, total.late + quality.late, total.reviewed + quality.reviewed, total.amended + quality.amended)
            guard let reporter = quality.reporter, let organization = try await Self.organization(of: reporter, store: store) else { continue }
            let sum = byOrganization[organization, default: (0, 0, 0, 0)]
            byOrganization[organization] = (sum.cards + quality.cards, sum.late + quality.late, sum.reviewed + quality.reviewed, sum.amended + quality.amended)
        }
        values.append(.percent("dq-timeliness", area: district, period: period, total.cards - total.late, of: total.cards))
        values.append(.percent("dq-validity", area: district, period: period, total.reviewed - total.amended, of: total.reviewed))
        for (organization, sum) in byOrganization.sorted(by: { $0.key < $1.key }) {
            values.append(.percent("dq-timeliness", area: organization, period: period, sum.cards - sum.late, of: sum.cards))
            values.append(.percent("dq-validity", area: organization, period: period, sum.reviewed - sum.amended, of: sum.reviewed))
        }
        return values.compactMap { $0 }
    }

    /// The organization of a practitioner's first role in the directory.
    static func organization(of practitioner: String, store: FHIRStore) async throws -> String? {
        guard FHIRID.isValid(practitioner) else { return nil }
        var search = try SearchRequest(type: "PractitionerRole", query: [("practitioner", "Practitioner/\(practitioner)")], definitions: store.definitions, strict: true)
        search.count = 1
        guard let match = try await store.search(search).matches.first, let role = try? JSONValue.parse(Data(match.content.utf8)),
              let reference = role["organization"]?["reference"]?.stringValue, reference.hasPrefix("Organization/") else { return nil }
        return String(reference.dropFirst("Organization/".count))
    }
}

/// 15分钟健康服务圈: the shares of residents and of area within a 15-minute walk of a primary-care service point,
/// for the district and each 街道, from the registry's geography (no value before geography is loaded).
struct ServiceCircleIndicators: IndicatorSource {
    let registry: RegistryService
    let definitions = [
        IndicatorDefinition(code: "circle15-residents", name: "15分钟健康服务圈居民覆盖率", unit: "%", domain: "registry",
                            definition: "居住点在基层医疗卫生服务点步行15分钟（直线900米）内的居民 ÷ 居民", target: 90,
                            disaggregations: ["subdistrict"]),
        IndicatorDefinition(code: "circle15-area", name: "15分钟健康服务圈面积覆盖率", unit: "%", domain: "registry",
                            definition: "距基层医疗卫生服务点直线900米内的50米网格 ÷ 辖区内的50米网格",
                            scope: "辖区面积", disaggregations: ["subdistrict"]),
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

/// 服务利用: the share of residents' outpatient visits of the last 365 days made at community institutions
/// (社区门诊量占比, Jinshan's ≥ 40%), for the district and each 街道, from the Registry's visit register.
struct ServiceUseIndicators: IndicatorSource {
    let registry: RegistryService
    let definitions = [
        IndicatorDefinition(code: "community-outpatient-share", name: "社区门诊量占比", unit: "%", domain: "registry",
                            definition: "居民近365天在社区卫生服务机构的门诊人次 ÷ 居民门诊总人次", target: 40, disaggregations: ["subdistrict"]),
        IndicatorDefinition(code: "outpatient-visits-per-resident", name: "居民人均门诊人次（近一年）", unit: "次", domain: "registry",
                            definition: "居民近365天门诊人次 ÷ 建档居民", disaggregations: ["subdistrict"]),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        try await registry.serviceUse(district: district, from: CalendarDay.shift(day, days: -364), to: day).flatMap { use -> [IndicatorValue?] in
            [.percent("community-outpatient-share", area: use.area, period: period, use.communityVisits, of: use.visits),
             use.residents == 0 ? nil : IndicatorValue(code: "outpatient-visits-per-resident", area: use.area, period: period,
                                                       value: (Double(use.visits) * 100 / Double(use.residents)).rounded() / 100,
                                                       numerator: Double(use.visits), denominator: Double(use.residents))]
        }.compactMap { $0 }
    }
}

/// 互联网复诊: of the return visits (复诊) at the district's hospitals over the last 365 days, the share made online
/// (000: 区属公立医院复诊患者中使用互联网诊疗的比例 ≥ 10%; 002: 三级医院 ≥ 10%). Online: the portal's completed return
/// visits; in person: outpatient Encounters the EMR typed as follow-up visits (the visit register's `follow_up`).
struct OnlineReturnVisitIndicators: IndicatorSource {
    let registry: RegistryService
    let visits: ReturnVisits
    let definitions = [
        IndicatorDefinition(code: "online-return-visit-share", name: "复诊患者中使用互联网诊疗的比例", unit: "%", domain: "portal",
                            definition: "近365天本区医院完成的在线复诊 ÷（在线复诊 + 电子病历标记为复诊的门诊）", target: 10, scope: "本区医院复诊人次"),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        let hospitals = Catalog.institutions.filter { $0.district == district && ReturnVisits.hospitalTypes.contains($0.type) }.map(\.id)
        let from = CalendarDay.shift(day, days: -364)
        let online = try await visits.completedCount(institutions: hospitals, from: from, to: day)
        let inPerson = try await registry.returnVisits(organizations: hospitals, from: from, to: day)
        return [IndicatorValue.percent("online-return-visit-share", area: district, period: period, online, of: online + inPerson)].compactMap { $0 }
    }
}

extension IndicatorService {
    /// The engine over every domain's source.
    public static func platform(_ platform: Platform) -> IndicatorService {
        IndicatorService(database: platform.database, sources: [
            ContractingIndicators(contracting: ContractingService(store: platform.fhir)), ChronicIndicators(chronic: ChronicService(store: platform.fhir)),
            SurveillanceIndicators(surveillance: SurveillanceService(store: platform.fhir)), ReferralIndicators(referral: ReferralService(store: platform.fhir)),
            DataQualityIndicators(registry: RegistryService(database: platform.database, fhir: platform.fhir), surveillance: SurveillanceService(store: platform.fhir),
                                  store: platform.fhir),
            ServiceCircleIndicators(registry: RegistryService(database: platform.database, fhir: platform.fhir)),
            ServiceUseIndicators(registry: RegistryService(database: platform.database, fhir: platform.fhir)),
            OnlineReturnVisitIndicators(registry: RegistryService(database: platform.database, fhir: platform.fhir), visits: ReturnVisits(store: platform.fhir)),
            EmergencyIndicators(emergency: Prehospital(database: platform.database), registry: RegistryService(database: platform.database, fhir: platform.fhir)),
        ], store: platform.fhir)
    }
}

/// 智慧急救: the mean response time (call to scene) of the last 30 days for the district and each 街道, the share
/// reached within 12 minutes, ambulances per 10,000 residents (the division's population), and the residents
/// within 3.5 km of a station (once geography is loaded).
struct EmergencyIndicators: IndicatorSource {
    let emergency: Prehospital
    let registry: RegistryService
    let definitions = [
        IndicatorDefinition(code: "emergency-response-minutes", name: "院前急救平均反应时间", unit: "分钟", direction: "down", domain: "emergency",
                            definition: "近30天呼救受理至救护车到达现场的平均分钟数", target: Prehospital.responseTargetMinutes, scope: "急救对象", disaggregations: ["subdistrict"]),
        IndicatorDefinition(code: "emergency-response-within-target", name: "院前急救12分钟到达率", unit: "%", domain: "emergency",
                            definition: "近30天12分钟内到达现场的呼救 ÷ 到达现场的呼救", disaggregations: ["subdistrict"]),
        IndicatorDefinition(code: "ambulances-per-10k", name: "每万人口急救车数量", unit: "辆", domain: "emergency", definition: "登记救护车数 ÷ 常住人口 × 10000", target: 0.36),
        IndicatorDefinition(code: "emergency-coverage-residents", name: "急救站点3.5公里服务半径居民覆盖率", unit: "%", domain: "emergency",
                            definition: "居住点距急救站点直线3.5公里内的居民 ÷ 居民", disaggregations: ["subdistrict"]),
    ]

    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue] {
        var values: [IndicatorValue?] = []
        for times in try await emergency.responseTimes(district: district, from: CalendarDay.shift(day, days: -29), to: day) where times.calls > 0 {
            values.append(times.meanMinutes.map { IndicatorValue(code: "emergency-response-minutes", area: times.area, period: period, value: $0, denominator: Double(times.calls)) })
            values.append(times.withinTargetPercent.map { IndicatorValue(code: "emergency-response-within-target", area: times.area, period: period, value: $0, denominator: Double(times.calls)) })
        }
        let stations = try await emergency.stations(district: district)
        let ambulances = stations.map(\.ambulances.count).reduce(0, +)
        if ambulances > 0, let population = Catalog.divisions.first(where: { $0.code == district })?.population, population > 0 {
            values.append(IndicatorValue(code: "ambulances-per-10k", area: district, period: period, value: (Double(ambulances) * 10_000 / Double(population) * 100).rounded() / 100,
                                         numerator: Double(ambulances), denominator: Double(population)))
        }
        if !stations.isEmpty, let coverage = try await emergency.coverage(district: district, registry: registry) {
            for area in [coverage.total] + coverage.subdistricts {
                values.append(.percent("emergency-coverage-residents", area: area.code, period: period, area.reachedResidents, of: area.residents))
            }
        }
        return values.compactMap { $0 }
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
