import FHIR
import Foundation
import SQLKit
import Storage

/// What a geography load stored, for the loader to check (each 街道's area against the catalogue's).
public struct GeographySummary: Sendable, Codable, Equatable {
    public struct Subdistrict: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// The boundary's area, km².
        public var areaKm2: Double
        /// The catalogue's area (an estimate), km².
        public var catalogueAreaKm2: Double?
        public var servicePoints: Int
        public var sites: Int
        public var residents: Int
    }

    public var district: String
    public var subdistricts: [Subdistrict]
    public var servicePoints: Int
    public var sites: Int
    public var residents: Int
    public var synthetic: Bool
    public var source: String?
    public var loadedAt: String
}

extension RegistryService {
    /// Replaces `district`'s geography with the GeoJSON FeatureCollection in `data` (see ``GeographyDocument``),
    /// in one transaction: on any error nothing changes. Throws ``GeographyError`` for a refused document.
    @discardableResult
    public func replaceGeography(_ data: Data, district: String, by actor: String, synthetic: Bool = false,
                                 limits: GeographyLimits = GeographyLimits()) async throws -> GeographySummary {
        let document = try GeographyDocument.decode(data)
        let geography = try document.validated(district: district, limits: limits, synthetic: synthetic)
        return try await store(geography, by: actor)
    }

    /// Stores a validated geography in place of the district's current one (one transaction).
    @discardableResult
    public func store(_ geography: DistrictGeography, by actor: String) async throws -> GeographySummary {
        let district = geography.district
        let now = ISO8601Timestamp.now()
        let projection = geography.projection
        let encoder = JSONEncoder()
        var boundaries: [(code: String, geometry: String, area: Double)] = []
        for boundary in geography.subdistricts {
            let coordinates = boundary.parts.map { $0.map { $0.map { [$0.longitude, $0.latitude] } } }
            let geometry = GeographyDocument.Geometry(coordinates.count == 1 ? .polygon(coordinates[0]) : .multiPolygon(coordinates))
            boundaries.append((boundary.code, String(decoding: try encoder.encode(geometry), as: UTF8.self), boundary.planar(projection).area))
        }
        let engine = database.engine
        try await database.write { sql in
            for table in ["registry_geo_subdistrict", "registry_geo_service_point", "registry_geo_site", "registry_geo_load"] {
                try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE district = \(bind: district)").run()
            }
            try await sql.raw("""
                INSERT INTO registry_geo_load (district, loaded_at, loaded_by, synthetic, source)
                VALUES (\(bind: district), \(bind: now), \(bind: actor), \(bind: geography.synthetic ? 1 : 0), \(bind: geography.source))
                """).run()
            var subdistricts = BatchInsert(table: "registry_geo_subdistrict", columns: ["code", "district", "geometry", "area_m2"], packedOnSQLite: false)
            for boundary in boundaries { subdistricts.append([.text(boundary.code), .text(district), .text(boundary.geometry), .double(boundary.area)]) }
            try await subdistricts.flush(sql, engine: engine)
            var points = BatchInsert(table: "registry_geo_service_point", columns: ["district", "id", "ordinal", "institution_id", "type", "name", "longitude", "latitude"])
            for (ordinal, point) in geography.servicePoints.enumerated() {
                points.append([.text(district), .text(point.id), .int(Int64(ordinal)), .text(point.institution), .text(point.type), .text(point.name),
                               .double(point.location.longitude), .double(point.location.latitude)])
            }
            try await points.flush(sql, engine: engine)
            var sites = BatchInsert(table: "registry_geo_site", columns: ["district", "id", "ordinal", "subdistrict", "name", "residents", "longitude", "latitude"])
            for (ordinal, site) in geography.sites.enumerated() {
                sites.append([.text(district), .text(site.id), .int(Int64(ordinal)), .text(site.subdistrict), .text(site.name), .int(Int64(site.residents)),
                              .double(site.location.longitude), .double(site.location.latitude)])
            }
            try await sites.flush(sql, engine: engine)
        }
        let polygons = geography.subdistricts.map { ($0.code, $0.planar(projection)) }
        let catalogue = Dictionary(uniqueKeysWithValues: Catalog.subdistricts(of: district).map { ($0.code, $0) })
        let rows = polygons.map { code, polygon in
            let sites = geography.sites.filter { $0.subdistrict == code }
            return GeographySummary.Subdistrict(
                code: code, name: catalogue[code]?.name ?? code, areaKm2: (polygon.area / 10_000).rounded() / 100, catalogueAreaKm2: catalogue[code]?.areaKm2,
                servicePoints: geography.servicePoints.filter { polygon.contains(projection.project($0.location)) }.count,
                sites: sites.count, residents: sites.map(\.residents).reduce(0, +)
            )
        }
        return GeographySummary(district: district, subdistricts: rows, servicePoints: geography.servicePoints.count, sites: geography.sites.count,
                                residents: geography.sites.map(\.residents).reduce(0, +), synthetic: geography.synthetic, source: geography.source, loadedAt: now)
    }

