import FHIR
import Foundation
import Registry
import SQLKit

/// One line of a coverage table: residents, those with a contract in force, and the rate.
public struct CoverageRow: Sendable, Codable, Equatable {
    /// What the line is about: a 街道 code, a CHC or doctor id, a key group, or `all`/`key`.
    public var key: String
    /// Its Chinese name.
    public var label: String
    /// Residents counted (for a doctor: their places).
    public var residents: Int
    /// Of them, with a contract in force on the day.
    public var contracted: Int
    /// contracted / residents, in percent with one decimal (0 when there is nobody).
    public var percent: Double
    /// The plan's target in percent, where the plan sets one.
    public var target: Int?

    init(key: String, label: String, residents: Int, contracted: Int, target: Int? = nil) {
        self.key = key
        self.label = label
        self.residents = residents
        self.contracted = contracted
        self.percent = residents == 0 ? 0 : (Double(contracted * 1000 / residents) / 10)
        self.target = target
    }
}

/// Coverage of a district on a day (签约覆盖率), by 街道, CHC, doctor or key group, beside the plan's targets.
public struct CoverageReport: Sendable, Codable, Equatable {
    public var district: String
    public var asOf: String
    public var by: String
    /// The whole resident population (全人群).
    public var all: CoverageRow
    /// Residents in at least one key group (重点人群).
    public var keyPopulation: CoverageRow
    public var rows: [CoverageRow]
}

/// One point of the coverage over time.
public struct CoveragePoint: Sendable, Codable, Equatable {
    public var day: String
    public var all: CoverageRow
    public var keyPopulation: CoverageRow
}

extension ContractingService {
    /// The ways a coverage table can be cut.
    public static let coverageDimensions = ["subdistrict", "organization", "doctor", "group", "sex", "age"]

    /// The coverage of `district` on `day`, cut `by` one of ``coverageDimensions``. `totals: false` leaves the
    /// whole population's and the key groups' lines at zero, for a caller that cuts the same day several ways
    /// and has them from the first cut (each is a count over every resident).
    public func coverage(district: String, by: String, on day: String = today(), totals: Bool = true) async throws -> CoverageReport {
        guard Self.coverageDimensions.contains(by) else {
            throw FHIRError.badRequest("by 须为 \(Self.coverageDimensions.joined(separator: "、")) 之一")
        }
        guard FHIRDateRange.parse(day) != nil, day.count == 10 else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD，如 2026-06-30") }
        return try await database.read { sql in
            let targets = try await Self.targets(district: district, sql: sql)
            let all = totals ? try await Self.count(district: district, day: day, group: nil, sql: sql) : CoverageRow(key: "all", label: "全人群", residents: 0, contracted: 0)
            let key = totals ? try await Self.count(district: district, day: day, group: .some(nil), sql: sql) : CoverageRow(key: "key", label: "重点人群", residents: 0, contracted: 0)
            var rows: [CoverageRow] = []
            switch by {
            case "subdistrict", "organization", "sex", "age":
                let column = switch by {
                case "subdistrict": "r.subdistrict"
                case "organization": "r.organization_id"
                case "sex": "r.gender"
                default: AgeGroup.birthYear("r")
                }
                var folded: [String: (residents: Int, contracted: Int)] = [:]
                for row in try await sql.raw("""
                    SELECT \(unsafeRaw: column) AS k, COUNT(DISTINCT r.patient_id) AS residents, COUNT(DISTINCT c.patient_id) AS contracted
                    FROM registry_resident r LEFT JOIN contract_agreement c ON c.patient_id = r.patient_id AND \(Self.inForce("c", day))
                    WHERE r.active = 1 AND r.district = \(bind: district) AND r.birth_date <= \(bind: day)
                    GROUP BY \(unsafeRaw: column) ORDER BY \(unsafeRaw: column)
                    """).all() {
                    var code = try row.decode(column: "k", as: String?.self) ?? ""
                    if by == "age" { code = Int(code).map { AgeGroup.label(birthYear: $0, in: Int(day.prefix(4)) ?? 0) } ?? "" }
                    let counts = (try row.decode(column: "residents", as: Int.self), try row.decode(column: "contracted", as: Int.self))
                    folded[code, default: (0, 0)].residents += counts.0
                    folded[code, default: (0, 0)].contracted += counts.1
                }
                let order = by == "age" ? AgeGroup.groups.map(\.label) : folded.keys.sorted()
                for code in order {
                    guard let counts = folded[code] else { continue }
                    let label = switch by {
                    case "subdistrict": Catalog.divisions.first { $0.code == code }?.name ?? code
                    case "organization": Catalog.institutions.first { $0.id == code }?.name ?? code
                    case "sex": code == "male" ? "男" : code == "female" ? "女" : "未说明"
                    default: code.isEmpty ? "未说明" : "\(code) 岁"
                    }
                    rows.append(CoverageRow(key: code, label: label, residents: counts.residents, contracted: counts.contracted, target: targets["all"]))
                }
            case "doctor":
                for row in try await sql.raw("""
                    SELECT d.practitioner_id AS k, d.organization_id AS o, d.capacity AS capacity, COUNT(DISTINCT c.patient_id) AS contracted
                    FROM contract_doctor d LEFT JOIN contract_agreement c ON c.practitioner_id = d.practitioner_id AND \(Self.inForce("c", day))
                    WHERE d.district = \(bind: district) GROUP BY d.practitioner_id, d.organization_id, d.capacity ORDER BY d.practitioner_id
                    """).all() {
                    let organization = try row.decode(column: "o", as: String.self)
                    rows.append(CoverageRow(key: try row.decode(column: "k", as: String.self),
                                            label: Catalog.institutions.first { $0.id == organization }?.shortName ?? organization,
                                            residents: try row.decode(column: "capacity", as: Int.self), contracted: try row.decode(column: "contracted", as: Int.self)))
                }
            default:
                for group in KeyGroup.allCases {
                    var line = try await Self.count(district: district, day: day, group: .some(group), sql: sql)
                    line.key = group.rawValue
                    line.label = group.label
                    line.target = targets[group.rawValue] ?? targets["key"]
                    rows.append(line)
                }
            }
            var allRow = all
            allRow.target = targets["all"]
            var keyRow = key
            keyRow.target = targets["key"]
            return CoverageReport(district: district, asOf: day, by: by, all: allRow, keyPopulation: keyRow, rows: rows)
        }
    }

