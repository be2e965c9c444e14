import Foundation

/// A longitude and latitude in degrees, as loaded (WGS-84 or GCJ-02: the platform does not convert datums,
/// so every layer of a district must use the same one; the offset between them is nearly uniform over a
/// district and does not change distances within it).
public struct GeoPoint: Sendable, Equatable, Hashable, Codable {
    public var longitude: Double
    public var latitude: Double

    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }
}

/// A point on a district's local plane, in metres east and north of the projection's origin.
public struct PlanarPoint: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    func distance(to other: PlanarPoint) -> Double { ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot() }
}

/// The local equirectangular projection (等距矩形投影) about an origin near the district's centre:
/// x = Δλ·cos φ₀·R, y = Δφ·R, with R the mean Earth radius. Over a district (±25 km) it keeps
/// distances and areas within about 0.3% of the ellipsoid's, far inside the uncertainty of a walking
/// radius; a haversine is not needed at this scale.
public struct LocalProjection: Sendable {
    /// Mean Earth radius (IUGG), metres.
    public static let earthRadius = 6_371_008.8
    public let origin: GeoPoint
    let metresPerDegreeLatitude: Double
    let metresPerDegreeLongitude: Double

    public init(origin: GeoPoint) {
        self.origin = origin
        metresPerDegreeLatitude = Self.earthRadius * .pi / 180
        metresPerDegreeLongitude = metresPerDegreeLatitude * cos(origin.latitude * .pi / 180)
    }

    /// The projection about the centre of the points' bounding box.
    public init(around points: [GeoPoint]) {
        let longitudes = points.map(\.longitude), latitudes = points.map(\.latitude)
        let centre = GeoPoint(longitude: ((longitudes.min() ?? 0) + (longitudes.max() ?? 0)) / 2, latitude: ((latitudes.min() ?? 0) + (latitudes.max() ?? 0)) / 2)
        self.init(origin: centre)
    }

    public func project(_ point: GeoPoint) -> PlanarPoint {
        PlanarPoint(x: (point.longitude - origin.longitude) * metresPerDegreeLongitude, y: (point.latitude - origin.latitude) * metresPerDegreeLatitude)
    }

    public func unproject(_ point: PlanarPoint) -> GeoPoint {
        GeoPoint(longitude: origin.longitude + point.x / metresPerDegreeLongitude, latitude: origin.latitude + point.y / metresPerDegreeLatitude)
    }
}

/// A polygon on the plane: one or more parts (a MultiPolygon's), each an exterior ring followed by its
/// holes. Rings are closed (the last point repeats the first). Inside is decided by the even–odd rule over
/// every ring, which treats holes and separate parts alike.
public struct PlanarPolygon: Sendable, Equatable {
    public var parts: [[[PlanarPoint]]]

    public init(parts: [[[PlanarPoint]]]) {
        self.parts = parts
    }

    var rings: [[PlanarPoint]] { parts.flatMap { $0 } }

    /// The signed shoelace area of a closed ring (positive when counter-clockwise).
    static func signedArea(_ ring: [PlanarPoint]) -> Double {
        guard ring.count > 2 else { return 0 }
        var sum = 0.0
        for index in 0..<(ring.count - 1) {
            sum += ring[index].x * ring[index + 1].y - ring[index + 1].x * ring[index].y
        }
        return sum / 2
    }

    /// Area in m²: each part's exterior less its holes.
    public var area: Double {
        parts.map { part in
            guard let exterior = part.first else { return 0 }
            return abs(Self.signedArea(exterior)) - part.dropFirst().map { abs(Self.signedArea($0)) }.reduce(0, +)
        }.reduce(0, +)
    }

    /// The bounding box (min, max).
    public var bounds: (min: PlanarPoint, max: PlanarPoint) {
        let points = rings.flatMap { $0 }
        let xs = points.map(\.x), ys = points.map(\.y)
        return (PlanarPoint(x: xs.min() ?? 0, y: ys.min() ?? 0), PlanarPoint(x: xs.max() ?? 0, y: ys.max() ?? 0))
    }

    /// Whether `point` is inside (even–odd; a point exactly on an edge may fall either way).
    public func contains(_ point: PlanarPoint) -> Bool {
        var inside = false
        for ring in rings where ring.count > 1 {
            for index in 0..<(ring.count - 1) {
                let a = ring[index], b = ring[index + 1]
                if (a.y > point.y) != (b.y > point.y) {
                    let x = a.x + (point.y - a.y) * (b.x - a.x) / (b.y - a.y)
                    if point.x < x { inside.toggle() }
                }
            }
        }
        return inside
    }

    /// The distance from `point` to the nearest edge, metres.
    public func distanceToBoundary(_ point: PlanarPoint) -> Double {
        var best = Double.infinity
        for ring in rings where ring.count > 1 {
            for index in 0..<(ring.count - 1) {
                best = min(best, Self.distance(point, ring[index], ring[index + 1]))
            }
        }
        return best
    }

    static func distance(_ p: PlanarPoint, _ a: PlanarPoint, _ b: PlanarPoint) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = dx * dx + dy * dy
        let t = length == 0 ? 0 : max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length))
        return p.distance(to: PlanarPoint(x: a.x + t * dx, y: a.y + t * dy))
    }

    /// The stretches of the horizontal line at `y` inside the polygon, left to right (scanline, even–odd).
    func spans(atY y: Double) -> [(Double, Double)] {
        var crossings: [Double] = []
        for ring in rings where ring.count > 1 {
            for index in 0..<(ring.count - 1) {
                let a = ring[index], b = ring[index + 1]
                if (a.y > y) != (b.y > y) {
                    crossings.append(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y))
                }
            }
        }
        crossings.sort()
        return stride(from: 0, to: crossings.count - 1, by: 2).map { (crossings[$0], crossings[$0 + 1]) }
    }
}
