import Foundation

/// **Synthetic** geography for the demo district (演示地理数据：合成，并非实测边界或真实地址), so that the
/// 15-minute service circle has something to compute. Nothing here is a real boundary, address or site.
///
/// - 街道: the district is laid out as rows of neighbouring 街道 around an approximate centre of the real
///   district; each 街道's polygon has exactly its catalogue `areaKm2` (the cuts between neighbours are
///   crooked lines whose bends are paid for by moving the cut, so every area stays exact) and the 街道
///   tile the district without gaps or overlaps.
/// - Service points: each CHC (and branch or station) of the registry stands in the first 街道 of its
///   catchment, the CHC near the 街道's middle. The registry lists few of the 分中心 and stations the plans
///   count (Minhang: 13 CHCs, 17 分中心, 77 stations, seed 002), so synthetic ones are added under the
///   街道's CHC: in a dense 街道 (5,000 residents per km² or more) enough for a 1.1 km lattice, so that it is
///   covered, and at least one per 25,000 residents; in a sparse one one per 25,000 residents plus one
///   村卫生室 per 8 km². Points are spread on a jittered lattice.
/// - Residential sites: the 街道's catalogue population in sites of about 2,000 residents (dense 街道) or
///   900 (sparse ones), sizes varying; spread evenly in dense 街道; in sparse ones 60% gathered around the
///   service points (villages and town centres), the rest scattered.
///
/// So the dense urban 街道 come out covered and the large, sparse 镇 fall short, as the plans describe
/// (Minhang's seed 002 reports 85.84% of residents and 68.24% of area). Deterministic for a seed.
public enum DemoGeography {
    /// Approximate centres of the seeded districts (the rest use People's Square).
    static let centres: [String: GeoPoint] = [
        "310105": GeoPoint(longitude: 121.400, latitude: 31.210), "310112": GeoPoint(longitude: 121.420, latitude: 31.080),
        "310118": GeoPoint(longitude: 121.090, latitude: 31.140), "310116": GeoPoint(longitude: 121.250, latitude: 30.820),
    ]
    /// Residents per service point aimed at (Minhang: 2.65 million residents, 107 CHCs, 分中心 and stations).
    static let residentsPerServicePoint = 25_000.0
    /// Density (residents per km²) below which a 街道 counts as sparse.
    static let sparseDensity = 5_000.0
    static let villageClinicKm2 = 8.0
    /// Lattice spacing of the service points in a dense 街道, km.
    static let denseSpacingKm = 1.1
    /// Share of a sparse 街道's sites gathered around its service points (villages, town centres).
    static let gathered = 0.6

