import Foundation

/// How "within 15 minutes' walk" is turned into geometry (the assumptions of the 15分钟健康服务圈).
///
/// - Walking speed 80 m/min (4.8 km/h), the usual planning figure, a little below a healthy adult's
///   1.3–1.4 m/s to allow for older residents, crossings and waiting at lights. 15 minutes × 80 m/min =
///   1,200 m walked along streets.
/// - Detour factor 4/3: a walk along streets is longer than the straight line. On an ideal street grid the
///   average ratio is 4/π ≈ 1.27; measured ratios in Chinese cities run about 1.2–1.4, the long blocks and few
///   gates of large gated 小区 pushing it up. 4/3 sits in the middle and gives a round straight-line radius:
///   1,200 m ÷ 4/3 = **900 m**. A service point reaches what lies within that radius. (GB 50180-2018
///   《城市居住区规划设计标准》 puts the 15-minute life circle's walking distance at 800–1,000 m; 900 m is
///   its middle.)
/// - Area by grid: each 街道 is sampled at the centres of a regular 50 m grid (one cell = 0.0025 km²); a cell
///   counts as reached when its centre is within the radius of a service point (of any 街道: people cross
///   boundaries to the nearest one).
/// - Residents by site: a residential site (小区/村) stands for all its residents; they are reached when the
///   site's point is within the radius.
/// - Target 90% of residents (Jinshan's plan, seed 004); a 街道 whose residents' share is below it falls short.
///
/// Every figure is a parameter: the circle API takes them from the query for what-if views.
public struct WalkingAssumptions: Sendable, Codable, Equatable {
    public var minutes: Double
    public var metresPerMinute: Double
    public var detourFactor: Double
    public var gridMetres: Double
    public var targetPercent: Double

    public init(minutes: Double = 15, metresPerMinute: Double = 80, detourFactor: Double = 4.0 / 3.0, gridMetres: Double = 50, targetPercent: Double = 90) {
        self.minutes = minutes
        self.metresPerMinute = metresPerMinute
        self.detourFactor = detourFactor
        self.gridMetres = gridMetres
        self.targetPercent = targetPercent
    }

    /// 15 minutes at 80 m/min, 900 m, 50 m grid, 90% target.
    public static let standard = WalkingAssumptions()

    /// Metres walked in the time.
    public var walkingMetres: Double { minutes * metresPerMinute }
    /// The straight-line radius a service point reaches.
    public var radiusMetres: Double { walkingMetres / detourFactor }

    /// Nil when the assumptions are usable, else what is wrong (in Chinese).
    public var problem: String? {
        guard minutes.isFinite, (1...60).contains(minutes) else { return "minutes 应在 1–60 之间" }
        guard metresPerMinute.isFinite, (30...120).contains(metresPerMinute) else { return "speed（米/分钟）应在 30–120 之间" }
        guard detourFactor.isFinite, (1...2).contains(detourFactor) else { return "detour（绕行系数）应在 1–2 之间" }
        guard gridMetres.isFinite, (10...500).contains(gridMetres) else { return "grid（网格边长，米）应在 10–500 之间" }
        guard targetPercent.isFinite, (0...100).contains(targetPercent) else { return "target（目标，%）应在 0–100 之间" }
        return nil
    }
}

/// The 15-minute health service circle of a district: the shares of residents and of area within walking
/// reach of a primary-care service point, for the district and each 街道, and the 街道 that fall short.
public struct ServiceCircleReport: Sendable, Codable, Equatable {
    /// One area's figures (the district's, or a 街道's).
    public struct Area: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// Residents of the residential sites (the loaded counts).
        public var residents: Int
        public var reachedResidents: Int
        /// Percent, rounded down to two decimals; nil without residents.
        public var residentsPercent: Double?
        /// The boundary's area, km².
        public var areaKm2: Double
        /// Grid cells whose centre lies inside, and those of them within reach.
        public var cells: Int
        public var reachedCells: Int
        /// Percent of cells reached, rounded down to two decimals; nil for no cells.
        public var areaPercent: Double?
        /// Service points inside the boundary.
        public var servicePoints: Int
        public var sites: Int
        /// Residents' share below the target.
        public var short: Bool
    }

    public var district: String
    public var name: String
    public var assumptions: WalkingAssumptions
    public var walkingMetres: Double
    public var radiusMetres: Double
    public var total: Area
    public var subdistricts: [Area]
    /// Codes of the 街道 below the target, in catalogue order.
    public var short: [String]
    /// The geometry is synthetic (the demo's).
    public var synthetic: Bool
    public var source: String?
    public var loadedAt: String?
    /// How long the computation took, milliseconds.
    public var milliseconds: Double
}

