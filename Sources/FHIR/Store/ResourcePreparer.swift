import Foundation
import Storage

/// A time stamp of a write: the instant, its ISO text (Shanghai offset) and epoch milliseconds.
public struct WriteTimestamp: Sendable {
    /// `meta.lastUpdated` text.
    public let text: String
    /// Milliseconds since 1970.
    public let millis: Int64

    /// The current instant.
    public init(_ date: Date = Date()) {
        text = ISO8601Timestamp.format(date)
        millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

/// A resource checked, stamped, serialised and indexed, ready to be stored.
///
/// Preparing is pure work that needs no database, so it can be done before a transaction
/// begins (and in parallel), leaving only the inserts inside it.
public struct PreparedResource: Sendable {
    /// The resource type.
    public let type: String
    /// The logical id.
    public let id: String
    /// The version this preparation is for.
    public let version: Int64
    /// The resource with `id` and `meta` set.
    public let resource: JSONValue
    /// Its JSON text.
    public let content: String
    /// The JSON text as stored: `content` with protected values sealed (the same text for other types).
    public let storedContent: String
    /// Its search-index rows, as stored (protected token values hashed).
    public let entries: IndexEntries
    /// Literal references to resources on this server, with the path that holds each.
    public let references: [(ReferenceValue, String)]
    /// The time stamp in `meta.lastUpdated`.
    public let timestamp: WriteTimestamp
}

/// Validates, stamps, serialises and indexes resources.
public struct ResourcePreparer: Sendable {
    let validator: ResourceValidator
    let indexer: SearchIndexer
    /// Sealing of protected values at rest, when configured.
    public let protection: (any FieldProtection)?

    /// Checks the resource is a supported type and valid R4; throws 400/404/422 otherwise. Returns its type.
    public func check(_ resource: JSONValue, expectedType: String? = nil) throws -> String {
        guard let members = resource.objectValue else {
            throw FHIRError.badRequest("The body must be a JSON object holding a FHIR resource")
        }
        guard let type = members["resourceType"]?.stringValue else {
            throw FHIRError.badRequest("The resource has no resourceType", expression: "resourceType")
        }
        if let expectedType, type != expectedType {
            throw FHIRError.badRequest("The body is a \(type) but the URL names \(expectedType)", expression: "resourceType")
        }
        guard FHIRDefinitions.supportedTypes.contains(type) else {
            throw FHIRError.notFound("Resource type '\(type)' is not supported by this server")
        }
        let issues = validator.validate(resource)
        if !issues.isEmpty {
            throw FHIRError.unprocessable(issues)
        }
        return type
    }

    /// Prepares version `version` of a resource already checked to be of type `type`.
    public func prepare(checked resource: JSONValue, type: String, id: String, version: Int64, timestamp: WriteTimestamp) throws -> PreparedResource {
        guard FHIRID.isValid(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        var stamped = resource
        var meta = resource["meta"]?.objectValue ?? [:]
        meta["versionId"] = .string(String(version))
        meta["lastUpdated"] = .string(timestamp.text)
        stamped["id"] = .string(id)
        stamped["meta"] = .object(meta)
        var references: [(ReferenceValue, String)] = []
        Self.collectReferences(stamped, path: type, into: &references)
        let content = stamped.serialized()
        var storedContent = content
        var entries = indexer.entries(for: stamped, type: type)
        if let protection, protection.protects(type: type) {
            storedContent = try protection.seal(stamped, type: type).serialized()
            entries = protection.protect(entries, type: type)
        }
        return PreparedResource(
            type: type, id: id, version: version, resource: stamped, content: content, storedContent: storedContent,
            entries: entries, references: references, timestamp: timestamp
        )
    }

    /// The readable JSON of a stored `content` column (protected values opened).
    public func openContent(_ content: String, type: String) throws -> JSONValue {
        let resource = try JSONValue.parse(Data(content.utf8))
        guard let protection, protection.protects(type: type) else { return resource }
        return try protection.open(resource, type: type)
    }

    /// The JSON text to store for a copy of a resource kept outside the FHIR tables (protected values sealed).
    public func storedContent(_ resource: JSONValue, type: String) throws -> String {
        guard let protection, protection.protects(type: type) else { return resource.serialized() }
        return try protection.seal(resource, type: type).serialized()
    }

    /// Checks and prepares a new resource (version 1) with a server-assigned id, or `id` when given.
    public func prepareCreate(_ resource: JSONValue, id: String? = nil, timestamp: WriteTimestamp) throws -> PreparedResource {
        let type = try check(resource)
        return try prepare(checked: resource, type: type, id: id ?? ResourceID.make(), version: 1, timestamp: timestamp)
    }

    /// Every literal reference (`{"reference": "Type/id"}`) to a supported type, outside contained resources.
    static func collectReferences(_ value: JSONValue, path: String, into references: inout [(ReferenceValue, String)]) {
        var steps = [path]
        collectReferences(value, steps: &steps, into: &references)
    }

    /// The walk behind ``collectReferences(_:path:into:)``; the path is kept as steps and joined only for a reference found.
    private static func collectReferences(_ value: JSONValue, steps: inout [String], into references: inout [(ReferenceValue, String)]) {
        switch value {
        case .object(let members):
            if let text = members["reference"]?.stringValue, !ReferenceValue.isAbsolute(text), let reference = ReferenceValue(text),
               FHIRDefinitions.supportedTypes.contains(reference.type) {
                references.append((ReferenceValue(type: reference.type, id: reference.id), steps.joined(separator: ".")))
            }
            for (key, member) in members where key != "contained" {
                switch member {
                case .object, .array:
                    steps.append(key)
                    collectReferences(member, steps: &steps, into: &references)
                    steps.removeLast()
                default: break
                }
            }
        case .array(let items):
            for item in items { collectReferences(item, steps: &steps, into: &references) }
        default:
            break
        }
    }
}