    /// The demo geography of `district` as a FeatureCollection (to be loaded like any other); nil for a
    /// district without 街道 in the catalogue.
    public static func document(district: String, randomSeed: UInt64 = 20231) -> GeographyDocument? {
        let subdistricts = Catalog.subdistricts(of: district)
        guard !subdistricts.isEmpty else { return nil }
        let projection = LocalProjection(origin: centres[district] ?? GeoPoint(longitude: 121.4737, latitude: 31.2304))
        let polygons = layout(subdistricts.map { ($0.areaKm2 ?? 5) * 1_000_000 }, random: randomSeed ^ (UInt64(district) ?? 0))
        let institutions = Catalog.institutions.filter { $0.district == district && ServicePoint.types.contains($0.type) }
        var features: [GeographyDocument.Feature] = []
        func position(_ point: PlanarPoint) -> [Double] {
            let geo = projection.unproject(point)
            return [(geo.longitude * 1_000_000).rounded() / 1_000_000, (geo.latitude * 1_000_000).rounded() / 1_000_000]
        }
        for (subdistrict, ring) in zip(subdistricts, polygons) {
            features.append(.init(id: subdistrict.code, geometry: .init(.polygon([ring.map(position)])),
                                  properties: .init(kind: "subdistrict", code: subdistrict.code, name: subdistrict.name)))
        }
        for (subdistrict, ring) in zip(subdistricts, polygons) {
            var random = SeededGenerator(seed: randomSeed &+ (UInt64(subdistrict.code) ?? 0) &* 0x9E37_79B9)
            let polygon = PlanarPolygon(parts: [[ring]])
            let areaKm2 = subdistrict.areaKm2 ?? 5, population = Double(subdistrict.population ?? 50_000)
            let sparse = population / areaKm2 < sparseDensity
            let real = institutions.filter { $0.catchment.first == subdistrict.code }.sorted { ($0.type == "chc" ? 0 : 1, $0.id) < ($1.type == "chc" ? 0 : 1, $1.id) }
            let owner = institutions.first { $0.type == "chc" && $0.catchment.contains(subdistrict.code) }
            var extra: [(type: String, name: String)] = []
            if let owner {
                // Dense 街道 are planned so that every part is near a point (a lattice of 1.1 km leaves no gap
                // wider than the 900 m radius); sparse ones get about one per 25,000 residents and their 村卫生室.
                let wanted = max(Int((population / residentsPerServicePoint).rounded()), sparse ? 0 : Int((areaKm2 / (denseSpacingKm * denseSpacingKm)).rounded(.up)))
                let stations = max(0, wanted - real.count)
                for index in 0..<stations {
                    let type = index % 5 == 0 ? "chc-branch" : "station"
                    extra.append((type, "\(subdistrict.name)演示\(type == "chc-branch" ? "分中心" : "服务站")\(index + 1)（\(owner.shortName ?? owner.name)）"))
                }
                if sparse {
                    for index in 0..<Int((areaKm2 / villageClinicKm2).rounded()) { extra.append(("village-clinic", "\(subdistrict.name)演示村卫生室\(index + 1)")) }
                }
            }
            let spots = lattice(in: polygon, count: real.count + extra.count, random: &random)
            var placed: [PlanarPoint] = []
            for (institution, spot) in zip(real, spots) {
                placed.append(spot)
                features.append(.init(id: nil, geometry: .init(.point(position(spot))), properties: .init(kind: "facility", institution: institution.id)))
            }
            if let owner {
                for (index, (site, spot)) in zip(extra, spots.dropFirst(real.count)).enumerated() {
                    placed.append(spot)
                    features.append(.init(id: "\(owner.id)-demo-\(subdistrict.code.suffix(3))-\(index + 1)", geometry: .init(.point(position(spot))),
                                          properties: .init(kind: "facility", institution: owner.id, type: site.type, name: site.name)))
                }
            }
            // Residential sites: sizes vary (log-normal), counts add up to the population exactly.
            let count = max(3, Int((population / (sparse ? 900 : 2_000)).rounded()))
            let weights = (0..<count).map { _ in exp(random.normal(mean: 0, sd: 0.6)) }
            let sum = weights.reduce(0, +)
            var residents = weights.map { Int(population * $0 / sum) }
            residents[0] += Int(population) - residents.reduce(0, +)
            for index in 0..<count {
                var spot: PlanarPoint?
                if sparse, !placed.isEmpty, random.chance(gathered) {
                    let around = placed[Int.random(in: 0..<placed.count, using: &random)]
                    for _ in 0..<10 {
                        let candidate = PlanarPoint(x: random.normal(mean: around.x, sd: 350), y: random.normal(mean: around.y, sd: 350))
                        if polygon.contains(candidate) { spot = candidate; break }
                    }
                }
                let point = spot ?? uniform(in: polygon, random: &random)
                features.append(.init(id: "\(subdistrict.code)-\(index + 1)", geometry: .init(.point(position(point))),
                                      properties: .init(kind: "residential", name: "\(subdistrict.name)演示\(sparse ? "居住点" : "小区")\(index + 1)",
                                                        subdistrict: subdistrict.code, residents: residents[index])))
            }
        }
        return GeographyDocument(source: "演示数据：合成几何（非实测边界、非真实地址），由 weijian seed 生成", features: features)
    }

