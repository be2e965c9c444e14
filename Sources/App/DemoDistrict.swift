import Access
import Collaboration
import Contracting
import FHIR
import Foundation
import Referral
import Registry
import Storage
import Supervision
import Surveillance

/// The demo district's services on top of its residents (`DemoDistrictSeeder`): contracts, case reports,
/// vaccinations, schedules, emergency resources, supervision, and one account per role. `weijian seed` and
/// `weijian serve --demo-residents` both call it; `log` hears one line per step.
public enum DemoDistrict {
    public static func seedServices(platform: Platform, district: String, bcryptCost: UInt8 = 12, log: (String) -> Void) async throws {
        log("family-doctor contracts: \(try await ContractingService(store: platform.fhir).seedDemo(district: district))")
        log("infectious disease case reports: \(try await SurveillanceService(store: platform.fhir).seedDemo(district: district))")
        log("childhood vaccinations: \(try await SurveillanceService(store: platform.fhir).seedDemoVaccinations(district: district)) doses")
        log("schedules (号源): \(try await ReferralService(store: platform.fhir).seedDemo(district: district))")
        log("emergency resources: \(try await DemoResources.seed(platform: platform, district: district)) rows")
        log("supervision cases: \(try await DemoSupervision.seed(platform: platform, district: district))")
        log("emergency calls and critical-care cases: \(try await DemoCollaboration.seed(platform: platform, district: district))")
        log("portal services: \(try await DemoPortal.seed(platform: platform, district: district)) rows")
        let made = try await DemoAccounts.create(platform: platform, district: district, bcryptCost: bcryptCost)
        if !made.isEmpty { log("accounts (password \(DemoAccounts.password)): \(made.map(\.username).joined(separator: ", "))") }
    }
}

/// The demo's sector supervision: licences (one hospital's expired, one CHC's expiring, one hospital's expert
/// sessions without a physician licence), medical-waste batches (one 10% short), drinking-water sites (one failing), two
/// public reports; then the enforcement rules run once and this year's and next year's inspection plans are made
/// from the grades.
/// Returns the cases opened.
enum DemoSupervision {
    static func seed(platform: Platform, district: String) async throws -> Int {
        let licences = Licences(database: platform.database)
        let waste = MedicalWaste(database: platform.database)
        let water = DrinkingWater(database: platform.database)
        let enforcement = Enforcement(database: platform.database)
        let today = CalendarDay.today()
        let hospitals = Catalog.institutions.filter { $0.district == district && ReferralService.hospitalTypes.contains($0.type) }
        let chcs = Catalog.institutions.filter { $0.district == district && $0.type == "chc" }
        // Practice licences: the second hospital's expired ten days ago, the first CHC's expires in 60 days.
        for (index, institution) in (hospitals + chcs).enumerated() {
            let validTo = index == 1 ? CalendarDay.shift(today, days: -10) : institution.id == chcs.first?.id ? CalendarDay.shift(today, days: 60) : "2029-12-31"
            _ = try await licences.register(LicenceForm(holderType: "institution", holder: institution.id, kind: "institution-practice", number: String(format: "PDY%05d%@", index + 1, district),
                                                        scope: [], validFrom: "2019-01-01", validTo: validTo), district: district, actor: "seed")
        }
        // The hospitals' experts are licensed for internal medicine, except the first hospital's (whose sessions
        // then raise a case of practice without a licence).
        for (index, hospital) in hospitals.dropFirst().enumerated() {
            _ = try await licences.register(LicenceForm(holderType: "practitioner", holder: "\(hospital.id)-dr1", kind: "physician", number: String(format: "1103100%05d", index + 1),
                                                        scope: ["internal-medicine"], validFrom: "2015-07-01", validTo: "2030-06-30"), district: district, actor: "seed")
        }
        // Medical waste at the first two CHCs: one batch handed over and disposed as weighed, one 10% short.
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        func at(_ hoursAgo: Double) -> String { formatter.string(from: Date().addingTimeInterval(-hoursAgo * 3600)) }
        for (index, chc) in chcs.prefix(2).enumerated() {
            let batch = try await waste.collect(WasteBatchForm(category: "infectious", weightKg: 24.5, collectedAt: at(30)), institution: chc.id, district: district, actor: "seed")
            let handed = index == 0 ? 24.4 : 22.0
            _ = try await waste.handOver(batch: batch.id, stage: "transfer", weightKg: handed, at: at(20), handler: "上海市固体废物处置有限公司", district: district, institution: chc.id, actor: "seed")
            _ = try await waste.handOver(batch: batch.id, stage: "disposal", weightKg: handed, at: at(10), handler: "上海市固体废物处置有限公司", district: district, institution: nil, actor: "seed")
        }
        // Drinking water: three sites in the first 街道, the last one's latest sampling with coliforms.
        if let place = Catalog.subdistricts(of: district).first {
            for (index, name) in ["\(place.name)社区二次供水水箱", "\(place.name)学校管道直饮水", "\(place.name)老年公寓二次供水水箱"].enumerated() {
                let site = try await water.addSite(district: district, subdistrict: place.code, name: name, kind: index == 1 ? "direct-drinking" : "secondary-supply", address: "\(place.name)示范路 \(index + 1) 号")
                let coliforms: Double = index == 2 ? 2 : 0
                _ = try await water.recordTest(site: site.id, district: district, sampledAt: at(48), results: ["turbidity": 0.4, "colour": 5, "ph": 7.3, "total-coliforms": coliforms,
                                                                                                             "colony-count": 12, "free-chlorine": 0.35], actor: "seed")
            }
            // Two reports from the public.
            _ = try await enforcement.report(ReportForm(kind: "unlicensed-practice", subdistrict: place.code, place: "\(place.name)示范路 88 号底商",
                                                        description: "无招牌诊所为居民输液，疑似无证行医"), channel: "public", district: district, actor: nil)
            if let chc = chcs.last {
                _ = try await enforcement.report(ReportForm(kind: "complaint", subdistrict: place.code, place: chc.name, institution: chc.id,
                                                            description: "配药窗口等候时间过长"), channel: "public", district: district, actor: nil)
            }
        }
        let rules = EnforcementRules(platform: platform)
        let opened = try await rules.run(district: district)
        // This year's plan (what is left of it) and next year's.
        let year = Int(today.prefix(4)) ?? 2026
        for plannedYear in [year, year + 1] {
            _ = try await enforcement.planInspections(district: district, year: plannedYear, credit: try await rules.credit(district: district))
        }
        return opened.count + 2
    }
}

