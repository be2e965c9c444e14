import Foundation

/// A refused geography (地理数据) upload.
public enum GeographyError: Error, Equatable, CustomStringConvertible {
    /// Not JSON, or not shaped as GeoJSON (400).
    case malformed(String)
    /// GeoJSON, but not acceptable: bad coordinates, unknown 街道 or institution, unclosed rings, too many
    /// points… (422). The message names the features, in Chinese, so that a person can correct them.
    case invalid(String)

    public var description: String {
        switch self {
        case .malformed(let message), .invalid(let message): message
        }
    }
}

/// How much one upload may hold, and how far points may stray from the boundaries.
public struct GeographyLimits: Sendable {
    public var maxFeatures = 50_000
    /// Points in one ring (a 街道's boundary from a survey is a few thousand; simplify finer ones first).
    public var maxRingPositions = 20_000
    /// Points in all the boundaries together.
    public var maxPositions = 1_000_000
    public var maxResidentsPerSite = 200_000
    /// How far outside its 街道's boundary a residential site may lie, metres (geocoding slack).
    public var siteTolerance = 200.0
    /// How far outside the district's boundaries a service point may lie, metres.
    public var servicePointMargin = 2_000.0
    /// The widest a district's boundaries may spread, metres (Shanghai is about 100 km across); it also bounds
    /// the computation's grid.
    public var maxExtentMetres = 200_000.0
    /// Longitudes and latitudes accepted: China's extent, which also catches swapped coordinates.
    public var longitudes = 73.0...136.0
    public var latitudes = 3.0...54.0

    public init() {}
}

/// A district's geography as GeoJSON (RFC 7946): one FeatureCollection whose features say what they are in
/// `properties.kind`:
///
/// - `subdistrict`: a 街道/镇's boundary, Polygon or MultiPolygon, `code` its 9-digit division code;
///   every 街道 of the district exactly once.
/// - `facility`: a service point, Point, `institution` a registry institution of the district that is a
///   社区卫生服务中心 (`chc`), 分中心 (`chc-branch`), 服务站 (`station`) or 村卫生室 (`village-clinic`).
///   A 分中心/站/村卫生室 the registry does not list on its own is given with its CHC as `institution`, its
///   own `type`, `name` and an `id`.
/// - `residential`: a residential site (小区/村), Point, `id`, `subdistrict` (its 街道's code), `name`,
///   `residents` (an integer).
///
/// Ids may be the feature's `id` or `properties.id`. Other properties are ignored. Coordinates are
/// [longitude, latitude] in degrees (an altitude is ignored).
public struct GeographyDocument: Codable, Sendable {
    public var type: String
    /// Where the data come from (free text, at most 200 characters), shown beside the results.
    public var source: String?
    public var features: [Feature]

    public init(source: String?, features: [Feature]) {
        self.type = "FeatureCollection"
        self.source = source
        self.features = features
    }

    public struct Feature: Codable, Sendable {
        public var type: String
        public var id: TextOrNumber?
        public var geometry: Geometry?
        public var properties: Properties?

        public init(id: String?, geometry: Geometry, properties: Properties) {
            self.type = "Feature"
            self.id = id.map(TextOrNumber.init)
            self.geometry = geometry
            self.properties = properties
        }
    }

    /// An id or code given as a string or as an integer (both occur in real data).
    public struct TextOrNumber: Codable, Sendable, Equatable {
        public var text: String

        public init(_ text: String) { self.text = text }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                text = String(integer)
            } else {
                text = try container.decode(String.self)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }
    }

    public struct Properties: Codable, Sendable {
        /// `subdistrict`, `facility` or `residential`.
        public var kind: String?
        public var code: TextOrNumber?
        public var id: TextOrNumber?
        public var institution: String?
        public var type: String?
        public var name: String?
        public var subdistrict: TextOrNumber?
        public var residents: Int?

        public init(kind: String, code: String? = nil, id: String? = nil, institution: String? = nil, type: String? = nil, name: String? = nil,
                    subdistrict: String? = nil, residents: Int? = nil) {
            self.kind = kind
            self.code = code.map(TextOrNumber.init)
            self.id = id.map(TextOrNumber.init)
            self.institution = institution
            self.type = type
            self.name = name
            self.subdistrict = subdistrict.map(TextOrNumber.init)
            self.residents = residents
        }
    }

    /// A Point, Polygon or MultiPolygon (the only geometries the circle uses).
    public struct Geometry: Codable, Sendable {
        public var coordinates: Coordinates

        public init(_ coordinates: Coordinates) { self.coordinates = coordinates }

        enum Keys: String, CodingKey { case type, coordinates }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case "Point": coordinates = .point(try container.decode([Double].self, forKey: .coordinates))
            case "Polygon": coordinates = .polygon(try container.decode([[[Double]]].self, forKey: .coordinates))
            case "MultiPolygon": coordinates = .multiPolygon(try container.decode([[[[Double]]]].self, forKey: .coordinates))
            default:
                throw GeographyError.invalid("\(GeographyDocument.path(decoder.codingPath)) 的几何类型为 \(type)：街道边界应为 Polygon 或 MultiPolygon，服务点和居住点应为 Point")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            switch coordinates {
            case .point(let point):
                try container.encode("Point", forKey: .type)
                try container.encode(point, forKey: .coordinates)
            case .polygon(let rings):
                try container.encode("Polygon", forKey: .type)
                try container.encode(rings, forKey: .coordinates)
            case .multiPolygon(let parts):
                try container.encode("MultiPolygon", forKey: .type)
                try container.encode(parts, forKey: .coordinates)
            }
        }

        var typeName: String {
            switch coordinates {
            case .point: "Point"
            case .polygon: "Polygon"
            case .multiPolygon: "MultiPolygon"
            }
        }
    }

    public enum Coordinates: Sendable, Equatable {
        case point([Double])
        case polygon([[[Double]]])
        case multiPolygon([[[[Double]]]])
    }

    /// `features[3].geometry.coordinates[0]` from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "文档" : text
    }

    /// Parses an upload with Foundation's JSONDecoder; errors come back in Chinese with the place they are at.
    public static func decode(_ data: Data) throws -> GeographyDocument {
        do {
            return try JSONDecoder().decode(GeographyDocument.self, from: data)
        } catch let error as GeographyError {
            throw error
        } catch let error as DecodingError {
            switch error {
            case .typeMismatch(let type, let context):
                let expected = type == Int.self ? "整数" : type == Double.self ? "数字" : type == String.self ? "字符串" : "\(type)"
                throw GeographyError.malformed("\(path(context.codingPath)) 的类型不对：应为\(expected)（坐标为数字数组，residents 为整数）")
            case .keyNotFound(let key, let context):
                throw GeographyError.malformed("\(path(context.codingPath + [key])) 缺失（GeoJSON FeatureCollection 需要 type、features，每个 Feature 需要 type、geometry、properties）")
            case .valueNotFound(_, let context):
                throw GeographyError.malformed("\(path(context.codingPath)) 不能为 null")
            case .dataCorrupted(let context):
                throw GeographyError.malformed(context.codingPath.isEmpty ? "请求体不是合法的 JSON（应为 GeoJSON FeatureCollection，UTF-8 编码）" : "\(path(context.codingPath)) 的值无效（坐标须为数字，residents 须为整数）")
            @unknown default:
                throw GeographyError.malformed("请求体不是合法的 GeoJSON")
            }
        } catch {
            throw GeographyError.malformed("请求体不是合法的 JSON（应为 GeoJSON FeatureCollection，UTF-8 编码）")
        }
    }
}
