@testable import App
import FHIR
import Foundation
import HTTPTypes
import Testing
import WeijianTesting

/// The OpenAPI document is made from the router: every domain route is in it with its path parameters, the public
/// routes need no token, and it is served without signing in.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentListsTheRoutesTheServerHas() async throws {
        try await TestServer.run { server in
            let (status, body) = try await server.client.execute(uri: "/api/openapi.json", method: .get, headers: [:], body: nil) { ($0.status, Data(buffer: $0.body)) }
            let document = try JSONValue.parse(body)
            #expect(status == .ok && document["openapi"]?.stringValue == "3.0.3")
            let paths = try #require(document["paths"]?.objectValue)
            // A route of each kind: with a parameter, a write, a public one.
            let cases = try #require(paths["/api/v1/supervision/cases/{id}/actions"]?["post"])
            #expect(cases["parameters"]?.items.first?["name"]?.stringValue == "id" && cases["parameters"]?.items.first?["in"]?.stringValue == "path")
            #expect(cases["requestBody"]?["content"]?["application/json"] != nil)
            #expect(paths["/api/v1/import/{kind}"]?["post"]?["requestBody"]?["content"]?["text/csv"] != nil)
            #expect(paths["/api/v1/public/supervision-reports"]?["post"]?["security"]?.items.isEmpty == true)
            #expect(paths["/api/v1/consultations"]?["get"] != nil && paths["/api/v1/consultations"]?["post"] != nil)
            // No route is left with the router's own parameter syntax, every templated parameter is declared, and
            // the FHIR API is not in it.
            for (path, item) in paths {
                #expect(!path.contains(":") && !path.hasPrefix("/fhir"), "\(path)")
                let declared = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                for (_, operation) in item.objectValue ?? [:] {
                    #expect(Set((operation["parameters"]?.items ?? []).compactMap { $0["name"]?.stringValue }) == declared, "\(path)")
                }
            }
            #expect(paths.count > 150)

            // Every route has its shape in `OpenAPIDocument.shapes`, and every shape is a route the server has.
            var operations: Set<String> = []
            for (path, item) in paths { for (method, _) in item.objectValue ?? [:] { operations.insert("\(method.uppercased()) \(path)") } }
            let shapes = OpenAPIDocument.shapes
            #expect(operations.subtracting(shapes.keys).sorted() == [], "routes without a shape")
            #expect(Set(shapes.keys).subtracting(operations).sorted() == [], "shapes of routes the server does not have")
            // Every shape's types derive (an enumeration without its cases, a decoder refusing the placeholders would not).
            let routes = shapes.keys.map { key in (method: String(key.split(separator: " ")[0]), path: String(key.split(separator: " ")[1])) }
            #expect(OpenAPIDocument.make(routes: routes, shapes: shapes).failures == [])

            // The schemas as served: a write's body and its answer, from their types; named types under components.
            let book = try #require(paths["/api/v1/referral/appointments"]?["post"])
            let bodyReference = try #require(book["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue)
            let components = try #require(document["components"]?["schemas"])
            let bookBody = try #require(components[String(bodyReference.split(separator: "/").last ?? "")])
            let bookRequired: Set<String> = Set((bookBody["required"]?.items ?? []).compactMap(\.stringValue))
            #expect(bookRequired.isSuperset(of: ["slot", "patient"]), "\(bookBody)")
            let slots = try #require(paths["/api/v1/referral/schedules/{id}/slots"]?["get"]?["responses"]?["2XX"]?["content"]?["application/json"]?["schema"])
            #expect(slots["type"]?.stringValue == "array")
            let slot = try #require(components[String((slots["items"]?["$ref"]?.stringValue ?? "").split(separator: "/").last ?? "")])
            let pool: String? = slot["properties"]?["pool"]?["type"]?.stringValue
            let openToPublic: String? = slot["properties"]?["openToPublic"]?["type"]?.stringValue
            #expect(pool == "string" && openToPublic == "boolean")
            // Every reference points at a component.
            func references(_ value: JSONValue) -> [String] {
                switch value {
                case .object(let fields): (fields["$ref"]?.stringValue.map { [$0] } ?? []) + fields.values.flatMap(references)
                case .array(let items): items.flatMap(references)
                default: []
                }
            }
            for reference in Set(references(document)) {
                #expect(components[String(reference.split(separator: "/").last ?? "")] != nil, "\(reference)")
            }
        }
    }
}
