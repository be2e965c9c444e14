import Foundation
import Storage

/// Processes `transaction` Bundles (all or nothing, `urn:uuid:` references resolved) and
/// `batch` Bundles (each entry on its own).
struct BundleProcessor {
    let service: FHIRService

    struct Entry {
        var index: Int
        var fullUrl: String?
        var method: String
        var path: [String]
        var query: [(String, String)]
        var resource: JSONValue?
        var ifNoneExist: String?
        var ifMatch: String?
    }

    private func entries(of bundle: JSONValue, base: String) throws -> [Entry] {
        guard let items = bundle["entry"]?.arrayValue ?? (bundle["entry"] == nil ? [] : nil) else {
            throw FHIRError.badRequest("Bundle.entry must be an array", expression: "Bundle.entry")
        }
        var entries: [Entry] = []
        for (index, item) in items.enumerated() {
            let at = "Bundle.entry[\(index)]"
            guard let request = item["request"]?.objectValue else {
                throw FHIRError.badRequest("\(at) has no request (method and url)", expression: "\(at).request")
            }
            guard let method = request["method"]?.stringValue, ["GET", "POST", "PUT", "DELETE"].contains(method) else {
                throw FHIRError.badRequest("\(at).request.method must be GET, POST, PUT or DELETE", expression: "\(at).request.method")
            }
            guard var url = request["url"]?.stringValue, !url.isEmpty else {
                throw FHIRError.badRequest("\(at).request.url is missing", expression: "\(at).request.url")
            }
            if url.hasPrefix(base + "/") { url.removeFirst(base.count + 1) }
            let parts = url.split(separator: "?", maxSplits: 1).map(String.init)
            let path = parts[0].split(separator: "/").map(String.init)
            let resource = item["resource"]
            if (method == "POST" || method == "PUT"), resource == nil {
                throw FHIRError.badRequest("\(at) is a \(method) without a resource", expression: "\(at).resource")
            }
            entries.append(Entry(
                index: index,
                fullUrl: item["fullUrl"]?.stringValue,
                method: method,
                path: path,
                query: parts.count > 1 ? FHIRService.parseQuery(parts[1]) : [],
                resource: resource,
                ifNoneExist: request["ifNoneExist"]?.stringValue,
                ifMatch: request["ifMatch"]?.stringValue
            ))
        }
        return entries
    }

