@testable import FHIR
import Foundation
import Storage
import Testing
import WeijianTesting

/// The rows of a reference and a date indexed together (`fhir_idx_reference_date`, ``FHIRDefinitions/referenceDatePairs``):
/// searches that use them find what the two criteria find, follow updates and deletions, and the migration fills them.
@Suite struct ReferenceDateIndexTests {
    static func encounter(provider: String, practitioners: [String], start: String, end: String, patient: String) throws -> JSONValue {
        let participants = practitioners.map { #"{"individual":{"reference":"Practitioner/\#($0)"}}"# }.joined(separator: ",")
        return try json("""
            {"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
             "subject":{"reference":"Patient/\(patient)"},"serviceProvider":{"reference":"Organization/\(provider)"},
             "participant":[\(participants)],"period":{"start":"\(start)","end":"\(end)"}}
            """)
    }

    /// Searches of the district's workstations, each with the ids it must find.
    static func expectations(_ e: [String]) -> [(String, [String])] {
        [
            ("service-provider=Organization/chc-a&date=2025-03-10", [e[0], e[3]]),
            ("service-provider=chc-a&date=2025-03-10", [e[0], e[3]]),
            ("service-provider:Organization=chc-a&date=2025-03-10", [e[0], e[3]]),
            ("service-provider=Organization/chc-a,Organization/chc-b&date=2025-03-10", [e[0], e[2], e[3]]),
            ("service-provider=Organization/chc-a&date=2025-03-11", [e[1]]),
            ("service-provider=Organization/chc-a&date=ge2025-03-10&date=lt2025-03-11", [e[0], e[3]]),
            ("service-provider=Organization/chc-a&date=2025-03", [e[0], e[1], e[3]]),
            ("service-provider=Organization/chc-a&date=lt2025-03-11", [e[0], e[3]]),
            ("service-provider=Organization/chc-b&date=2025-03-11", []),
            ("participant=Practitioner/dr-2&date=2025-03-11", [e[1]]),
            ("participant=Practitioner/dr-1,Practitioner/dr-2&date=2025-03-11", [e[1]]),
            ("practitioner=Practitioner/dr-2&date=2025-03-10", [e[2]]),
            ("practitioner=Practitioner/dr-1&date=2025-03-10&service-provider=Organization/chc-a", [e[0], e[3]]),
            ("service-provider=Organization/chc-a&date=2025-03-10&status=finished", [e[0], e[3]]),
        ].map { ($0.0, $0.1.sorted()) }
    }

    static func check(_ store: FHIRStore, _ expected: [(String, [String])]) async throws {
        for (query, ids) in expected {
            let found = try await search(store, "Encounter", query + "&_count=100")
            #expect(found.matches.map(\.id).sorted() == ids, "Encounter?\(query)")
            // The total, counted from the index rows where the search allows (deleted and replaced versions have none).
            #expect(found.total == ids.count, "Encounter?\(query): total")
        }
    }

    static func writeDistrict(_ store: FHIRStore) async throws -> [String] {
        for (type, id) in [("Organization", "chc-a"), ("Organization", "chc-b"), ("Practitioner", "dr-1"), ("Practitioner", "dr-2")] {
            _ = try await store.update(try json(#"{"resourceType":"\#(type)","id":"\#(id)"}"#), type: type, id: id)
        }
        let resident = try await store.create(try patient("赵", "敏", birth: "1960-05-06")).id
        var ids: [String] = []
        for (provider, practitioners, start, end) in [
            ("chc-a", ["dr-1"], "2025-03-10T09:00:00+08:00", "2025-03-10T09:20:00+08:00"),
            ("chc-a", ["dr-1", "dr-2"], "2025-03-11T10:00:00+08:00", "2025-03-11T10:30:00+08:00"),
            ("chc-b", ["dr-2"], "2025-03-10T14:00:00+08:00", "2025-03-10T14:10:00+08:00"),
            ("chc-a", ["dr-1"], "2025-03-10T15:00:00+08:00", "2025-03-10T15:40:00+08:00"),
        ] {
            ids.append(try await store.create(try encounter(provider: provider, practitioners: practitioners, start: start, end: end, patient: resident)).id)
        }
        return ids
    }

    @Test func searchesFindWhatTheTwoCriteriaFind() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            let e = try await Self.writeDistrict(store)
            try await Self.check(store, Self.expectations(e))
            // One row per pair of values: e[1] has two practitioners and one period.
            let rows = try await platform.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM fhir_idx_reference_date").first()?.decode(column: "n", as: Int.self)
            }
            #expect(rows == 4 + 5)

            // A new version replaces the rows: e[0] moves to the 11th, then e[1] is deleted.
            var moved = try json(try #require(try await store.read(type: "Encounter", id: e[0])).content)
            moved["period"] = .object(["start": .string("2025-03-11T08:00:00+08:00"), "end": .string("2025-03-11T08:10:00+08:00")])
            _ = try await store.update(moved, type: "Encounter", id: e[0], ifMatch: 1)
            try await Self.check(store, [
                ("service-provider=Organization/chc-a&date=2025-03-10", [e[3]]),
                ("service-provider=Organization/chc-a&date=2025-03-11", [e[0], e[1]].sorted()),
            ])
            _ = try await store.delete(type: "Encounter", id: e[1])
            try await Self.check(store, [
                ("service-provider=Organization/chc-a&date=2025-03-11", [e[0]]),
                ("participant=Practitioner/dr-2&date=2025-03-11", []),
            ])
        }
    }

    /// The paired rows lead such a search and stand for both criteria; a modifier or a missing pair leaves them out.
    @Test func pairedRowsLeadOnlyWherePaired() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            _ = try await Self.writeDistrict(store)
            func covers(_ type: String, _ query: String) async throws -> [Int]? {
                let request = try SearchRequest(type: type, query: FHIRService.parseQuery(query), definitions: .shared, strict: true)
                return try await platform.database.read { sql in
                    try await FHIRStore.referenceDateRows(request, sources: { type, name in
                        try await store.parameterKeys.sources(type: type, name: name, definitions: .shared, sql: sql)
                    })?.covers
                }
            }
            #expect(try await covers("Encounter", "status=finished&service-provider=Organization/chc-a&date=2025-03-10") == [1, 2])
            #expect(try await covers("Encounter", "date=ge2025-03-10&practitioner=dr-1&date=lt2025-03-11") == [1, 0])
            #expect(try await covers("Encounter", "service-provider:missing=false&date=2025-03-10") == nil)
            #expect(try await covers("Encounter", "patient=Patient/x&date=2025-03-10") == nil)
            #expect(try await covers("Encounter", "service-provider=Organization/chc-a") == nil)
            #expect(try await covers("Observation", "performer=Practitioner/dr-1&date=2025-03-10") == nil)
        }
    }

    /// Migration 0102 fills the rows from the index rows already stored (and 0103 indexes them again on PostgreSQL).
    @Test func migrationFillsStoredEncounters() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            let e = try await Self.writeDistrict(store)
            try await platform.database.write { sql in
                try await sql.raw("DROP TABLE fhir_idx_reference_date").run()
                try await sql.raw("DELETE FROM schema_migrations WHERE id IN ('0102_fhir_reference_date', '0103_fhir_reference_date_covering')").run()
            }
            let applied = try await Migrator(FHIRMigrations.all).migrate(platform.database)
            #expect(applied == ["0102_fhir_reference_date", "0103_fhir_reference_date_covering"])
            try await Self.check(store, Self.expectations(e))
        }
    }
}
