import Access
import App
import ChronicCare
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Registry
import SQLKit
import Storage
import Synchronization
import Testing
import WeijianTesting

/// Risk screening of a panel, periodic checks, the shared CarePlan with its escalation, and reminders.
@Suite struct CoManagementTests {
    static let today = CalendarDay.today()

    /// A practitioner, and a resident of `chc` on their panel, born `birth`, with a mobile number.
    static func resident(_ writer: FHIRWriter, id: String, birth: String, male: Bool, sequence: Int, chc: Institution, doctor: String = "dr-s") async throws {
        let number = ResidentIDNumber.make(addressCode: "310105", birthDate: birth, sequence: sequence, male: male)
        _ = try await writer.update(try JSONValue.parse(Data("""
            {"resourceType":"Patient","id":"\(id)","active":true,"name":[{"text":"居民\(id)"}],"gender":"\(male ? "male" : "female")","birthDate":"\(birth)",
             "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"managingOrganization":{"reference":"Organization/\(chc.id)"},
             "telecom":[{"system":"phone","value":"1390000\(String(format: "%04d", sequence))","use":"mobile"}],
             "generalPractitioner":[{"reference":"Practitioner/\(doctor)"}],
             "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(chc.catchment.first ?? "")"}]}]}
            """.utf8)), type: "Patient", id: id, ifMatch: nil)
    }

    static func create(_ writer: FHIRWriter, _ json: String) async throws {
        _ = try await writer.create(try JSONValue.parse(Data(json.utf8)))
    }

    static func diagnosis(_ patient: String, _ code: String, daysAgo: Int) -> String {
        #"{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\#(code)"}]},"subject":{"reference":"Patient/\#(patient)"},"onsetDateTime":"\#(CalendarDay.shift(today, days: -daysAgo))"}"#
    }

    static func pressure(_ patient: String, _ systolic: Int, _ diastolic: Int, daysAgo: Int) -> String {
        #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/\#(patient)"},"effectiveDateTime":"\#(CalendarDay.shift(today, days: -daysAgo))T09:00:00+08:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":\#(systolic),"unit":"mmHg"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":\#(diastolic),"unit":"mmHg"}}]}"#
    }

    static func procedure(_ id: String, _ patient: String, system: String, code: String, daysAgo: Int, status: String = "completed") -> String {
        #"{"resourceType":"Procedure","id":"\#(id)","status":"\#(status)","code":{"coding":[{"system":"\#(system)","code":"\#(code)"}]},"subject":{"reference":"Patient/\#(patient)"},"performedDateTime":"\#(CalendarDay.shift(today, days: -daysAgo))T09:00:00+08:00"}"#
    }

    static func chc() throws -> Institution {
        try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
    }

