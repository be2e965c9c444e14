import FHIR
import Foundation
import Storage

/// Indicators as FHIR R4 resources: a definition as a `Measure` (proportion scoring, improvement notation),
/// a district's value of a month as a summary `MeasureReport` (numerator and denominator populations,
/// measure score), the area in an identifier.
enum FHIRMeasures {
    static let base = "https://weijian.health/Measure/"

    static func measure(_ definition: IndicatorDefinition) -> JSONValue {
        .object([
            "resourceType": .string("Measure"), "id": .string("indicator-\(definition.code)"), "url": .string(base + definition.code),
            "name": .string(definition.code.replacingOccurrences(of: "-", with: "_")), "title": .string(definition.name), "status": .string("active"),
            "description": .string(definition.definition),
            "scoring": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/measure-scoring"),
                                                           "code": .string(definition.unit == "%" ? "proportion" : "continuous-variable")])])]),
            "improvementNotation": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/measure-improvement-notation"),
                                                                       "code": .string(definition.direction == "down" ? "decrease" : "increase")])])]),
        ])
    }

    static func reportID(_ value: IndicatorValue) -> String { "mr-\(value.code)-\(value.area)-\(value.period)" }

    static func report(_ value: IndicatorValue, definition: IndicatorDefinition, district: String) -> JSONValue {
        let start = value.period + "-01"
        let end = CalendarDay.shift(CalendarDay.shift(start, days: 31).prefix(7) + "-01", days: -1)
        var group: [String: JSONValue] = ["measureScore": .object(["value": .decimal(value.value), "unit": .string(definition.unit)])]
        var populations: [JSONValue] = []
        for (code, count) in [("numerator", value.numerator), ("denominator", value.denominator)] {
            guard let count else { continue }
            populations.append(.object(["code": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/measure-population"),
                                                                                    "code": .string(code)])])]),
                                        "count": .integer(Int64(count.rounded()))]))
        }
        if !populations.isEmpty { group["population"] = .array(populations) }
        return .object([
            "resourceType": .string("MeasureReport"), "id": .string(reportID(value)), "status": .string("complete"), "type": .string("summary"),
            "measure": .string(base + value.code),
            "identifier": .array([.object(["system": .string("https://weijian.health/sid/indicator-area"), "value": .string(value.area)])]),
            "period": .object(["start": .string(start), "end": .string(end)]),
            "group": .array([.object(group)]),
        ])
    }

    /// Whether two resources say the same, ignoring what the store adds (meta).
    static func sameContent(_ stored: JSONValue, _ new: JSONValue) -> Bool {
        guard case .object(var a) = stored, case .object(let b) = new else { return false }
        a["meta"] = nil
        return same(.object(a), .object(b))
    }

    /// Equality with numbers compared by value (a stored 100.0 reads back as the integer 100).
    static func same(_ x: JSONValue, _ y: JSONValue) -> Bool {
        switch (x, y) {
        case (.integer(let a), .decimal(let b)), (.decimal(let b), .integer(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (.object(let a), .object(let b)): return a.keys == b.keys && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        default: return x == y
        }
    }
}
