import Foundation

/// One element of a FHIR type as the validator sees it: allowed types, cardinality,
/// required codes, reference targets and, for backbone elements, its children.
///
/// A class, read-only after loading: the validator looks elements up for every member of every
/// resource, and handing one out is then a single reference count instead of one per field.
public final class ElementDefinition: Sendable, Decodable {
    /// Allowed type codes (several for a choice element `value[x]`).
    public let type: [String]?
    /// Minimum cardinality.
    public let min: Int?
    /// Maximum cardinality, `"1"` or `"*"` (or a number).
    public let max: String?
    /// Codes of a required binding, when the validator enforces one.
    public let codes: [String]?
    /// Allowed target resource types of a Reference.
    public let targets: [String]?
    /// Children of a backbone element.
    public let elements: [String: ElementDefinition]?
    /// `#Type.path` of the element whose definition this element reuses.
    public let contentReference: String?
    /// True when the element may repeat.
    public let isRepeating: Bool
    /// `max` as a number, when it is one.
    let maxCount: Int?
    /// The type of a value of this element named without a type suffix: its only type, else
    /// `BackboneElement` for an element with children, else the first type.
    let typeCode: String?
    /// True when `min` is above zero.
    let isRequired: Bool
    /// The children with a minimum cardinality above zero, found once.
    let requiredChildren: [(name: String, definition: ElementDefinition)]

    private enum CodingKeys: String, CodingKey {
        case type, min, max, codes, targets, elements, contentReference
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent([String].self, forKey: .type)
        min = try container.decodeIfPresent(Int.self, forKey: .min)
        max = try container.decodeIfPresent(String.self, forKey: .max)
        codes = try container.decodeIfPresent([String].self, forKey: .codes)
        targets = try container.decodeIfPresent([String].self, forKey: .targets)
        elements = try container.decodeIfPresent([String: ElementDefinition].self, forKey: .elements)
        contentReference = try container.decodeIfPresent(String.self, forKey: .contentReference)
        isRepeating = (max ?? "1") != "1"
        maxCount = max.flatMap { Int($0) }
        typeCode = type?.count == 1 ? type?.first : (elements != nil ? "BackboneElement" : type?.first)
        isRequired = (min ?? 0) > 0
        requiredChildren = elements.map(Self.required(in:)) ?? []
    }

    /// The elements of `elements` with a minimum cardinality above zero, by name.
    static func required(in elements: [String: ElementDefinition]) -> [(name: String, definition: ElementDefinition)] {
        elements.filter(\.value.isRequired).map { ($0.key, $0.value) }.sorted { $0.name < $1.name }
    }
}

/// A FHIR datatype or resource: its kind and elements.
public struct TypeDefinition: Sendable, Decodable {
    /// `primitive`, `complex` or `resource`.
    public let kind: String
    /// Elements by name (choice elements end with `[x]`).
    public let elements: [String: ElementDefinition]
    /// The elements with a minimum cardinality above zero, found once.
    let required: [(name: String, definition: ElementDefinition)]

    private enum CodingKeys: String, CodingKey {
        case kind, elements
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(String.self, forKey: .kind)
        elements = try container.decode([String: ElementDefinition].self, forKey: .elements)
        required = ElementDefinition.required(in: elements)
    }
}

/// A search parameter of one resource type, as data (`search-parameters.json`).
public struct SearchParameterDefinition: Sendable, Decodable, Hashable {
    /// The resource type it belongs to.
    public var resource: String
    /// Its name in a query (`birthdate`, `code`).
    public var name: String
    /// `token`, `string`, `reference`, `date`, `number`, `quantity` or `uri`.
    public var type: String
    /// Simplified paths from the resource root, dotted, with concrete choice names.
    public var paths: [String]
    /// Allowed target types for reference parameters.
    public var targets: [String]?
    /// A restriction on the found values (e.g. `system: phone` for ContactPoint).
    public var `where`: [String: String]?
}

