public import FHIR
import Foundation
import SQLKit
public import Storage

/// The registries (注册库): divisions, institutions and the master patient index.
public struct RegistryService: Sendable {
    /// The database holding the registry tables.
    public let database: Database
    /// The FHIR store where institutions are published as Organization and divisions as Location.
    public let fhir: FHIRStore

    /// The identifier system of institution ids.
    public static let institutionSystem = "https://weijian.health/sid/institution"
    /// The code system of division codes (GB/T 2260 and 街道 codes).
    public static let divisionSystem = "https://weijian.health/sid/gb-t-2260"

    /// Creates the service.
    public init(database: Database, fhir: FHIRStore) {
        self.database = database
        self.fhir = fhir
    }

    /// Loads the shipped divisions and institutions into the registry tables and the FHIR store.
    /// Idempotent: running it again changes nothing that is already current.
    public func loadCatalog() async throws {
        try await fhir.write { writer in
            let sql = writer.sql
            for division in Catalog.divisions {
                try await sql.raw("""
                    INSERT INTO registry_division (code, name, level, parent_code, population, area_km2)
                    VALUES (\(bind: division.code), \(bind: division.name), \(bind: division.level), \(bind: division.parent), \(bind: division.population), \(bind: division.areaKm2))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
                        population = excluded.population, area_km2 = excluded.area_km2
                    """).run()
            }
            for institution in Catalog.institutions {
                try await sql.raw("""
                    INSERT INTO registry_institution (id, name, short_name, type, level, district_code, parent_id, roles, source)
                    VALUES (\(bind: institution.id), \(bind: institution.name), \(bind: institution.shortName), \(bind: institution.type), \(bind: institution.level),
                            \(bind: institution.district), \(bind: institution.parent), \(bind: (institution.roles ?? []).joined(separator: ",")), \(bind: institution.source))
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name, type = excluded.type, level = excluded.level,
                        district_code = excluded.district_code, parent_id = excluded.parent_id, roles = excluded.roles, source = excluded.source
                    """).run()
                try await sql.raw("DELETE FROM registry_catchment WHERE institution_id = \(bind: institution.id)").run()
                for code in institution.catchment {
                    try await sql.raw("INSERT INTO registry_catchment (institution_id, division_code) VALUES (\(bind: institution.id), \(bind: code))").run()
                }
            }
            let divisionsByCode = Dictionary(uniqueKeysWithValues: Catalog.divisions.map { ($0.code, $0) })
            for division in Catalog.divisions {
                try await publish(Self.location(for: division), type: "Location", id: "div-\(division.code)", writer: writer)
            }
            // Parents before children, so every partOf reference resolves.
            for institution in Self.parentsFirst(Catalog.institutions) {
                try await publish(Self.organization(for: institution, divisions: divisionsByCode), type: "Organization", id: institution.id, writer: writer)
            }
        }
    }

    private func publish(_ resource: JSONValue, type: String, id: String, writer: FHIRWriter) async throws {
        if let row = try await writer.sql.raw("SELECT content FROM fhir_resource WHERE res_type = \(bind: type) AND res_id = \(bind: id) AND deleted = 0").first() {
            var current = try writer.openContent(try row.decode(column: "content", as: String.self), type: type)
            current["meta"] = nil
            if current == resource { return }
        }
        _ = try await writer.update(resource, type: type, id: id, ifMatch: nil)
    }

    static func parentsFirst(_ institutions: [Institution]) -> [Institution] {
        let byID = Dictionary(uniqueKeysWithValues: institutions.map { ($0.id, $0) })
        func depth(_ institution: Institution) -> Int {
            var depth = 0
            var current = institution
            while let parent = current.parent, let next = byID[parent], depth < 10 {
                depth += 1
                current = next
            }
            return depth
        }
        return institutions.sorted { (depth($0), $0.id) < (depth($1), $1.id) }
    }