    /// The district's coverage at the end of each of the last `months` months (the current month up to today).
    public func coverageSeries(district: String, months: Int, until day: String = today()) async throws -> [CoveragePoint] {
        guard (1...60).contains(months) else { throw FHIRError.badRequest("months 须在 1 到 60 之间") }
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        var days: [String] = [day]
        var (year, month) = (parts[0], parts[1])
        for _ in 1..<months {
            month -= 1
            if month == 0 { month = 12; year -= 1 }
            // The last day of that month: the day before the first of the next.
            let next = month == 12 ? String(format: "%04d-01-01", year + 1) : String(format: "%04d-%02d-01", year, month + 1)
            days.append(next.dayBefore)
        }
        return try await database.read { sql in
            let targets = try await Self.targets(district: district, sql: sql)
            var points: [CoveragePoint] = []
            for point in days.reversed() {
                var all = try await Self.count(district: district, day: point, group: nil, sql: sql)
                all.target = targets["all"]
                var key = try await Self.count(district: district, day: point, group: .some(nil), sql: sql)
                key.target = targets["key"]
                points.append(CoveragePoint(day: point, all: all, keyPopulation: key))
            }
            return points
        }
    }

    /// The key groups a resident belongs to on `day`.
    public func keyGroups(patient: String, on day: String = today()) async throws -> [KeyGroup] {
        try await database.read { sql in
            let birth = try await sql.raw("SELECT birth_date FROM registry_resident WHERE patient_id = \(bind: patient)").first()?
                .decode(column: "birth_date", as: String?.self)
            return KeyGroup.groups(birthDate: birth, facts: try await Self.facts(of: [patient], sql: sql)[patient] ?? [], on: day)
        }
    }

    /// A contract in force on `day` (alias `c`).
    static func inForce(_ alias: String, _ day: String) -> SQLQueryString {
        "\(unsafeRaw: alias).start_date <= \(bind: day) AND \(unsafeRaw: alias).end_date >= \(bind: day) AND (\(unsafeRaw: alias).ended_on IS NULL OR \(unsafeRaw: alias).ended_on > \(bind: day))"
    }

    /// Membership of a key group on `day` for `registry_resident r`; `nil` group = any key group.
    static func inGroup(_ group: KeyGroup?, _ day: String) -> SQLQueryString {
        let sixty = KeyGroup.shifted(day, years: -60)
        // EXISTS probes the fact index (patient_id, group_code) for each resident. `r.patient_id IN (SELECT …)` inside
        // an OR cannot become a join: PostgreSQL then builds a hash of the subquery, or, when the facts outgrow
        // work_mem (≈ 450,000 facts at 1,000,000 residents), rescans them for every resident (it ran for over ten
        // minutes there); SQLite's ephemeral index did not have that trap.
        let fact: (KeyGroup) -> SQLQueryString = { group in
            "EXISTS (SELECT 1 FROM contract_group_fact f WHERE f.patient_id = r.patient_id AND f.group_code = \(bind: group.rawValue))"
        }
        switch group {
        case .elderly65: return "r.birth_date <= \(bind: KeyGroup.shifted(day, years: -65))"
        case .child0to6: return "r.birth_date > \(bind: KeyGroup.shifted(day, years: -7))"
        case .disabledElderly: return "(" + fact(.disabledElderly) + " AND r.birth_date <= \(bind: sixty))"
        case .some(let group): return fact(group)
        case nil:
            return "(r.birth_date <= \(bind: KeyGroup.shifted(day, years: -65)) OR r.birth_date > \(bind: KeyGroup.shifted(day, years: -7))"
                + " OR EXISTS (SELECT 1 FROM contract_group_fact f WHERE f.patient_id = r.patient_id AND f.group_code <> 'disabled-elderly')"
                + " OR (" + fact(.disabledElderly) + " AND r.birth_date <= \(bind: sixty)))"
        }
    }

