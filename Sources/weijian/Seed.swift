import Access
import App
import ArgumentParser
import Foundation
import Indicators
import Registry

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
            try await platform.audit.append([AuditRecord.byOperator("seed", action: "seed", entity: "demo district \(district)",
                                                                  reason: "\(report.residents) synthetic residents, \(report.resources) resources")])
            try await DemoDistrict.seedServices(platform: platform, district: district) { print($0) }
            print("indicator values: \(try await IndicatorService.platform(platform).recompute(district: district))")
        } catch {
            await platform.shutdown()
            throw fail("\(error)")
        }
        await platform.shutdown()
    }
}
