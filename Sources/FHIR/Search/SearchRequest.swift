import Foundation

/// A parsed FHIR search: criteria over indexed parameters plus the result controls.
public struct SearchRequest: Sendable {
    /// One criterion: a parameter, its modifier and its OR-ed values.
    public struct Criterion: Sendable {
        /// The parameter name as written (`birthdate`, `_id`, `_lastUpdated`).
        public var name: String
        /// The modifier after the colon (`exact`, `contains`, `missing`, `not`, or a type for references).
        public var modifier: String?
        /// The values, already split on unescaped commas.
        public var values: [String]
        /// The parameter's definition; nil for `_id` and `_lastUpdated`.
        public var definition: SearchParameterDefinition?
    }

    /// A sort key: parameter and direction.
    public struct SortKey: Sendable {
        public var name: String
        public var descending: Bool
        public var definition: SearchParameterDefinition?
    }

    /// An `_include` or `_revinclude`: source type, reference parameter and optional target type.
    public struct Include: Sendable {
        public var sourceType: String
        public var parameter: String
        public var targetType: String?
    }

    /// The resource type searched.
    public var type: String
    /// AND-ed criteria.
    public var criteria: [Criterion] = []
    /// Page size.
    public var count: Int = 20
    /// Offset of the page.
    public var offset: Int = 0
    /// Sort keys in order.
    public var sort: [SortKey] = []
    /// `_include` directives.
    public var includes: [Include] = []
    /// `_revinclude` directives.
    public var revIncludes: [Include] = []
    /// `_summary` (`true`, `false`, `text`, `data`, `count`).
    public var summary: String?
    /// `_elements`.
    public var elements: [String]?
    /// Whether to compute the total (`_total=none` turns it off).
    public var wantsTotal: Bool = true
    /// Parameters that were ignored (lenient handling), reported back to the client.
    public var ignored: [String] = []
    /// The parameters actually used, for the self link.
    public var used: [(String, String)] = []

    /// The largest page a client may ask for.
    public static let maximumCount = 1000

    /// Parses query items. With `strict` handling, unknown parameters fail with 400; otherwise they are ignored and reported.
    public init(type: String, query: [(String, String)], definitions: FHIRDefinitions, strict: Bool) throws {
        self.type = type
        let parameters = definitions.searchParameters[type] ?? [:]
        for (rawName, value) in query {
            let parts = rawName.split(separator: ":", maxSplits: 1).map(String.init)
            let name = parts.first ?? rawName
            let modifier = parts.count > 1 ? parts[1] : nil
            switch name {
            case "_count":
                guard let number = Int(value), number >= 0 else { throw FHIRError.badRequest("_count must be a whole number ≥ 0, not '\(value)'") }
                count = min(number, Self.maximumCount)
            case "_offset", "_getpagesoffset":
                guard let number = Int(value), number >= 0 else { throw FHIRError.badRequest("_offset must be a whole number ≥ 0, not '\(value)'") }
                offset = number
            case "_sort":
                for key in value.split(separator: ",").map(String.init) {
                    let descending = key.hasPrefix("-")
                    let keyName = descending ? String(key.dropFirst()) : key
                    if keyName == "_id" || keyName == "_lastUpdated" {
                        sort.append(SortKey(name: keyName, descending: descending, definition: nil))
                    } else if let definition = parameters[keyName], ["string", "token", "date", "number", "quantity", "uri"].contains(definition.type) {
                        sort.append(SortKey(name: keyName, descending: descending, definition: definition))
                    } else {
                        throw FHIRError.badRequest("Cannot sort \(type) by '\(keyName)'; sortable parameters are _id, _lastUpdated and the \(type) string, token, date and number parameters")
                    }
                }
            case "_include", "_revinclude":
                let include = try Self.parseInclude(value, definitions: definitions, isReverse: name == "_revinclude", searchedType: type)
                if name == "_include" { includes.append(include) } else { revIncludes.append(include) }
            case "_summary":
                guard ["true", "false", "text", "data", "count"].contains(value) else {
                    throw FHIRError.badRequest("_summary must be true, false, text, data or count")
                }
                summary = value
            case "_elements":
                elements = value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            case "_total":
                wantsTotal = value != "none"
            case "_format", "_pretty":
                break
            case "_id", "_lastUpdated":
                criteria.append(Criterion(name: name, modifier: modifier, values: Self.splitValues(value), definition: nil))
            default:
                if let definition = parameters[name] {
                    try Self.checkModifier(modifier, for: definition)
                    criteria.append(Criterion(name: name, modifier: modifier, values: Self.splitValues(value), definition: definition))
                } else if strict {
                    let known = parameters.keys.sorted().joined(separator: ", ")
                    throw FHIRError.badRequest("Unknown search parameter '\(name)' for \(type). Known parameters: _id, _lastUpdated, \(known)")
                } else {
                    ignored.append(rawName)
                    continue
                }
            }
            if !["_format", "_pretty", "_offset", "_getpagesoffset"].contains(name) {
                used.append((rawName, value))
            }
        }
    }

    private static func checkModifier(_ modifier: String?, for definition: SearchParameterDefinition) throws {
        guard let modifier else { return }
        let allowed: [String]
        switch definition.type {
        case "string": allowed = ["exact", "contains", "missing"]
        case "token", "uri": allowed = ["not", "missing"]
        case "reference":
            if let first = modifier.first, first.isUppercase { return }
            allowed = ["missing"]
        default: allowed = ["missing"]
        }
        guard allowed.contains(modifier) else {
            throw FHIRError.badRequest("The modifier ':\(modifier)' is not supported on the \(definition.type) parameter '\(definition.name)'; supported: \(allowed.map { ":" + $0 }.joined(separator: ", "))")
        }
    }

    private static func parseInclude(_ value: String, definitions: FHIRDefinitions, isReverse: Bool, searchedType: String) throws -> Include {
        let parts = value.split(separator: ":").map(String.init)
        let label = isReverse ? "_revinclude" : "_include"
        guard parts.count == 2 || parts.count == 3 else {
            throw FHIRError.badRequest("\(label) must be Type:parameter or Type:parameter:TargetType, not '\(value)'")
        }
        guard let definition = definitions.searchParameters[parts[0]]?[parts[1]], definition.type == "reference" else {
            throw FHIRError.badRequest("\(label)=\(value): '\(parts[1])' is not a reference parameter of \(parts[0])")
        }
        if !isReverse && parts[0] != searchedType {
            throw FHIRError.badRequest("_include=\(value) must start with the searched type \(searchedType)")
        }
        return Include(sourceType: parts[0], parameter: parts[1], targetType: parts.count == 3 ? parts[2] : nil)
    }

    /// Splits on commas not escaped by a backslash, and unescapes `\,` `\|` `\$` `\\`.
    static func splitValues(_ value: String) -> [String] {
        var values: [String] = []
        var current = ""
        var escaped = false
        for character in value {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                values.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        values.append(current)
        return values
    }
}
