import FHIR
import Foundation
import Indicators
import Referral
import Registry
import Storage
import Supervision
import Surveillance

/// 非现场执法: the rules of ``Enforcement/rules`` computed over the other domains' data (the App is where the
/// domains meet), each finding raised once as a case for the inspectors; and the data quality the credit
/// grading weighs, from the indicators.
struct EnforcementRules: Sendable {
    let enforcement: Enforcement
    let surveillance: SurveillanceService
    let store: FHIRStore
    let referral: ReferralService
    let licences: Licences
    let waste: MedicalWaste
    let water: DrinkingWater
    let indicators: IndicatorService

    init(platform: Platform) {
        enforcement = Enforcement(database: platform.database)
        surveillance = SurveillanceService(store: platform.fhir)
        store = platform.fhir
        referral = ReferralService(store: platform.fhir)
        licences = Licences(database: platform.database)
        waste = MedicalWaste(database: platform.database)
        water = DrinkingWater(database: platform.database)
        indicators = IndicatorService.platform(platform)
    }

    static func name(of institution: String) -> String {
        Catalog.institutions.first { $0.id == institution }?.name ?? institution
    }

    /// Every rule's findings in the district today.
    func hits(district: String, today: String = CalendarDay.today()) async throws -> [RuleHit] {
        var hits: [RuleHit] = []
        // Case report cards past their deadline (the card's reporter's institution; no patient data in the case).
        let diseases = Dictionary(try await surveillance.diseases().map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        for card in try await surveillance.reports(district: district, lateOnly: true, limit: 1000) where card.status == "submitted" || card.status == "verified" {
            var organization: String?
            if let reporter = card.reporter { organization = try await DataQualityIndicators.organization(of: reporter, store: store) }
            hits.append(RuleHit(rule: "late-report", key: "late-report:\(card.id)", institution: organization,
                                subject: organization.map(Self.name) ?? "报告医生 \(card.reporter ?? "未知")",
                                detail: "报告卡 \(card.id)（\(diseases[card.disease] ?? card.disease)）诊断于 \(card.diagnosedAt.prefix(16))，报告于 \(card.reportedAt.prefix(16))，超过时限 \(card.deadlineAt.prefix(16))"))
        }
        // Sessions no valid licence covers, one case per practitioner, department and reason.
        let violations = try await SupervisionRoutes.outOfScope(district: district, referral: referral, licences: licences, today: today)
        for (key, group) in Dictionary(grouping: violations, by: { "\($0.reason):\($0.practitioner):\($0.organization):\($0.department)" }).sorted(by: { $0.key < $1.key }) {
            guard let first = group.first else { continue }
            let days = group.map(\.day).sorted()
            let rule = first.reason == "no-licence" ? "practice-without-licence" : "practice-outside-scope"
            hits.append(RuleHit(rule: rule, key: "\(rule):\(key)", institution: first.organization, subject: Self.name(of: first.organization),
                                detail: "执业人员 \(first.practitioner) 在 \(first.department) 出诊 \(days.count) 次（\(days.first ?? "") 至 \(days.last ?? "")），"
                                    + (first.reason == "no-licence" ? "当日无有效医师执业证书" : "超出其执业范围")))
        }
        // An expired institution licence (the alerts leave out those renewed).
        for alert in try await licences.alerts(district: district, on: today) where alert.status == "expired" && alert.licence.holderType == "institution" {
            hits.append(RuleHit(rule: "licence-expired", key: "licence-expired:\(alert.licence.id)", institution: alert.licence.holder, subject: Self.name(of: alert.licence.holder),
                                detail: "\(Licences.kinds[alert.licence.kind]?.1 ?? alert.licence.kind) \(alert.licence.number) 已于 \(alert.licence.validTo) 到期"))
        }
        for alert in try await waste.alerts(district: district) {
            hits.append(RuleHit(rule: "waste-alert", key: "waste-alert:\(alert.id)", institution: alert.institution, subject: Self.name(of: alert.institution),
                                detail: "批次 \(alert.batch) \(MedicalWaste.alertKinds[alert.kind] ?? alert.kind)：\(alert.detail)"))
        }
        for site in try await water.sites(district: district) {
            guard let test = site.latest, !test.qualified else { continue }
            let failed = test.failed.map { code in DrinkingWater.indicators.first { $0.code == code }?.name ?? code }
            hits.append(RuleHit(rule: "water-unqualified", key: "water-unqualified:\(site.id):\(test.sampledAt)", institution: nil, subject: site.name, subdistrict: site.subdistrict,
                                detail: "\(site.address) \(test.sampledAt.prefix(10)) 采样不合格：\(failed.joined(separator: "、"))"))
        }
        hits += try await overDose(district: district, today: today)
        return hits
    }

    /// Prescriptions (MedicationRequest) authored in the last 30 days whose daily dose exceeds their drug's
    /// maximum (`Drugs`), by prescribers of the district's institutions (the requester's PractitionerRole, or the
    /// requesting Organization). Cancelled, draft and entered-in-error ones are left out.
    func overDose(district: String, today: String) async throws -> [RuleHit] {
        var hits: [RuleHit] = []
        var organizations: [String: String?] = [:]
        var search = try SearchRequest(type: "MedicationRequest", query: [("authoredon", "ge\(CalendarDay.shift(today, days: -30))")], definitions: store.definitions, strict: true)
        search.count = 500
        search.wantsTotal = false
        while true {
            let page = try await store.search(search)
            for match in page.matches {
                guard let request = try? JSONValue.parse(Data(match.content.utf8)), !["cancelled", "draft", "entered-in-error"].contains(request["status"]?.stringValue ?? ""),
                      let drug = Drugs.drug(of: request), let daily = Drugs.dailyMilligrams(of: request), daily > drug.maximumDailyMilligrams,
                      let requester = request["requester"]?["reference"]?.stringValue else { continue }
                var organization: String?
                if requester.hasPrefix("Organization/") {
                    organization = String(requester.dropFirst("Organization/".count))
                } else if requester.hasPrefix("Practitioner/") {
                    let practitioner = String(requester.dropFirst("Practitioner/".count))
                    if let known = organizations[practitioner] {
                        organization = known
                    } else {
                        organization = try await DataQualityIndicators.organization(of: practitioner, store: store)
                        organizations[practitioner] = organization
                    }
                }
                guard let organization, Catalog.institutions.contains(where: { $0.id == organization && $0.district == district }) else { continue }
                let amount = daily.rounded() == daily ? String(Int(daily)) : String(format: "%.1f", daily)
                hits.append(RuleHit(rule: "over-dose", key: "over-dose:\(match.id)", institution: organization, subject: Self.name(of: organization),
                                    detail: "处方 MedicationRequest/\(match.id)（\(request["authoredOn"]?.stringValue?.prefix(10) ?? "")，\(requester)）\(drug.name)每日 \(amount) mg，"
                                        + "超过说明书成人最大日剂量 \(Int(drug.maximumDailyMilligrams)) mg"))
            }
            guard page.hasMore else { break }
            search.offset += search.count
        }
        return hits
    }

    /// Runs every rule and opens the new cases; returns their ids.
    func run(district: String) async throws -> [String] {
        try await enforcement.raise(try await hits(district: district), district: district)
    }

    /// The institutions' data quality (%): the mean of their latest data-quality indicator values.
    func dataQuality(district: String) async throws -> [String: Double] {
        let values = try await indicators.latest(district: district).filter { DataQualityIndicators.codes.contains($0.code) && $0.area != district }
        return Dictionary(grouping: values, by: \.area).mapValues { $0.map(\.value).reduce(0, +) / Double($0.count) }
    }

    /// The district's credit records.
    func credit(district: String) async throws -> [CreditRecord] {
        try await enforcement.credit(district: district, dataQuality: try await dataQuality(district: district))
    }
}