/// A computation's report, with each residential site's reach (in the geography's order) for the map.
public struct ServiceCircleResult: Sendable {
    public var report: ServiceCircleReport
    public var geography: DistrictGeography
    public var reached: [Bool]
}

/// The computation of the 15-minute health service circle (see ``WalkingAssumptions`` for what it assumes).
///
/// Residents: the service points go into square buckets one radius wide, so each site looks at the points of
/// nine buckets, not at all of them. Area: each 街道 is swept row by row of the grid; on a row the polygon's
/// inside stretches (scanline, even–odd) are intersected with the stretches the circles of the nearby service
/// points cover, and grid centres are counted in the intersection — no per-cell test, so a 10 m grid costs
/// little more than a 50 m one.
public enum ServiceCircle {
    public static func compute(_ geography: DistrictGeography, assumptions: WalkingAssumptions = .standard) -> ServiceCircleResult {
        let started = ContinuousClock.now
        let projection = geography.projection
        let radius = assumptions.radiusMetres, grid = assumptions.gridMetres
        let points = geography.servicePoints.map { projection.project($0.location) }
        let buckets = Buckets(points, size: radius)
        let reached = geography.sites.map { buckets.anyWithin(radius, of: projection.project($0.location)) }
        let byY = points.sorted { $0.y < $1.y }

        var rows: [ServiceCircleReport.Area] = []
        for boundary in geography.subdistricts {
            let polygon = boundary.planar(projection)
            var residents = 0, reachedResidents = 0, sites = 0
            for (index, site) in geography.sites.enumerated() where site.subdistrict == boundary.code {
                sites += 1
                residents += site.residents
                if reached[index] { reachedResidents += site.residents }
            }
            let (cells, reachedCells) = sweep(polygon, servicePoints: byY, radius: radius, grid: grid)
            let inside = points.filter { polygon.contains($0) }.count
            let residentsPercent = percent(reachedResidents, of: residents)
            rows.append(ServiceCircleReport.Area(
                code: boundary.code, name: Catalog.divisions.first { $0.code == boundary.code }?.name ?? boundary.code,
                residents: residents, reachedResidents: reachedResidents, residentsPercent: residentsPercent,
                areaKm2: (polygon.area / 10_000).rounded() / 100, cells: cells, reachedCells: reachedCells, areaPercent: percent(reachedCells, of: cells),
                servicePoints: inside, sites: sites, short: residents > 0 && Double(reachedResidents) * 100 < assumptions.targetPercent * Double(residents)
            ))
        }
        let residents = rows.map(\.residents).reduce(0, +), reachedResidents = rows.map(\.reachedResidents).reduce(0, +)
        let cells = rows.map(\.cells).reduce(0, +), reachedCells = rows.map(\.reachedCells).reduce(0, +)
        let total = ServiceCircleReport.Area(
            code: geography.district, name: Catalog.divisions.first { $0.code == geography.district }?.name ?? geography.district,
            residents: residents, reachedResidents: reachedResidents, residentsPercent: percent(reachedResidents, of: residents),
            areaKm2: (rows.map(\.areaKm2).reduce(0, +) * 100).rounded() / 100, cells: cells, reachedCells: reachedCells, areaPercent: percent(reachedCells, of: cells),
            servicePoints: points.count, sites: geography.sites.count,
            short: residents > 0 && Double(reachedResidents) * 100 < assumptions.targetPercent * Double(residents)
        )
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let report = ServiceCircleReport(
            district: geography.district, name: total.name, assumptions: assumptions, walkingMetres: assumptions.walkingMetres,
            radiusMetres: (radius * 10).rounded() / 10, total: total, subdistricts: rows, short: rows.filter(\.short).map(\.code),
            synthetic: geography.synthetic, source: geography.source, loadedAt: geography.loadedAt, milliseconds: (milliseconds * 100).rounded() / 100
        )
        return ServiceCircleResult(report: report, geography: geography, reached: reached)
    }

