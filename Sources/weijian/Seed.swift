import Access
import App
import Contracting
import ArgumentParser
import Foundation
import Indicators
import Referral
import Registry
import Surveillance

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the registries and a deterministic synthetic demo district.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "District code (GB/T 2260): 310105 长宁, 310112 闵行, 310118 青浦, 310116 金山.") var district = "310105"
    @Option(help: "Number of residents to generate.") var residents = 20_000
    @Option(help: "Random seed; the same seed gives the same population.") var randomSeed: UInt64 = 20231

    func run() async throws {
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
        let started = Date()
        do {
            let report = try await seeder.seed(district: district, residents: residents, randomSeed: randomSeed) { made in
                if made % 5000 == 0 { print("  \(made) residents…") }
            }
            let seconds = Date().timeIntervalSince(started)
            print("seeded district \(district): \(report.residents) residents, \(report.resources) resources in \(String(format: "%.1f", seconds)) s")
            let contractsStarted = Date()
            let contracts = try await ContractingService(store: platform.fhir).seedDemo(district: district)
            print("family-doctor contracts: \(contracts) in \(String(format: "%.1f", Date().timeIntervalSince(contractsStarted))) s")
            let cards = try await SurveillanceService(store: platform.fhir).seedDemo(district: district)
            print("infectious disease case reports: \(cards)")
            let doses = try await SurveillanceService(store: platform.fhir).seedDemoVaccinations(district: district)
            print("childhood vaccinations: \(doses) doses")
            try await platform.audit.append([AuditRecord.byOperator("seed", action: "seed", entity: "demo district \(district)",
                                                                  reason: "\(report.residents) synthetic residents, \(report.resources) resources")])
            let schedules = try await ReferralService(store: platform.fhir).seedDemo(district: district)
            print("demo schedules (号源): \(schedules)")
            print("demo emergency resources: \(try await DemoResources.seed(platform: platform, district: district)) rows")
            print("indicator values: \(try await IndicatorService.platform(platform).recompute(district: district))")
            let made = try await DemoAccounts.create(platform: platform, district: district)
            if !made.isEmpty { print("demo accounts (password \(DemoAccounts.password)): \(made.map(\.username).joined(separator: ", "))") }
        } catch {
            await platform.shutdown()
            throw fail("\(error)")
        }
        await platform.shutdown()
    }
}