    static func send(_ client: AuthorizedClient, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: method, headers: body == nil ? [:] : [.contentType: "application/json"], body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func panelScreeningPutsHighRiskResidentsOnTheWorklistUntilAssessed() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try Self.chc()
            let day = CalendarDay.shift(Self.today, days: -20)
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-s","name":[{"text":"筛查医生"}]}"#.utf8)), type: "Practitioner", id: "dr-s", ifMatch: nil)
                // High risk: 58-year-old man, 145 mmHg, BMI 26, waist 92 cm, family history: 41 points.
                try await Self.resident(writer, id: "s1", birth: CalendarDay.shift(Self.today, days: -(58 * 365 + 30)), male: true, sequence: 51, chc: chc)
                try await Self.create(writer, Self.pressure("s1", 145, 85, daysAgo: 20))
                try await Self.create(writer, #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"subject":{"reference":"Patient/s1"},"effectiveDateTime":"\#(day)","valueQuantity":{"value":26,"unit":"kg/m2"}}"#)
                try await Self.create(writer, #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8280-0"}]},"subject":{"reference":"Patient/s1"},"effectiveDateTime":"\#(day)","valueQuantity":{"value":92,"unit":"cm"}}"#)
                try await Self.create(writer, #"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z83.3"}]},"subject":{"reference":"Patient/s1"}}"#)
                // Low risk: a 30-year-old woman with nothing recorded (4 points, a lower bound).
                try await Self.resident(writer, id: "s2", birth: CalendarDay.shift(Self.today, days: -(30 * 365)), male: false, sequence: 52, chc: chc)
                // Not applicable: 80 years old.
                try await Self.resident(writer, id: "s3", birth: CalendarDay.shift(Self.today, days: -(80 * 365)), male: true, sequence: 53, chc: chc)
            }
            let doctor = try await server.client(as: Principal(subject: "doc-s", role: .familyDoctor, displayName: "筛查医生", institution: chc.id, practitioner: "dr-s"))
            var (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/screening/diabetes/run")
            #expect(status == .ok && text.contains(#""screened":2"#) && text.contains(#""highRisk":1"#) && text.contains(#""notApplicable":1"#), "\(text)")
            let assessments = try await platform.fhir.search(try SearchRequest(type: "RiskAssessment", query: [("_summary", "count")], definitions: .shared, strict: true))
            #expect(assessments.total == 2)

            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/worklist")
            let worklist = try #require(try JSONValue.parse(Data(text.utf8)).objectValue)
            #expect(worklist["highRisk"]?.arrayValue?.compactMap { $0["patient"]?.stringValue } == ["s1"])
            #expect(worklist["highRisk"]?.arrayValue?.first?["points"]?.doubleValue == 41)

            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/screening/diabetes/s1/close", #"{"outcome":"maybe"}"#)
            #expect(status == .badRequest && text.contains("outcome"))
            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/screening/diabetes/s2/close", #"{"outcome":"normal"}"#)
            #expect(status == .conflict, "a low-risk screening has nothing to close")
            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/screening/diabetes/s1/close", #"{"outcome":"diabetes"}"#)
            #expect(status == .ok && text.contains(#""status":"closed""#), "\(text)")
            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/worklist")
            let after = try #require(try JSONValue.parse(Data(text.utf8)).objectValue)
            #expect(after["highRisk"]?.arrayValue?.isEmpty == true)
            #expect(after["suspected"]?.arrayValue?.contains { $0["patient"]?.stringValue == "s1" && $0["programme"]?.stringValue == "type2-diabetes" } == true)
            // Screening again within the year: the assessed resident does not come back.
            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/screening/diabetes/run")
            #expect(status == .ok)
            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/worklist")
            #expect(try JSONValue.parse(Data(text.utf8))["highRisk"]?.arrayValue?.isEmpty == true)
            // Another doctor's resident cannot be closed.
            let stranger = try await server.client(as: Principal(subject: "doc-x", role: .familyDoctor, displayName: "别的医生", institution: chc.id, practitioner: "dr-x"))
            (status, _) = try await Self.send(stranger, .post, "/api/v1/chronic/screening/diabetes/s1/close", #"{"outcome":"normal"}"#)
            #expect(status == .forbidden)
        }
    }

    @Test func checksFallDueFromTheRecordAndTheFormMarksThemDone() async throws {
        try await TestDatabase.withPlatform { platform in
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try Self.chc()
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-s","name":[{"text":"医生"}]}"#.utf8)), type: "Practitioner", id: "dr-s", ifMatch: nil)
                try await Self.resident(writer, id: "k1", birth: "1960-03-03", male: false, sequence: 61, chc: chc)
                try await Self.create(writer, Self.diagnosis("k1", "E11.9", daysAgo: 700))
                // An eye screening from a hospital's EMR 400 days ago (SNOMED), and a foot examination not completed.
                _ = try await writer.update(try JSONValue.parse(Data(Self.procedure("eye1", "k1", system: "http://snomed.info/sct", code: "134395001", daysAgo: 400).utf8)), type: "Procedure", id: "eye1", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data(Self.procedure("foot1", "k1", system: "http://snomed.info/sct", code: "401191002", daysAgo: 10, status: "not-done").utf8)), type: "Procedure", id: "foot1", ifMatch: nil)
            }
            let service = ChronicService(store: platform.fhir)
            var checks = Dictionary(uniqueKeysWithValues: try await service.checks(patients: ["k1"]).map { ($0.check, $0) })
            #expect(checks.keys.sorted() == ["annual-check", "foot", "kidney", "retinopathy"])
            let since = CalendarDay.shift(Self.today, days: -700)
            #expect(checks["retinopathy"]?.lastDone == CalendarDay.shift(Self.today, days: -400))
            #expect(checks["retinopathy"]?.due == CalendarDay.shift(Self.today, days: -35))
            #expect(checks["foot"]?.lastDone == nil && checks["foot"]?.due == since, "a Procedure not done does not count")
            // The eye screening turns out to be entered in error: no longer counted.
            _ = try await platform.fhir.update(try JSONValue.parse(Data(Self.procedure("eye1", "k1", system: "http://snomed.info/sct", code: "134395001", daysAgo: 400, status: "entered-in-error").utf8)), type: "Procedure", id: "eye1")
            checks = Dictionary(uniqueKeysWithValues: try await service.checks(patients: ["k1"]).map { ($0.check, $0) })
            #expect(checks["retinopathy"]?.lastDone == nil && checks["retinopathy"]?.due == since)

            // An unknown check is refused and leaves nothing; a follow-up with foot and eye checks marks them done.
            await #expect(throws: FHIRError.self) {
                _ = try await service.recordFollowUp(FollowUpForm(patient: "k1", programme: "type2-diabetes", date: Self.today, fastingGlucose: 6.2, checks: ["xray"]),
                                                     practitioner: "dr-s", organization: chc.id, actor: "doc-s")
            }
            #expect(try await platform.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM chronic_followup").first()?.decode(column: "n", as: Int.self) } == 0)
            _ = try await service.recordFollowUp(FollowUpForm(patient: "k1", programme: "type2-diabetes", date: Self.today, fastingGlucose: 6.2, checks: ["foot", "retinopathy"]),
                                                 practitioner: "dr-s", organization: chc.id, actor: "doc-s")
            checks = Dictionary(uniqueKeysWithValues: try await service.checks(patients: ["k1"]).map { ($0.check, $0) })
            #expect(checks["foot"]?.due == CalendarDay.shift(Self.today, days: 365) && checks["retinopathy"]?.lastDone == Self.today)
            #expect(checks["annual-check"]?.lastDone == nil)
            let procedures = try await platform.fhir.search(try SearchRequest(type: "Procedure", query: [("subject", "Patient/k1"), ("status", "completed")], definitions: .shared, strict: true))
            #expect(procedures.matches.count == 2)
        }
    }

