import FHIR
import Foundation

/// JSON Schemas (OpenAPI 3.0's dialect) derived from Swift types' `Decodable` conformance, for the domain API's
/// document (``OpenAPIDocument``).
///
/// A sample of the type is decoded through a decoder that hands out placeholder values and records what the type
/// asks for: each key, whether it is required (`decode`) or optional (`decodeIfPresent`), and the kind of its
/// value. What is recorded is what the type's decoding really reads, so the schema cannot drift from the type.
/// Named struct types become `components.schemas` entries referred to by `$ref`; enumerations that are
/// `CaseIterable` list their raw values; `[String: T]` is an object of `T`s; `JSONValue` (any JSON) is `{}`.
struct JSONSchemaDerivation {
    /// The named schemas met so far, by component name.
    private(set) var components: [String: JSONValue] = [:]

    /// Why a type's schema could not be derived (its decoding refused the placeholders).
    struct Failure: Error, CustomStringConvertible {
        var type: String
        var reason: String
        var description: String { "\(type): \(reason)" }
    }

    /// The schema of `type`: a `$ref` to a component for a named struct, the schema itself otherwise.
    mutating func schema(for type: any Decodable.Type) throws(Failure) -> JSONValue {
        let recorder = Recorder()
        let node = SchemaNode()
        do {
            _ = try recorder.sample(type, into: node)
        } catch {
            throw Failure(type: String(reflecting: type), reason: "\(error)")
        }
        for (name, component) in recorder.components { components[name] = component.json }
        return node.json
    }

    /// A component's name: the type's qualified name, with what OpenAPI does not allow in one replaced.
    static func componentName(_ type: Any.Type) -> String {
        String(String(reflecting: type).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "_" })
    }
}

/// A type whose decoding placeholders cannot satisfy (a validated shape, an enumeration with associated values)
/// gives its schema and a value of itself.
protocol JSONSchemaDescribed: Decodable {
    static var jsonSchema: JSONValue { get }
    static var schemaSample: Self { get }
}

/// What one JSON value was seen to be.
private final class SchemaNode {
    enum Kind { case unknown, any, string, integer, number, boolean, object, array, reference(String), given(JSONValue) }
    var kind: Kind = .unknown
    var format: String?
    var enumeration: [JSONValue]?
    /// An object's properties in the order they were read, and which are required.
    var properties: [(name: String, node: SchemaNode)] = []
    var required: Set<String> = []
    var nullable: Set<String> = []
    /// Keys whose null-ness was asked before they were read.
    var askedNil: Set<String> = []
    /// A dictionary's value schema.
    var additionalProperties: SchemaNode?
    /// An array's element schema.
    var items: SchemaNode?

    func property(_ name: String, required: Bool) -> SchemaNode {
        if required { self.required.insert(name) } else { nullable.insert(name) }
        if let existing = properties.first(where: { $0.name == name }) { return existing.node }
        let node = SchemaNode()
        properties.append((name, node))
        return node
    }

    func copy(from other: SchemaNode) {
        kind = other.kind; format = other.format; enumeration = other.enumeration; properties = other.properties
        required = other.required; nullable = other.nullable; additionalProperties = other.additionalProperties; items = other.items
    }

    var json: JSONValue {
        var schema: [String: JSONValue] = [:]
        switch kind {
        case .unknown, .any: break
        case .string: schema["type"] = .string("string")
        case .integer: schema["type"] = .string("integer")
        case .number: schema["type"] = .string("number")
        case .boolean: schema["type"] = .string("boolean")
        case .array:
            schema["type"] = .string("array")
            schema["items"] = items?.json ?? .object([:])
        case .reference(let name): return .object(["$ref": .string("#/components/schemas/\(name)")])
        case .given(let schema): return schema
        case .object:
            schema["type"] = .string("object")
            if let additionalProperties {
                schema["additionalProperties"] = additionalProperties.json
            } else {
                schema["properties"] = .object(Dictionary(properties.map { property in
                    var value = property.node.json
                    // An optional property may be written as null by a hand-written encoder; `nullable` does not
                    // apply beside `$ref` in OpenAPI 3.0, so a reference is wrapped.
                    if nullable.contains(property.name), !required.contains(property.name) {
                        if value["$ref"] != nil {
                            value = .object(["allOf": .array([value]), "nullable": .bool(true)])
                        } else if case .object(var fields) = value, !fields.isEmpty {
                            fields["nullable"] = .bool(true)
                            value = .object(fields)
                        }
                    }
                    return (property.name, value)
                }, uniquingKeysWith: { first, _ in first }))
                let requiredNames = properties.map(\.name).filter(required.contains)
                if !requiredNames.isEmpty { schema["required"] = .array(requiredNames.map(JSONValue.string)) }
            }
        }
        if let format { schema["format"] = .string(format) }
        if let enumeration { schema["enum"] = .array(enumeration) }
        return .object(schema)
    }
}

