@testable import App
import FHIR
import Foundation
import Testing

/// Schemas derived from types' `Decodable` conformance: required and optional keys, nested named types as
/// references, arrays, dictionaries, enumerations, hand-written decoders, recursion.
@Suite struct JSONSchemaDerivationTests {
    enum Colour: String, Codable, CaseIterable { case red, green }
    struct Inner: Codable { var count: Int; var ratio: Double? }
    struct Outer: Codable {
        var name: String
        var note: String?
        var flag: Bool
        var colour: Colour
        var inner: Inner
        var inners: [Inner]
        var tags: [String]
        var scores: [String: Int]
        var extra: JSONValue
    }
    /// A hand-written decoder with a default for a missing key.
    struct Lenient: Decodable {
        var limit: Int
        enum CodingKeys: String, CodingKey { case limit }
        init(from decoder: any Decoder) throws {
            limit = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .limit) ?? 10
        }
    }
    final class Node: Codable { var label: String = ""; var next: Node? }
    enum Unlisted: String, Codable { case a }
    struct HoldsUnlisted: Codable { var value: Unlisted }

    @Test func aStructBecomesAComponentWithItsRequiredAndOptionalKeys() throws {
        var derivation = JSONSchemaDerivation()
        let reference = try derivation.schema(for: Outer.self)
        let name = JSONSchemaDerivation.componentName(Outer.self)
        #expect(reference == .object(["$ref": .string("#/components/schemas/\(name)")]))
        let outer = try #require(derivation.components[name])
        #expect(outer["type"]?.stringValue == "object")
        #expect(Set(outer["required"]?.items.compactMap(\.stringValue) ?? []) == ["name", "flag", "colour", "inner", "inners", "tags", "scores", "extra"])
        let properties = try #require(outer["properties"])
        #expect(properties["name"] == .object(["type": .string("string")]))
        #expect(properties["note"] == .object(["type": .string("string"), "nullable": .bool(true)]))
        #expect(properties["flag"] == .object(["type": .string("boolean")]))
        #expect(properties["colour"] == .object(["type": .string("string"), "enum": .array([.string("red"), .string("green")])]))
        let innerName = JSONSchemaDerivation.componentName(Inner.self)
        #expect(properties["inner"] == .object(["$ref": .string("#/components/schemas/\(innerName)")]))
        #expect(properties["inners"] == .object(["type": .string("array"), "items": .object(["$ref": .string("#/components/schemas/\(innerName)")])]))
        #expect(properties["tags"] == .object(["type": .string("array"), "items": .object(["type": .string("string")])]))
        #expect(properties["scores"] == .object(["type": .string("object"), "additionalProperties": .object(["type": .string("integer")])]))
        #expect(properties["extra"] == .object([:]))
        let inner = try #require(derivation.components[innerName])
        #expect(inner["required"] == .array([.string("count")]))
        #expect(inner["properties"]?["ratio"] == .object(["type": .string("number"), "nullable": .bool(true)]))
    }

    @Test func arraysHandWrittenDecodersAndRecursion() throws {
        var derivation = JSONSchemaDerivation()
        let list = try derivation.schema(for: [Inner].self)
        #expect(list["type"]?.stringValue == "array" && list["items"]?["$ref"] != nil)
        _ = try derivation.schema(for: Lenient.self)
        let lenient = try #require(derivation.components[JSONSchemaDerivation.componentName(Lenient.self)])
        #expect(lenient["required"] == nil && lenient["properties"]?["limit"]?["type"]?.stringValue == "integer")
        _ = try derivation.schema(for: Node.self)
        let node = try #require(derivation.components[JSONSchemaDerivation.componentName(Node.self)])
        #expect(node["properties"]?["next"]?["allOf"]?.items.first?["$ref"]?.stringValue == "#/components/schemas/\(JSONSchemaDerivation.componentName(Node.self))")
    }

    /// An enumeration that cannot list its cases cannot be sampled: the derivation says which type, rather than
    /// describing a value it never saw.
    @Test func anEnumerationWithoutItsCasesIsReported() {
        var derivation = JSONSchemaDerivation()
        #expect(throws: JSONSchemaDerivation.Failure.self) { try derivation.schema(for: HoldsUnlisted.self) }
    }
}
