import App
import FHIR
import Foundation
import Testing
import WeijianTesting

func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

func patient(_ family: String, _ given: String, birth: String, gender: String = "female", org: String? = nil) throws -> JSONValue {
    var patient = try json(#"{"resourceType":"Patient","name":[{"family":"\#(family)","given":["\#(given)"]}],"birthDate":"\#(birth)","gender":"\#(gender)"}"#)
    if let org { patient["managingOrganization"] = .object(["reference": .string("Organization/\(org)")]) }
    return patient
}

func observation(_ patient: String, code: String, value: Double, unit: String, date: String) throws -> JSONValue {
    try json("""
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"\(code)"}]},
         "subject":{"reference":"Patient/\(patient)"},"effectiveDateTime":"\(date)",
         "valueQuantity":{"value":\(value),"unit":"\(unit)","system":"http://unitsofmeasure.org","code":"\(unit)"}}
        """)
}

func search(_ store: FHIRStore, _ type: String, _ query: String) async throws -> SearchResult {
    try await store.search(SearchRequest(type: type, query: FHIRService.parseQuery(query), definitions: .shared, strict: true))
}

@Suite struct StoreTests {
    @Test func versionsHistoryAndDeletion() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            let created = try await store.create(try patient("李", "娜", birth: "1970-01-02"))
            #expect(created.versionId == 1)
            var body = try json(created.content)
            body["gender"] = .string("male")
            let (updated, wasCreated) = try await store.update(body, type: "Patient", id: created.id, ifMatch: 1)
            #expect(updated.versionId == 2 && !wasCreated)
            await #expect(throws: FHIRError.self) { _ = try await store.update(body, type: "Patient", id: created.id, ifMatch: 1) }
            #expect(try await store.vread(type: "Patient", id: created.id, version: 1)?.content.contains("female") == true)
            let deleted = try await store.delete(type: "Patient", id: created.id)
            #expect(deleted?.versionId == 3)
            #expect(try await store.read(type: "Patient", id: created.id)?.deleted == true)
            let history = try await store.history(type: "Patient", id: created.id, since: nil, count: 10, offset: 0)
            #expect(history.versions.map(\.versionId) == [3, 2, 1])
            #expect(history.versions.first?.method == "DELETE")
            // A deleted resource is no longer found.
            #expect(try await search(store, "Patient", "_id=\(created.id)").matches.isEmpty)
        }
    }

    @Test func updateCreatesWithClientID() async throws {
        try await TestDatabase.withPlatform { platform in
            var body = try patient("周", "杰", birth: "1990")
            body["id"] = .string("client-1")
            let (stored, created) = try await platform.fhir.update(body, type: "Patient", id: "client-1")
            #expect(created && stored.versionId == 1 && stored.id == "client-1")
        }
    }

    @Test func searchByEveryParameterType() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            let a = try await store.create(try patient("张", "伟", birth: "1950-03-04", gender: "male"))
            let b = try await store.create(try patient("Zhang", "Wei", birth: "1985-06-07"))
            _ = try await store.create(try patient("王", "芳", birth: "2001-01-01"))
            _ = try await store.create(try observation(a.id, code: "8480-6", value: 150, unit: "mm[Hg]", date: "2024-01-10T09:00:00+08:00"))
            _ = try await store.create(try observation(a.id, code: "8480-6", value: 128, unit: "mm[Hg]", date: "2024-06-10T09:00:00+08:00"))
            _ = try await store.create(try observation(b.id, code: "1558-6", value: 7.4, unit: "mmol/L", date: "2023-03-01"))

            #expect(try await search(store, "Patient", "family=张").matches.map(\.id) == [a.id])
            #expect(try await search(store, "Patient", "name=zhang").matches.map(\.id) == [b.id])
            #expect(try await search(store, "Patient", "name:exact=Zha").matches.isEmpty)
            #expect(try await search(store, "Patient", "name:contains=han").matches.map(\.id) == [b.id])
            #expect(try await search(store, "Patient", "gender=male").total == 1)
            #expect(try await search(store, "Patient", "gender:not=male").total == 2)
            #expect(try await search(store, "Patient", "birthdate=lt1960").matches.map(\.id) == [a.id])
            #expect(try await search(store, "Patient", "birthdate=ge1985-06-07").total == 2)
            #expect(try await search(store, "Patient", "birthdate=1985").matches.map(\.id) == [b.id])
            #expect(try await search(store, "Observation", "subject=Patient/\(a.id)").total == 2)
            #expect(try await search(store, "Observation", "patient=\(a.id)&date=ge2024-03").total == 1)
            #expect(try await search(store, "Observation", "code=http://loinc.org|8480-6&value-quantity=gt140").total == 1)
            #expect(try await search(store, "Observation", "value-quantity=7.4|http://unitsofmeasure.org|mmol/L").total == 1)
            // Implicit precision: 7 means [6.5, 7.5), which holds 7.4; 8 does not.
            #expect(try await search(store, "Observation", "value-quantity=7").total == 1)
            #expect(try await search(store, "Observation", "value-quantity=8").total == 0)
            #expect(try await search(store, "Patient", "gender:missing=true").total == 0)
            let sorted = try await search(store, "Patient", "_sort=-birthdate")
            #expect(sorted.matches.map(\.id).first != a.id && sorted.matches.map(\.id).last == a.id)
            let included = try await search(store, "Observation", "patient=\(b.id)&_include=Observation:subject")
            #expect(included.included.map(\.id) == [b.id])
            let reverse = try await search(store, "Patient", "_id=\(a.id)&_revinclude=Observation:subject")
            #expect(reverse.included.count == 2)
        }
    }

    @Test func pagingAndCount() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            for index in 0..<25 {
                _ = try await store.create(try patient("陈", "\(index)", birth: "2000-01-\(String(format: "%02d", index + 1))"))
            }
            var seen: [String] = []
            var offset = 0
            while true {
                let page = try await search(store, "Patient", "_count=10&_offset=\(offset)&_sort=birthdate")
                seen += page.matches.map(\.id)
                #expect(page.total == 25)
                guard page.hasMore else { break }
                offset += 10
            }
            #expect(seen.count == 25 && Set(seen).count == 25)
            let count = try await search(store, "Patient", "_summary=count")
            #expect(count.total == 25 && count.matches.isEmpty)
        }
    }

    /// A search a criterion leads, without `_sort`, pages through its matches in the order they were stored; ids the
    /// client chose (here in the reverse order) do not change that.
    @Test func ledSearchesPageInTheOrderOfStoring() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            var created: [String] = []
            for index in 0..<25 {
                var body = try patient("林", "\(index)", birth: "1999")
                body["id"] = .string(String(format: "client-%02d", 24 - index))
                created.append(try await store.update(body, type: "Patient", id: String(format: "client-%02d", 24 - index)).0.id)
            }
            var stored: [String] = []
            for offset in stride(from: 0, to: 30, by: 10) {
                stored += try await search(store, "Patient", "family=林&_count=10&_offset=\(offset)").matches.map(\.id)
            }
            #expect(stored == created)
            // The page's keys come from the index rows: a deleted resource has none, so pages close over it, and the
            // total and the next page agree.
            _ = try await store.delete(type: "Patient", id: created[3])
            var afterDelete: [String] = []
            for offset in stride(from: 0, to: 30, by: 10) {
                let page = try await search(store, "Patient", "family=林&_count=10&_offset=\(offset)")
                #expect(page.total == 24 && page.hasMore == (offset + 10 < 24))
                afterDelete += page.matches.map(\.id)
            }
            #expect(afterDelete == created.filter { $0 != created[3] })
            // With `_sort`, the sort and then the id decide.
            #expect(try await search(store, "Patient", "family=林&_count=30&_sort=birthdate").matches.map(\.id) == created.filter { $0 != created[3] }.sorted())
        }
    }

    @Test func unknownParametersStrictAndLenient() throws {
        #expect(throws: FHIRError.self) { try SearchRequest(type: "Patient", query: [("colour", "red")], definitions: .shared, strict: true) }
        let lenient = try SearchRequest(type: "Patient", query: [("colour", "red")], definitions: .shared, strict: false)
        #expect(lenient.ignored == ["colour"] && lenient.criteria.isEmpty)

    }

    @Test func referencesMustResolve() async throws {
        try await TestDatabase.withPlatform { platform in
            await #expect(throws: FHIRError.self) {
                _ = try await platform.fhir.create(try observation("nobody", code: "8480-6", value: 1, unit: "mm[Hg]", date: "2024"))
            }
            let counts = try await platform.fhir.counts()
            #expect(counts["Observation"] == nil)
        }
    }

    @Test func concurrentUpdatesOfOneVersionExactlyOneWins() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            let created = try await store.create(try patient("赵", "敏", birth: "1960"))
            let body = try json(created.content)
            let outcomes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await store.update(body, type: "Patient", id: created.id, ifMatch: 1)
                            return 200
                        } catch let error as FHIRError {
                            return error.status
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == 200 }.count == 1)
            #expect(outcomes.filter { $0 == 412 }.count == 5)
            #expect(try await store.read(type: "Patient", id: created.id)?.versionId == 2)
        }
    }
}
