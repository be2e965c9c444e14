import Access
import App
import AsyncHTTPClient
import FHIR
import Foundation
import NIOCore
import Referral
import Registry
import SQLKit
import Storage
import Synchronization
import Testing
import WeijianTesting

/// kill -9 of the real server binary while transaction Bundles and bookings stream in over HTTP; then the server is
/// started again on the same database and what it acknowledged is checked.
@Suite struct CrashSafetyTests {
    static let residents = 400
    static let observationsPerBundle = 8

    /// What the clients were told: the Bundles and bookings answered 2xx, and anything unexpected before the kill.
    final class Acknowledged: Sendable {
        private let state = Mutex<(bundles: [Int], bookings: [String: String], unexpected: [String], killed: Bool, cut: Int)>(([], [:], [], false, 0))
        func bundle(_ index: Int) { state.withLock { $0.bundles.append(index) } }
        func booking(slot: String, appointment: String) { state.withLock { $0.bookings[slot] = appointment } }
        func unexpected(_ text: String) { state.withLock { if !$0.killed { $0.unexpected.append(text) } } }
        /// A request that failed because the server was killed (in flight or after).
        func cutOff() { state.withLock { $0.cut += 1 } }
        var cut: Int { state.withLock { $0.cut } }
        func kill() { state.withLock { $0.killed = true } }
        var killed: Bool { state.withLock { $0.killed } }
        var snapshot: (bundles: [Int], bookings: [String: String], unexpected: [String]) { state.withLock { ($0.bundles, $0.bookings, $0.unexpected) } }
    }

