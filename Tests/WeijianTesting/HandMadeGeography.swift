import Foundation

/// A small hand-made geography of Changning (310105) whose 15-minute service circle can be worked out by
/// hand, as GeoJSON built here without the platform's types.
///
/// The ten 街道 are 2 km squares in a row along the parallel 31.2° N: square k spans x ∈ [2000k − 1000,
/// 2000k + 1000], y ∈ [−1000, 1000] (metres, east and north). One service point, 华阳's CHC, stands in square 0
/// at (600, 0); with the standard radius of 900 m its circle lies wholly inside the row's first two squares,
/// crossing into square 1 by a circular segment of depth 500 m (the line x = 1000 is 400 m from the centre).
///
/// Residential sites (residents; distance from the service point):
/// square 0: (100, 0) 1,000, 500 m in; (−800, 800) 3,000, 1,612 m out; (600, 890) 500, 890 m in;
/// (600, −910) 500, 910 m out. Square 1: (1300, 0) 2,000, 700 m in (across the boundary); (2500, 500) 2,000,
/// 1,965 m out. So square 0: 1,500 of 5,000 (30%); square 1: 2,000 of 4,000 (50%); the district 3,500 of
/// 9,000 (38.88%). Areas: square 1 gets the segment r²·acos(d/r) − d·√(r² − d²) with d = 400, square 0 the
/// rest of the disc π·r²; each square is 4 km², the district 40 km².
public enum HandMadeGeography {
    public static let district = "310105"
    public static let codes = ["310105001", "310105002", "310105004", "310105005", "310105006", "310105008", "310105009", "310105010", "310105011", "310105102"]
    public static let origin = (longitude: 121.40, latitude: 31.20)
    static let metresPerDegree = 6_371_008.8 * Double.pi / 180

    /// [longitude, latitude] of a point `x` m east and `y` m north of the origin.
    public static func position(_ x: Double, _ y: Double) -> [Double] {
        [origin.longitude + x / (metresPerDegree * cos(origin.latitude * .pi / 180)), origin.latitude + y / metresPerDegree]
    }

    /// Square k's ring, closed, counter-clockwise.
    public static func square(_ k: Int) -> [[Double]] {
        let x = Double(2000 * k)
        return [position(x - 1000, -1000), position(x + 1000, -1000), position(x + 1000, 1000), position(x - 1000, 1000), position(x - 1000, -1000)]
    }

    public static let sites: [(id: String, square: Int, x: Double, y: Double, residents: Int, reached: Bool)] = [
        ("a-near", 0, 100, 0, 1000, true), ("a-far", 0, -800, 800, 3000, false), ("a-edge-in", 0, 600, 890, 500, true), ("a-edge-out", 0, 600, -910, 500, false),
        ("b-across", 1, 1300, 0, 2000, true), ("b-far", 1, 2500, 500, 2000, false),
    ]

    /// The features: ten boundaries, the service point, the six sites.
    public static func features() -> [[String: Any]] {
        var features: [[String: Any]] = codes.enumerated().map { k, code in
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(k)]], "properties": ["kind": "subdistrict", "code": code]]
        }
        features.append(["type": "Feature", "geometry": ["type": "Point", "coordinates": position(600, 0)],
                         "properties": ["kind": "facility", "institution": "cn-chc-huayang"]])
        for site in sites {
            features.append(["type": "Feature", "id": site.id, "geometry": ["type": "Point", "coordinates": position(site.x, site.y)],
                             "properties": ["kind": "residential", "subdistrict": codes[site.square], "name": "手绘小区 \(site.id)", "residents": site.residents]])
        }
        return features
    }

    /// The FeatureCollection as JSON, after `change` (to spoil it on purpose).
    public static func json(_ change: (inout [[String: Any]]) -> Void = { _ in }) throws -> String {
        var features = features()
        change(&features)
        let data = try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "source": "手绘测试数据", "features": features])
        return String(decoding: data, as: UTF8.self)
    }

    /// The circular segment of a 900 m circle beyond a line 400 m from its centre, m².
    public static func segment(radius: Double = 900, distance: Double = 400) -> Double {
        radius * radius * acos(distance / radius) - distance * (radius * radius - distance * distance).squareRoot()
    }

    /// Percent of square 0's and square 1's area within reach, and of the district's.
    public static func areaPercents(radius: Double = 900) -> (first: Double, second: Double, district: Double) {
        let disc = Double.pi * radius * radius, cut = segment(radius: radius, distance: 400)
        return ((disc - cut) / 4e6 * 100, cut / 4e6 * 100, disc / 40e6 * 100)
    }
}
