import Access
import App
import FHIR
import Foundation
import Registry
import SQLKit
import Storage
import Testing
import WeijianTesting

/// ID numbers and phones are encrypted at rest, found through keyed hashes, re-sealed on key rotation,
/// and a wrong key file is refused; on SQLite and PostgreSQL.
@Suite struct FieldProtectionTests {
    static let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1958-07-21", sequence: 37, male: false)
    static let phone = "13912345678"
    static let contactPhone = "13587654321"

    static func patient(id: String? = nil) -> JSONValue {
        var patient: [String: JSONValue] = [
            "resourceType": .string("Patient"),
            "identifier": .array([
                .object(["system": .string(ResidentIDNumber.system), "value": .string(number)]),
                .object(["system": .string("https://weijian.health/sid/mrn"), "value": .string("MRN-0042")]),
            ]),
            "name": .array([.object(["text": .string("钱秀兰")])]),
            "gender": .string("female"),
            "birthDate": .string("1958-07-21"),
            "telecom": .array([
                .object(["system": .string("phone"), "value": .string(phone)]),
                .object(["system": .string("email"), "value": .string("qian@example.cn")]),
            ]),
            "contact": .array([.object(["telecom": .array([.object(["system": .string("phone"), "value": .string(contactPhone)])])])]),
        ]
        if let id { patient["id"] = .string(id) }
        return .object(patient)
    }

    /// Everything the database holds about the patient, as text: resource rows, history, index rows, MPI rows, merge trail.
    static func storedText(_ database: Database) async throws -> String {
        try await database.read { sql in
            var text = ""
            for row in try await sql.raw("SELECT content FROM fhir_resource").all() { text += try row.decode(column: "content", as: String.self) + "\n" }
            for row in try await sql.raw("SELECT content FROM fhir_resource_history").all() { text += try row.decode(column: "content", as: String.self) + "\n" }
            for row in try await sql.raw("SELECT code FROM fhir_idx_token").all() { text += try row.decode(column: "code", as: String.self) + "\n" }
            for row in try await sql.raw("SELECT value FROM fhir_idx_string").all() { text += try row.decode(column: "value", as: String.self) + "\n" }
            for row in try await sql.raw("SELECT id_number_hash, phone_hash FROM mpi_person").all() {
                text += (try row.decode(column: "id_number_hash", as: String?.self) ?? "") + " " + (try row.decode(column: "phone_hash", as: String?.self) ?? "") + "\n"
            }
            for row in try await sql.raw("SELECT source_before, target_before FROM mpi_merge_event").all() {
                text += try row.decode(column: "source_before", as: String.self) + (row.decode(column: "target_before", as: String.self)) + "\n"
            }
            return text
        }
    }

    static func ids(_ result: SearchResult) -> [String] { result.matches.map(\.id) }

    static func search(_ platform: Platform, _ query: [(String, String)]) async throws -> [String] {
        ids(try await platform.fhir.search(try SearchRequest(type: "Patient", query: query, definitions: platform.fhir.definitions, strict: true)))
    }

