import Foundation

/// An administrative division (行政区划) per GB/T 2260, down to 街道/镇.
public struct Division: Sendable, Codable, Equatable {
    /// The code: 6 digits for province and district, 9 for 街道/镇.
    public var code: String
    /// The Chinese name.
    public var name: String
    /// `province`, `district` or `subdistrict`.
    public var level: String
    /// The enclosing division's code.
    public var parent: String?
    /// Approximate resident population, where known.
    public var population: Int?
    /// Area in km², where known.
    public var areaKm2: Double?
}

/// A health institution (医疗卫生机构) with its place in the hierarchy and its catchment 街道.
public struct Institution: Sendable, Codable, Equatable {
    /// A stable id, also the FHIR Organization id (`cn-tongren`).
    public var id: String
    /// The full Chinese name.
    public var name: String
    /// The usual short name.
    public var shortName: String?
    /// `hospital`, `tcm-hospital`, `maternal-child`, `mental-health`, `chc`, `chc-branch`, `station`,
    /// `village-clinic`, `cdc`, `supervision`, `health-commission`, `emergency`, `other`.
    public var type: String
    /// `tertiary`, `secondary`, `primary` or nil.
    public var level: String?
    /// The district (GB/T 2260) it belongs to.
    public var district: String
    /// The parent institution's id (a station's CHC, a CHC's health commission).
    public var parent: String?
    /// The 街道/镇 it serves.
    public var catchment: [String]
    /// Special roles, e.g. `regional-medical-centre`.
    public var roles: [String]?
    /// Which seed document names it.
    public var source: String?
}

/// The divisions and institutions shipped with the platform (see `Data/README.md`).
public enum Catalog {
    /// All divisions.
    public static let divisions: [Division] = load("divisions")

    /// The 街道 and 镇 of a district, in catalogue order.
    public static func subdistricts(of district: String) -> [Division] {
        divisions.filter { $0.level == "subdistrict" && $0.parent == district }
    }
    /// All institutions.
    public static let institutions: [Institution] = load("institutions")

    private static func load<T: Decodable>(_ name: String) -> [T] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Data") else {
            fatalError("registry data \(name).json is missing from the build")
        }
        do {
            return try JSONDecoder().decode([T].self, from: Data(contentsOf: url))
        } catch {
            fatalError("registry data \(name).json is unreadable: \(error)")
        }
    }

    /// Chinese names of institution types, for display.
    public static let typeNames: [String: String] = [
        "hospital": "综合医院", "tcm-hospital": "中医（中西医结合）医院", "maternal-child": "妇幼保健机构",
        "mental-health": "精神卫生中心", "chc": "社区卫生服务中心", "chc-branch": "社区卫生服务分中心",
        "station": "社区卫生服务站", "village-clinic": "村卫生室", "cdc": "疾病预防控制中心",
        "supervision": "卫生健康监督所", "health-commission": "卫生健康委员会", "emergency": "急救中心", "other": "其他机构",
    ]
}
