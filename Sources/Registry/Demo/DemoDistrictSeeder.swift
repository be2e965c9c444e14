import FHIR
import Foundation
import SQLKit
import Storage
import Synchronization

/// Builds a deterministic synthetic population for a district (演示辖区): households across the
/// real 街道 weighted by population, residents with well-formed fictional ID numbers, family doctors
/// and clinicians at the real institutions, and five years of encounters, ICD-10 diagnoses,
/// blood pressure and glucose readings with realistic prevalence.
///
/// Prevalence used (adults): hypertension 10% (18–44), 30% (45–59), 55% (60+), about 27% overall;
/// type 2 diabetes 3%, 12%, 20%.
public struct DemoDistrictSeeder: Sendable {
    public let store: FHIRStore
    public let registry: RegistryService

    /// What a seeding produced.
    public struct Report: Sendable {
        public var residents: Int
        public var resources: Int
    }

    /// Creates a seeder.
    public init(store: FHIRStore, registry: RegistryService) {
        self.store = store
        self.registry = registry
    }

    /// True when the database already holds residents.
    public func isSeeded() async throws -> Bool {
        try await store.database.read { sql in
            try await sql.raw("SELECT res_id FROM fhir_resource WHERE res_type = 'Patient' LIMIT 1").first() != nil
        }
    }

    /// A seeding request names a district the catalogue does not know.
    public struct UnknownDistrict: Error, CustomStringConvertible {
        public let description: String
    }

