import Foundation
import SQLKit
import Storage

/// FHIR bulk data in NDJSON (one resource per line): import in chunked transactions, export per type.
public struct BulkData: Sendable {
    /// The store imported into and exported from.
    public let store: FHIRStore

    /// Creates the bulk-data service.
    public init(store: FHIRStore) { self.store = store }

    /// What an import did: resources stored, and the chunks that were refused with why.
    public struct ImportReport: Sendable {
        public var imported = 0
        public var rejected: [String] = []
    }

    /// Imports NDJSON: lines with an `id` are stored under it (update or create), others created.
    /// Each chunk of `chunkSize` lines is one transaction; a bad line refuses its chunk, named by line number.
    public func importNDJSON(_ data: Data, chunkSize: Int = 500) async -> ImportReport {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var report = ImportReport()
        var start = 0
        while start < lines.count {
            let end = min(lines.count, start + max(1, chunkSize))
            do {
                report.imported += try await store.write { writer in
                    var count = 0
                    for index in start..<end {
                        let line = lines[index]
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                        writer.currentLabel = "line \(index + 1)"
                        do {
                            let resource = try JSONValue.parse(Data(line))
                            if let id = resource["id"]?.stringValue, let type = resource["resourceType"]?.stringValue {
                                _ = try await writer.update(resource, type: type, id: id, ifMatch: nil)
                            } else {
                                _ = try await writer.create(resource)
                            }
                            count += 1
                        } catch let error as FHIRError {
                            throw FHIRError(status: error.status, issues: error.issues.map { var issue = $0; issue.diagnostics = "line \(index + 1): " + issue.diagnostics; return issue })
                        } catch let error as JSONValue.ParseError {
                            throw FHIRError.badRequest("line \(index + 1): \(error.message)")
                        }
                    }
                    return count
                }
            } catch let error as FHIRError {
                report.rejected.append("lines \(start + 1)–\(end) not imported: " + error.issues.map(\.diagnostics).joined(separator: "; "))
            } catch {
                report.rejected.append("lines \(start + 1)–\(end) not imported: the database refused the chunk")
            }
            start = end
        }
        return report
    }

    /// Calls `write` with pages of current resources of `type` as NDJSON text, in id order (a page in memory at a
    /// time, so it can be streamed); returns the count.
    /// `transform` may rewrite each resource's JSON text (e.g. de-identify it) or drop it by returning nil.
    public func exportNDJSON(type: String, pageSize: Int = 1000, transform: ((String) throws -> String?)? = nil, write: (String) async throws -> Void) async throws -> Int {
        var after = ""
        var count = 0
        while true {
            let page = try await store.database.read { sql in
                try await sql.raw("""
                    SELECT res_id, content FROM fhir_resource WHERE res_type = \(bind: type) AND deleted = 0 AND res_id > \(bind: after)
                    ORDER BY res_id LIMIT \(literal: pageSize)
                    """).all().map { (try $0.decode(column: "res_id", as: String.self), try $0.decode(column: "content", as: String.self)) }
            }
            guard let last = page.last else { return count }
            let protection = store.protection.flatMap { $0.protects(type: type) ? $0 : nil }
            let transform = protection.map { protection in
                { (content: String) throws -> String? in
                    let readable = try protection.open(JSONValue.parse(Data(content.utf8)), type: type).serialized()
                    return try transform.map { try $0(readable) } ?? readable
                }
            } ?? transform
            if let transform {
                let lines = try page.compactMap { try transform($0.1) }
                try await write(lines.map { $0 + "\n" }.joined())
                count += lines.count
            } else {
                try await write(page.map { $0.1 + "\n" }.joined())
                count += page.count
            }
            after = last.0
        }
    }
}
