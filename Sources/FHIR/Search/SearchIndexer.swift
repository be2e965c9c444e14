import Foundation

/// The search-index rows of one resource, one list per parameter type.
public struct IndexEntries: Sendable, Equatable {
    /// `param`, `system`, `code` rows (token and uri parameters).
    public struct Token: Sendable, Equatable { public var param: String; public var system: String?; public var code: String }
    /// `param`, normalised `value` rows (string parameters).
    public struct StringValue: Sendable, Equatable { public var param: String; public var value: String }
    /// `param`, target `type` and `id` rows (reference parameters).
    public struct Reference: Sendable, Equatable { public var param: String; public var type: String; public var id: String }
    /// `param`, `low`/`high` millisecond rows (date parameters).
    public struct DateValue: Sendable, Equatable { public var param: String; public var low: Int64; public var high: Int64 }
    /// `param`, `value` rows (number parameters).
    public struct Number: Sendable, Equatable { public var param: String; public var value: Double }
    /// `param`, `system`, `code`, `value` rows (quantity parameters).
    public struct Quantity: Sendable, Equatable { public var param: String; public var system: String?; public var code: String?; public var value: Double }

    public var tokens: [Token] = []
    public var strings: [StringValue] = []
    public var references: [Reference] = []
    public var dates: [DateValue] = []
    public var numbers: [Number] = []
    public var quantities: [Quantity] = []

    /// Creates an empty set.
    public init() {}
}

/// Extracts search-index rows from a resource, driven by the search-parameter definitions.
///
/// Values are read by their JSON shape (Coding, CodeableConcept, Identifier, ContactPoint,
/// HumanName, Address, Period, Quantity, Reference), so one mechanism serves every parameter.
public struct SearchIndexer: Sendable {
    /// The definitions whose search parameters are indexed.
    public let definitions: FHIRDefinitions

    /// Creates an indexer.
    public init(definitions: FHIRDefinitions = .shared) {
        self.definitions = definitions
    }

    /// The index rows for `resource` of type `type`.
    public func entries(for resource: JSONValue, type: String) -> IndexEntries {
        var entries = IndexEntries()
        guard let parameters = definitions.indexPlans[type] else { return entries }
        for parameter in parameters {
            for path in parameter.paths {
                for value in Self.evaluate(path, in: resource) {
                    if !parameter.filter.allSatisfy({ value[$0.key]?.stringValue == $0.value }) { continue }
                    add(value, for: parameter, to: &entries)
                }
            }
        }
        return entries
    }

    /// The values at a dotted path, arrays flattened at every step.
    public static func evaluate(_ path: String, in resource: JSONValue) -> [JSONValue] {
        evaluate(path.split(separator: ".").map(String.init), in: resource)
    }

    /// The values at a path given as steps, arrays flattened at every step.
    static func evaluate(_ steps: [String], in resource: JSONValue) -> [JSONValue] {
        guard let first = steps.first, let start = resource[first] else { return [] }
        var current = start.items
        for key in steps.dropFirst() {
            if current.isEmpty { break }
            current = current.flatMap { $0[key]?.items ?? [] }
        }
        return current
    }

    /// Normalises text for string search: case- and accent-insensitive.
    public static func normalize(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    private func add(_ value: JSONValue, for parameter: IndexedParameter, to entries: inout IndexEntries) {
        let name = parameter.name
        switch parameter.kind {
        case .token:
            for (system, code) in Self.tokens(of: value) {
                entries.tokens.append(.init(param: name, system: system, code: code))
            }
        case .string:
            for text in Self.strings(of: value) {
                entries.strings.append(.init(param: name, value: Self.normalize(text)))
            }
        case .reference:
            if let text = value["reference"]?.stringValue ?? value.stringValue {
                if let reference = ReferenceValue(text) {
                    entries.references.append(.init(param: name, type: reference.type, id: reference.id))
                } else if value.stringValue != nil {
                    // canonical or absolute URI without a resource path
                    entries.references.append(.init(param: name, type: "", id: text))
                }
            }
        case .date:
            if let range = Self.dateRange(of: value) {
                entries.dates.append(.init(param: name, low: range.low, high: range.high))
            }
        case .number:
            if let number = value.doubleValue {
                entries.numbers.append(.init(param: name, value: number))
            }
        case .quantity:
            if let number = value["value"]?.doubleValue {
                entries.quantities.append(.init(
                    param: name,
                    system: value["system"]?.stringValue,
                    code: value["code"]?.stringValue ?? value["unit"]?.stringValue,
                    value: number
                ))
            }
        case .other:
            break
        }
    }

    static func tokens(of value: JSONValue) -> [(String?, String)] {
        switch value {
        case .string(let text): return [(nil, text)]
        case .bool(let flag): return [(nil, flag ? "true" : "false")]
        case .integer(let number): return [(nil, String(number))]
        case .object(let members):
            if let codings = members["coding"]?.arrayValue {
                return codings.flatMap(tokens(of:))
            }
            if let code = members["code"]?.stringValue {
                return [(members["system"]?.stringValue, code)]
            }
            if let text = members["value"]?.stringValue {
                return [(members["system"]?.stringValue, text)]
            }
            return []
        default:
            return []
        }
    }

    private static let skippedStringMembers: Set<String> = ["use", "type", "id", "extension", "period"]

    static func strings(of value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .object(let members):
            var found: [String] = []
            for (key, member) in members where !skippedStringMembers.contains(key) {
                for item in member.items {
                    if let text = item.stringValue { found.append(text) }
                }
            }
            // A name is also findable as written whole: family then given (张三), as Chinese names are.
            if let family = members["family"]?.stringValue, let given = members["given"]?.arrayValue?.compactMap(\.stringValue), !given.isEmpty {
                found.append(family + given.joined())
            }
            return found
        default:
            return []
        }
    }

    static func dateRange(of value: JSONValue) -> FHIRDateRange? {
        switch value {
        case .string(let text):
            return FHIRDateRange.parse(text)
        case .object(let members):
            if members["start"] != nil || members["end"] != nil {
                let start = members["start"]?.stringValue.flatMap(FHIRDateRange.parse)
                let end = members["end"]?.stringValue.flatMap(FHIRDateRange.parse)
                return FHIRDateRange(low: start?.low ?? Int64.min / 2, high: end?.high ?? Int64.max / 2)
            }
            if let events = members["event"]?.arrayValue?.compactMap({ $0.stringValue.flatMap(FHIRDateRange.parse) }), !events.isEmpty {
                return FHIRDateRange(low: events.map(\.low).min() ?? 0, high: events.map(\.high).max() ?? 0)
            }
            return nil
        default:
            return nil
        }
    }
}
