import FHIR
import Foundation
import Hummingbird

/// The OpenAPI 3 description of the domain API (`/api/…`), made from the router itself when the server starts, so
/// that it cannot list a route that does not exist or miss one that does: every path and method, its path
/// parameters, the bearer-token security every route but the public ones requires, and the error shape all of them
/// answer with; and each route's request body and success answer as JSON Schemas derived from the Swift types the
/// route decodes and answers with (``shapes``, ``JSONSchemaDerivation``; named types under `components.schemas`).
/// Served at `/api/openapi.json`. (The FHIR API describes itself in its CapabilityStatement, `/fhir/r4/metadata`.)
enum OpenAPIDocument {
    /// What a domain route reads and answers, for its schemas (see ``shapes``): the JSON body it decodes and the JSON
    /// value its success answers with, as types; their JSON Schemas are derived from the types' `Decodable`
    /// conformance (``JSONSchemaDerivation``), so a field added to a type is in the document at once.
    struct RouteShape {
        /// The request body's type (`nil`: the route reads no JSON body).
        var body: (any Decodable.Type)?
        /// The success answer's type (`nil`: not JSON, or no body, e.g. 204).
        var response: (any Decodable.Type)?
        init(body: (any Decodable.Type)? = nil, response: (any Decodable.Type)?) {
            self.body = body
            self.response = response
        }
    }

    /// Routes anyone may call without a token.
    static let publicPaths: Set<String> = ["/api/v1/public/supervision-reports", "/api/openapi.json", "/api/v1/divisions", "/api/v1/institutions"]
    /// Routes whose body is not JSON.
    static let textBodies: [String: String] = ["/api/v1/import/{kind}": "text/csv"]

    /// The document of `routes`, with the schemas of ``shapes``.
    static func make(routes: [(method: String, path: String)]) -> JSONValue {
        make(routes: routes, shapes: shapes).document
    }

    /// The document, and the shapes whose types could not be derived (none, once `OpenAPIDocumentTests` passes;
    /// such a type is described as any JSON).
    static func make(routes: [(method: String, path: String)], shapes: [String: RouteShape]) -> (document: JSONValue, failures: [String]) {
        var paths: [String: [String: JSONValue]] = [:]
        var derivation = JSONSchemaDerivation()
        var failures: [String] = []
        func schema(_ type: (any Decodable.Type)?, of key: String) -> JSONValue? {
            guard let type else { return nil }
            do {
                return try derivation.schema(for: type)
            } catch {
                failures.append("\(key): \(error)")
                return .object([:])
            }
        }
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
            let key = "\(route.method.uppercased()) \(templated)"
            let shape = shapes[key]
            var success: [String: JSONValue] = ["description": .string("成功")]
            if let response = schema(shape?.response, of: key) {
                success["content"] = .object(["application/json": .object(["schema": response])])
            }
            var operation: [String: JSONValue] = [
                "operationId": .string(method + templated.split(separator: "/").map { $0.filter { $0.isLetter || $0.isNumber }.capitalized }.joined()),
                "tags": .array([.string(tag)]),
                "responses": .object([
                    "2XX": .object(success),
                    "4XX": .object(["description": .string("请求有误或无权访问：原因在 error.message"), "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Error")])])])]),
                ]),
            ]
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let type = textBodies[templated] {
                operation["requestBody"] = .object(["required": .bool(true), "content": .object([type: .object(["schema": .object(["type": .string("string")])])])])
            } else if let body = schema(shape?.body, of: key) {
                operation["requestBody"] = .object(["required": .bool(true), "content": .object(["application/json": .object(["schema": body])])])
            }
            if publicPaths.contains(templated) { operation["security"] = .array([]) }
            paths[templated, default: [:]][method] = .object(operation)
        }
        return (.object([
            "openapi": .string("3.0.3"),
            "info": .object(["title": .string("卫健 Weijian domain API"), "version": .string("1"),
                             "description": .string("区域卫生健康信息平台的业务接口。FHIR R4 接口见 /fhir/r4/metadata。")]),
            "servers": .array([.object(["url": .string("/")])]),
            "security": .array([.object(["bearerAuth": .array([])])]),
            "components": .object([
                "securitySchemes": .object(["bearerAuth": .object(["type": .string("http"), "scheme": .string("bearer"), "bearerFormat": .string("JWT")])]),
                "schemas": .object(derivation.components.merging(["Error": .object(["type": .string("object"), "properties": .object([
                    "error": .object(["type": .string("object"), "properties": .object(["message": .object(["type": .string("string")])])]),
                ])])]) { _, error in error }),
            ]),
            "paths": .object(paths.mapValues { .object($0) }),
        ]), failures)
    }
}
