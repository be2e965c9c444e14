import Foundation
import Storage

/// The FHIR R4 REST interactions over the store: read, vread, create (conditional), update (If-Match),
/// delete, search, history, transaction and batch Bundles, and the CapabilityStatement.
public struct FHIRService: Sendable {
    /// The store the interactions read and write.
    public let store: FHIRStore

    /// Creates the service.
    public init(store: FHIRStore) {
        self.store = store
    }

    /// Handles one request; every failure becomes an OperationOutcome with the status the specification gives.
    public func handle(_ request: FHIRRequest, base: String) async -> FHIRResponse {
        do {
            return try await route(request, base: base)
        } catch let error as FHIRError {
            return FHIRResponse(error: error)
        } catch where Database.isUnavailable(error) {
            // PostgreSQL gone, SQLite unwritable: the request was fine, the database is not; it may be sent again.
            return FHIRResponse(status: 503, headers: [("Retry-After", "5")], body: .json(OperationOutcome.make(
                FHIRError(status: 503, code: "transient", "The database is unavailable at the moment; try again shortly").issues)))
        } catch {
            return FHIRResponse(error: FHIRError(status: 500, code: "exception", "The server could not complete the request"))
        }
    }

    private func route(_ request: FHIRRequest, base: String) async throws -> FHIRResponse {
        let path = request.path
        switch (request.method, path.count) {
        case ("GET", 0):
            throw FHIRError.badRequest("Name a resource type, e.g. \(base)/Patient, or use \(base)/metadata")
        case ("POST", 0):
            return try await bundle(request, base: base)
        case ("GET", 1) where path[0] == "metadata":
            return FHIRResponse(status: 200, body: .json(CapabilityStatementBuilder.make(definitions: store.definitions, base: base)))
        case ("GET", 1) where path[0] == "_history":
            return try await history(request, type: nil, id: nil, base: base)
        default:
            break
        }
        let type = path[0]
        guard FHIRDefinitions.supportedTypes.contains(type) else {
            throw FHIRError.notFound("Resource type '\(type)' is not supported by this server; see \(base)/metadata")
        }
        switch (request.method, path.count) {
        case ("GET", 1):
            return try await search(request, type: type, query: request.query, base: base)
        case ("POST", 2) where path[1] == "_search":
            // The App layer appends a form-encoded body's parameters to `query`.
            return try await search(request, type: type, query: request.query, base: base)
        case ("POST", 1):
            return try await create(request, type: type, base: base)
        case ("GET", 2) where path[1] == "_history":
            return try await history(request, type: type, id: nil, base: base)
        case ("GET", 2):
            return try await read(request, type: type, id: path[1])
        case ("PUT", 2):
            return try await update(request, type: type, id: path[1], base: base)
        case ("DELETE", 2):
            return try await delete(type: type, id: path[1])
        case ("DELETE", 1):
            throw FHIRError(status: 405, code: "not-supported", "Conditional delete is not supported; delete by id")
        case ("GET", 3) where path[2] == "_history":
            return try await history(request, type: type, id: path[1], base: base)
        case ("GET", 4) where path[2] == "_history":
            guard let version = Int64(path[3]) else { throw FHIRError.badRequest("'\(path[3])' is not a version number") }
            return try await vread(request, type: type, id: path[1], version: version)
        default:
            throw FHIRError(status: 405, code: "not-supported", "\(request.method) /\(path.joined(separator: "/")) is not a FHIR interaction this server supports")
        }
    }

    // MARK: read