    /// Runs a transaction: every entry succeeds and commits together, or nothing is stored.
    func transaction(_ bundle: JSONValue, request: FHIRRequest, base: String) async throws -> JSONValue {
        let entries = try entries(of: bundle, base: base)
        let store = service.store
        var mapping: [String: String] = [:]
        var assigned: [Int: String] = [:]
        for entry in entries {
            if entry.method == "POST" {
                guard entry.path.count == 1 else {
                    throw FHIRError.badRequest("Bundle.entry[\(entry.index)].request.url of a POST must be a resource type")
                }
                let id = ResourceID.make()
                assigned[entry.index] = id
                if let fullUrl = entry.fullUrl { mapping[fullUrl] = "\(entry.path[0])/\(id)" }
            } else if entry.method == "PUT", entry.path.count == 2, let fullUrl = entry.fullUrl, fullUrl.hasPrefix("urn:") {
                mapping[fullUrl] = "\(entry.path[0])/\(entry.path[1])"
            }
        }
        let strict = request.preference("handling") == "strict"
        // Creates are validated, stamped and indexed before the transaction begins, so that only the
        // inserts hold the database; not when a conditional create may still change the references.
        var prepared: [Int: PreparedResource] = [:]
        if !entries.contains(where: { $0.ifNoneExist != nil }) {
            let timestamp = WriteTimestamp()
            for entry in entries where entry.method == "POST" {
                let at = "Bundle.entry[\(entry.index)]"
                do {
                    let resource = try Self.resolve(entry.resource ?? .null, mapping: mapping, at: at)
                    let type = try store.preparer.check(resource)
                    guard type == entry.path[0] else { throw FHIRError.badRequest("\(at) posts a \(type) to \(entry.path[0])") }
                    prepared[entry.index] = try store.preparer.prepare(checked: resource, type: type, id: assigned[entry.index] ?? "", version: 1, timestamp: timestamp)
                } catch let error as FHIRError {
                    throw Self.labelled(error, at: at)
                }
            }
        }
        let results = try await store.write { writer -> [Int: JSONValue] in
            var results: [Int: JSONValue] = [:]
            // Conditional creates resolve to an existing resource when one matches.
            var existing: [Int: StoredResource] = [:]
            for entry in entries where entry.method == "POST" {
                if let condition = entry.ifNoneExist, let match = try await service.conditionalMatch(condition, type: entry.path[0], strict: strict, writer: writer) {
                    existing[entry.index] = match
                    if let fullUrl = entry.fullUrl { mapping[fullUrl] = match.reference }
                }
            }
            let order = ["DELETE": 0, "POST": 1, "PUT": 2, "GET": 3]
            for entry in entries.sorted(by: { (order[$0.method] ?? 4, $0.index) < (order[$1.method] ?? 4, $1.index) }) {
                let at = "Bundle.entry[\(entry.index)]"
                writer.currentLabel = at
                do {
                    switch entry.method {
                    case "DELETE":
                        guard entry.path.count == 2 else { throw FHIRError.badRequest("\(at): DELETE needs Type/id") }
                        let stored = try await writer.delete(type: entry.path[0], id: entry.path[1])
                        results[entry.index] = Self.response(status: stored == nil ? "204 No Content" : "200 OK", stored: nil)
                    case "POST":
                        if let match = existing[entry.index] {
                            results[entry.index] = Self.response(status: "200 OK", stored: match)
                            continue
                        }
                        if let ready = prepared[entry.index] {
                            results[entry.index] = Self.response(status: "201 Created", stored: try await writer.insert(ready))
                            continue
                        }
                        let resource = try Self.resolve(entry.resource ?? .null, mapping: mapping, at: at)
                        if let type = resource["resourceType"]?.stringValue, type != entry.path[0] {
                            throw FHIRError.badRequest("\(at) posts a \(type) to \(entry.path[0])")
                        }
                        let stored = try await writer.create(resource, id: assigned[entry.index])
                        results[entry.index] = Self.response(status: "201 Created", stored: stored)
                    case "PUT":
                        guard entry.path.count == 2 else { throw FHIRError.badRequest("\(at): PUT needs Type/id (conditional update is not supported)") }
                        let resource = try Self.resolve(entry.resource ?? .null, mapping: mapping, at: at)
                        let ifMatch = try entry.ifMatch.map { text -> Int64 in
                            guard let version = FHIRService.version(fromETag: text) else { throw FHIRError.badRequest("\(at).request.ifMatch must be like W/\"2\"") }
                            return version
                        }
                        let (stored, created) = try await writer.update(resource, type: entry.path[0], id: entry.path[1], ifMatch: ifMatch)
                        results[entry.index] = Self.response(status: created ? "201 Created" : "200 OK", stored: stored)
                    default:
                        break
                    }
                } catch let error as FHIRError {
                    throw Self.labelled(error, at: at)
                }
            }
            return results
        }
        var responses = results
        // GET entries run after the writes, as the specification orders them.
        for entry in entries where entry.method == "GET" {
            let response = await service.handle(FHIRRequest(method: "GET", path: entry.path, query: entry.query), base: base)
            if response.status >= 400 {
                throw FHIRError(status: response.status, code: "processing", "Bundle.entry[\(entry.index)]: the GET failed with \(response.status)")
            }
            responses[entry.index] = try Self.response(response)
        }
        return Self.responseBundle(type: "transaction-response", entries: entries.map { responses[$0.index] ?? .object([:]) })
    }

    /// Runs a batch: each entry in its own transaction; failures are reported per entry.
    func batch(_ bundle: JSONValue, request: FHIRRequest, base: String) async throws -> JSONValue {
        let entries = try entries(of: bundle, base: base)
        var responses: [JSONValue] = []
        for entry in entries {
            var headers: [String: String] = [:]
            if let prefer = request.header("prefer") { headers["prefer"] = prefer }
            if let value = entry.ifNoneExist { headers["if-none-exist"] = value }
            if let value = entry.ifMatch { headers["if-match"] = value }
            if let resource = entry.resource, Self.containsUUIDReference(resource) {
                let outcome = FHIRResponse(error: FHIRError.badRequest("Bundle.entry[\(entry.index)]: entries of a batch must not refer to each other by urn:uuid; use a transaction"))
                responses.append(try Self.response(outcome))
                continue
            }
            let response = await service.handle(FHIRRequest(method: entry.method, path: entry.path, query: entry.query, headers: headers, body: entry.resource), base: base)
            responses.append(try Self.response(response))
        }
        return Self.responseBundle(type: "batch-response", entries: responses)
    }