    static func location(for division: Division) -> JSONValue {
        var location: [String: JSONValue] = [
            "resourceType": .string("Location"),
            "id": .string("div-\(division.code)"),
            "identifier": .array([.object(["system": .string(divisionSystem), "value": .string(division.code)])]),
            "status": .string("active"),
            "name": .string(division.name),
            "mode": .string("instance"),
            "physicalType": .object(["coding": .array([.object([
                "system": .string("http://terminology.hl7.org/CodeSystem/location-physical-type"),
                "code": .string("jdn"), "display": .string("Jurisdiction"),
            ])])]),
            "type": .array([.object(["coding": .array([.object([
                "system": .string("https://weijian.health/CodeSystem/division-level"), "code": .string(division.level),
            ])])])]),
        ]
        if let parent = division.parent {
            location["partOf"] = .object(["reference": .string("Location/div-\(parent)")])
        }
        return .object(location)
    }

    static func organization(for institution: Institution, divisions: [String: Division]) -> JSONValue {
        var organization: [String: JSONValue] = [
            "resourceType": .string("Organization"),
            "id": .string(institution.id),
            "identifier": .array([.object(["system": .string(institutionSystem), "value": .string(institution.id)])]),
            "active": .bool(true),
            "name": .string(institution.name),
            "type": .array([.object(["coding": .array([.object([
                "system": .string("https://weijian.health/CodeSystem/institution-type"),
                "code": .string(institution.type),
                "display": .string(Catalog.typeNames[institution.type] ?? institution.type),
            ])])])]),
            "address": .array([.object([
                "city": .string("上海市"),
                "district": .string(divisions[institution.district]?.name ?? institution.district),
                "country": .string("CN"),
            ])]),
        ]
        if let shortName = institution.shortName { organization["alias"] = .array([.string(shortName)]) }
        if let parent = institution.parent { organization["partOf"] = .object(["reference": .string("Organization/\(parent)")]) }
        return .object(organization)
    }

    /// Divisions under a parent code (or all when nil).
    public func divisions(parent: String?) async throws -> [Division] {
        try await database.read { sql in
            let query: SQLQueryString = parent.map { "SELECT * FROM registry_division WHERE parent_code = \(bind: $0) ORDER BY code" }
                ?? "SELECT * FROM registry_division ORDER BY code"
            return try await sql.raw(query).all().map { row in
                Division(
                    code: try row.decode(column: "code", as: String.self), name: try row.decode(column: "name", as: String.self),
                    level: try row.decode(column: "level", as: String.self), parent: try row.decode(column: "parent_code", as: String?.self),
                    population: try row.decode(column: "population", as: Int?.self), areaKm2: try row.decode(column: "area_km2", as: Double?.self)
                )
            }
        }
    }

    /// Institutions of a district, optionally of one type, with their catchments.
    public func institutions(district: String?, type: String?) async throws -> [Institution] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT * FROM registry_institution WHERE 1 = 1")
            if let district { query = query + " AND district_code = \(bind: district)" }
            if let type { query = query + " AND type = \(bind: type)" }
            query = query + " ORDER BY district_code, type, id"
            let rows = try await sql.raw(query).all()
            var catchments: [String: [String]] = [:]
            for row in try await sql.raw("SELECT institution_id, division_code FROM registry_catchment ORDER BY division_code").all() {
                catchments[try row.decode(column: "institution_id", as: String.self), default: []].append(try row.decode(column: "division_code", as: String.self))
            }
            return try rows.map { row in
                let id = try row.decode(column: "id", as: String.self)
                let roles = try row.decode(column: "roles", as: String.self)
                return Institution(
                    id: id, name: try row.decode(column: "name", as: String.self), shortName: try row.decode(column: "short_name", as: String?.self),
                    type: try row.decode(column: "type", as: String.self), level: try row.decode(column: "level", as: String?.self),
                    district: try row.decode(column: "district_code", as: String.self), parent: try row.decode(column: "parent_id", as: String?.self),
                    catchment: catchments[id] ?? [], roles: roles.isEmpty ? [] : roles.split(separator: ",").map(String.init),
                    source: try row.decode(column: "source", as: String?.self)
                )
            }
        }
    }
}

extension RegistryService {
    /// The districts with residents in the resident directory.
    public func districtsWithResidents() async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT DISTINCT district FROM registry_resident WHERE district IS NOT NULL ORDER BY district").all().map { try $0.decode(column: "district", as: String.self) }
        }
    }
}

