import Access
import FHIR
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Mounts the FHIR R4 REST API at `/fhir/r4`.
struct FHIRRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let configuration: AppConfiguration

    static var mediaType: String { "application/fhir+json; charset=utf-8" }

    func register(on router: Router<Context>) {
        let group = router.group("fhir/r4")
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            group.on("", method: method) { request, context in try await handle(request, context: context) }
            group.on("**", method: method) { request, context in try await handle(request, context: context) }
        }
    }

    private func base(for request: Request) -> String {
        if let base = configuration.publicBaseURL { return base + "/fhir/r4" }
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        return "http://\(host)/fhir/r4"
    }

    @Sendable
    func handle(_ request: Request, context: Context) async throws -> Response {
        let path = context.parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName.lowercased()] = field.value
        }
        var query = FHIRService.parseQuery(request.uri.query ?? "")
        if let unacceptable = Self.unacceptableFormat(accept: headers["accept"], format: query.last { $0.0 == "_format" }?.1) {
            return respond(FHIRResponse(error: FHIRError(status: 406, code: "not-supported", "This server speaks FHIR JSON only (application/fhir+json), not \(unacceptable)")))
        }
        var fhirRequest = FHIRRequest(method: request.method.rawValue, path: path, query: query, headers: headers)
        if request.method == .patch {
            return respond(FHIRResponse(error: FHIRError(status: 405, code: "not-supported", "PATCH is not supported; send the whole resource with PUT")))
        }
        if request.method != .get, let principal = context.principal,
           let wait = await RateLimiter.wait((access.writesByUser, principal.subject), (access.writesByAddress, context.clientAddress)) {
            return respond(FHIRResponse(error: FHIRError(status: 429, code: "throttled", "Too many writes; wait \(wait) s")).with(headers: [("Retry-After", String(wait))]))
        }
        if request.method == .post || request.method == .put {
            let contentType = (headers["content-type"] ?? "").lowercased()
            let buffer: ByteBuffer
            do {
                var request = request
                buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                return respond(FHIRResponse(error: FHIRError(status: 413, code: "too-costly", "The request body is larger than the limit of \(configuration.maxBodyBytes) bytes; split it into smaller Bundles")))
            }
            let isForm = contentType.hasPrefix("application/x-www-form-urlencoded")
            if isForm && path.last == "_search" {
                query += FHIRService.parseQuery(String(buffer: buffer))
                fhirRequest.query = query
            } else if buffer.readableBytes > 0 || request.method == .put || path.count <= 1 {
                guard contentType.isEmpty || contentType.hasPrefix("application/fhir+json") || contentType.hasPrefix("application/json") else {
                    return respond(FHIRResponse(error: FHIRError(status: 415, code: "not-supported", "Send FHIR resources as JSON with Content-Type: application/fhir+json, not \(contentType)")))
                }
                do {
                    fhirRequest.body = try JSONValue.parse(Data(buffer: buffer))
                } catch let error as JSONValue.ParseError {
                    return respond(FHIRResponse(error: FHIRError.badRequest(error.message)))
                }
            }
        }
        let origin = RequestOrigin(
            source: context.clientAddress, purpose: headers["x-purpose-of-use"],
            breakGlassReason: headers["x-break-glass"].map { $0.removingPercentEncoding ?? $0 }, invalidToken: context.invalidToken
        )
        return respond(await access.guardian.handle(fhirRequest, principal: context.principal, origin: origin, base: base(for: request)))
    }

    /// The requested format when it excludes JSON (`Accept` or `_format`), nil when JSON is acceptable.
    static func unacceptableFormat(accept: String?, format: String?) -> String? {
        if let format {
            let value = format.lowercased()
            if !(value == "json" || value.contains("json")) { return format }
        }
        guard let accept, !accept.isEmpty else { return nil }
        let ranges = accept.lowercased().split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces) }
        let acceptable = ranges.contains { $0 == "*/*" || $0 == "application/*" || $0.contains("json") }
        return acceptable ? nil : accept
    }

    private func respond(_ response: FHIRResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        let body = response.body.serialized
        if !body.isEmpty { fields[.contentType] = Self.mediaType }
        return Response(
            status: HTTPResponse.Status(code: response.status),
            headers: fields,
            body: body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}