/// The FHIR R4 definitions this server validates and indexes with, loaded from the target's resources.
public final class FHIRDefinitions: Sendable {
    /// The FHIR version of the definitions.
    public let fhirVersion: String
    /// Types by name (resources and datatypes).
    public let types: [String: TypeDefinition]
    /// Primitive type names with their regular expression (nil where none applies).
    public let primitivePatterns: [String: String]
    /// Search parameters by resource type, then name.
    public let searchParameters: [String: [String: SearchParameterDefinition]]
    /// The resource types this server supports.
    public let supportedResourceTypes: [String]
    /// Search parameters per type with their paths split into steps, for the indexer.
    let indexedParameters: [String: [(definition: SearchParameterDefinition, paths: [[String]])]]
    /// ``indexedParameters`` in the form the indexer walks for every resource written.
    let indexPlans: [String: [IndexedParameter]]
    /// The kinds of index rows a resource of each type can have (the index tables it can have rows in),
    /// so that replacing a version clears only those tables.
    let indexKinds: [String: Set<IndexedParameter.Kind>]
    /// For each type and search parameter, the parameters whose index rows hold its values: itself,
    /// or, for a parameter whose paths are exactly those of other parameters of the same type
    /// (`Observation.combo-code` = `code` + `component-code`, `patient` = `subject`), those parameters.
    /// Such a parameter's rows would repeat theirs, so they are not stored; a search reads theirs.
    public let indexRowSources: [String: [String: [String]]]

    /// Pairs of a reference and a date parameter (stored names, see ``indexRowSources``) whose values are also
    /// indexed together, one row per pair of values, in `fhir_idx_reference_date`: a search naming both (a CHC's
    /// encounters of one day, a doctor's) reads the few rows of that organisation on that day, where either index
    /// alone holds hundreds of thousands at a district's size. Changing the list needs a migration that fills the rows.
    public static let referenceDatePairs: [String: [(reference: String, date: String)]] = [
        "Encounter": [("service-provider", "date"), ("participant", "date")],
    ]

    private struct StructureFile: Decodable {
        var fhirVersion: String
        var primitives: [String: String?]
        var types: [String: TypeDefinition]
    }

    /// The resource types the REST API serves.
    public static let supportedTypes = [
        "Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "Condition",
        "Observation", "DiagnosticReport", "MedicationRequest", "Immunization", "ServiceRequest", "Task",
        "Appointment", "Slot", "Schedule", "EpisodeOfCare", "CareTeam", "CarePlan", "Measure", "MeasureReport",
        "Communication", "AuditEvent", "Procedure", "RiskAssessment", "ClinicalImpression", "ImagingStudy", "Endpoint",
    ]

    /// Loads the definitions shipped with the FHIR target.
    public static let shared: FHIRDefinitions = {
        do {
            return try FHIRDefinitions(bundle: .module)
        } catch {
            fatalError("FHIR definitions shipped with the server are unreadable: \(error)")
        }
    }()

    init(bundle: Bundle) throws {
        guard let structuresURL = bundle.url(forResource: "structures", withExtension: "json", subdirectory: "Definitions"),
              let parametersURL = bundle.url(forResource: "search-parameters", withExtension: "json", subdirectory: "Definitions")
        else {
            throw CocoaError(.fileNoSuchFile)
        }
        let structures = try JSONDecoder().decode(StructureFile.self, from: Data(contentsOf: structuresURL))
        let parameters = try JSONDecoder().decode([SearchParameterDefinition].self, from: Data(contentsOf: parametersURL))
        fhirVersion = structures.fhirVersion
        types = structures.types
        primitivePatterns = structures.primitives.compactMapValues { $0 }
        var byType: [String: [String: SearchParameterDefinition]] = [:]
        for parameter in parameters where Self.supportedTypes.contains(parameter.resource) {
            byType[parameter.resource, default: [:]][parameter.name] = parameter
        }
        searchParameters = byType
        let sources = byType.mapValues(Self.indexRowSources(of:))
        indexRowSources = sources
        indexedParameters = byType.mapValues { parameters in
            parameters.values.filter { sources[$0.resource]?[$0.name] == [$0.name] }.sorted { $0.name < $1.name }
                .map { ($0, $0.paths.map { $0.split(separator: ".").map(String.init) }) }
        }
        supportedResourceTypes = Self.supportedTypes
        indexPlans = indexedParameters.mapValues { $0.map { IndexedParameter(definition: $0.definition, paths: $0.paths) } }
        indexKinds = indexPlans.mapValues { Set($0.map(\.kind)).subtracting([.other]) }
    }