/// One bar of a population pyramid: residents of a sex in a five-year age group.
public struct PyramidBar: Sendable, Codable, Equatable {
    /// The group's lower age (0, 5, …, 85 for 85 and over).
    public var age: Int
    /// `male`, `female` (others are not drawn).
    public var sex: String
    public var residents: Int
}

extension RegistryService {
    /// The population pyramid of a district or one of its 街道 on `day`, from the active residents of the
    /// directory: five-year groups up to 85 and over.
    public func pyramid(district: String, subdistrict: String?, on day: String) async throws -> [PyramidBar] {
        let year = Int(day.prefix(4)) ?? 2026
        return try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district) AND active = 1 AND birth_date IS NOT NULL AND gender IN ('male', 'female')"
            if let subdistrict { filter = "\(filter) AND subdistrict = \(bind: subdistrict)" }
            var bars: [String: Int] = [:]
            for row in try await sql.raw("SELECT SUBSTR(birth_date, 1, 4) AS y, gender, COUNT(*) AS n FROM registry_resident WHERE \(filter) GROUP BY SUBSTR(birth_date, 1, 4), gender").all() {
                guard let born = Int(try row.decode(column: "y", as: String.self)) else { continue }
                let group = min(85, max(0, year - born) / 5 * 5)
                bars["\(group)|\(try row.decode(column: "gender", as: String.self))", default: 0] += try row.decode(column: "n", as: Int.self)
            }
            return stride(from: 0, through: 85, by: 5).flatMap { age in
                ["male", "female"].map { PyramidBar(age: age, sex: $0, residents: bars["\(age)|\($0)"] ?? 0) }
            }
        }
    }
}

/// The age groups indicators are broken down by (年龄组), by age reached in the year (the year minus the birth
/// year, as the pyramid counts): children, young adults, the middle-aged (when chronic disease screening
/// begins in earnest) and the elderly (65 and over, the plans' 老年人).
public enum AgeGroup {
    /// Label and lowest age of each group, youngest first.
    public static let groups: [(label: String, from: Int)] = [("0-17", 0), ("18-44", 18), ("45-64", 45), ("65+", 65)]

    /// The group of someone born in `birthYear`, in `year`.
    public static func label(birthYear: Int, in year: Int) -> String {
        let age = max(0, year - birthYear)
        return groups.last { age >= $0.from }?.label ?? groups[0].label
    }

    /// The SQL expression of the birth year of `alias.birth_date` (`YYYY-MM-DD`), to group by and fold with ``label(birthYear:in:)``.
    public static func birthYear(_ alias: String) -> String { "SUBSTR(\(alias).birth_date, 1, 4)" }
}

/// How complete one CHC's residents' records are (档案完整率): the records that carry every field the platform
/// relies on, of all its residents' records.
public struct RecordCompleteness: Sendable, Codable, Equatable {
    /// The CHC responsible for the residents.
    public var organization: String
    public var records: Int
    public var complete: Int
}

extension RegistryService {
    /// The fields a complete record has: birth date, sex, 街道 and family doctor in the directory; ID number and
    /// mobile number in the master patient index (checked for presence only; they stay encrypted).
    public static let requiredFields = ["出生日期", "性别", "街道", "家庭医生", "身份证号", "手机号"]

    /// Per CHC of the district, its residents' records and how many are complete.
    public func completeness(district: String) async throws -> [RecordCompleteness] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT r.organization_id AS o, COUNT(*) AS n,
                    SUM(CASE WHEN r.birth_date IS NOT NULL AND r.gender IN ('male', 'female') AND r.subdistrict IS NOT NULL AND r.practitioner_id IS NOT NULL
                        AND m.id_number_hash IS NOT NULL AND m.phone_hash IS NOT NULL THEN 1 ELSE 0 END) AS complete
                FROM registry_resident r LEFT JOIN mpi_person m ON m.patient_id = r.patient_id
                WHERE r.district = \(bind: district) AND r.active = 1 AND r.organization_id IS NOT NULL
                GROUP BY r.organization_id ORDER BY r.organization_id
                """).all().map {
                RecordCompleteness(organization: try $0.decode(column: "o", as: String.self), records: try $0.decode(column: "n", as: Int.self),
                                   complete: try $0.decode(column: "complete", as: Int?.self) ?? 0)
            }
        }
    }
}
