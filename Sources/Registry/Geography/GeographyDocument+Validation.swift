import Foundation

extension GeographyDocument {
    /// The document as a district's geography, after checking it strictly; throws ``GeographyError/invalid(_:)``
    /// naming up to ten problems (feature by feature, in Chinese) otherwise.
    ///
    /// Checked: a FeatureCollection of Features with a known `kind`; Points for service points and residential
    /// sites, Polygons or MultiPolygons for 街道; every coordinate a [longitude, latitude] within China's
    /// extent; rings of at least four positions, closed (last = first), of non-zero area, within the point
    /// limits; every 街道 of the district exactly once and no other; institutions of the district that are
    /// service points of primary care (hospitals are not); unique ids; residents a whole number within the
    /// limit; each residential site inside its 街道 (or within ``GeographyLimits/siteTolerance`` of it), each
    /// service point within ``GeographyLimits/servicePointMargin`` of the district. Not checked: that rings
    /// do not cross themselves, and that 街道 do not overlap (the computation counts each grid cell once per
    /// 街道 that contains it).
    public func validated(district: String, limits: GeographyLimits = GeographyLimits(), synthetic: Bool = false) throws -> DistrictGeography {
        var problems = Problems()
        guard type == "FeatureCollection" else {
            throw GeographyError.invalid("type 应为 FeatureCollection（当前为 \(type)）")
        }
        let subdistrictsOfDistrict = Catalog.subdistricts(of: district)
        guard !subdistrictsOfDistrict.isEmpty else { throw GeographyError.invalid("目录中没有辖区 \(district) 的街道，无法载入地理数据") }
        guard features.count <= limits.maxFeatures else {
            throw GeographyError.invalid("要素过多：\(features.count) 个，上限 \(limits.maxFeatures) 个；请按辖区分开上传")
        }
        if let source, source.count > 200 { problems.add("source 过长（最多 200 字）") }
        let known = Dictionary(uniqueKeysWithValues: subdistrictsOfDistrict.map { ($0.code, $0) })
        let institutions = Dictionary(Catalog.institutions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var boundaries: [String: SubdistrictBoundary] = [:]
        var points: [ServicePoint] = []
        var sites: [ResidentialSite] = []
        var pointIDs = Set<String>(), siteIDs = Set<String>()
        var positions = 0

        for (index, feature) in features.enumerated() {
            let at = "features[\(index)]"
            guard feature.type == "Feature" else { problems.add("\(at) 的 type 应为 Feature"); continue }
            guard let properties = feature.properties else { problems.add("\(at) 缺少 properties（须有 kind）"); continue }
            guard let geometry = feature.geometry else { problems.add("\(at) 缺少 geometry"); continue }
            let id = (properties.id ?? feature.id)?.text.trimmingCharacters(in: .whitespaces)
            if let name = properties.name, name.count > 100 { problems.add("\(at) 的 name 过长（最多 100 字）") }
            switch properties.kind {
            case "subdistrict":
                guard let code = properties.code?.text else { problems.add("\(at)（街道边界）缺少 properties.code（9 位街道代码）"); continue }
                let label = "\(at)（街道 \(code)）"
                guard known[code] != nil else {
                    problems.add("\(label)：本区（\(district)）没有这个街道；本区街道为 \(subdistrictsOfDistrict.map { "\($0.code) \($0.name)" }.joined(separator: "、"))")
                    continue
                }
                guard boundaries[code] == nil else { problems.add("\(label)：该街道的边界重复出现"); continue }
                let parts: [[[[Double]]]]
                switch geometry.coordinates {
                case .polygon(let rings): parts = [rings]
                case .multiPolygon(let many): parts = many
                case .point: problems.add("\(label)：街道边界应为 Polygon 或 MultiPolygon，不能是 Point"); continue
                }
                guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { problems.add("\(label)：边界没有环"); continue }
                var geoParts: [[[GeoPoint]]] = []
                var good = true
                for (partIndex, part) in parts.enumerated() {
                    var geoRings: [[GeoPoint]] = []
                    for (ringIndex, ring) in part.enumerated() {
                        let ringLabel = "\(label) 第 \(partIndex + 1) 部分第 \(ringIndex + 1) 个环"
                        positions += ring.count
                        guard ring.count <= limits.maxRingPositions else {
                            problems.add("\(ringLabel) 有 \(ring.count) 个点，超过上限 \(limits.maxRingPositions)；请先抽稀（如 mapshaper -simplify）")
                            good = false
                            continue
                        }
                        guard ring.count >= 4 else { problems.add("\(ringLabel) 只有 \(ring.count) 个点：环至少要 4 个点（首尾相同）"); good = false; continue }
                        var geo: [GeoPoint] = []
                        for position in ring {
                            switch Self.point(position, limits: limits) {
                            case .success(let point): geo.append(point)
                            case .failure(let error): problems.add("\(ringLabel)：\(error.message)"); good = false
                            }
                            if !good { break }
                        }
                        guard good else { continue }
                        if geo.first != geo.last {
                            problems.add("\(ringLabel) 未闭合：最后一个点须与第一个点相同（\(Self.text(ring[0])) ≠ \(Self.text(ring[ring.count - 1]))）")
                            good = false
                            continue
                        }
                        geoRings.append(geo)
                    }
                    geoParts.append(geoRings)
                }
                if good {
                    boundaries[code] = SubdistrictBoundary(code: code, parts: geoParts)
                }
            case "facility":
                guard let institutionID = properties.institution else { problems.add("\(at)（服务点）缺少 properties.institution（机构 id）"); continue }
                let label = "\(at)（服务点 \(id ?? institutionID)）"
                guard let institution = institutions[institutionID] else { problems.add("\(label)：机构目录中没有 \(institutionID)"); continue }
                guard institution.district == district else { problems.add("\(label)：机构 \(institution.name) 属于辖区 \(institution.district)，不是 \(district)"); continue }
                guard ServicePoint.types.contains(institution.type) else {
                    problems.add("\(label)：\(institution.name) 是\(Catalog.typeNames[institution.type] ?? institution.type)，不计入15分钟健康服务圈（只载入社区卫生服务中心、分中心、服务站和村卫生室）")
                    continue
                }
                let type = properties.type ?? institution.type
                guard ServicePoint.types.contains(type) else { problems.add("\(label)：type 应为 chc、chc-branch、station 或 village-clinic（当前为 \(type)）"); continue }
                if type != institution.type {
                    // A 分中心/站/村卫生室 not listed in the registry on its own, given under its CHC.
                    guard ["chc", "chc-branch"].contains(institution.type), type != "chc" else {
                        problems.add("\(label)：\(institution.name) 是\(Catalog.typeNames[institution.type] ?? institution.type)，其服务点类型不能为 \(type)")
                        continue
                    }
                    guard id != nil, properties.name?.isEmpty == false else {
                        problems.add("\(label)：目录外的\(Catalog.typeNames[type] ?? type)须有自己的 id 和 name")
                        continue
                    }
                }
                let pointID = id ?? institutionID
                guard Self.acceptable(id: pointID) else { problems.add("\(label)：id 须为 1–64 个字符，不含控制字符"); continue }
                guard pointIDs.insert(pointID).inserted else { problems.add("\(label)：服务点 id \(pointID) 重复"); continue }
                guard case .point(let position) = geometry.coordinates else { problems.add("\(label)：服务点应为 Point，当前为 \(geometry.typeName)"); continue }
                switch Self.point(position, limits: limits) {
                case .success(let location):
                    points.append(ServicePoint(id: pointID, institution: institutionID, type: type, name: properties.name, location: location))
                case .failure(let error): problems.add("\(label)：\(error.message)")
                }
            case "residential":
                guard let id else { problems.add("\(at)（居住点）缺少 id（feature.id 或 properties.id）"); continue }
                let label = "\(at)（居住点 \(id)）"
                guard Self.acceptable(id: id) else { problems.add("\(label)：id 须为 1–64 个字符，不含控制字符"); continue }
                guard siteIDs.insert(id).inserted else { problems.add("\(label)：居住点 id 重复"); continue }
                guard let code = properties.subdistrict?.text else { problems.add("\(label)：缺少 properties.subdistrict（所在街道代码）"); continue }
                guard known[code] != nil else { problems.add("\(label)：本区（\(district)）没有街道 \(code)"); continue }
                guard let residents = properties.residents else { problems.add("\(label)：缺少 properties.residents（居民人数，整数）"); continue }
                guard (0...limits.maxResidentsPerSite).contains(residents) else {
                    problems.add("\(label)：residents 为 \(residents)，应在 0–\(limits.maxResidentsPerSite) 之间")
                    continue
                }
                guard case .point(let position) = geometry.coordinates else { problems.add("\(label)：居住点应为 Point，当前为 \(geometry.typeName)"); continue }
                switch Self.point(position, limits: limits) {
                case .success(let location):
                    sites.append(ResidentialSite(id: id, subdistrict: code, name: properties.name, residents: residents, location: location))
                case .failure(let error): problems.add("\(label)：\(error.message)")
                }
            case let kind?:
                problems.add("\(at)：properties.kind 为 \(kind)，应为 subdistrict（街道边界）、facility（服务点）或 residential（居住点）")
            case nil:
                problems.add("\(at)：缺少 properties.kind（subdistrict、facility 或 residential）")
            }
            if problems.full { break }
        }
        if positions > limits.maxPositions { problems.add("边界共有 \(positions) 个点，超过上限 \(limits.maxPositions)；请先抽稀") }
        let missing = subdistrictsOfDistrict.filter { boundaries[$0.code] == nil }
        if problems.isEmpty, !missing.isEmpty {
            problems.add("缺少街道边界：\(missing.map { "\($0.code) \($0.name)" }.joined(separator: "、"))（本区每个街道须有且只有一个 subdistrict 要素）")
        }
        try problems.throwIfAny()

        // The shapes, on the district's plane.
        var geography = DistrictGeography(district: district, subdistricts: subdistrictsOfDistrict.compactMap { boundaries[$0.code] },
                                          servicePoints: points, sites: sites, synthetic: synthetic, source: source)
        let projection = geography.projection
        let polygons = Dictionary(uniqueKeysWithValues: geography.subdistricts.map { ($0.code, $0.planar(projection)) })
        for boundary in geography.subdistricts {
            guard let polygon = polygons[boundary.code] else { continue }
            for ring in polygon.rings where abs(PlanarPolygon.signedArea(ring)) < 1 {
                problems.add("街道 \(boundary.code) 的边界有面积为零的环（点重合或共线）")
                break
            }
        }
        for site in sites {
            let point = projection.project(site.location)
            guard let polygon = polygons[site.subdistrict], !polygon.contains(point) else { continue }
            let distance = polygon.distanceToBoundary(point)
            if distance > limits.siteTolerance {
                problems.add("居住点 \(site.id) 在街道 \(site.subdistrict) 的边界外 \(Int(distance.rounded())) 米（容差 \(Int(limits.siteTolerance)) 米）：请核对坐标或所在街道")
            }
            if problems.full { break }
        }
        let all = PlanarPolygon(parts: polygons.values.flatMap(\.parts))
        let bounds = all.bounds
        let extent = max(bounds.max.x - bounds.min.x, bounds.max.y - bounds.min.y)
        if extent > limits.maxExtentMetres {
            problems.add("各街道边界合起来跨度约 \(Int((extent / 1000).rounded())) 公里，超过一个辖区的上限 \(Int(limits.maxExtentMetres / 1000)) 公里：请核对坐标（是否混入了别处的点）")
        }
        for point in points {
            let p = projection.project(point.location)
            let outside = max(bounds.min.x - p.x, p.x - bounds.max.x, bounds.min.y - p.y, p.y - bounds.max.y)
            if outside > limits.servicePointMargin {
                problems.add("服务点 \(point.id) 在本区边界范围外约 \(Int(outside.rounded())) 米：请核对坐标")
            }
            if problems.full { break }
        }
        try problems.throwIfAny()
        geography.source = source
        return geography
    }

    /// A position as a point, or why it is not one.
    static func point(_ position: [Double], limits: GeographyLimits) -> Result<GeoPoint, PositionError> {
        guard position.count == 2 || position.count == 3 else {
            return .failure(PositionError("坐标应为 [经度, 纬度]，当前有 \(position.count) 个数"))
        }
        let point = GeoPoint(longitude: position[0], latitude: position[1])
        guard position.allSatisfy(\.isFinite), limits.longitudes.contains(point.longitude), limits.latitudes.contains(point.latitude) else {
            let swapped = limits.longitudes.contains(point.latitude) && limits.latitudes.contains(point.longitude)
            return .failure(PositionError("坐标 \(text(position)) 超出范围：经度应在 \(Int(limits.longitudes.lowerBound))–\(Int(limits.longitudes.upperBound))，纬度应在 \(Int(limits.latitudes.lowerBound))–\(Int(limits.latitudes.upperBound))（单位为度，经度在前）" + (swapped ? "；看起来经纬度写反了" : "")))
        }
        return .success(point)
    }

    struct PositionError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func text(_ position: [Double]) -> String { "[" + position.map { String($0) }.joined(separator: ", ") + "]" }

    static func acceptable(id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && !id.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }

    /// Up to ten problems, then the rest are counted.
    struct Problems {
        private(set) var messages: [String] = []
        private(set) var more = 0
        var isEmpty: Bool { messages.isEmpty }
        var full: Bool { messages.count >= 10 }

        mutating func add(_ message: String) {
            if full { more += 1 } else { messages.append(message) }
        }

        func throwIfAny() throws {
            guard !messages.isEmpty else { return }
            throw GeographyError.invalid(messages.joined(separator: "；") + (more > 0 ? "；另有 \(more) 处问题" : ""))
        }
    }
}