/// The demo's emergency care: an ambulance station beside every third CHC of the synthetic geography, two
/// ambulances each; 24 calls over the last 30 days taken to the hospitals (reached in 7 to 17 minutes); and
/// chest-pain and stroke cases at the first hospital. Returns the calls and cases made.
enum DemoCollaboration {
    static func seed(platform: Platform, district: String) async throws -> Int {
        let emergency = Prehospital(database: platform.database)
        let critical = CriticalCare(database: platform.database)
        let registry = RegistryService(database: platform.database, fhir: platform.fhir)
        guard let geography = try await registry.geography(district: district) else { return 0 }
        let points = geography.servicePoints.filter { $0.type == "chc" }
        var ambulances: [String] = []
        for (index, point) in points.enumerated() where index % 3 == 0 {
            let subdistrict = geography.sites.min { distance($0.location, point.location) < distance($1.location, point.location) }?.subdistrict
                ?? Catalog.subdistricts(of: district).first?.code ?? ""
            let place = Catalog.divisions.first { $0.code == subdistrict }?.name ?? "社区"
            let station = try await emergency.addStation(district: district, name: "\(place)急救分站", subdistrict: subdistrict,
                                                         longitude: point.location.longitude, latitude: point.location.latitude)
            for number in 1...2 {
                ambulances.append(try await emergency.addAmbulance(station: station.id, plate: "沪A·\(district.suffix(3))" + String(format: "%02d%d", index, number), district: district).id)
            }
        }
        let hospitals = Catalog.institutions.filter { $0.district == district && Consultations.hospitalTypes.contains($0.type) }
        let places = Catalog.subdistricts(of: district)
        guard !ambulances.isEmpty, !hospitals.isEmpty, !places.isEmpty else { return 0 }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        let categories = ["chest-pain", "stroke", "trauma", "other", "other", "obstetric"]
        var made = 0
        for index in 0..<24 {
            let received = Date().addingTimeInterval(-Double(30 - index) * 86400 + Double(index % 5) * 3600)
            func at(_ minutes: Double) -> String { formatter.string(from: received.addingTimeInterval(minutes * 60)) }
            let response = Double(7 + (index * 7) % 11)
            let call = try await emergency.receive(district: district, subdistrict: places[index % places.count].code, address: "示范路 \(index + 1) 号",
                                                   longitude: nil, latitude: nil, category: categories[index % categories.count], receivedAt: at(0), actor: "seed")
            _ = try await emergency.dispatch(call.id, ambulance: ambulances[index % ambulances.count], at: at(1), district: district)
            _ = try await emergency.advance(call.id, to: "on-scene", at: at(response), hospital: nil, district: district)
            _ = try await emergency.advance(call.id, to: "leaving", at: at(response + 12), hospital: hospitals[index % hospitals.count].id, district: district)
            _ = try await emergency.advance(call.id, to: "at-hospital", at: at(response + 30), hospital: nil, district: district)
            made += 1
        }
        for index in 0..<12 {
            let door = Date().addingTimeInterval(-Double(60 - 4 * index) * 86400)
            func at(_ minutes: Double) -> String { formatter.string(from: door.addingTimeInterval(minutes * 60)) }
            let times = index % 2 == 0
                ? ["fmc": at(-40), "door": at(0), "ecg": at(Double(5 + index % 9)), "activation": at(20), "wire": at(Double(60 + 5 * index))]
                : ["door": at(0), "ct": at(Double(15 + index)), "needle": at(Double(35 + 3 * index))]
            _ = try await critical.open(hospital: hospitals[0].id, centre: index % 2 == 0 ? "chest-pain" : "stroke", patient: nil, call: nil, times: times, actor: "seed")
            made += 1
        }
        return made
    }

    static func distance(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        let dx = (a.longitude - b.longitude) * cos(a.latitude * .pi / 180), dy = a.latitude - b.latitude
        return dx * dx + dy * dy
    }
}