    /// Which parameters' index rows stand for each parameter of one type (see ``indexRowSources``).
    ///
    /// Parameters are taken with fewer paths first (then by name); one is derived when its paths are
    /// exactly the disjoint union of the paths of parameters already stored, of the same search type
    /// and all without a `where` restriction. The indexer finds a value once per path, so a derived
    /// parameter's rows would be the union of the sources' rows, and searching the sources is the same.
    static func indexRowSources(of parameters: [String: SearchParameterDefinition]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        var stored: [SearchParameterDefinition] = []
        let ordered = parameters.values.sorted { ($0.paths.count, $0.name) < ($1.paths.count, $1.name) }
        for parameter in ordered {
            if parameter.where == nil, let cover = cover(parameter, by: stored) {
                result[parameter.name] = cover
            } else {
                result[parameter.name] = [parameter.name]
                stored.append(parameter)
            }
        }
        return result
    }

    /// Stored parameters whose paths partition `parameter`'s paths exactly, or nil.
    private static func cover(_ parameter: SearchParameterDefinition, by stored: [SearchParameterDefinition]) -> [String]? {
        var remaining = parameter.paths.sorted()
        guard Set(remaining).count == remaining.count else { return nil }
        var names: [String] = []
        for candidate in stored where candidate.type == parameter.type && candidate.where == nil && !candidate.paths.isEmpty {
            let paths = candidate.paths.sorted()
            guard Set(paths).count == paths.count, Set(paths).isSubset(of: remaining) else { continue }
            remaining.removeAll { paths.contains($0) }
            names.append(candidate.name)
        }
        return remaining.isEmpty && !names.isEmpty ? names.sorted() : nil
    }

    /// True when `name` is a primitive datatype.
    public func isPrimitive(_ name: String) -> Bool {
        primitiveNames.contains(name)
    }

    private let primitiveNames: Set<String> = [
        "boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary", "instant", "date",
        "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt", "positiveInt", "uuid", "xhtml",
    ]

    /// The element set a `#Type.path` content reference points to.
    public func elements(atContentReference reference: String) -> [String: ElementDefinition]? {
        let parts = reference.trimmingCharacters(in: CharacterSet(charactersIn: "#")).split(separator: ".").map(String.init)
        guard let typeName = parts.first, var current = types[typeName]?.elements else { return nil }
        for part in parts.dropFirst() {
            guard let next = current[part]?.elements else { return nil }
            current = next
        }
        return current
    }
}

/// A stored search parameter as the indexer uses it: name, kind, split paths and `where` filter,
/// shared rather than copied field by field for every resource indexed.
final class IndexedParameter: Sendable {
    enum Kind: Sendable, Hashable { case token, string, reference, date, number, quantity, other }

    let name: String
    let kind: Kind
    let paths: [[String]]
    let filter: [(key: String, value: String)]

    init(definition: SearchParameterDefinition, paths: [[String]]) {
        name = definition.name
        kind = switch definition.type {
        case "token", "uri": .token
        case "string": .string
        case "reference": .reference
        case "date": .date
        case "number": .number
        case "quantity": .quantity
        default: .other
        }
        self.paths = paths
        filter = (definition.where ?? [:]).map { ($0.key, $0.value) }
    }
}