    private func read(_ request: FHIRRequest, type: String, id: String) async throws -> FHIRResponse {
        guard FHIRID.isValid(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        guard let stored = try await store.onReader.read(type: type, id: id) else {
            throw FHIRError.notFound("\(type)/\(id) does not exist")
        }
        if stored.deleted {
            return FHIRResponse(error: FHIRError.gone("\(type)/\(id) was deleted"))
                .with(headers: [("ETag", stored.etag)])
        }
        if let noneMatch = request.header("if-none-match"), Self.version(fromETag: noneMatch) == stored.versionId {
            return FHIRResponse(status: 304, headers: Self.versionHeaders(stored))
        }
        return FHIRResponse(status: 200, headers: Self.versionHeaders(stored), body: try Self.present(stored, request: request))
    }

    private func vread(_ request: FHIRRequest, type: String, id: String, version: Int64) async throws -> FHIRResponse {
        guard let stored = try await store.onReader.vread(type: type, id: id, version: version) else {
            throw FHIRError.notFound("\(type)/\(id) has no version \(version)")
        }
        if stored.deleted {
            throw FHIRError.gone("Version \(version) of \(type)/\(id) records its deletion")
        }
        return FHIRResponse(status: 200, headers: Self.versionHeaders(stored), body: try Self.present(stored, request: request))
    }

    // MARK: write

    private func requireBody(_ request: FHIRRequest) throws -> JSONValue {
        guard let body = request.body else {
            throw FHIRError.badRequest("The request has no body; send a FHIR resource as JSON (Content-Type: application/fhir+json)")
        }
        return body
    }

    private func create(_ request: FHIRRequest, type: String, base: String) async throws -> FHIRResponse {
        let body = try requireBody(request)
        if let bodyType = body["resourceType"]?.stringValue, bodyType != type {
            throw FHIRError.badRequest("The body is a \(bodyType) but was posted to \(type)", expression: "resourceType")
        }
        let strict = request.preference("handling") == "strict"
        let (stored, created) = try await store.write { writer -> (StoredResource, Bool) in
            if let condition = request.header("if-none-exist") {
                if let existing = try await conditionalMatch(condition, type: type, strict: strict, writer: writer) {
                    return (existing, false)
                }
            }
            return (try await writer.create(body), true)
        }
        return try writeResponse(stored, status: created ? 201 : 200, request: request, base: base)
    }

    /// The one resource matching a conditional-create query, nil for none; 412 when several match.
    func conditionalMatch(_ condition: String, type: String, strict: Bool, writer: FHIRWriter) async throws -> StoredResource? {
        let query = Self.parseQuery(condition)
        guard !query.isEmpty else { throw FHIRError.badRequest("If-None-Exist must be a search query such as identifier=system|value") }
        var search = try SearchRequest(type: type, query: query, definitions: store.definitions, strict: true)
        search.count = 2
        try await writer.flush(checkReferences: false)
        let result = try store.opened(try await FHIRStore.search(search, sql: writer.sql, protection: store.protection,
                                                                 pageKeysFromIndex: writer.engine == .postgres, sources: writer.parameterSources))
        if result.matches.count > 1 {
            throw FHIRError.preconditionFailed("If-None-Exist '\(condition)' matches more than one \(type)")
        }
        return result.matches.first
    }

    private func update(_ request: FHIRRequest, type: String, id: String, base: String) async throws -> FHIRResponse {
        let body = try requireBody(request)
        let ifMatch = try request.header("if-match").map { header -> Int64 in
            guard let version = Self.version(fromETag: header) else {
                throw FHIRError.badRequest("If-Match must be a version ETag such as W/\"2\", not \(header)")
            }
            return version
        }
        let (stored, created) = try await store.update(body, type: type, id: id, ifMatch: ifMatch)
        return try writeResponse(stored, status: created ? 201 : 200, request: request, base: base)
    }

    private func delete(type: String, id: String) async throws -> FHIRResponse {
        guard FHIRID.isValid(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        if let stored = try await store.delete(type: type, id: id) {
            return FHIRResponse(status: 200, headers: [("ETag", stored.etag)], body: .json(OperationOutcome.information("Deleted \(type)/\(id)")))
        }
        return FHIRResponse(status: 204)
    }

    private func writeResponse(_ stored: StoredResource, status: Int, request: FHIRRequest, base: String) throws -> FHIRResponse {
        var headers = Self.versionHeaders(stored)
        headers.append(("Location", "\(base)/\(stored.type)/\(stored.id)/_history/\(stored.versionId)"))
        switch request.preference("return") {
        case "minimal":
            return FHIRResponse(status: status, headers: headers)
        case "OperationOutcome":
            return FHIRResponse(status: status, headers: headers, body: .json(OperationOutcome.information("\(status == 201 ? "Created" : "Updated") \(stored.reference)")))
        default:
            return FHIRResponse(status: status, headers: headers, body: .text(stored.content))
        }
    }

    // MARK: search and history

    private func search(_ request: FHIRRequest, type: String, query: [(String, String)], base: String) async throws -> FHIRResponse {
        let strict = request.preference("handling") == "strict"
        let search = try SearchRequest(type: type, query: query, definitions: store.definitions, strict: strict)
        let result = try await store.onReader.search(search)
        return FHIRResponse(status: 200, body: .json(try BundleBuilder.searchset(search, result: result, base: base)))
    }

    private func history(_ request: FHIRRequest, type: String?, id: String?, base: String) async throws -> FHIRResponse {
        var count = 50
        var offset = 0
        var since: Int64?
        for (name, value) in request.query {
            switch name {
            case "_count":
                guard let number = Int(value), number >= 0 else { throw FHIRError.badRequest("_count must be a whole number") }
                count = min(number, SearchRequest.maximumCount)
            case "_offset":
                guard let number = Int(value), number >= 0 else { throw FHIRError.badRequest("_offset must be a whole number") }
                offset = number
            case "_since":
                guard let range = FHIRDateRange.parse(value) else { throw FHIRError.badRequest("_since must be an instant, e.g. 2024-01-01T00:00:00+08:00") }
                since = range.low
            case "_format", "_pretty":
                break
            default:
                if request.preference("handling") == "strict" {
                    throw FHIRError.badRequest("Unknown history parameter '\(name)'; supported: _count, _since, _offset")
                }
            }
        }
        if let type, let id, try await store.onReader.read(type: type, id: id) == nil {
            throw FHIRError.notFound("\(type)/\(id) does not exist")
        }
        let (versions, total) = try await store.onReader.history(type: type, id: id, since: since, count: count, offset: offset)
        let path = [type, id, "_history"].compactMap { $0 }.joined(separator: "/")
        return FHIRResponse(status: 200, body: .json(try BundleBuilder.history(versions, total: total, base: base, path: path, count: count, offset: offset, query: request.query)))
    }

    // MARK: Bundles

    private func bundle(_ request: FHIRRequest, base: String) async throws -> FHIRResponse {
        let body = try requireBody(request)
        guard body["resourceType"]?.stringValue == "Bundle" else {
            throw FHIRError.badRequest("POST to the base must carry a Bundle of type transaction or batch", expression: "resourceType")
        }
        let processor = BundleProcessor(service: self)
        switch body["type"]?.stringValue {
        case "transaction":
            return FHIRResponse(status: 200, body: .json(try await processor.transaction(body, request: request, base: base)))
        case "batch":
            return FHIRResponse(status: 200, body: .json(try await processor.batch(body, request: request, base: base)))
        default:
            throw FHIRError.badRequest("Bundle.type must be transaction or batch to be processed", expression: "Bundle.type")
        }
    }

    // MARK: helpers

    static func versionHeaders(_ stored: StoredResource) -> [(String, String)] {
        var headers = [("ETag", stored.etag)]
        if let range = FHIRDateRange.parse(stored.lastUpdated) {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = .gmt
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            headers.append(("Last-Modified", formatter.string(from: Date(timeIntervalSince1970: Double(range.low) / 1000))))
        }
        return headers
    }

    /// The version number in an ETag such as `W/"3"` or `"3"`.
    static func version(fromETag text: String) -> Int64? {
        var value = text.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("W/") { value.removeFirst(2) }
        value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return Int64(value)
    }

    /// The stored text, or a subset for `_elements` / `_summary`.
    static func present(_ stored: StoredResource, request: FHIRRequest) throws -> FHIRBody {
        let elements = request.query.first { $0.0 == "_elements" }?.1.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let summary = request.query.first { $0.0 == "_summary" }?.1
        guard elements != nil || (summary != nil && summary != "false") else { return .text(stored.content) }
        let resource = try JSONValue.parse(Data(stored.content.utf8))
        return .json(ResourceSubsetter.subset(resource, elements: elements, summary: summary))
    }

    /// Parses `a=1&b=2` (percent-decoded) into query items.
    public static func parseQuery(_ text: String) -> [(String, String)] {
        let trimmed = text.hasPrefix("?") ? String(text.dropFirst()) : text
        return trimmed.split(separator: "&").compactMap { part in
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = pair.first?.replacingOccurrences(of: "+", with: " ").removingPercentEncoding, !name.isEmpty else { return nil }
            let value = pair.count > 1 ? (pair[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? pair[1]) : ""
            return (name, value)
        }
    }
}

extension FHIRResponse {
    /// The response with extra headers.
    public func with(headers extra: [(String, String)]) -> FHIRResponse {
        var copy = self
        copy.headers += extra
        return copy
    }
}