    /// Rings (closed, counter-clockwise) for areas `areas` (m²) in rows, the district about (0, 0).
    static func layout(_ areas: [Double], random seed: UInt64) -> [[PlanarPoint]] {
        var random = SeededGenerator(seed: seed)
        let total = areas.reduce(0, +)
        let width = (total * 1.3).squareRoot()
        let rowCount = max(1, min(areas.count, Int((Double(areas.count) / 1.3).squareRoot().rounded())))
        // Consecutive 街道 to a row, by where the middle of each one's area falls.
        var rows: [[Int]] = Array(repeating: [], count: rowCount)
        var before = 0.0
        for (index, area) in areas.enumerated() {
            rows[min(rowCount - 1, Int((before + area / 2) / (total / Double(rowCount))))].append(index)
            before += area
        }
        rows = rows.filter { !$0.isEmpty }
        var rings = Array(repeating: [PlanarPoint](), count: areas.count)
        var bottom = -total / width / 2
        let bends = 4
        for row in rows {
            let height = row.map { areas[$0] }.reduce(0, +) / width
            let widths = row.map { areas[$0] / height }
            // Each cut between cells: x = X + g(y), g piecewise linear through `bends + 1` random offsets.
            var offsets: [[Double]] = []
            for cut in 0...row.count {
                let near = [cut > 0 ? widths[cut - 1] : nil, cut < row.count ? widths[cut] : nil].compactMap { $0 }.min() ?? 0
                let amplitude = min(0.12 * near, 0.25 * height)
                offsets.append((0...bends).map { _ in Double.random(in: -amplitude...amplitude, using: &random) })
            }
            // ∫g dy over the row, so that moving X pays for the bends and areas stay exact.
            let integrals: [Double] = offsets.map { g in
                var sum = 0.0
                for level in 0..<bends { sum += (g[level] + g[level + 1]) / 2 }
                return height * sum / Double(bends)
            }
            var positions = [-width / 2 - integrals[0] / height]
            for (cell, index) in row.enumerated() {
                positions.append(positions[cell] + (areas[index] - (integrals[cell + 1] - integrals[cell])) / height)
            }
            func point(_ cut: Int, _ level: Int) -> PlanarPoint {
                PlanarPoint(x: positions[cut] + offsets[cut][level], y: bottom + height * Double(level) / Double(bends))
            }
            for (cell, index) in row.enumerated() {
                var ring = [point(cell, 0)]
                ring += (0...bends).map { point(cell + 1, $0) }
                ring += (0...bends).reversed().map { point(cell, $0) }
                rings[index] = ring
            }
            bottom += height
        }
        return rings
    }

    /// `count` points spread over the polygon on a jittered lattice, the one nearest the middle first.
    static func lattice(in polygon: PlanarPolygon, count: Int, random: inout SeededGenerator) -> [PlanarPoint] {
        guard count > 0 else { return [] }
        let bounds = polygon.bounds
        let spacing = (polygon.area / Double(count)).squareRoot()
        let offset = (Double.random(in: 0..<spacing, using: &random), Double.random(in: 0..<spacing, using: &random))
        var candidates: [PlanarPoint] = []
        var y = bounds.min.y + offset.1
        while y < bounds.max.y {
            var x = bounds.min.x + offset.0
            while x < bounds.max.x {
                let jittered = PlanarPoint(x: x + Double.random(in: -0.2...0.2, using: &random) * spacing, y: y + Double.random(in: -0.2...0.2, using: &random) * spacing)
                if polygon.contains(jittered) { candidates.append(jittered) }
                x += spacing
            }
            y += spacing
        }
        while candidates.count < count { candidates.append(uniform(in: polygon, random: &random)) }
        candidates.shuffle(using: &random)
        candidates = Array(candidates.prefix(count))
        let middle = PlanarPoint(x: (bounds.min.x + bounds.max.x) / 2, y: (bounds.min.y + bounds.max.y) / 2)
        if let nearest = candidates.indices.min(by: { candidates[$0].distance(to: middle) < candidates[$1].distance(to: middle) }) {
            candidates.swapAt(0, nearest)
        }
        return candidates
    }

    /// A point uniformly inside the polygon (rejection from its bounding box).
    static func uniform(in polygon: PlanarPolygon, random: inout SeededGenerator) -> PlanarPoint {
        let bounds = polygon.bounds
        for _ in 0..<10_000 {
            let point = PlanarPoint(x: Double.random(in: bounds.min.x...bounds.max.x, using: &random), y: Double.random(in: bounds.min.y...bounds.max.y, using: &random))
            if polygon.contains(point) { return point }
        }
        return polygon.parts.first?.first?.first ?? PlanarPoint(x: 0, y: 0)
    }
}
