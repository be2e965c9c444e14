/// A district's geography (地理数据) for the 15-minute health service circle: its 街道 boundaries, the
/// service points of primary care, and the residential sites (小区/村) with their resident counts.
/// Loaded as a whole (``RegistryService/replaceGeography(_:district:by:synthetic:)``), validated by
/// ``GeographyDocument``.
public struct DistrictGeography: Sendable, Equatable {
    public var district: String
    public var subdistricts: [SubdistrictBoundary]
    public var servicePoints: [ServicePoint]
    public var sites: [ResidentialSite]
    /// Synthetic (the demo's), not surveyed.
    public var synthetic: Bool
    /// Where the data come from, as the loader said (`source` of the FeatureCollection).
    public var source: String?
    /// When and by whom it was loaded (nil before it is stored).
    public var loadedAt: String?
    public var loadedBy: String?

    public init(district: String, subdistricts: [SubdistrictBoundary], servicePoints: [ServicePoint], sites: [ResidentialSite],
                synthetic: Bool = false, source: String? = nil, loadedAt: String? = nil, loadedBy: String? = nil) {
        self.district = district
        self.subdistricts = subdistricts
        self.servicePoints = servicePoints
        self.sites = sites
        self.synthetic = synthetic
        self.source = source
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
    }

    /// The projection every computation of this district uses: about the centre of its boundaries.
    public var projection: LocalProjection {
        LocalProjection(around: subdistricts.flatMap { $0.parts.flatMap { $0.flatMap { $0 } } })
    }
}

/// A 街道/镇's boundary: a Polygon's or MultiPolygon's parts, each an exterior ring and its holes, as
/// longitude/latitude rings closed by repeating the first point.
public struct SubdistrictBoundary: Sendable, Equatable {
    /// The division code (9 digits).
    public var code: String
    public var parts: [[[GeoPoint]]]

    public init(code: String, parts: [[[GeoPoint]]]) {
        self.code = code
        self.parts = parts
    }

    public func planar(_ projection: LocalProjection) -> PlanarPolygon {
        PlanarPolygon(parts: parts.map { $0.map { $0.map(projection.project) } })
    }
}

/// A place where primary care is given (基层医疗卫生服务点): a 社区卫生服务中心, 分中心, 服务站 or 村卫生室.
/// Hospitals are not service points of the circle (see docs/indicators.md).
public struct ServicePoint: Sendable, Equatable, Codable {
    /// Unique within the district; the institution's id when the point is the institution's own site.
    public var id: String
    /// The registry institution it is, or (for a 分中心/站/村卫生室 the registry does not list on its own)
    /// the CHC it belongs to.
    public var institution: String
    /// `chc`, `chc-branch`, `station` or `village-clinic`.
    public var type: String
    public var name: String?
    public var location: GeoPoint

    public init(id: String, institution: String, type: String, name: String?, location: GeoPoint) {
        self.id = id
        self.institution = institution
        self.type = type
        self.name = name
        self.location = location
    }

    /// The institution types that are service points of the circle.
    public static let types = ["chc", "chc-branch", "station", "village-clinic"]
}

/// A residential site (居住小区/自然村) with the number of its residents, standing for where they live.
public struct ResidentialSite: Sendable, Equatable, Codable {
    /// Unique within the district (the source's own id).
    public var id: String
    /// The 街道/镇 it belongs to (its residents count there).
    public var subdistrict: String
    public var name: String?
    public var residents: Int
    public var location: GeoPoint

    public init(id: String, subdistrict: String, name: String?, residents: Int, location: GeoPoint) {
        self.id = id
        self.subdistrict = subdistrict
        self.name = name
        self.residents = residents
        self.location = location
    }
}