    @Test func theSharedCarePlanGathersFollowUpsAndEscalationSuggestsAReferral() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try Self.chc()
            let hospital = try #require(Catalog.institutions.first { $0.type == "hospital" && $0.district == "310105" })
            try await platform.fhir.write { writer in
                for (id, name) in [("dr-s", "家庭医生"), ("dr-h", "心内科专家")] {
                    _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"\#(name)"}]}"#.utf8)), type: "Practitioner", id: id, ifMatch: nil)
                }
                try await Self.resident(writer, id: "h1", birth: "1950-01-01", male: true, sequence: 71, chc: chc)
                try await Self.create(writer, Self.diagnosis("h1", "I10", daysAgo: 400))
                // Seen at the hospital, which gives its clinicians sight of the record.
                try await Self.create(writer, #"{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/h1"},"serviceProvider":{"reference":"Organization/\#(hospital.id)"},"period":{"start":"\#(Self.today)T09:00:00+08:00"}}"#)
            }
            let specialist = try await server.client(as: Principal(subject: "doc-h", role: .hospitalClinician, displayName: "心内科专家", institution: hospital.id, practitioner: "dr-h"))
            let doctor = try await server.client(as: Principal(subject: "doc-s", role: .familyDoctor, displayName: "家庭医生", institution: chc.id, practitioner: "dr-s"))
            let review = CalendarDay.shift(Self.today, days: 60)
            var (status, text) = try await Self.send(specialist, .post, "/api/v1/chronic/careplans",
                                                     #"{"patient":"h1","programme":"hypertension","targetSystolic":130,"targetDiastolic":80,"medication":"氨氯地平 5mg qd","reviewOn":"\#(CalendarDay.shift(Self.today, days: -1))"}"#)
            #expect(status == .unprocessableContent && text.contains("已过"))
            (status, text) = try await Self.send(specialist, .post, "/api/v1/chronic/careplans", #"{"patient":"h1","programme":"type2-diabetes","medication":"二甲双胍","reviewOn":"\#(review)"}"#)
            #expect(status == .conflict, "not enrolled in diabetes")
            (status, text) = try await Self.send(specialist, .post, "/api/v1/chronic/careplans",
                                                 #"{"patient":"h1","programme":"hypertension","targetSystolic":130,"targetDiastolic":80,"medication":"氨氯地平 5mg qd","reviewOn":"\#(review)"}"#)
            #expect(status == .created, "\(text)")
            let planID = try #require(try JSONValue.parse(Data(text.utf8))["carePlan"]?.stringValue)
            // The family doctor cannot write the specialist's part; a doctor of another hospital's patient neither.
            (status, _) = try await Self.send(doctor, .post, "/api/v1/chronic/careplans", #"{"patient":"h1","programme":"hypertension","medication":"x","reviewOn":"\#(review)"}"#)
            #expect(status == .forbidden)

            // Not yet uncontrolled twice: no referral to suggest.
            (status, _) = try await Self.send(doctor, .post, "/api/v1/chronic/escalations/h1/hypertension/referral")
            #expect(status == .conflict)
            for date in [CalendarDay.shift(Self.today, days: -10), Self.today] {
                (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/followups", #"{"patient":"h1","programme":"hypertension","date":"\#(date)","systolic":158,"diastolic":96}"#)
                #expect(status == .created, "\(text)")
            }
            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/careplans/h1")
            #expect(text.contains(#""followUps":2"#) && text.contains(planID), "\(text)")
            let plan = try #require(try await platform.fhir.read(type: "CarePlan", id: planID))
            let planJSON = try JSONValue.parse(Data(plan.content.utf8))
            #expect(planJSON["activity"]?.arrayValue?.count == 2 && planJSON["description"]?.stringValue?.contains("130/80") == true)
            #expect(planJSON["contributor"]?.arrayValue?.count == 2)

            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/worklist")
            var escalate = try JSONValue.parse(Data(text.utf8))["escalate"]?.arrayValue ?? []
            #expect(escalate.count == 1 && escalate.first?["referral"] == nil)
            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/escalations/h1/hypertension/referral")
            #expect(status == .created, "\(text)")
            let requestID = try #require(try JSONValue.parse(Data(text.utf8))["serviceRequest"]?.stringValue)
            let request = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "ServiceRequest", id: requestID)).content.utf8))
            #expect(request["status"]?.stringValue == "draft" && request["intent"]?.stringValue == "proposal")
            #expect(request["performer"]?.arrayValue?.first?["reference"]?.stringValue == "Organization/\(hospital.id)")
            #expect(request["basedOn"]?.arrayValue?.first?["reference"]?.stringValue == "CarePlan/\(planID)")
            (_, text) = try await Self.send(doctor, .get, "/api/v1/chronic/worklist")
            escalate = try JSONValue.parse(Data(text.utf8))["escalate"]?.arrayValue ?? []
            #expect(escalate.first?["referral"]?.stringValue == requestID)
            (status, text) = try await Self.send(doctor, .post, "/api/v1/chronic/escalations/h1/hypertension/referral")
            #expect(status == .conflict && text.contains("已于"), "one suggestion, not two")
        }
    }

    /// A sender that records the numbers it was given.
    final class Recorder: NotificationSender {
        let sent = Mutex<[(topic: String, address: String, body: String)]>([])
        func send(_ message: OutboundMessage, to address: String) async throws {
            sent.withLock { $0.append((message.topic, address, message.body)) }
        }
    }

    @Test func remindersAreQueuedOnceAndSentToTheRecordsMobile() async throws {
        let recorder = Recorder()
        try await TestServer.run(notificationSender: recorder) { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try Self.chc()
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-s","name":[{"text":"医生"}]}"#.utf8)), type: "Practitioner", id: "dr-s", ifMatch: nil)
                try await Self.resident(writer, id: "r1", birth: "1952-02-02", male: true, sequence: 81, chc: chc)
                try await Self.create(writer, Self.diagnosis("r1", "I10", daysAgo: 700))
                // Last follow-up 85 days ago: due in 5 days. Yearly health check 350 days ago: due in 15 days.
                try await Self.create(writer, Self.pressure("r1", 132, 82, daysAgo: 85))
                _ = try await writer.update(try JSONValue.parse(Data(Self.procedure("ac1", "r1", system: ChronicCheck.system, code: "annual-check", daysAgo: 350).utf8)), type: "Procedure", id: "ac1", ifMatch: nil)
                // A resident followed up last week: nothing due.
                try await Self.resident(writer, id: "r2", birth: "1953-03-03", male: false, sequence: 82, chc: chc)
                try await Self.create(writer, Self.diagnosis("r2", "I10", daysAgo: 30))
                try await Self.create(writer, Self.pressure("r2", 128, 80, daysAgo: 7))
                _ = try await writer.update(try JSONValue.parse(Data(Self.procedure("ac2", "r2", system: ChronicCheck.system, code: "annual-check", daysAgo: 7).utf8)), type: "Procedure", id: "ac2", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data(Self.procedure("kd2", "r2", system: "http://snomed.info/sct", code: "271075006", daysAgo: 7).utf8)), type: "Procedure", id: "kd2", ifMatch: nil)
            }
            let service = ChronicService(store: platform.fhir)
            #expect(try await service.enqueueReminders() == 2)
            #expect(try await service.enqueueReminders() == 2, "considered again, queued once")
            #expect(try await Outbox.counts(database: platform.database) == ["pending": 2] || recorder.sent.withLock { $0.count } > 0)
            for _ in 0..<100 where recorder.sent.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(100)) }
            let sent = recorder.sent.withLock { $0 }.sorted { $0.topic < $1.topic }
            #expect(sent.map(\.topic) == ["chronic-check", "chronic-followup"])
            #expect(sent.allSatisfy { $0.address == "13900000081" })
            #expect(sent.last?.body.contains(CalendarDay.shift(Self.today, days: 5)) == true && sent.first?.body.contains("年度健康体检") == true)
            #expect(!sent.contains { $0.body.contains("居民r1") }, "no name in the text")
            // The resident sees them in their messages.
            let resident = try await server.client(as: Principal(subject: "res-r1", role: .resident, displayName: "居民", patient: "r1"))
            let (status, text) = try await Self.send(resident, .get, "/api/v1/me/messages")
            #expect(status == .ok && text.contains(#""status":"sent""#) && text.contains("chronic-followup"), "\(text)")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(recorder.sent.withLock { $0.count } == 2, "sent once")
        }
    }
}