    /// Residents and contracted residents of a district on `day`: everyone (`group` nil), any key group
    /// (`.some(nil)`), or one key group.
    static func count(district: String, day: String, group: KeyGroup??, sql: any SQLDatabase) async throws -> CoverageRow {
        var query: SQLQueryString = """
            SELECT COUNT(DISTINCT r.patient_id) AS residents, COUNT(DISTINCT c.patient_id) AS contracted
            FROM registry_resident r LEFT JOIN contract_agreement c ON c.patient_id = r.patient_id AND \(inForce("c", day))
            WHERE r.active = 1 AND r.district = \(bind: district) AND r.birth_date <= \(bind: day)
            """
        if let group { query = query + " AND " + inGroup(group, day) }
        let row = try await sql.raw(query).first()
        let (key, label) = group == nil ? ("all", "全人群") : ("key", "重点人群")
        return CoverageRow(key: key, label: label, residents: try row?.decode(column: "residents", as: Int.self) ?? 0,
                           contracted: try row?.decode(column: "contracted", as: Int.self) ?? 0)
    }

    /// The plan's latest targets for the district: `all` and `key` in percent.
    static func targets(district: String, sql: any SQLDatabase) async throws -> [String: Int] {
        var targets: [String: Int] = [:]
        for row in try await sql.raw("SELECT population, percent FROM contract_target WHERE district = \(bind: district) ORDER BY target_year").all() {
            targets[try row.decode(column: "population", as: String.self)] = try row.decode(column: "percent", as: Int.self)
        }
        return targets
    }
}

extension ContractingService {
    /// A family doctor's panel (签约居民): their contracts in force with each resident's key groups.
    public func panel(practitioner: String, on day: String = today()) async throws -> [(contract: Contract, groups: [KeyGroup])] {
        try await database.read { sql in
            let contracts = try await sql.raw("""
                SELECT * FROM contract_agreement WHERE practitioner_id = \(bind: practitioner) AND status = 'active' ORDER BY start_date DESC, id
                """).all().map(Self.decode)
            var births: [String: String] = [:]
            for row in try await sql.raw("""
                SELECT r.patient_id, r.birth_date FROM registry_resident r JOIN contract_agreement c ON c.patient_id = r.patient_id
                WHERE c.practitioner_id = \(bind: practitioner) AND c.status = 'active'
                """).all() {
                births[try row.decode(column: "patient_id", as: String.self)] = try row.decode(column: "birth_date", as: String?.self)
            }
            let facts = try await Self.facts(of: contracts.map(\.patient), sql: sql)
            return contracts.map { ($0, KeyGroup.groups(birthDate: births[$0.patient], facts: facts[$0.patient] ?? [], on: day)) }
        }
    }
}

extension ContractingService {
    /// Residents registered with a CHC who are in a key group and have no contract in force (the family
    /// doctors' outreach list, 未签约重点人群): the first `limit` by patient id with their groups, and how many in all.
    public func unsignedKeyResidents(organization: String, limit: Int, on day: String = today()) async throws -> (residents: [(patient: String, groups: [KeyGroup])], total: Int) {
        try await database.read { sql in
            let filter: SQLQueryString = """
                FROM registry_resident r WHERE r.active = 1 AND r.organization_id = \(bind: organization) AND r.birth_date <= \(bind: day)
                AND NOT EXISTS (SELECT 1 FROM contract_agreement c WHERE c.patient_id = r.patient_id AND \(Self.inForce("c", day)))
                AND \(Self.inGroup(nil, day))
                """
            let total = try await sql.raw("SELECT COUNT(*) AS n " + filter).first()?.decode(column: "n", as: Int.self) ?? 0
            let rows = try await sql.raw("SELECT r.patient_id, r.birth_date " + filter + " ORDER BY r.patient_id LIMIT \(literal: max(0, limit))").all()
            let found = try rows.map { (patient: try $0.decode(column: "patient_id", as: String.self), birth: try $0.decode(column: "birth_date", as: String?.self)) }
            let facts = try await Self.facts(of: found.map(\.patient), sql: sql)
            return (found.map { ($0.patient, KeyGroup.groups(birthDate: $0.birth, facts: facts[$0.patient] ?? [], on: day)) }, total)
        }
    }
}

extension ContractingService {
    /// The key-group facts (diagnoses, the record's stated groups) of the given residents, one query per 500.
    static func facts(of patients: [String], sql: any SQLDatabase) async throws -> [String: Set<KeyGroup>] {
        var facts: [String: Set<KeyGroup>] = [:]
        var start = 0
        while start < patients.count {
            let chunk = Array(patients[start..<min(patients.count, start + 500)])
            for row in try await sql.raw("SELECT DISTINCT patient_id, group_code FROM contract_group_fact WHERE patient_id IN (\(binds: chunk))").all() {
                if let group = KeyGroup(rawValue: try row.decode(column: "group_code", as: String.self)) {
                    facts[try row.decode(column: "patient_id", as: String.self), default: []].insert(group)
                }
            }
            start += 500
        }
        return facts
    }
}
