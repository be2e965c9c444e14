import App
import FHIR
import Foundation
import Testing
import WeijianTesting

@Suite struct BulkDataTests {
    @Test func ndjsonRoundTripAndRejectedChunks() async throws {
        try await TestDatabase.withPlatform { platform in
            let bulk = BulkData(store: platform.fhir)
            let lines = [
                #"{"resourceType":"Patient","id":"bulk-1","name":[{"text":"一"}]}"#,
                #"{"resourceType":"Patient","name":[{"text":"二"}]}"#,
                "",
                #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/bulk-1"}}"#,
            ]
            let report = await bulk.importNDJSON(Data(lines.joined(separator: "\n").utf8), chunkSize: 2)
            #expect(report.imported == 3 && report.rejected.isEmpty, "\(report.rejected)")

            // A chunk with a bad line is refused whole and named; the other chunk is kept.
            let mixed = [
                #"{"resourceType":"Patient","id":"bulk-2"}"#,
                #"{"resourceType":"Patient","birthDate":"yesterday"}"#,
                #"{"resourceType":"Patient","id":"bulk-3"}"#,
                "{not json",
            ]
            let second = await bulk.importNDJSON(Data(mixed.joined(separator: "\n").utf8), chunkSize: 2)
            #expect(second.imported == 0 && second.rejected.count == 2)
            #expect(second.rejected[0].contains("line 2") && second.rejected[1].contains("line 4"))
            #expect(try await platform.fhir.read(type: "Patient", id: "bulk-2") == nil)

            var exported = ""
            let count = try await bulk.exportNDJSON(type: "Patient", pageSize: 1) { exported += $0 }
            #expect(count == 2)
            let ids = try exported.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8))["id"]?.stringValue }
            #expect(ids.count == 2 && ids.contains("bulk-1"))
        }
    }
}
