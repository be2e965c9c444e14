import Access
import App
import AsyncHTTPClient
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Referral
import Registry
import SQLKit
import Storage
import Testing
import WeijianTesting

/// A small referral world: the catalogue, a family doctor at a Changning CHC with a panel of residents, and a
/// clinician at 同仁医院 (the regional medical centre).
struct ReferralWorld {
    static let hospital = "cn-tongren"
    static let chc = Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty }?.id ?? ""
    static let doctor = Principal(subject: "u-fd", role: .familyDoctor, displayName: "家庭医生", institution: chc, practitioner: "fd1")
    static let clinician = Principal(subject: "u-cl", role: .hospitalClinician, displayName: "医院医生", institution: hospital, practitioner: "cl1")
    static let manager = Principal(subject: "u-mg", role: .commissionManager, displayName: "卫健委", district: "310105")
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func resident(_ patient: String) -> Principal {
        Principal(subject: "u-\(patient)", role: .resident, displayName: "居民", patient: patient)
    }

    /// Loads the catalogue and writes the two practitioners and `residents` residents on the family doctor's panel.
    @discardableResult
    static func setUp(_ platform: Platform, residents: Int) async throws -> [String] {
        try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
        try await platform.fhir.write { writer in
            for (id, organization, code) in [("fd1", chc, "family-doctor"), ("cl1", hospital, "clinician")] {
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"医生\#(id)"}]}"#.utf8)),
                                            type: "Practitioner", id: id, ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"PractitionerRole","id":"\(id)-role","active":true,"practitioner":{"reference":"Practitioner/\(id)"},
                     "organization":{"reference":"Organization/\(organization)"},"code":[{"coding":[{"code":"\(code)"}]}]}
                    """.utf8)), type: "PractitionerRole", id: "\(id)-role", ifMatch: nil)
            }
            for index in 0..<residents {
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"r\(index)","active":true,"name":[{"text":"居民\(index)"}],"gender":"female","birthDate":"1950-01-01",
                     "managingOrganization":{"reference":"Organization/\(chc)"},
                     "generalPractitioner":[{"reference":"Practitioner/fd1"},{"reference":"Organization/\(chc)"}]}
                    """.utf8)), type: "Patient", id: "r\(index)", ifMatch: nil)
            }
        }
        return (0..<residents).map { "r\($0)" }
    }

    /// An instant as the slots show it (with milliseconds).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func day(_ offset: Int) -> String { CalendarDay.shift(CalendarDay.today(), days: offset) }

    static func count(_ platform: Platform, _ query: String) async throws -> Int {
        try await platform.database.read { sql in
            try await sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    /// Everything a refused request must leave as it was.
    static func snapshot(_ platform: Platform) async throws -> [Int] {
        var counts: [Int] = []
        for query in ["SELECT COUNT(*) AS n FROM fhir_resource", "SELECT COUNT(*) AS n FROM fhir_resource_history",
                      "SELECT COUNT(*) AS n FROM referral_appointment", "SELECT COUNT(*) AS n FROM referral_slot WHERE status = 'booked'",
                      "SELECT COUNT(*) AS n FROM referral_request", "SELECT COUNT(*) AS n FROM referral_waitlist"] {
            counts.append(try await count(platform, query))
        }
        return counts
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func decoded<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: Data(buffer: body)) }
}

