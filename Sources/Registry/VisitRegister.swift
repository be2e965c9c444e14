import FHIR
import Foundation
import SQLKit
import Storage

/// The visits as the indicators count them (就诊登记): every outpatient or inpatient Encounter with its resident,
/// the institution that saw them, whether that is a community institution (社区卫生服务中心、分中心、站、村卫生室),
/// the day and whether the EMR typed it a return visit (复诊), kept in step with the record by this FHIR write hook
/// (batched). A kernel table beside `registry_resident`, so that service use per 街道 (服务利用), the community share
/// of outpatient visits (社区门诊量占比) and the hospitals' return visits are one query, without reading the FHIR
/// store's JSON.
public struct VisitRegister: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Encounter"]
    public let batched = true
    let engine: DatabaseEngine

    public init(engine: DatabaseEngine) {
        self.engine = engine
    }

    /// Institution types that count as community care.
    public static let communityTypes: Set<String> = ["chc", "chc-branch", "station", "village-clinic"]

    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        let (order, latest) = versions.lastVersions
        // Replaced whole: a visit that is deleted, cancelled or loses its resident or institution leaves the register.
        try await MultiRowInsert.forEachChunk(sql, order, "DELETE FROM registry_visit WHERE encounter_id IN {in}")
        var rows = BatchInsert(table: "registry_visit", columns: ["encounter_id", "patient_id", "organization_id", "community", "visit_class", "day", "follow_up"])
        for id in order {
            guard let resource = latest[id] ?? nil, let visit = Self.visit(resource) else { continue }
            rows.append([.text(id), .text(visit.patient), .text(visit.organization), .int(visit.community ? 1 : 0), .text(visit.visitClass), .text(visit.day),
                         .int(Self.isFollowUp(resource) ? 1 : 0)])
        }
        try await rows.flush(sql, engine: engine)
    }

    /// A return visit (复诊), as the EMR marks it in `Encounter.type`: SNOMED CT 185389009 |Follow-up visit|.
    public static let followUpSystem = "http://snomed.info/sct"
    public static let followUpCode = "185389009"

    /// Whether the Encounter is typed as a return visit.
    static func isFollowUp(_ resource: JSONValue) -> Bool {
        (resource["type"]?.arrayValue ?? []).contains { type in
            (type["coding"]?.arrayValue ?? []).contains { $0["system"]?.stringValue == followUpSystem && $0["code"]?.stringValue == followUpCode }
        }
    }

    /// What the register keeps of an Encounter; nil for one not held (planned, cancelled or entered in error, or
    /// without a resident, an institution or a start day).
    static func visit(_ resource: JSONValue) -> (patient: String, organization: String, community: Bool, visitClass: String, day: String)? {
        guard let status = resource["status"]?.stringValue, !["planned", "cancelled", "entered-in-error"].contains(status),
              let subject = resource["subject"]?["reference"]?.stringValue, subject.hasPrefix("Patient/"),
              let provider = resource["serviceProvider"]?["reference"]?.stringValue, provider.hasPrefix("Organization/"),
              let start = resource["period"]?["start"]?.stringValue, start.count >= 10, CalendarDay.isValid(String(start.prefix(10))) else { return nil }
        let organization = String(provider.dropFirst("Organization/".count))
        let community = Catalog.institutions.first { $0.id == organization }.map { communityTypes.contains($0.type) } ?? false
        return (String(subject.dropFirst("Patient/".count)), organization, community, resource["class"]?["code"]?.stringValue ?? "AMB", String(start.prefix(10)))
    }
}

/// Service use of a district or one of its 街道 over a period: outpatient visits, how many at community
/// institutions, and the residents they came from.
public struct ServiceUse: Sendable, Codable, Equatable {
    /// The 街道 code, or the district's.
    public var area: String
    public var residents: Int
    public var visits: Int
    public var communityVisits: Int
    /// Residents with at least one visit.
    public var visitors: Int
}

extension RegistryService {
    /// Outpatient return visits (复诊: class AMB, typed as follow-up) at the given institutions with a day in [from, to].
    public func returnVisits(organizations: [String], from: String, to: String) async throws -> Int {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to) else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        guard !organizations.isEmpty else { return 0 }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT COUNT(*) AS n FROM registry_visit WHERE follow_up = 1 AND visit_class = 'AMB' AND day >= \(bind: from) AND day <= \(bind: to)
                    AND organization_id IN (\(binds: organizations))
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Outpatient visits (class AMB) of the district's active residents with a start day in [from, to], by 街道 and
    /// for the district.
    public func serviceUse(district: String, from: String, to: String) async throws -> [ServiceUse] {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to) else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        return try await database.read { sql in
            var byArea: [String: ServiceUse] = [:]
            for row in try await sql.raw("""
                SELECT r.subdistrict AS k, COUNT(*) AS residents, CAST(SUM(v.visits) AS BIGINT) AS visits, CAST(SUM(v.community) AS BIGINT) AS community,
                    SUM(CASE WHEN v.visits > 0 THEN 1 ELSE 0 END) AS visitors
                -- (PostgreSQL sums BIGINT to NUMERIC: cast back.)
                FROM registry_resident r LEFT JOIN (
                    SELECT patient_id, COUNT(*) AS visits, SUM(community) AS community FROM registry_visit
                    WHERE visit_class = 'AMB' AND day >= \(bind: from) AND day <= \(bind: to) GROUP BY patient_id
                ) v ON v.patient_id = r.patient_id
                WHERE r.district = \(bind: district) AND r.active = 1
                GROUP BY r.subdistrict
                """).all() {
                let area = try row.decode(column: "k", as: String?.self) ?? ""
                byArea[area] = ServiceUse(area: area, residents: try row.decode(column: "residents", as: Int.self), visits: try row.decode(column: "visits", as: Int?.self) ?? 0,
                                          communityVisits: try row.decode(column: "community", as: Int?.self) ?? 0, visitors: try row.decode(column: "visitors", as: Int?.self) ?? 0)
            }
            var total = ServiceUse(area: district, residents: 0, visits: 0, communityVisits: 0, visitors: 0)
            for use in byArea.values {
                total.residents += use.residents
                total.visits += use.visits
                total.communityVisits += use.communityVisits
                total.visitors += use.visitors
            }
            return [total] + byArea.keys.filter { !$0.isEmpty }.sorted().compactMap { byArea[$0] }
        }
    }
}