    @Test func storedSealedReadInFullFoundByKeyedHash() async throws {
        try await TestDatabase.withPlatform { platform in
            let created = try await platform.fhir.create(Self.patient())
            // The answer to the write carries the values as written.
            #expect(created.content.contains(Self.number) && created.content.contains(Self.phone))
            var updated = Self.patient(id: created.id)
            updated["gender"] = .string("female")
            updated["name"] = .array([.object(["text": .string("钱秀兰")]), .object(["text": .string("钱二")])])
            _ = try await platform.fhir.update(updated, type: "Patient", id: created.id)

            let stored = try await Self.storedText(platform.database)
            for secret in [Self.number, Self.phone, Self.contactPhone, String(Self.number.suffix(8))] {
                #expect(!stored.contains(secret), "the database holds \(secret) readable")
            }
            #expect(stored.contains("wj1:k1:"))
            #expect(stored.contains("MRN-0042") && stored.contains("qian@example.cn"), "only ID numbers and phones are sealed")

            // Reads (current, version, history) give the values in full.
            let read = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: created.id)).content.utf8))
            #expect(read["identifier"]?.arrayValue?.first?["value"] == .string(Self.number))
            #expect(read["telecom"]?.arrayValue?.first?["value"] == .string(Self.phone))
            #expect(read["contact"]?.arrayValue?.first?["telecom"]?.arrayValue?.first?["value"] == .string(Self.contactPhone))
            let first = try #require(try await platform.fhir.vread(type: "Patient", id: created.id, version: 1))
            #expect(first.content.contains(Self.number))
            let history = try await platform.fhir.history(type: "Patient", id: created.id, since: nil, count: 10, offset: 0)
            #expect(history.versions.count == 2 && history.versions.allSatisfy { $0.content.contains(Self.phone) })

            // Exact searches find the record through the keyed hash, with or without the system.
            #expect(try await Self.search(platform, [("identifier", "\(ResidentIDNumber.system)|\(Self.number)")]) == [created.id])
            #expect(try await Self.search(platform, [("identifier", Self.number)]) == [created.id])
            #expect(try await Self.search(platform, [("phone", Self.phone)]) == [created.id])
            #expect(try await Self.search(platform, [("telecom", "phone|\(Self.phone)")]) == [created.id])
            #expect(try await Self.search(platform, [("identifier", "https://weijian.health/sid/mrn|MRN-0042")]) == [created.id])
            #expect(try await Self.search(platform, [("phone", "13900000000")]).isEmpty)
            let found = try await platform.fhir.search(try SearchRequest(type: "Patient", query: [("phone", Self.phone)], definitions: platform.fhir.definitions, strict: true))
            #expect(found.matches.first?.content.contains(Self.number) == true)

            // The master patient index matches on the hashes.
            let matches = try await MasterPatientIndex.match(idNumber: Self.number, name: nil, birthDate: nil, phone: nil, database: platform.database, protection: platform.fhir.protection)
            #expect(matches.map(\.patient) == ["Patient/\(created.id)"])
            let byPhone = try await MasterPatientIndex.match(idNumber: nil, name: "别名", birthDate: "1958-07-21", phone: Self.phone, database: platform.database, protection: platform.fhir.protection)
            #expect(byPhone.map(\.patient) == ["Patient/\(created.id)"])
            // A second record with the same number is still refused.
            await #expect(throws: FHIRError.self) { _ = try await platform.fhir.create(Self.patient()) }

            // Bulk export writes readable values (masking is the caller's choice).
            var exported = ""
            _ = try await BulkData(store: platform.fhir).exportNDJSON(type: "Patient") { exported += $0 }
            #expect(exported.contains(Self.number))
        }
    }

    @Test func mergeTrailIsSealedAndUndoRestoresValues() async throws {
        try await TestDatabase.withPlatform { platform in
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            let a = try await platform.fhir.create(Self.patient())
            let b = try await platform.fhir.create(try JSONValue.parse(Data(#"{"resourceType":"Patient","name":[{"text":"钱秀兰"}],"birthDate":"1958-07-21","telecom":[{"system":"phone","value":"13011112222"}]}"#.utf8)))
            let event = try await registry.merge(source: b.id, target: a.id, reason: "同一人")
            let stored = try await Self.storedText(platform.database)
            #expect(!stored.contains(Self.number) && !stored.contains("13011112222"))
            _ = try await registry.unmerge(eventID: event.id)
            let restored = try #require(try await platform.fhir.read(type: "Patient", id: b.id))
            #expect(restored.content.contains("13011112222") && !restored.content.contains("replaced-by"))
        }
    }

    @Test func rotationResealsEverythingAndRetiresTheOldKey() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("weijian-keys-\(UUID().uuidString)")
        let keyFile = folder.appendingPathComponent("keys.json").path
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let secrets = try AccessSecrets.loadOrCreate(path: keyFile)
            var platform = try await Platform.open(configuration, secrets: secrets)
            let created = try await platform.fhir.create(Self.patient())
            var second = Self.patient(id: created.id)
            second["gender"] = .string("female")
            second["active"] = .bool(true)
            _ = try await platform.fhir.update(second, type: "Patient", id: created.id)
            await platform.shutdown()

            // Rotation: a new key becomes current; opening seals every version again under it.
            let next = secrets.rotated()
            try next.save(path: keyFile)
            platform = try await Platform.open(configuration, secrets: next)
            let report = try #require(platform.fieldReseal)
            #expect(report.versions == 2, "the current version and the one in the history")
            let stored = try await Self.storedText(platform.database)
            #expect(stored.contains("wj1:\(next.currentKey):") && !stored.contains("wj1:\(secrets.currentKey):"))
            #expect(try await Self.search(platform, [("identifier", Self.number)]) == [created.id])
            #expect(try #require(try await platform.fhir.read(type: "Patient", id: created.id)).content.contains(Self.phone))
            // Nothing needs the old key now: it is dropped from the key file.
            #expect(try await FieldKeys.retireOldKeys(keyFile: keyFile, secrets: next, store: platform.fhir) == [secrets.currentKey])
            let retired = try AccessSecrets.loadOrCreate(path: keyFile)
            #expect(Array(retired.fieldKeys.keys) == [next.currentKey])
            // Opening again with the retired file needs no work.
            await platform.shutdown()
            platform = try await Platform.open(configuration, secrets: retired)
            #expect(platform.fieldReseal == nil)
            #expect(try #require(try await platform.fhir.vread(type: "Patient", id: created.id, version: 1)).content.contains(Self.number))
            await platform.shutdown()

            // Someone else's key file is refused rather than used.
            await #expect(throws: FieldKeys.WrongKeyFile.self) { _ = try await Platform.open(configuration, secrets: AccessSecrets.generate()) }
            // So is this database's file without the field key the values are sealed with.
            var lost = retired
            lost.fieldKeys = ["k9": AccessSecrets.generate().fieldKeys["k1"] ?? ""]
            lost.currentKey = "k9"
            await #expect(throws: FieldKeys.WrongKeyFile.self) { _ = try await Platform.open(configuration, secrets: lost) }
        } catch {
            await remove()
            throw error
        }
        await remove()
    }

    /// A database written before field protection (values readable, no record of a key) is sealed when opened.
    @Test func readableValuesFromBeforeProtectionAreSealedOnOpen() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        do {
            let secrets = AccessSecrets.generate()
            var platform = try await Platform.open(configuration, secrets: secrets)
            let plainStore = FHIRStore(database: platform.database, hooks: [MasterPatientIndex()])
            let created = try await plainStore.create(Self.patient())
            try await platform.database.write { try await $0.raw("DELETE FROM access_field_protection").run() }
            #expect(try await Self.storedText(platform.database).contains(Self.number))
            await platform.shutdown()

            platform = try await Platform.open(configuration, secrets: secrets)
            let report = try #require(platform.fieldReseal)
            #expect(report.versions == 1 && report.indexRows == 3 && report.registryRows == 1, "\(report)")
            let stored = try await Self.storedText(platform.database)
            #expect(!stored.contains(Self.number) && !stored.contains(Self.phone) && !stored.contains(Self.contactPhone))
            #expect(try await Self.search(platform, [("phone", Self.phone)]) == [created.id])
            let matches = try await MasterPatientIndex.match(idNumber: Self.number, name: nil, birthDate: nil, phone: nil, database: platform.database, protection: platform.fhir.protection)
            #expect(matches.map(\.patient) == ["Patient/\(created.id)"])
            await platform.shutdown()
        } catch {
            await remove()
            throw error
        }
        await remove()
    }

    @Test func alteredOrForeignSealedValuesDoNotOpen() throws {
        let cipher = FieldCipher(secrets: AccessSecrets.generate())
        let sealed = try cipher.seal(Self.patient(), type: "Patient")
        let value = try #require(sealed["identifier"]?.arrayValue?.first?["value"]?.stringValue)
        #expect(value.hasPrefix("wj1:k1:") && !value.contains(Self.number))
        #expect(try cipher.open(sealed, type: "Patient") == Self.patient())
        // Two seals of one value differ (fresh nonce), while the keyed hash is stable.
        #expect(try cipher.seal(Self.patient(), type: "Patient") != sealed)
        #expect(cipher.keyedHash(Self.number) == cipher.keyedHash(Self.number) && cipher.keyedHash(Self.number).hasPrefix("#"))
        var tampered = sealed
        // One bit of the ciphertext flipped (in the decoded box: a base64 character's padding bits would not count).
        var box = try #require(Data(base64Encoded: String(value.dropFirst("wj1:k1:".count))))
        box[box.startIndex + 14] ^= 0x01
        tampered["identifier"] = .array([.object(["system": .string(ResidentIDNumber.system), "value": .string("wj1:k1:" + box.base64EncodedString())])])
        #expect(throws: FieldCipher.CannotOpen.self) { _ = try cipher.open(tampered, type: "Patient") }
        #expect(throws: FieldCipher.CannotOpen.self) { _ = try FieldCipher(secrets: AccessSecrets.generate()).open(sealed, type: "Patient") }
        // A sealed ID number moved into the phone field does not open there (the kind is authenticated).
        var moved = sealed
        moved["telecom"] = .array([.object(["system": .string("phone"), "value": .string(value)])])
        #expect(throws: FieldCipher.CannotOpen.self) { _ = try cipher.open(moved, type: "Patient") }
        // Lists mask the same values the cipher seals.
        let masked = ListMasking.mask(Self.patient())
        #expect(masked["telecom"]?.arrayValue?.first?["value"] == .string("139****5678"))
        #expect(masked["contact"]?.arrayValue?.first?["telecom"]?.arrayValue?.first?["value"] == .string("135****4321"))
    }
}