/// `[String: Value]`, seen through its value type.
private protocol StringKeyedDictionary { static var valueType: any Decodable.Type { get } }
extension Dictionary: StringKeyedDictionary where Key == String, Value: Decodable {
    fileprivate static var valueType: any Decodable.Type { Value.self }
}

/// The decoding side: placeholder values out, what was asked for recorded.
private final class Recorder {
    var components: [String: SchemaNode] = [:]
    /// Types being decoded, outermost first: a type met again inside itself is referred to, not entered.
    var inProgress: [String] = []

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    func sample<T: Decodable>(_ type: T.Type, into node: SchemaNode) throws -> T {
        if T.self == JSONValue.self, let value = JSONValue.null as? T {
            node.kind = .any
            return value
        }
        if T.self == Date.self, let value = Date(timeIntervalSince1970: 0) as? T {
            node.kind = .any   // its encoding depends on the encoder's date strategy
            return value
        }
        if let described = T.self as? any JSONSchemaDescribed.Type, let value = described.schemaSample as? T {
            node.kind = .given(described.jsonSchema)
            return value
        }
        if let enumeration = T.self as? any (CaseIterable & RawRepresentable).Type, let (value, raws) = Self.cases(of: enumeration) {
            guard let sample = value as? T else { throw Refused(description: "\(T.self) has no cases") }
            node.kind = raws.first.map { if case .string = $0 { .string } else { .integer } } ?? .string
            node.enumeration = raws
            return sample
        }
        let name = JSONSchemaDerivation.componentName(T.self)
        let inner = SchemaNode()
        inProgress.append(name)
        defer { inProgress.removeLast() }
        let value = try T(from: RecordingDecoder(recorder: self, node: inner))
        if let dictionary = T.self as? any StringKeyedDictionary.Type {
            inner.kind = .object
            let valueNode = SchemaNode()
            try Self.sampleAny(dictionary.valueType, recorder: self, into: valueNode)
            inner.additionalProperties = valueNode
            node.copy(from: inner)
        } else if case .object = inner.kind {
            if components[name] == nil { components[name] = inner }
            node.kind = .reference(name)
        } else {
            node.copy(from: inner)
        }
        return value
    }

    /// An optional value of a type already being decoded further out (a recursive type): referred to, left out.
    func isRecursive<T>(_ type: T.Type) -> Bool { inProgress.contains(JSONSchemaDerivation.componentName(type)) }

    static func sampleAny(_ type: any Decodable.Type, recorder: Recorder, into node: SchemaNode) throws {
        func open<T: Decodable>(_ type: T.Type) throws { _ = try recorder.sample(type, into: node) }
        try open(type)
    }

    static func cases(of type: any (CaseIterable & RawRepresentable).Type) -> (Any, [JSONValue])? {
        func open<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> (Any, [JSONValue])? {
            guard let first = type.allCases.first else { return nil }
            let raws: [JSONValue] = type.allCases.map { value in
                switch value.rawValue as Any {
                case let int as Int: .integer(Int64(int))
                default: .string("\(value.rawValue)")
                }
            }
            return (first, raws)
        }
        return open(type)
    }
}

private struct RecordingDecoder: Decoder {
    let recorder: Recorder
    let node: SchemaNode
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        node.kind = .object
        return KeyedDecodingContainer(KeyedRecorder<Key>(recorder: recorder, node: node, codingPath: codingPath))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        node.kind = .array
        let items = node.items ?? SchemaNode()
        node.items = items
        return UnkeyedRecorder(recorder: recorder, node: items, codingPath: codingPath)
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueRecorder(recorder: recorder, node: node, codingPath: codingPath)
    }
}