    /// The district's stored geography, or nil when none was loaded.
    public func geography(district: String) async throws -> DistrictGeography? {
        try await database.read { sql in
            guard let load = try await sql.raw("SELECT * FROM registry_geo_load WHERE district = \(bind: district)").first() else { return nil }
            var boundaries: [String: SubdistrictBoundary] = [:]
            for row in try await sql.raw("SELECT code, geometry FROM registry_geo_subdistrict WHERE district = \(bind: district)").all() {
                let code = try row.decode(column: "code", as: String.self)
                let geometry = try JSONDecoder().decode(GeographyDocument.Geometry.self, from: Data(try row.decode(column: "geometry", as: String.self).utf8))
                let parts: [[[[Double]]]]
                switch geometry.coordinates {
                case .polygon(let rings): parts = [rings]
                case .multiPolygon(let many): parts = many
                case .point: parts = []
                }
                boundaries[code] = SubdistrictBoundary(code: code, parts: parts.map { $0.map { $0.map { GeoPoint(longitude: $0[0], latitude: $0[1]) } } })
            }
            let points = try await sql.raw("SELECT * FROM registry_geo_service_point WHERE district = \(bind: district) ORDER BY ordinal").all().map { row in
                ServicePoint(id: try row.decode(column: "id", as: String.self), institution: try row.decode(column: "institution_id", as: String.self),
                             type: try row.decode(column: "type", as: String.self), name: try row.decode(column: "name", as: String?.self),
                             location: GeoPoint(longitude: try row.decode(column: "longitude", as: Double.self), latitude: try row.decode(column: "latitude", as: Double.self)))
            }
            let sites = try await sql.raw("SELECT * FROM registry_geo_site WHERE district = \(bind: district) ORDER BY ordinal").all().map { row in
                ResidentialSite(id: try row.decode(column: "id", as: String.self), subdistrict: try row.decode(column: "subdistrict", as: String.self),
                                name: try row.decode(column: "name", as: String?.self), residents: try row.decode(column: "residents", as: Int.self),
                                location: GeoPoint(longitude: try row.decode(column: "longitude", as: Double.self), latitude: try row.decode(column: "latitude", as: Double.self)))
            }
            return DistrictGeography(
                district: district, subdistricts: Catalog.subdistricts(of: district).compactMap { boundaries[$0.code] }, servicePoints: points, sites: sites,
                synthetic: try load.decode(column: "synthetic", as: Int.self) != 0, source: try load.decode(column: "source", as: String?.self),
                loadedAt: try load.decode(column: "loaded_at", as: String.self), loadedBy: try load.decode(column: "loaded_by", as: String.self)
            )
        }
    }

    /// The 15-minute health service circle of the district's stored geography; nil when none was loaded.
    public func serviceCircle(district: String, assumptions: WalkingAssumptions = .standard) async throws -> ServiceCircleResult? {
        guard let geography = try await geography(district: district) else { return nil }
        return ServiceCircle.compute(geography, assumptions: assumptions)
    }
}

extension DistrictGeography {
    /// The geography as the GeoJSON FeatureCollection it can be loaded from again.
    public var document: GeographyDocument {
        var features: [GeographyDocument.Feature] = subdistricts.map { boundary in
            let parts = boundary.parts.map { $0.map { $0.map { [$0.longitude, $0.latitude] } } }
            return .init(id: boundary.code, geometry: .init(parts.count == 1 ? .polygon(parts[0]) : .multiPolygon(parts)),
                         properties: .init(kind: "subdistrict", code: boundary.code, name: Catalog.divisions.first { $0.code == boundary.code }?.name))
        }
        features += servicePoints.map { point in
            .init(id: point.id, geometry: .init(.point([point.location.longitude, point.location.latitude])),
                  properties: .init(kind: "facility", institution: point.institution, type: point.type, name: point.name))
        }
        features += sites.map { site in
            .init(id: site.id, geometry: .init(.point([site.location.longitude, site.location.latitude])),
                  properties: .init(kind: "residential", name: site.name, subdistrict: site.subdistrict, residents: site.residents))
        }
        return GeographyDocument(source: source, features: features)
    }
}
