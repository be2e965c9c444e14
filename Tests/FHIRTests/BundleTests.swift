import App
import FHIR
import Foundation
import Testing
import WeijianTesting

@Suite struct BundleTests {
    func transaction(_ entries: [(String, String, String?, JSONValue?)]) -> JSONValue {
        .object([
            "resourceType": .string("Bundle"), "type": .string("transaction"),
            "entry": .array(entries.map { method, url, fullUrl, resource in
                var entry: [String: JSONValue] = ["request": .object(["method": .string(method), "url": .string(url)])]
                if let fullUrl { entry["fullUrl"] = .string(fullUrl) }
                if let resource { entry["resource"] = resource }
                return .object(entry)
            }),
        ])
    }

    @Test func transactionResolvesUUIDReferences() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            let bundle = transaction([
                ("POST", "Observation", "urn:uuid:00000000-0000-4000-8000-000000000002",
                 try observation("x", code: "8480-6", value: 120, unit: "mm[Hg]", date: "2024").with(subject: "urn:uuid:00000000-0000-4000-8000-000000000001")),
                ("POST", "Patient", "urn:uuid:00000000-0000-4000-8000-000000000001", try patient("孙", "丽", birth: "1977")),
            ])
            let response = await service.handle(FHIRRequest(method: "POST", path: [], body: bundle), base: "http://test/fhir/r4")
            #expect(response.status == 200, "\(response.body.serialized)")
            guard case .json(let result) = response.body else { Issue.record("no bundle"); return }
            #expect(result["type"] == .string("transaction-response"))
            let locations = result["entry"]?.arrayValue?.compactMap { $0["response"]?["location"]?.stringValue } ?? []
            #expect(locations.count == 2)
            let patientID = try #require(locations.last?.split(separator: "/").dropFirst().first.map(String.init))
            let observations = try await search(platform.fhir, "Observation", "subject=Patient/\(patientID)")
            #expect(observations.total == 1)
        }
    }

    @Test func transactionIsAllOrNothing() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            var first = try patient("钱", "一", birth: "1980")
            first["identifier"] = .array([.object(["system": .string("urn:test"), "value": .string("rollback-1")])])
            let bundle = transaction([
                ("POST", "Patient", "urn:uuid:00000000-0000-4000-8000-000000000003", first),
                ("POST", "Observation", nil, try observation("missing-patient", code: "8480-6", value: 1, unit: "mm[Hg]", date: "2024")),
            ])
            let response = await service.handle(FHIRRequest(method: "POST", path: [], body: bundle), base: "http://test/fhir/r4")
            #expect(response.status == 422)
            #expect(response.body.serialized.contains("Bundle.entry[1]"))
            #expect(try await search(platform.fhir, "Patient", "identifier=urn:test|rollback-1").total == 0)
        }
    }

    @Test func conditionalCreateFindsTheExistingResource() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            var body = try patient("吴", "刚", birth: "1966")
            body["identifier"] = .array([.object(["system": .string("urn:test"), "value": .string("cc-1")])])
            let headers = ["if-none-exist": "identifier=urn:test|cc-1", "content-type": "application/fhir+json"]
            let first = await service.handle(FHIRRequest(method: "POST", path: ["Patient"], headers: headers, body: body), base: "http://t")
            let second = await service.handle(FHIRRequest(method: "POST", path: ["Patient"], headers: headers, body: body), base: "http://t")
            #expect(first.status == 201 && second.status == 200)
            #expect(try await search(platform.fhir, "Patient", "identifier=urn:test|cc-1").total == 1)
        }
    }

    @Test func batchEntriesSucceedOrFailAlone() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            var bundle = transaction([
                ("POST", "Patient", nil, try patient("郑", "好", birth: "1999")),
                ("POST", "Patient", nil, try json(#"{"resourceType":"Patient","birthDate":"not a date"}"#)),
                ("GET", "Patient/does-not-exist", nil, nil),
            ])
            bundle["type"] = .string("batch")
            let response = await service.handle(FHIRRequest(method: "POST", path: [], body: bundle), base: "http://t")
            guard case .json(let result) = response.body else { Issue.record("no bundle"); return }
            let statuses = result["entry"]?.arrayValue?.compactMap { $0["response"]?["status"]?.stringValue } ?? []
            #expect(statuses.map { $0.prefix(3) } == ["201", "422", "404"])
            let counts = try await platform.fhir.counts()
            #expect(counts["Patient"] == 1)
        }
    }

    @Test func readOfDeletedIsGoneAndUnknownIsNotFound() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            let stored = try await platform.fhir.create(try patient("冯", "程", birth: "2010"))
            _ = try await platform.fhir.delete(type: "Patient", id: stored.id)
            #expect(await service.handle(FHIRRequest(method: "GET", path: ["Patient", stored.id]), base: "http://t").status == 410)
            #expect(await service.handle(FHIRRequest(method: "GET", path: ["Patient", "nope"]), base: "http://t").status == 404)
            #expect(await service.handle(FHIRRequest(method: "GET", path: ["Spaceship"]), base: "http://t").status == 404)
            let capability = await service.handle(FHIRRequest(method: "GET", path: ["metadata"]), base: "http://t")
            #expect(capability.status == 200 && capability.body.serialized.contains("\"fhirVersion\":\"4.0.1\""))
        }
    }
}

extension JSONValue {
    func with(subject: String) -> JSONValue {
        var copy = self
        copy["subject"] = .object(["reference": .string(subject)])
        return copy
    }
}
