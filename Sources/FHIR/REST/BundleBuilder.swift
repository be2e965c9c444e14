import Foundation
import Storage

/// Builds the Bundles the server returns: search sets and histories, with paging links.
public enum BundleBuilder {
    /// A `searchset` Bundle for one page of a search.
    public static func searchset(_ request: SearchRequest, result: SearchResult, base: String) throws -> JSONValue {
        var bundle: [String: JSONValue] = [
            "resourceType": .string("Bundle"),
            "id": .string(UUID().uuidString.lowercased()),
            "meta": .object(["lastUpdated": .string(ISO8601Timestamp.now())]),
            "type": .string("searchset"),
        ]
        if let total = result.total { bundle["total"] = .integer(Int64(total)) }
        let query = request.used.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        let selfQuery = query + (request.offset > 0 ? (query.isEmpty ? "" : "&") + "_offset=\(request.offset)" : "")
        var links: [JSONValue] = [link("self", "\(base)/\(request.type)" + (selfQuery.isEmpty ? "" : "?\(selfQuery)"))]
        let pageQuery = query.contains("_count=") ? query : query + (query.isEmpty ? "" : "&") + "_count=\(request.count)"
        if result.hasMore {
            links.append(link("next", "\(base)/\(request.type)?\(pageQuery)&_offset=\(request.offset + request.count)"))
        }
        if request.offset > 0 {
            links.append(link("previous", "\(base)/\(request.type)?\(pageQuery)&_offset=\(max(0, request.offset - request.count))"))
        }
        bundle["link"] = .array(links)
        var entries: [JSONValue] = []
        for stored in result.matches {
            entries.append(try entry(stored, base: base, mode: "match", request: request))
        }
        for stored in result.included {
            entries.append(try entry(stored, base: base, mode: "include", request: nil))
        }
        if !request.ignored.isEmpty {
            let outcome = OperationOutcome.make([OutcomeIssue(
                severity: "warning", code: "not-supported",
                diagnostics: "Ignored unknown search parameters: \(request.ignored.joined(separator: ", ")). Send 'Prefer: handling=strict' to get an error instead."
            )])
            entries.append(.object(["resource": outcome, "search": .object(["mode": .string("outcome")])]))
        }
        if !entries.isEmpty { bundle["entry"] = .array(entries) }
        return .object(bundle)
    }

    private static func entry(_ stored: StoredResource, base: String, mode: String, request: SearchRequest?) throws -> JSONValue {
        var resource = try JSONValue.parse(Data(stored.content.utf8))
        if let request, request.elements != nil || (request.summary != nil && request.summary != "false") {
            resource = ResourceSubsetter.subset(resource, elements: request.elements, summary: request.summary)
        }
        return .object([
            "fullUrl": .string("\(base)/\(stored.type)/\(stored.id)"),
            "resource": resource,
            "search": .object(["mode": .string(mode)]),
        ])
    }

    /// A `history` Bundle of versions, newest first.
    public static func history(_ versions: [StoredResource], total: Int, base: String, path: String, count: Int, offset: Int, query: [(String, String)]) throws -> JSONValue {
        let kept = query.filter { $0.0 != "_offset" && $0.0 != "_count" }.map { "\(encode($0.0))=\(encode($0.1))" }
        let prefix = "\(base)/\(path)?" + (kept + ["_count=\(count)"]).joined(separator: "&")
        var links: [JSONValue] = [link("self", prefix + (offset > 0 ? "&_offset=\(offset)" : ""))]
        if offset + count < total { links.append(link("next", prefix + "&_offset=\(offset + count)")) }
        if offset > 0 { links.append(link("previous", prefix + "&_offset=\(max(0, offset - count))")) }
        var entries: [JSONValue] = []
        for stored in versions {
            var entry: [String: JSONValue] = ["fullUrl": .string("\(base)/\(stored.type)/\(stored.id)")]
            let method = stored.method ?? "PUT"
            entry["request"] = .object([
                "method": .string(method),
                "url": .string(method == "POST" ? stored.type : "\(stored.type)/\(stored.id)"),
            ])
            var response: [String: JSONValue] = [
                "status": .string(stored.deleted ? "204 No Content" : (stored.versionId == 1 ? "201 Created" : "200 OK")),
                "etag": .string(stored.etag),
                "lastModified": .string(stored.lastUpdated),
            ]
            if !stored.deleted {
                entry["resource"] = try JSONValue.parse(Data(stored.content.utf8))
                response["location"] = .string("\(stored.type)/\(stored.id)/_history/\(stored.versionId)")
            }
            entry["response"] = .object(response)
            entries.append(.object(entry))
        }
        var bundle: [String: JSONValue] = [
            "resourceType": .string("Bundle"),
            "id": .string(UUID().uuidString.lowercased()),
            "type": .string("history"),
            "total": .integer(Int64(total)),
            "link": .array(links),
        ]
        if !entries.isEmpty { bundle["entry"] = .array(entries) }
        return .object(bundle)
    }

    static func link(_ relation: String, _ url: String) -> JSONValue {
        .object(["relation": .string(relation), "url": .string(url)])
    }

    private static let allowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+#")
        return set
    }()

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