    /// The error with the entry it concerns named in front of each issue.
    static func labelled(_ error: FHIRError, at: String) -> FHIRError {
        var error = error
        error.issues = error.issues.map { issue in
            var issue = issue
            if !issue.diagnostics.hasPrefix(at) { issue.diagnostics = "\(at): " + issue.diagnostics }
            return issue
        }
        return error
    }

    private static func responseBundle(type: String, entries: [JSONValue]) -> JSONValue {
        var bundle: [String: JSONValue] = [
            "resourceType": .string("Bundle"),
            "id": .string(UUID().uuidString.lowercased()),
            "type": .string(type),
        ]
        if !entries.isEmpty { bundle["entry"] = .array(entries) }
        return .object(bundle)
    }

    private static func response(status: String, stored: StoredResource?) -> JSONValue {
        var response: [String: JSONValue] = ["status": .string(status)]
        if let stored {
            response["location"] = .string("\(stored.type)/\(stored.id)/_history/\(stored.versionId)")
            response["etag"] = .string(stored.etag)
            response["lastModified"] = .string(stored.lastUpdated)
        }
        return .object(["response": .object(response)])
    }

    private static let reasons = [200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 412: "Precondition Failed", 422: "Unprocessable Entity", 500: "Internal Server Error"]

    private static func response(_ response: FHIRResponse) throws -> JSONValue {
        var result: [String: JSONValue] = ["status": .string("\(response.status) \(reasons[response.status] ?? "")".trimmingCharacters(in: .whitespaces))]
        for (name, value) in response.headers {
            switch name {
            case "Location": result["location"] = .string(value)
            case "ETag": result["etag"] = .string(value)
            default: break
            }
        }
        var entry: [String: JSONValue] = [:]
        switch response.body {
        case .none: break
        case .text(let text):
            if response.status < 300 { entry["resource"] = try JSONValue.parse(Data(text.utf8)) }
        case .json(let value):
            if response.status >= 400 { result["outcome"] = value } else { entry["resource"] = value }
        }
        entry["response"] = .object(result)
        return .object(entry)
    }

    private static func containsUUIDReference(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members):
            if members["reference"]?.stringValue?.hasPrefix("urn:uuid:") == true { return true }
            return members.values.contains(where: containsUUIDReference)
        case .array(let items):
            return items.contains(where: containsUUIDReference)
        default:
            return false
        }
    }

    /// Replaces `urn:uuid:`/`urn:oid:` references with the ids assigned in this transaction.
    static func resolve(_ value: JSONValue, mapping: [String: String], at: String) throws -> JSONValue {
        try resolved(value, mapping: mapping, at: at) ?? value
    }

    /// The value with its `urn:` references replaced, or nil when it holds none (so that only the
    /// objects and arrays on the way to a replaced reference are copied).
    private static func resolved(_ value: JSONValue, mapping: [String: String], at: String) throws -> JSONValue? {
        switch value {
        case .object(let members):
            var copy: [String: JSONValue]?
            if let reference = members["reference"]?.stringValue, reference.hasPrefix("urn:") {
                guard let target = mapping[reference] else {
                    throw FHIRError.badRequest("\(at): the reference \(reference) matches no fullUrl in the transaction")
                }
                copy = members
                copy?["reference"] = .string(target)
            }
            for (key, member) in members where key != "reference" {
                switch member {
                case .object, .array:
                    if let replaced = try resolved(member, mapping: mapping, at: at) {
                        if copy == nil { copy = members }
                        copy?[key] = replaced
                    }
                default: break
                }
            }
            return copy.map(JSONValue.object)
        case .array(let items):
            var copy: [JSONValue]?
            for (index, item) in items.enumerated() {
                if let replaced = try resolved(item, mapping: mapping, at: at) {
                    if copy == nil { copy = items }
                    copy?[index] = replaced
                }
            }
            return copy.map(JSONValue.array)
        default:
            return nil
        }
    }
}