    /// Bundle `index`: a resident, an encounter and eight observations, all with ids of the Bundle (`crash-b<index>-…`).
    static func bundle(_ index: Int) -> String {
        let patient = "crash-b\(index)-p"
        var entries = [
            #"{"resource":{"resourceType":"Patient","id":"\#(patient)","active":true,"name":[{"text":"崩溃测试\#(index)"}],"gender":"female","birthDate":"1966-03-0\#(index % 9 + 1)"},"request":{"method":"PUT","url":"Patient/\#(patient)"}}"#,
            #"{"resource":{"resourceType":"Encounter","id":"crash-b\#(index)-e","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/\#(patient)"}},"request":{"method":"PUT","url":"Encounter/crash-b\#(index)-e"}}"#,
        ]
        for observation in 0..<observationsPerBundle {
            entries.append(#"{"resource":{"resourceType":"Observation","id":"crash-b\#(index)-o\#(observation)","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/\#(patient)"},"encounter":{"reference":"Encounter/crash-b\#(index)-e"},"effectiveDateTime":"2026-01-02T08:00:00+08:00","valueQuantity":{"value":\#(60 + observation),"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},"request":{"method":"PUT","url":"Observation/crash-b\#(index)-o\#(observation)"}}"#)
        }
        return #"{"resourceType":"Bundle","type":"transaction","entry":[\#(entries.joined(separator: ","))]}"#
    }

    static func post(_ client: HTTPClient, port: Int, path: String, token: String, body: String, contentType: String = "application/json") async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: bytes))
    }

    static func waitUntilReady(_ client: HTTPClient, _ server: ServerProcess, within seconds: Int = 60) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if server.exited { throw ServerProcess.Unavailable(description: "the server exited before it was ready:\n\(server.logTail())") }
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/health/ready"), timeout: .seconds(2)),
               response.status.code == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerProcess.Unavailable(description: "the server was not ready within \(seconds) s:\n\(server.logTail())")
    }

    @Test func killNineDuringIngestAndBookingsLosesNothingAcknowledgedAndHalfAppliesNothing() async throws {
        let (configuration, remove, folder, keyFile, secrets) = try await ServerProcess.scratch("crash")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var servers: [ServerProcess] = []
        do {
            // Set up: the catalogue, a family doctor with a panel of residents, and a free slot for each of them.
            let platform = try await Platform.open(configuration, secrets: secrets)
            let chc = Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" }?.id ?? ""
            let slots: [String]
            let doctorToken: String
            let systemToken: String
            do {
                try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
                try await platform.fhir.write { writer in
                    _ = try await writer.update(.object(["resourceType": .string("Practitioner"), "id": .string("crash-fd"), "name": .array([.object(["text": .string("家庭医生")])])]),
                                                type: "Practitioner", id: "crash-fd", ifMatch: nil)
                    for index in 0..<Self.residents {
                        _ = try await writer.update(.object([
                            "resourceType": .string("Patient"), "id": .string("crash-r\(index)"), "active": .bool(true), "birthDate": .string("1960-01-01"),
                            "name": .array([.object(["text": .string("居民\(index)")])]),
                            "managingOrganization": .object(["reference": .string("Organization/\(chc)")]),
                            "generalPractitioner": .array([.object(["reference": .string("Practitioner/crash-fd")])]),
                        ]), type: "Patient", id: "crash-r\(index)", ifMatch: nil)
                    }
                }
                let service = ReferralService(store: platform.fhir)
                var all: [String] = []
                for department in Department.all where all.count < Self.residents {
                    let schedule = try await service.createSchedule(SchedulePlan(organization: "cn-tongren", department: department.code, practitioner: nil,
                                                                                 day: CalendarDay.shift(CalendarDay.today(), days: 2), start: "00:00", end: "20:50",
                                                                                 slotMinutes: 5, reservedPercent: 20), actor: "crash-test")
                    all += try await service.slots(schedule: schedule.id).map(\.id)
                }
                slots = Array(all.prefix(Self.residents))
                let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
                doctorToken = try await tokens.issue(for: Principal(subject: "crash-doctor", role: .familyDoctor, displayName: "家庭医生", institution: chc, practitioner: "crash-fd"))
                systemToken = try await tokens.issue(for: TestServer.platformPrincipal)
            } catch {
                await platform.shutdown()
                throw error
            }
            await platform.shutdown()
            #expect(slots.count == Self.residents)

            let url = TestDatabase.url(of: configuration)
            let first = try ServerProcess.start(database: url, keyFile: keyFile, logFile: folder + "/server.log")
            servers.append(first)
            try await Self.waitUntilReady(client, first)

            // Two Bundle writers and four booking clients, until the server is killed under them.
            let acknowledged = Acknowledged()
            let port = first.port
            let workers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for worker in 0..<2 {
                        group.addTask {
                            var index = worker
                            while !acknowledged.killed {
                                do {
                                    let (status, body) = try await Self.post(client, port: port, path: "/fhir/r4", token: systemToken, body: Self.bundle(index))
                                    if (200..<300).contains(status) { acknowledged.bundle(index) } else { acknowledged.unexpected("Bundle \(index): \(status) \(body.prefix(300))") }
                                } catch {
                                    if acknowledged.killed { acknowledged.cutOff() } else { acknowledged.unexpected("Bundle \(index): \(error)") }
                                    return
                                }
                                index += 2
                            }
                        }
                    }
                    for worker in 0..<4 {
                        group.addTask {
                            var index = worker
                            while !acknowledged.killed, index < slots.count {
                                do {
                                    let (status, body) = try await Self.post(client, port: port, path: "/api/v1/referral/appointments", token: doctorToken,
                                                                             body: #"{"slot":"\#(slots[index])","patient":"crash-r\#(index)"}"#)
                                    if status == 201, let id = (try? JSONValue.parse(Data(body.utf8)))?["id"]?.stringValue {
                                        acknowledged.booking(slot: slots[index], appointment: id)
                                    } else {
                                        acknowledged.unexpected("booking \(index): \(status) \(body.prefix(300))")
                                    }
                                } catch {
                                    if acknowledged.killed { acknowledged.cutOff() } else { acknowledged.unexpected("booking \(index): \(error)") }
                                    return
                                }
                                index += 4
                            }
                        }
                    }
                }
            }
            // Killed once both streams are well under way, at a moment that falls somewhere inside the requests in flight.
            let deadline = ContinuousClock.now + .seconds(40)
            while ContinuousClock.now < deadline {
                let now = acknowledged.snapshot
                if now.bundles.count >= 12 && now.bookings.count >= 40 || !now.unexpected.isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<150)))
            acknowledged.kill()
            first.kill(SIGKILL)
            await workers.value
            await first.waitForExit()
            let acked = acknowledged.snapshot
            #expect(acked.unexpected.isEmpty, "\(acked.unexpected.prefix(5))\n\(first.logTail())")
            #expect(acked.bundles.count >= 12 && acked.bookings.count >= 40, "too few writes acknowledged before the kill: \(acked.bundles.count) Bundles, \(acked.bookings.count) bookings")

            // Started again on the same database: it recovers and serves what was acknowledged.
            let second = try ServerProcess.start(database: url, keyFile: keyFile, logFile: folder + "/server.log")
            servers.append(second)
            try await Self.waitUntilReady(client, second)
            if let bundle = acked.bundles.first {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(second.port)/fhir/r4/Observation?patient=crash-b\(bundle)-p&_summary=count")
                request.headers.add(name: "Authorization", value: "Bearer \(systemToken)")
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(response.status.code == 200 && body.contains(#""total":\#(Self.observationsPerBundle)"#), "\(body.prefix(300))")
            }
            await second.stop()

            // The database itself, read directly.
            let reopened = try await Platform.open(configuration, secrets: secrets)
            do {
                let rows = try await reopened.database.read { sql in
                    try await sql.raw("SELECT res_type, res_id FROM fhir_resource WHERE res_id LIKE 'crash-b%' AND deleted = 0").all()
                        .map { "\(try $0.decode(column: "res_type", as: String.self))/\(try $0.decode(column: "res_id", as: String.self))" }
                }
                var perBundle: [Int: Int] = [:]
                for row in rows {
                    let id = row.split(separator: "/")[1]
                    if let index = Int(id.dropFirst("crash-b".count).prefix { $0.isNumber }) { perBundle[index, default: 0] += 1 }
                }
                let whole = 2 + Self.observationsPerBundle
                #expect(perBundle.values.allSatisfy { $0 == whole }, "half-applied Bundles: \(perBundle.filter { $0.value != whole })")
                let missingBundles = acked.bundles.filter { perBundle[$0] != whole }
                #expect(missingBundles.isEmpty, "acknowledged Bundles lost: \(missingBundles)")

                // Every change stored is in the audit chain, and nothing is in the chain that was not stored; the chain verifies.
                let audited = Set(try await reopened.database.read { sql in
                    try await sql.raw("SELECT DISTINCT entity FROM audit_entry WHERE entity LIKE '%/crash-b%' AND action NOT IN ('read', 'search', 'vread', 'history')").all().map { try $0.decode(column: "entity", as: String.self) }
                })
                #expect(audited == Set(rows), "audit and data disagree: \(audited.symmetricDifference(Set(rows)).sorted().prefix(10))")
                let verification = try await reopened.audit.verify()
                #expect(verification.intact, "audit chain broken at \(verification.firstBroken ?? 0): \(verification.problem ?? "")")

                // Bookings: every acknowledged one is there; every booked slot has exactly its one appointment, in the tables and in the record.
                let booked = try await reopened.database.read { sql in
                    try await sql.raw("SELECT id, slot_id FROM referral_appointment WHERE status = 'booked'").all().map {
                        (try $0.decode(column: "slot_id", as: String.self), try $0.decode(column: "id", as: String.self))
                    }
                }
                let bookedBySlot = Dictionary(booked, uniquingKeysWith: { first, _ in first })
                #expect(bookedBySlot.count == booked.count, "a slot with two live appointments")
                let lost = acked.bookings.filter { bookedBySlot[$0.key] != $0.value }
                #expect(lost.isEmpty, "acknowledged bookings lost: \(lost.prefix(5))")
                let slotRows = try await reopened.database.read { sql in
                    try await sql.raw("SELECT id, appointment_id FROM referral_slot WHERE status = 'booked'").all().map {
                        (try $0.decode(column: "id", as: String.self), try $0.decode(column: "appointment_id", as: String?.self) ?? "")
                    }
                }
                #expect(Dictionary(slotRows, uniquingKeysWith: { first, _ in first }) == bookedBySlot, "booked slots and appointments disagree")
                for (slot, appointment) in bookedBySlot {
                    let slotResource = try await reopened.fhir.read(type: "Slot", id: slot)
                    let appointmentResource = try await reopened.fhir.read(type: "Appointment", id: appointment)
                    #expect(slotResource?.content.contains(#""status":"busy""#) == true && appointmentResource != nil, "slot \(slot) / appointment \(appointment) half-applied")
                }
                let freeButBusy = try await reopened.database.read { sql in
                    try await sql.raw("SELECT s.id FROM referral_slot s JOIN fhir_resource r ON r.res_type = 'Slot' AND r.res_id = s.id WHERE s.status = 'free' AND r.content LIKE '%\"busy\"%'").all().count
                }
                #expect(freeButBusy == 0, "free slots recorded busy in FHIR")
                print("crash test (\(TestDatabase.engine.rawValue)): \(acked.bundles.count) Bundles and \(acked.bookings.count) bookings acknowledged before kill -9 (\(acknowledged.cut) requests cut off); \(perBundle.count) Bundles and \(booked.count) bookings stored; \(verification.checked) audit entries verified")
            } catch {
                await reopened.shutdown()
                throw error
            }
            await reopened.shutdown()
        } catch {
            for server in servers { server.kill(SIGKILL); await server.waitForExit() }
            try? await client.shutdown()
            await remove()
            Issue.record("\(error)\n\(servers.last?.logTail() ?? "")")
            return
        }
        try? await client.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
        await remove()
    }
}
