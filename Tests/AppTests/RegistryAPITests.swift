import Access
import App
import FHIR
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Registry
import Testing
import WeijianTesting

@Suite struct RegistryAPITests {
    @Test func divisionsInstitutionsAndMPIOverHTTP() async throws {
        try await TestServer.run { server in
        let platform = server.platform
        try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
        let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1958-08-08", sequence: 21, male: true)
        let first = try await platform.fhir.create(.object([
            "resourceType": .string("Patient"),
            "identifier": .array([.object(["system": .string(ResidentIDNumber.system), "value": .string(number)])]),
            "name": .array([.object(["text": .string("周建国")])]), "birthDate": .string("1958-08-08"),
        ]))
        let second = try await platform.fhir.create(.object([
            "resourceType": .string("Patient"), "name": .array([.object(["text": .string("周建国")])]), "birthDate": .string("1958-08-08"),
        ]))
        do {
            // The directory is public; the patient index is not.
            try await server.client.execute(uri: "/api/v1/mpi/match?birthDate=1958-08-08", method: .get) { #expect($0.status == .unauthorized) }
            let resident = try await server.client(as: Principal(subject: "r", role: .resident, displayName: "居民", patient: first.id))
            try await resident.execute(uri: "/api/v1/mpi/match?birthDate=1958-08-08", method: .get) { #expect($0.status == .forbidden) }
            let doctor = try await server.client(as: Principal(subject: "d", role: .familyDoctor, displayName: "医生", institution: "chc", practitioner: "dr"))
            try await doctor.execute(uri: "/api/v1/mpi/merges", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")) {
                #expect($0.status == .forbidden)
            }
            let client = try await server.client(as: Principal(subject: "m", role: .chcManager, displayName: "主任", institution: "chc"))
            let streets = try await client.execute(uri: "/api/v1/divisions?parent=310105", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode([Division].self, from: Data(buffer: response.body))
            }
            #expect(streets.count == 10 && streets.contains { $0.name == "新泾镇" })
            let chcs = try await client.execute(uri: "/api/v1/institutions?district=310105&type=chc", method: .get) {
                try JSONDecoder().decode([Institution].self, from: Data(buffer: $0.body))
            }
            #expect(chcs.count == 10)
            let matches = try await client.execute(uri: "/api/v1/mpi/match?name=%E5%91%A8%E5%BB%BA%E5%9B%BD&birthDate=1958-08-08", method: .get) {
                try JSONDecoder().decode([MatchCandidate].self, from: Data(buffer: $0.body))
            }
            #expect(Set(matches.map(\.patient)) == ["Patient/\(first.id)", "Patient/\(second.id)"])
            try await client.execute(uri: "/api/v1/mpi/match?idNumber=123", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/mpi/match?birthDate=1958-02-30", method: .get) { #expect($0.status == .badRequest) }

            let merge = #"{"source":"Patient/\#(second.id)","target":"Patient/\#(first.id)","reason":"重复建档"}"#
            let event = try await client.execute(uri: "/api/v1/mpi/merges", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: merge)) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(MergeEvent.self, from: Data(buffer: response.body))
            }
            try await client.execute(uri: "/api/v1/mpi/merges", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: merge)) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/mpi/merges", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"source\":1}")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/mpi/merges/\(event.id)/undo", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/mpi/merges/\(event.id)/undo", method: .post) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/api/v1/mpi/merges/999999/undo", method: .post) { #expect($0.status == .notFound) }
            // Every use of the index is in the audit chain, with whose records were touched.
            let entries = try await platform.audit.entries(patient: second.id)
            #expect(entries.contains { $0.record.action == "merge" && $0.record.actor == "m" })
            #expect(entries.contains { $0.record.action == "search" && $0.record.entity == "mpi/match" })
        }
        }
    }
}