    /// Percent rounded down to two decimals; nil for a zero denominator.
    static func percent(_ part: Int, of whole: Int) -> Double? {
        whole > 0 ? (Double(part) * 10_000 / Double(whole)).rounded(.down) / 100 : nil
    }

    /// Grid cells of the polygon (centres at ((i + ½)·grid, (j + ½)·grid)) and those within `radius` of a
    /// service point. `servicePoints` sorted by y.
    static func sweep(_ polygon: PlanarPolygon, servicePoints: [PlanarPoint], radius: Double, grid: Double) -> (cells: Int, reached: Int) {
        let bounds = polygon.bounds
        guard bounds.max.y > bounds.min.y else { return (0, 0) }
        var cells = 0, reached = 0
        var first = 0
        for row in Int((bounds.min.y / grid).rounded(.down))...Int((bounds.max.y / grid).rounded(.down)) {
            let y = (Double(row) + 0.5) * grid
            let inside = polygon.spans(atY: y)
            guard !inside.isEmpty else { continue }
            for span in inside { cells += centres(span.0, span.1, grid: grid) }
            // The service points within the radius of this row (the window moves up with the rows).
            while first < servicePoints.count, servicePoints[first].y < y - radius { first += 1 }
            var covered: [(Double, Double)] = []
            var index = first
            while index < servicePoints.count, servicePoints[index].y <= y + radius {
                let point = servicePoints[index]
                let half = (radius * radius - (point.y - y) * (point.y - y)).squareRoot()
                if half > 0 { covered.append((point.x - half, point.x + half)) }
                index += 1
            }
            guard !covered.isEmpty else { continue }
            covered.sort { $0.0 < $1.0 }
            var merged: [(Double, Double)] = [covered[0]]
            for stretch in covered.dropFirst() {
                if let last = merged.last, stretch.0 <= last.1 {
                    merged[merged.count - 1].1 = max(last.1, stretch.1)
                } else {
                    merged.append(stretch)
                }
            }
            // Both lists are sorted and disjoint: walk them together.
            var a = 0, b = 0
            while a < inside.count, b < merged.count {
                let low = max(inside[a].0, merged[b].0), high = min(inside[a].1, merged[b].1)
                if low < high { reached += centres(low, high, grid: grid) }
                if inside[a].1 < merged[b].1 { a += 1 } else { b += 1 }
            }
        }
        return (cells, reached)
    }

    /// How many grid centres (i + ½)·grid lie in [low, high).
    static func centres(_ low: Double, _ high: Double, grid: Double) -> Int {
        max(0, Int((high / grid - 0.5).rounded(.up)) - Int((low / grid - 0.5).rounded(.up)))
    }
}

/// Points in square buckets of one radius, so that a nearness test looks at nine buckets.
struct Buckets {
    let size: Double
    var buckets: [Key: [PlanarPoint]] = [:]

    struct Key: Hashable {
        var x: Int
        var y: Int
    }

    init(_ points: [PlanarPoint], size: Double) {
        self.size = size
        for point in points { buckets[key(point), default: []].append(point) }
    }

    func key(_ point: PlanarPoint) -> Key { Key(x: Int((point.x / size).rounded(.down)), y: Int((point.y / size).rounded(.down))) }

    /// Whether a point lies within `radius` (≤ the bucket size) of `point`.
    func anyWithin(_ radius: Double, of point: PlanarPoint) -> Bool {
        let centre = key(point)
        let limit = radius * radius
        for dx in -1...1 {
            for dy in -1...1 {
                for other in buckets[Key(x: centre.x + dx, y: centre.y + dy)] ?? [] {
                    let ex = other.x - point.x, ey = other.y - point.y
                    if ex * ex + ey * ey <= limit { return true }
                }
            }
        }
        return false
    }
}
