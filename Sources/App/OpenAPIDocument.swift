import FHIR
import Foundation
import Hummingbird

/// The OpenAPI 3 description of the domain API (`/api/…`), made from the router itself when the server starts, so
/// that it cannot list a route that does not exist or miss one that does: every path and method, its path
/// parameters, JSON request bodies for writes, the bearer-token security every route but the public ones requires,
/// and the error shape all of them answer with. Served at `/api/openapi.json`. (The FHIR API describes itself in
/// its CapabilityStatement, `/fhir/r4/metadata`.)
enum OpenAPIDocument {
    /// Routes anyone may call without a token.
    static let publicPaths: Set<String> = ["/api/v1/public/supervision-reports", "/api/openapi.json", "/api/v1/divisions", "/api/v1/institutions"]
    /// Routes whose body is not JSON.
    static let textBodies: [String: String] = ["/api/v1/import/{kind}": "text/csv"]

    static func make(routes: [(method: String, path: String)]) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes where route.path.hasPrefix("/api/") {
            // A parameter is written `:id` or `{id}` by the router.
            func parameter(_ segment: String) -> String? {
                if segment.hasPrefix(":") { return String(segment.dropFirst()) }
                if segment.hasPrefix("{"), segment.hasSuffix("}") { return String(segment.dropFirst().dropLast()) }
                return nil
            }
            let segments = route.path.split(separator: "/").map(String.init)
            let templated = "/" + segments.map { parameter($0).map { "{\($0)}" } ?? $0 }.joined(separator: "/")
            let parameters: [JSONValue] = segments.compactMap(parameter).map { name in
                .object(["name": .string(name), "in": .string("path"), "required": .bool(true), "schema": .object(["type": .string("string")])])
            }
            let method = route.method.lowercased()
            let tag = segments.count > 2 ? segments[2] : "api"
            var operation: [String: JSONValue] = [
                "operationId": .string(method + templated.split(separator: "/").map { $0.filter { $0.isLetter || $0.isNumber }.capitalized }.joined()),
                "tags": .array([.string(tag)]),
                "responses": .object([
                    "2XX": .object(["description": .string("成功"), "content": .object(["application/json": .object(["schema": .object([:])])])]),
                    "4XX": .object(["description": .string("请求有误或无权访问：原因在 error.message"), "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Error")])])])]),
                ]),
            ]
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if ["post", "put", "patch"].contains(method) {
                let type = textBodies[templated] ?? "application/json"
                operation["requestBody"] = .object(["required": .bool(false), "content": .object([
                    type: .object(["schema": type == "application/json" ? .object(["type": .string("object")]) : .object(["type": .string("string")])]),
                ])])
            }
            if publicPaths.contains(templated) { operation["security"] = .array([]) }
            paths[templated, default: [:]][method] = .object(operation)
        }
        return .object([
            "openapi": .string("3.0.3"),
            "info": .object(["title": .string("卫健 Weijian domain API"), "version": .string("1"),
                             "description": .string("区域卫生健康信息平台的业务接口。FHIR R4 接口见 /fhir/r4/metadata。")]),
            "servers": .array([.object(["url": .string("/")])]),
            "security": .array([.object(["bearerAuth": .array([])])]),
            "components": .object([
                "securitySchemes": .object(["bearerAuth": .object(["type": .string("http"), "scheme": .string("bearer"), "bearerFormat": .string("JWT")])]),
                "schemas": .object(["Error": .object(["type": .string("object"), "properties": .object([
                    "error": .object(["type": .string("object"), "properties": .object(["message": .object(["type": .string("string")])])]),
                ])])]),
            ]),
            "paths": .object(paths.mapValues { .object($0) }),
        ])
    }
}