/// Serialized: the two concurrency tests load the database heavily; run one at a time, they leave room for the
/// other suites that run in parallel with this one.
@Suite(.serialized) struct ReferralTests {
    /// 500 concurrent booking attempts over HTTP on 50 slots (ten per slot, each for a different resident):
    /// exactly 50 bookings on 50 distinct slots, the rest 409, and the record agrees (50 Appointments, 50 busy Slots).
    @Test func fiveHundredConcurrentAttemptsOnFiftySlotsGiveFiftyBookings() async throws {
        try await TestServer.run(writeBurst: 1000) { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 500)
            let service = ReferralService(store: server.platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "cardiology", day: ReferralWorld.day(3),
                                                                         start: "08:00", end: "16:20", slotMinutes: 10), actor: "test")
            let slots = try await service.slots(schedule: schedule.id)
            #expect(slots.count == 50)
            // The test server's own client sends everything over one connection, one request after another; this client
            // starts all 500 attempts at once over up to 25 connections (the server's database pool has 4).
            let port = try #require(server.client.port)
            let token = try await server.token(ReferralWorld.doctor)
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 25)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let outcomes = try await withThrowingTaskGroup(of: (String, HTTPResponse.Status, String).self) { group in
                for (index, patient) in patients.enumerated() {
                    let slot = slots[index % slots.count].id
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/referral/appointments")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: #"{"slot":"\#(slot)","patient":"\#(patient)"}"#))
                        let response = try await http.execute(request, timeout: .seconds(120))
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        let status = HTTPResponse.Status(code: Int(response.status.code))
                        return (status == .created ? slot : "", status, text)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await http.shutdown()
            let booked = outcomes.filter { $0.1 == .created }
            #expect(booked.count == 50, "\(Dictionary(grouping: outcomes, by: { $0.1.code }).mapValues(\.count))")
            #expect(Set(booked.map(\.0)).count == 50)
            #expect(outcomes.allSatisfy { $0.1 == .created || $0.1 == .conflict }, "\(outcomes.first { $0.1 != .created && $0.1 != .conflict }?.2 ?? "")")
            #expect(try await ReferralWorld.count(server.platform, "SELECT COUNT(*) AS n FROM referral_appointment WHERE status = 'booked'") == 50)
            #expect(try await ReferralWorld.count(server.platform, "SELECT COUNT(DISTINCT slot_id) AS n FROM referral_appointment WHERE status = 'booked'") == 50)
            #expect(try await ReferralWorld.count(server.platform, "SELECT COUNT(*) AS n FROM referral_slot WHERE status = 'free'") == 0)
            #expect(try await ReferralWorld.count(server.platform, "SELECT COUNT(*) AS n FROM fhir_resource WHERE res_type = 'Appointment'") == 50)
            #expect(try await ReferralWorld.count(server.platform, "SELECT COUNT(*) AS n FROM fhir_resource WHERE res_type = 'Slot' AND content LIKE '%\"busy\"%'") == 50)
        }
    }

    /// The regional medical centre's expert schedule reserves 20% for CHCs: a resident cannot take a reserved
    /// slot before its release (409, nothing changes); the family doctor can; after release the resident can.
    @Test func publicBookingNeverTakesAReservedSlotBeforeRelease() async throws {
        try await TestServer.run { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 3)
            let service = ReferralService(store: server.platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "endocrinology", practitioner: "cl1",
                                                                         day: ReferralWorld.day(3), start: "08:00", end: "09:40", slotMinutes: 10), actor: "test")
            #expect(schedule.reservedPercent == 20 && schedule.slots == 10 && schedule.reservedFree == 2)
            let slots = try await service.slots(schedule: schedule.id)
            let reserved = slots.filter { $0.pool == "reserved" }
            #expect(reserved.count == 2 && reserved.allSatisfy { !$0.openToPublic })

            let resident = try await server.client(as: ReferralWorld.resident(patients[0]))
            let before = try await ReferralWorld.snapshot(server.platform)
            try await resident.execute(uri: "/api/v1/referral/appointments", method: .post, headers: ReferralWorld.jsonHeaders,
                                       body: ByteBuffer(string: #"{"slot":"\#(reserved[0].id)","patient":"\#(patients[0])"}"#)) { response in
                #expect(response.status == .conflict)
                #expect(response.text.contains("社区预留"))
            }
            #expect(try await ReferralWorld.snapshot(server.platform) == before)
            // A public slot is fine for the resident.
            let publicSlot = try #require(slots.first { $0.pool == "public" })
            try await resident.execute(uri: "/api/v1/referral/appointments", method: .post, headers: ReferralWorld.jsonHeaders,
                                       body: ByteBuffer(string: #"{"slot":"\#(publicSlot.id)","patient":"\#(patients[0])"}"#)) { #expect($0.status == .created, "\($0.text)") }
            // The family doctor books the reserved slot for a contracted resident.
            let doctor = try await server.client(as: ReferralWorld.doctor)
            try await doctor.execute(uri: "/api/v1/referral/appointments", method: .post, headers: ReferralWorld.jsonHeaders,
                                     body: ByteBuffer(string: #"{"slot":"\#(reserved[0].id)","patient":"\#(patients[1])"}"#)) { #expect($0.status == .created, "\($0.text)") }
            // Staff of another CHC may not book for a resident who is not theirs (no reserved slot through the back door).
            let otherCHC = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && $0.id != ReferralWorld.chc }?.id)
            let stranger = try await server.client(as: Principal(subject: "u-cs", role: .chcStaff, displayName: "他中心", institution: otherCHC))
            try await stranger.execute(uri: "/api/v1/referral/appointments", method: .post, headers: ReferralWorld.jsonHeaders,
                                       body: ByteBuffer(string: #"{"slot":"\#(reserved[1].id)","patient":"\#(patients[2])"}"#)) { #expect($0.status == .forbidden, "\($0.text)") }
            // After the release time (24 h before the start) the other reserved slot is open to the public.
            let start = try #require(ReferralWorld.date( reserved[1].start))
            let afterRelease = start.addingTimeInterval(-23 * 3600)
            #expect(try await service.slots(schedule: schedule.id, now: afterRelease).first { $0.id == reserved[1].id }?.openToPublic == true)
            await #expect(throws: FHIRError.self) {
                try await service.book(BookingRequest(slot: reserved[1].id, patient: patients[2], channel: .resident, actor: "t"), now: start.addingTimeInterval(-25 * 3600))
            }
            let booked = try await service.book(BookingRequest(slot: reserved[1].id, patient: patients[2], channel: .resident, actor: "t"), now: afterRelease)
            #expect(booked.status == "booked" && booked.channel == "resident")
        }
    }

    /// Bad input gets a clear 4xx and changes nothing: a slot in the past, a slot of another department, an
    /// unknown resident, an unknown slot, a double referral, a referral to a hospital department that does not exist.
    @Test func badInputIsRefusedAndChangesNothing() async throws {
        try await TestServer.run { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 2)
            let service = ReferralService(store: server.platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "cardiology", day: ReferralWorld.day(2),
                                                                         start: "09:00", end: "10:00"), actor: "test")
            let slot = try #require(try await service.slots(schedule: schedule.id).first)
            let doctor = try await server.client(as: ReferralWorld.doctor)
            _ = try await doctor.execute(uri: "/api/v1/referral/referrals", method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: """
                {"patient":"\(patients[0])","toOrganization":"cn-tongren","department":"cardiology","reason":"血压控制不佳","diagnosisCode":"I10"}
                """)) { #expect($0.status == .created, "\($0.text)") }
            let before = try await ReferralWorld.snapshot(server.platform)
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("/api/v1/referral/appointments", #"{"slot":"\#(slot.id)","patient":"\#(patients[0])","department":"orthopaedics"}"#, .unprocessableContent, "骨科"),
                ("/api/v1/referral/appointments", #"{"slot":"\#(slot.id)","patient":"nobody"}"#, .notFound, "nobody"),
                ("/api/v1/referral/appointments", #"{"slot":"no-such-slot","patient":"\#(patients[0])"}"#, .notFound, "no-such-slot"),
                ("/api/v1/referral/referrals", #"{"patient":"\#(patients[0])","toOrganization":"cn-tongren","department":"cardiology","reason":"再次"}"#, .conflict, "重复转诊"),
                ("/api/v1/referral/referrals", #"{"patient":"nobody","toOrganization":"cn-tongren","department":"cardiology","reason":"x"}"#, .notFound, "nobody"),
                ("/api/v1/referral/referrals", #"{"patient":"\#(patients[1])","toOrganization":"cn-tongren","department":"dentistry","reason":"x"}"#, .unprocessableContent, "科室"),
                ("/api/v1/referral/referrals", #"{"patient":"\#(patients[1])","toOrganization":"cn-tongren","department":"cardiology","reason":"x","diagnosisCode":"hypertension"}"#, .unprocessableContent, "ICD-10"),
                ("/api/v1/referral/referrals", #"{"patient":"\#(patients[1])","toOrganization":"cn-tongren","department":"cardiology","reason":"x","records":["Observation/not-there"]}"#, .unprocessableContent, "档案记录"),
            ]
            for (uri, body, status, words) in cases {
                try await doctor.execute(uri: uri, method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(body) → \(response.status) \(response.text)")
                    #expect(response.text.contains(words), "\(response.text)")
                }
            }
            // A slot in the past (the clock moved past its start).
            let start = try #require(ReferralWorld.date( slot.start))
            await #expect(throws: FHIRError.self) {
                try await service.book(BookingRequest(slot: slot.id, patient: patients[0], channel: .familyDoctor, actor: "t"), now: start.addingTimeInterval(60))
            }
            // A schedule in the past and one at a CHC are refused too.
            let clinician = try await server.client(as: ReferralWorld.clinician)
            for plan in [#"{"organization":"cn-tongren","department":"cardiology","day":"\#(ReferralWorld.day(-1))"}"#,
                         #"{"organization":"cn-tongren","department":"cardiology","day":"\#(ReferralWorld.day(2))","start":"25:00"}"#] {
                try await clinician.execute(uri: "/api/v1/referral/schedules", method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: plan)) {
                    #expect($0.status == .unprocessableContent, "\($0.text)")
                }
            }
            #expect(try await ReferralWorld.snapshot(server.platform) == before)
        }
    }

    /// The closed loop over HTTP: the family doctor refers up with a reading from the record; the hospital sees it
    /// in its inbox (and may now read the record), accepts it into a reserved slot, records the visit and sends
    /// the discharge summary, which reaches the family doctor's worklist as a Communication and a Task; rates count it.
    @Test func referralLoopClosesWithTheDischargeSummaryBackToTheFamilyDoctor() async throws {
        try await TestServer.run { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 2)
            _ = try await server.platform.fhir.update(try JSONValue.parse(Data("""
                {"resourceType":"Observation","id":"bp1","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/\(patients[0])"},"effectiveDateTime":"2026-01-05"}
                """.utf8)), type: "Observation", id: "bp1")
            let service = ReferralService(store: server.platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "cardiology", practitioner: "cl1",
                                                                         day: ReferralWorld.day(2), start: "08:00", end: "09:40"), actor: "test")
            let reserved = try #require(try await service.slots(schedule: schedule.id).first { $0.pool == "reserved" })
            let doctor = try await server.client(as: ReferralWorld.doctor)
            let clinician = try await server.client(as: ReferralWorld.clinician)
            try await clinician.execute(uri: "/fhir/r4/Patient/\(patients[0])", method: .get) { #expect($0.status == .forbidden || $0.status == .notFound) }
            let sent = try await doctor.execute(uri: "/api/v1/referral/referrals", method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: """
                {"patient":"\(patients[0])","toOrganization":"cn-tongren","department":"cardiology","reason":"三次随访血压未控制","diagnosisCode":"I10",
                 "diagnosisText":"原发性高血压","records":["Observation/bp1"]}
                """)) { try $0.decoded(Referral.self) }
            #expect(sent.status == "requested" && sent.familyDoctor == "fd1")
            let inbox = try await clinician.execute(uri: "/api/v1/referral/referrals/inbox", method: .get) { try $0.decoded([Referral].self) }
            #expect(inbox.map(\.id) == [sent.id])
            try await clinician.execute(uri: "/fhir/r4/Patient/\(patients[0])", method: .get) { #expect($0.status == .ok) }
            // Another department's slot is refused for this referral.
            let other = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "orthopaedics", day: ReferralWorld.day(2)), actor: "t")
            let otherSlot = try #require(try await service.slots(schedule: other.id).first)
            try await clinician.execute(uri: "/api/v1/referral/referrals/\(sent.id)/accept", method: .post, headers: ReferralWorld.jsonHeaders,
                                        body: ByteBuffer(string: #"{"slot":"\#(otherSlot.id)"}"#)) { #expect($0.status == .unprocessableContent, "\($0.text)") }
            #expect(try await service.referral(sent.id).status == "requested")
            let accepted = try await clinician.execute(uri: "/api/v1/referral/referrals/\(sent.id)/accept", method: .post, headers: ReferralWorld.jsonHeaders,
                                                       body: ByteBuffer(string: #"{"slot":"\#(reserved.id)"}"#)) { try $0.decoded(Referral.self) }
            #expect(accepted.status == "booked" && accepted.appointment != nil)
            // The family doctor cannot record the hospital's visit.
            try await doctor.execute(uri: "/api/v1/referral/referrals/\(sent.id)/visit", method: .post) { #expect($0.status == .forbidden) }
            try await clinician.execute(uri: "/api/v1/referral/referrals/\(sent.id)/complete", method: .post, headers: ReferralWorld.jsonHeaders,
                                        body: ByteBuffer(string: #"{"summary":"未就诊不能反馈"}"#)) { #expect($0.status == .conflict) }
            _ = try await clinician.execute(uri: "/api/v1/referral/referrals/\(sent.id)/visit", method: .post) { #expect($0.status == .ok, "\($0.text)") }
            let done = try await clinician.execute(uri: "/api/v1/referral/referrals/\(sent.id)/complete", method: .post, headers: ReferralWorld.jsonHeaders,
                                                   body: ByteBuffer(string: #"{"summary":"住院3天，调整降压方案为氨氯地平5mg qd，社区继续随访。"}"#)) { try $0.decoded(Referral.self) }
            #expect(done.status == "completed")
            let worklist = try await doctor.execute(uri: "/api/v1/referral/referrals/worklist", method: .get) { try $0.decoded([Referral].self) }
            #expect(worklist.first?.summary?.contains("氨氯地平") == true)
            // The record: ServiceRequest completed, Task completed, Appointment fulfilled, the summary and the doctor's task.
            let record = server.platform.fhir
            let request = try JSONValue.parse(Data(try #require(try await record.read(type: "ServiceRequest", id: sent.serviceRequestID)).content.utf8))
            #expect(request["status"]?.stringValue == "completed" && request["supportingInfo"]?.items.first?["reference"]?.stringValue == "Observation/bp1")
            let task = try JSONValue.parse(Data(try #require(try await record.read(type: "Task", id: sent.taskID)).content.utf8))
            #expect(task["status"]?.stringValue == "completed")
            let appointmentID = try #require(accepted.appointment)
            let appointment = try JSONValue.parse(Data(try #require(try await record.read(type: "Appointment", id: appointmentID)).content.utf8))
            #expect(appointment["status"]?.stringValue == "fulfilled" && appointment["basedOn"]?.items.first?["reference"]?.stringValue == "ServiceRequest/\(sent.serviceRequestID)")
            let feedback = try JSONValue.parse(Data(try #require(try await record.read(type: "Task", id: sent.feedbackTaskID)).content.utf8))
            #expect(feedback["owner"]?["reference"]?.stringValue == "Practitioner/fd1")
            #expect(try await record.read(type: "Communication", id: sent.summaryID) != nil)
            // Closed loop, so a new referral to the same department is allowed again; rates count the loop.
            let rates = try await server.client(as: ReferralWorld.manager).execute(uri: "/api/v1/referral/rates", method: .get) { try $0.decoded(ReferralRates.self) }
            #expect(rates.sent == 1 && rates.accepted == 1 && rates.completed == 1 && rates.closurePercent == 100 && rates.decidedWithin48hPercent == 100)
            try await doctor.execute(uri: "/api/v1/referral/referrals", method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: """
                {"patient":"\(patients[0])","toOrganization":"cn-tongren","department":"cardiology","reason":"复诊"}
                """)) { #expect($0.status == .created) }
        }
    }

    /// A cancelled slot goes to the waiting list, a referred resident ahead of one who queued earlier; a move to
    /// another slot frees the old one; a no-show is recorded only after the start.
    @Test func cancellationFillsTheSlotFromTheWaitingListReferredFirst() async throws {
        try await TestPlatform.run { platform in
            let patients = try await ReferralWorld.setUp(platform, residents: 4)
            let service = ReferralService(store: platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "neurology", day: ReferralWorld.day(2),
                                                                         start: "08:00", end: "08:20", slotMinutes: 10), actor: "t")
            let slots = try await service.slots(schedule: schedule.id)
            let first = try await service.book(BookingRequest(slot: slots[0].id, patient: patients[0], channel: .resident, actor: "t"))
            _ = try await service.book(BookingRequest(slot: slots[1].id, patient: patients[1], channel: .resident, actor: "t"))
            let early = try await service.joinWaitlist(schedule: schedule.id, patient: patients[2], channel: .resident, actor: "t")
            #expect(early.position == 1)
            let actor = ReferralActor(account: "u-fd", practitioner: "fd1", organization: ReferralWorld.chc)
            let hospital = ReferralActor(account: "u-cl", practitioner: "cl1", organization: ReferralWorld.hospital)
            let sent = try await service.send(ReferralRequest(patient: patients[3], toOrganization: ReferralWorld.hospital, department: "neurology", reason: "头晕"), by: actor)
            _ = try await service.accept(sent.id, by: hospital)
            let referred = try await service.joinWaitlist(schedule: schedule.id, patient: patients[3], channel: .referral, referral: sent.id, actor: "t")
            #expect(referred.position == 1)
            _ = try await service.cancel(first.id, actor: "t")
            let filled = try #require(try await service.appointments(patient: patients[3]).first)
            #expect(filled.slot == slots[0].id && filled.channel == "waitlist" && filled.status == "booked")
            #expect(try await service.referral(sent.id).status == "booked")
            #expect(try await service.appointments(patient: patients[2]).isEmpty)
            // Rescheduling to a taken slot is refused and changes nothing; no-show only after the start.
            let second = try #require(try await service.appointments(patient: patients[1]).first)
            await #expect(throws: FHIRError.self) { try await service.reschedule(second.id, to: slots[0].id, actor: "t") }
            #expect(try await service.appointment(second.id).status == "booked")
            await #expect(throws: FHIRError.self) { try await service.markNoShow(second.id) }
            let start = try #require(ReferralWorld.date( second.start))
            #expect(try await service.markNoShow(second.id, now: start.addingTimeInterval(1800)).status == "noshow")
        }
    }
    /// Result mutual recognition: an HbA1c done 30 days ago at 同仁医院 stands (90-day window) and is offered with a
    /// warning; one from a CHC or older than the window does not; the rate counts recognised against repeated orders.
    @Test func anOrderForATestDoneRecentlyAtARecognisedHospitalGetsTheEarlierResult() async throws {
        try await TestServer.run { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 2)
            let today = CalendarDay.today()
            for (id, patient, days, organization, value) in [("a1c-1", patients[0], 30, "cn-tongren", 7.2), ("a1c-2", patients[1], 10, ReferralWorld.chc, 6.8),
                                                             ("a1c-3", patients[1], 120, "cn-tongren", 8.1)] {
                _ = try await server.platform.fhir.update(try JSONValue.parse(Data("""
                    {"resourceType":"Observation","id":"\(id)","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"糖化血红蛋白"},
                     "subject":{"reference":"Patient/\(patient)"},"effectiveDateTime":"\(CalendarDay.shift(today, days: -days))",
                     "performer":[{"reference":"Organization/\(organization)"}],"valueQuantity":{"value":\(value),"unit":"%"}}
                    """.utf8)), type: "Observation", id: id)
            }
            let clinician = try await server.client(as: ReferralWorld.doctor)
            let check = try await clinician.execute(uri: "/api/v1/referral/orders/check", method: .post, headers: ReferralWorld.jsonHeaders,
                                                    body: ByteBuffer(string: #"{"patient":"\#(patients[0])","code":"4548-4"}"#)) { try $0.decoded(RecognitionCheck.self) }
            #expect(check.earlier?.reference == "Observation/a1c-1" && check.warning?.contains("同仁医院") == true && check.earlier?.summary.contains("7.2") == true)
            let none = try await clinician.execute(uri: "/api/v1/referral/orders/check", method: .post, headers: ReferralWorld.jsonHeaders,
                                                   body: ByteBuffer(string: #"{"patient":"\#(patients[1])","code":"4548-4"}"#)) { try $0.decoded(RecognitionCheck.self) }
            #expect(none.earlier == nil && none.warning == nil && none.rule?.windowDays == 90)
            try await clinician.execute(uri: "/api/v1/referral/orders", method: .post, headers: ReferralWorld.jsonHeaders,
                                        body: ByteBuffer(string: #"{"patient":"\#(patients[0])","code":"4548-4","recognise":false}"#)) {
                #expect($0.status == .unprocessableContent, "a repeat needs a reason: \($0.text)")
            }
            for body in [#"{"patient":"\#(patients[0])","code":"4548-4","recognise":true}"#, #"{"patient":"\#(patients[0])","code":"4548-4","recognise":false,"reason":"病情变化"}"#,
                         #"{"patient":"\#(patients[1])","code":"4548-4","recognise":false}"#] {
                try await clinician.execute(uri: "/api/v1/referral/orders", method: .post, headers: ReferralWorld.jsonHeaders, body: ByteBuffer(string: body)) {
                    #expect($0.status == .created, "\($0.text)")
                }
            }
            let rate = try await server.client(as: ReferralWorld.manager).execute(uri: "/api/v1/referral/recognition-rate", method: .get) { try $0.decoded(RecognitionRate.self) }
            #expect(rate.recognised == 1 && rate.repeated == 1 && rate.new == 1 && rate.percent == 50)
        }
    }
    /// The chronic module's suggested referral (a draft ServiceRequest of intent `proposal`) shows on the family
    /// doctor's referral desk with a link that fills in the form; another doctor's panel does not see it.
    @Test func suggestedReferralsFromChronicCareShowOnTheDoctorsDesk() async throws {
        try await TestServer.run { server in
            let patients = try await ReferralWorld.setUp(server.platform, residents: 2)
            _ = try await server.platform.fhir.update(try JSONValue.parse(Data("""
                {"resourceType":"ServiceRequest","id":"suggest1","status":"draft","intent":"proposal","subject":{"reference":"Patient/\(patients[1])"},
                 "category":[{"coding":[{"system":"http://snomed.info/sct","code":"3457005"}]}],"reasonCode":[{"text":"连续两次血压未控制"}]}
                """.utf8)), type: "ServiceRequest", id: "suggest1")
            let doctor = try await server.client(as: ReferralWorld.doctor)
            try await doctor.execute(uri: "/referral", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("慢病管理建议转诊") && response.text.contains("连续两次血压未控制") && response.text.contains("patient=\(patients[1])"))
            }
            try await doctor.execute(uri: "/referral?patient=\(patients[1])&reason=x", method: .get) { response in
                #expect(response.text.contains("value=\"\(patients[1])\" selected"))
            }
            let other = Principal(subject: "u-fd2", role: .familyDoctor, displayName: "另一医生", institution: ReferralWorld.chc, practitioner: "fd2")
            try await server.client(as: other).execute(uri: "/referral", method: .get) { #expect(!$0.text.contains("连续两次血压未控制")) }
        }
    }
    /// A waiting resident whose record was meanwhile deactivated (merged) is passed over; the next one gets the slot.
    @Test func aWaitingEntryWhoseRecordWasDeactivatedLapses() async throws {
        try await TestPlatform.run { platform in
            let patients = try await ReferralWorld.setUp(platform, residents: 3)
            let service = ReferralService(store: platform.fhir)
            let schedule = try await service.createSchedule(SchedulePlan(organization: ReferralWorld.hospital, department: "ophthalmology", day: ReferralWorld.day(2),
                                                                         start: "08:00", end: "08:10", slotMinutes: 10), actor: "t")
            let slot = try #require(try await service.slots(schedule: schedule.id).first)
            let booked = try await service.book(BookingRequest(slot: slot.id, patient: patients[0], channel: .resident, actor: "t"))
            _ = try await service.joinWaitlist(schedule: schedule.id, patient: patients[1], channel: .resident, actor: "t")
            _ = try await service.joinWaitlist(schedule: schedule.id, patient: patients[2], channel: .resident, actor: "t")
            _ = try await platform.fhir.update(try JSONValue.parse(Data("""
                {"resourceType":"Patient","id":"\(patients[1])","active":false,"name":[{"text":"居民1"}]}
                """.utf8)), type: "Patient", id: patients[1])
            _ = try await service.cancel(booked.id, actor: "t")
            #expect(try await service.appointments(patient: patients[2]).first?.slot == slot.id)
            #expect(try await service.appointments(patient: patients[1]).isEmpty)
            #expect(try await ReferralWorld.count(platform, "SELECT COUNT(*) AS n FROM referral_waitlist WHERE status = 'lapsed'") == 1)
        }
    }
    /// Two platforms on one database (as two server processes would be: separate connection pools, on SQLite two
    /// writers) book the same 20 slots at once, 100 attempts each: still exactly 20 bookings on 20 distinct slots.
    @Test func twoProcessesBookingTheSameSlotsNeverDoubleBook() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let secrets = AccessSecrets.generate()
        let first = try await Platform.open(configuration, secrets: secrets)
        let second = try await Platform.open(configuration, secrets: secrets)
        do {
            let patients = try await ReferralWorld.setUp(first, residents: 200)
            let schedule = try await ReferralService(store: first.fhir).createSchedule(SchedulePlan(
                organization: ReferralWorld.hospital, department: "respiratory", day: ReferralWorld.day(3), start: "08:00", end: "11:20", slotMinutes: 10), actor: "t")
            let slots = try await ReferralService(store: first.fhir).slots(schedule: schedule.id).map(\.id)
            let services = [ReferralService(store: first.fhir), ReferralService(store: second.fhir)]
            let booked = try await withThrowingTaskGroup(of: String?.self) { group in
                for (index, patient) in patients.enumerated() {
                    group.addTask {
                        do {
                            return try await services[index % 2].book(BookingRequest(slot: slots[index % slots.count], patient: patient, channel: .familyDoctor, actor: "t")).slot
                        } catch let error as FHIRError where error.status == 409 {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.compactMap { $0 }
            }
            #expect(slots.count == 20)
            #expect(booked.count == 20 && Set(booked).count == 20)
            #expect(try await ReferralWorld.count(first, "SELECT COUNT(*) AS n FROM referral_appointment WHERE status = 'booked'") == 20)
            #expect(try await ReferralWorld.count(first, "SELECT COUNT(*) AS n FROM fhir_resource WHERE res_type = 'Appointment'") == 20)
        } catch {
            await second.shutdown(); await first.shutdown(); await remove()
            throw error
        }
        await second.shutdown(); await first.shutdown(); await remove()
    }
}

/// A migrated platform on a fresh database, for service-level tests.
enum TestPlatform {
    static func run(_ body: @escaping @Sendable (Platform) async throws -> Void) async throws {
        try await TestDatabase.withPlatform { platform in try await body(platform) }
    }
}