/// Placeholder values of the basic types, and their schema kinds.
private enum Placeholder {
    static func value<T>(_ type: T.Type, into node: SchemaNode) -> T? {
        switch type {
        case is String.Type: node.kind = .string; return "" as? T
        case is Bool.Type: node.kind = .boolean; return false as? T
        case is Double.Type: node.kind = .number; return 0.0 as? T
        case is Float.Type: node.kind = .number; return Float(0) as? T
        case is Int.Type: node.kind = .integer; return 0 as? T
        case is Int64.Type: node.kind = .integer; node.format = "int64"; return Int64(0) as? T
        case is Int32.Type: node.kind = .integer; node.format = "int32"; return Int32(0) as? T
        case is Int16.Type: node.kind = .integer; return Int16(0) as? T
        case is Int8.Type: node.kind = .integer; return Int8(0) as? T
        case is UInt.Type: node.kind = .integer; return UInt(0) as? T
        case is UInt64.Type: node.kind = .integer; return UInt64(0) as? T
        case is UInt32.Type: node.kind = .integer; return UInt32(0) as? T
        case is UInt16.Type: node.kind = .integer; return UInt16(0) as? T
        case is UInt8.Type: node.kind = .integer; return UInt8(0) as? T
        default: return nil
        }
    }
}

private struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: Recorder
    let node: SchemaNode
    var codingPath: [any CodingKey]
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    /// Asking whether a key is null before reading it (as `decodeIfPresent`'s default does) makes it optional.
    func decodeNil(forKey key: Key) throws -> Bool {
        node.askedNil.insert(key.stringValue)
        _ = node.property(key.stringValue, required: false)
        return false
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeValue(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeValue(type, forKey: key) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeValue(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeValue(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeValue(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeValue(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeValue(type, forKey: key) }
    func decodeValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = node.property(key.stringValue, required: !node.askedNil.contains(key.stringValue))
        if let value = Placeholder.value(type, into: child) { return value }
        return try recorder.sample(type, into: child)
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let child = node.property(key.stringValue, required: false)
        if let value = Placeholder.value(type, into: child) { return value }
        if recorder.isRecursive(type) {
            child.kind = .reference(JSONSchemaDerivation.componentName(type))
            return nil
        }
        return try recorder.sample(type, into: child)
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let child = node.property(key.stringValue, required: true)
        child.kind = .object
        return KeyedDecodingContainer(KeyedRecorder<NestedKey>(recorder: recorder, node: child, codingPath: codingPath + [key]))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let child = node.property(key.stringValue, required: true)
        child.kind = .array
        let items = child.items ?? SchemaNode()
        child.items = items
        return UnkeyedRecorder(recorder: recorder, node: items, codingPath: codingPath + [key])
    }
    func superDecoder() throws -> any Decoder { RecordingDecoder(recorder: recorder, node: node, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        RecordingDecoder(recorder: recorder, node: node.property(key.stringValue, required: true), codingPath: codingPath + [key])
    }
}

/// An array: one element is read, then it is at its end.
private struct UnkeyedRecorder: UnkeyedDecodingContainer {
    let recorder: Recorder
    let node: SchemaNode
    var codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex >= 1 }

    init(recorder: Recorder, node: SchemaNode, codingPath: [any CodingKey]) {
        self.recorder = recorder
        self.node = node
        self.codingPath = codingPath
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
    mutating func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
    mutating func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        if let value = Placeholder.value(type, into: node) { return value }
        return try recorder.sample(type, into: node)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        node.kind = .object
        return KeyedDecodingContainer(KeyedRecorder<NestedKey>(recorder: recorder, node: node, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        node.kind = .array
        let items = node.items ?? SchemaNode()
        node.items = items
        return UnkeyedRecorder(recorder: recorder, node: items, codingPath: codingPath)
    }
    mutating func superDecoder() throws -> any Decoder {
        currentIndex += 1
        return RecordingDecoder(recorder: recorder, node: node, codingPath: codingPath)
    }
}

private struct SingleValueRecorder: SingleValueDecodingContainer {
    let recorder: Recorder
    let node: SchemaNode
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if let value = Placeholder.value(type, into: node) { return value }
        return try recorder.sample(type, into: node)
    }
}
