import Foundation

/// One element of a FHIR type as the validator sees it: allowed types, cardinality,
/// required codes, reference targets and, for backbone elements, its children.
public struct ElementDefinition: Sendable, Decodable {
    /// Allowed type codes (several for a choice element `value[x]`).
    public var type: [String]?
    /// Minimum cardinality.
    public var min: Int?
    /// Maximum cardinality, `"1"` or `"*"` (or a number).
    public var max: String?
    /// Codes of a required binding, when the validator enforces one.
    public var codes: [String]?
    /// Allowed target resource types of a Reference.
    public var targets: [String]?
    /// Children of a backbone element.
    public var elements: [String: ElementDefinition]?
    /// `#Type.path` of the element whose definition this element reuses.
    public var contentReference: String?

    /// True when the element may repeat.
    public var isRepeating: Bool { (max ?? "1") != "1" }
}

/// A FHIR datatype or resource: its kind and elements.
public struct TypeDefinition: Sendable, Decodable {
    /// `primitive`, `complex` or `resource`.
    public var kind: String
    /// Elements by name (choice elements end with `[x]`).
    public var elements: [String: ElementDefinition]
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
        "Communication", "AuditEvent",
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
        indexedParameters = byType.mapValues { parameters in
            parameters.values.sorted { $0.name < $1.name }.map { ($0, $0.paths.map { $0.split(separator: ".").map(String.init) }) }
        }
        supportedResourceTypes = Self.supportedTypes
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