    /// Seeds `residents` residents into `district`. The same seed always gives the same population.
    public func seed(district: String, residents: Int, randomSeed: UInt64 = 20231, batchSize: Int = 250, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Report {
        try await registry.loadCatalog()
        let subdistricts = Catalog.subdistricts(of: district)
        guard !subdistricts.isEmpty else {
            let known = Set(Catalog.divisions.filter { $0.level == "subdistrict" }.compactMap(\.parent)).sorted()
            throw UnknownDistrict(description: "district \(district) has no 街道 in the catalogue; seeded districts: \(known.joined(separator: ", "))")
        }
        let institutions = Catalog.institutions.filter { $0.district == district }
        var random = SeededGenerator(seed: randomSeed ^ (UInt64(district) ?? 0))
        let plan = DemoPlan(district: district, subdistricts: subdistricts, institutions: institutions)
        let staff = try await store.write { writer in
            try await plan.writeStaff(writer: writer, random: &random)
        }
        let resources = try await seedResidents(plan: plan, from: 0, count: residents, randomSeed: randomSeed, batchSize: batchSize, progress: progress)
        try await seedGeography(district: district)
        return Report(residents: residents, resources: staff + resources)
    }

    /// Writes residents `start..<start+count` of the district's demo population (staff and catalogue must be there:
    /// ``seedStaff(district:randomSeed:)``), as ``seed(district:residents:randomSeed:batchSize:progress:)`` does: prepared
    /// outside the transactions, written through the store's writer with every write hook. Returns the resources written.
    public func seedResidents(district: String, from start: Int, count: Int, randomSeed: UInt64 = 20231, batchSize: Int = 250,
                              progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        try await seedResidents(plan: try plan(for: district), from: start, count: count, randomSeed: randomSeed, batchSize: batchSize, progress: progress)
    }

    private func seedResidents(plan: DemoPlan, from first: Int, count residents: Int, randomSeed: UInt64, batchSize: Int,
                               progress: (@Sendable (Int) -> Void)?) async throws -> Int {
        // Batches are generated and prepared (validated, indexed) outside the transaction by two
        // workers, so one prepares while the other writes. Each batch has its own seed: the
        // population does not depend on the order in which batches commit.
        let batches = (residents + batchSize - 1) / batchSize
        let store = self.store
        let next = BatchCounter()
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var written = 0
                    while let batch = next.take(below: batches) {
                        let start = first + batch * batchSize
                        let count = min(batchSize, first + residents - start)
                        var batchRandom = SeededGenerator(seed: randomSeed &+ UInt64(start / batchSize) &* 0x9E37_79B9_7F4A_7C15)
                        let timestamp = WriteTimestamp()
                        let prepared = try plan.residents(from: start, count: count, random: &batchRandom).flatMap { $0 }.map {
                            try store.preparer.prepareCreate($0.content, id: $0.id, timestamp: timestamp)
                        }
                        written += try await store.write { writer in
                            for resource in prepared { _ = try await writer.insert(resource) }
                            return prepared.count
                        }
                        progress?(start + count)
                    }
                    return written
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Loads the district's synthetic demo geography (``DemoGeography``) unless it already has geography
    /// (a real one is never replaced). Returns whether it loaded.
    @discardableResult
    public func seedGeography(district: String, randomSeed: UInt64 = 20231) async throws -> Bool {
        guard try await registry.geography(district: district) == nil, let document = DemoGeography.document(district: district, randomSeed: randomSeed) else { return false }
        try await registry.store(try document.validated(district: district, synthetic: true), by: "seed")
        return true
    }
}

/// Hands out batch numbers to the seeding workers.
final class BatchCounter: Sendable {
    private let next = Mutex(0)

    /// The next batch number, or nil when all `count` are taken.
    func take(below count: Int) -> Int? {
        next.withLock { value in
            guard value < count else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

extension DemoDistrictSeeder {
    /// Loads the catalogue and the district's staff only (what resident records refer to).
    public func seedStaff(district: String, randomSeed: UInt64 = 20231) async throws {
        try await registry.loadCatalog()
        let plan = try plan(for: district)
        var random = SeededGenerator(seed: randomSeed)
        _ = try await store.write { writer in try await plan.writeStaff(writer: writer, random: &random) }
    }

    private func plan(for district: String) throws -> DemoPlan {
        let subdistricts = Catalog.subdistricts(of: district)
        guard !subdistricts.isEmpty else { throw UnknownDistrict(description: "district \(district) has no 街道 in the catalogue") }
        return DemoPlan(district: district, subdistricts: subdistricts, institutions: Catalog.institutions.filter { $0.district == district })
    }

    /// The demo residents as FHIR transaction Bundles of `residentsPerBundle` residents each, as an EMR would send them:
    /// every resource a POST with a `urn:uuid:` fullUrl, references between them by those URNs.
    /// Staff and institutions are referenced by id and must exist (``seedStaff(district:randomSeed:)``).
    public func transactionBundles(district: String, residents: Int, residentsPerBundle: Int = 1, randomSeed: UInt64 = 7) throws -> [JSONValue] {
        let plan = try plan(for: district)
        var random = SeededGenerator(seed: randomSeed)
        let people = plan.residents(from: 0, count: residents, random: &random)
        let size = max(1, residentsPerBundle)
        let groups = stride(from: 0, to: people.count, by: size).map { Array(people[$0..<min(people.count, $0 + size)].joined()) }
        return groups.map { resources in
            var urns: [String: String] = [:]
            for resource in resources {
                urns["\(resource.type)/\(resource.id)"] = "urn:uuid:" + UUID(seeded: &random).uuidString.lowercased()
            }
            let entries: [JSONValue] = resources.map { resource in
                .object([
                    "fullUrl": .string(urns["\(resource.type)/\(resource.id)"] ?? ""),
                    "resource": Self.replacingReferences(resource.content, with: urns),
                    "request": .object(["method": .string("POST"), "url": .string(resource.type)]),
                ])
            }
            return .object(["resourceType": .string("Bundle"), "type": .string("transaction"), "entry": .array(entries)])
        }
    }

    static func replacingReferences(_ value: JSONValue, with urns: [String: String]) -> JSONValue {
        switch value {
        case .object(var members):
            if let reference = members["reference"]?.stringValue, let urn = urns[reference] {
                members["reference"] = .string(urn)
            }
            for (key, member) in members where key != "reference" {
                members[key] = replacingReferences(member, with: urns)
            }
            return .object(members)
        case .array(let items):
            return .array(items.map { replacingReferences($0, with: urns) })
        default:
            return value
        }
    }
}

extension UUID {
    /// A version-4-shaped UUID from a seeded generator (deterministic demo data).
    init(seeded random: inout SeededGenerator) {
        let a = random.next()
        let b = random.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: a >> (8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: b >> (8 * index))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        self.init(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
