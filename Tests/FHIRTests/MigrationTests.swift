import FHIR
import Foundation
import Storage
import Testing
import WeijianTesting

@Suite struct MigrationTests {
    /// Data written in the shape of migration 0100 reads, searches and keeps its history after 0101.
    @Test func keyedStoreCopiesExistingData() async throws {
        try await TestDatabase.withDatabase { database in
            try await Migrator(FHIRMigrations.all.filter { $0.id < "0101" }).migrate(database)
            let patient = #"{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2024-01-01T08:00:00+08:00"},"name":[{"family":"王","given":["芳"]}],"gender":"female"}"#
            let first = #"{"resourceType":"Observation","id":"o1","meta":{"versionId":"1","lastUpdated":"2024-01-02T08:00:00+08:00"},"status":"preliminary","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"subject":{"reference":"Patient/p1"}}"#
            let second = first.replacingOccurrences(of: "preliminary", with: "final").replacingOccurrences(of: #""versionId":"1","lastUpdated":"2024-01-02T08:00:00+08:00""#, with: #""versionId":"2","lastUpdated":"2024-01-03T08:00:00+08:00""#)
            try await database.write { sql in
                try await sql.raw("""
                    INSERT INTO fhir_resource (res_type, res_id, version_id, last_updated, last_updated_ms, deleted, content) VALUES
                    ('Patient', 'p1', 1, '2024-01-01T08:00:00+08:00', 1704067200000, 0, \(bind: patient)),
                    ('Observation', 'o1', 2, '2024-01-03T08:00:00+08:00', 1704240000000, 0, \(bind: second)),
                    ('Patient', 'gone', 2, '2024-01-04T08:00:00+08:00', 1704326400000, 1, '')
                    """).run()
                try await sql.raw("""
                    INSERT INTO fhir_resource_history (res_type, res_id, version_id, last_updated, last_updated_ms, deleted, method, content) VALUES
                    ('Patient', 'p1', 1, '2024-01-01T08:00:00+08:00', 1704067200000, 0, 'POST', \(bind: patient)),
                    ('Observation', 'o1', 1, '2024-01-02T08:00:00+08:00', 1704153600000, 0, 'POST', \(bind: first)),
                    ('Observation', 'o1', 2, '2024-01-03T08:00:00+08:00', 1704240000000, 0, 'PUT', \(bind: second)),
                    ('Patient', 'gone', 1, '2024-01-03T08:00:00+08:00', 1704240000000, 0, 'POST', '{"resourceType":"Patient","id":"gone"}'),
                    ('Patient', 'gone', 2, '2024-01-04T08:00:00+08:00', 1704326400000, 1, 'DELETE', '')
                    """).run()
                try await sql.raw("""
                    INSERT INTO fhir_idx_token (res_type, res_id, param, system, code) VALUES
                    ('Patient', 'p1', 'gender', NULL, 'female'),
                    ('Observation', 'o1', 'status', NULL, 'final'),
                    ('Observation', 'o1', 'code', 'http://loinc.org', '8480-6'),
                    ('Observation', 'o1', 'combo-code', 'http://loinc.org', '8480-6')
                    """).run()
                try await sql.raw("INSERT INTO fhir_idx_string (res_type, res_id, param, value) VALUES ('Patient', 'p1', 'family', '王')").run()
                try await sql.raw("""
                    INSERT INTO fhir_idx_reference (res_type, res_id, param, target_type, target_id) VALUES
                    ('Observation', 'o1', 'patient', 'Patient', 'p1'), ('Observation', 'o1', 'subject', 'Patient', 'p1')
                    """).run()
            }
            try await Migrator(FHIRMigrations.all).migrate(database)
            let store = FHIRStore(database: database)
            #expect(try await store.read(type: "Observation", id: "o1")?.content == second)
            #expect(try await store.vread(type: "Observation", id: "o1", version: 1)?.content == first)
            #expect(try await store.vread(type: "Observation", id: "o1", version: 2)?.method == "PUT")
            #expect(try await store.read(type: "Patient", id: "gone")?.deleted == true)
            let history = try await store.history(type: nil, id: nil, since: nil, count: 10, offset: 0)
            #expect(history.total == 5)
            #expect(history.versions.map { "\($0.id)/\($0.versionId)" } == ["gone/2", "o1/2", "gone/1", "o1/1", "p1/1"])
            for (type, query, expected) in [
                ("Observation", "code=http://loinc.org|8480-6", ["o1"]), ("Observation", "combo-code=8480-6", ["o1"]),
                ("Observation", "subject=Patient/p1", ["o1"]), ("Observation", "patient:missing=true", []),
                ("Observation", "status=final", ["o1"]), ("Patient", "family=王", ["p1"]), ("Patient", "gender=female", ["p1"]),
            ] {
                let result = try await store.search(SearchRequest(type: type, query: FHIRService.parseQuery(query), definitions: .shared, strict: true))
                #expect(result.matches.map(\.id) == expected, "\(type)?\(query)")
            }
            // New writes after the copy get keys after the copied ones and are found like them.
            let created = try await store.create(try JSONValue.parse(Data(#"{"resourceType":"Patient","name":[{"family":"王"}]}"#.utf8)))
            let found = try await store.search(SearchRequest(type: "Patient", query: [("family", "王")], definitions: .shared, strict: true))
            #expect(Set(found.matches.map(\.id)) == ["p1", created.id])
        }
    }
}
