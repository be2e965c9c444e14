import App
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
        }
    }
}
