import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Registry
import NIOCore
import Testing
import WeijianTesting

/// Every role against every route family, allowed and denied, including the horizontal cases.
@Suite struct AccessMatrixTests {
    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    static func patient(_ id: String, chc: String, doctor: String?, household: String, subdistrict: String) throws -> JSONValue {
        var text = """
        {"resourceType":"Patient","id":"\(id)","name":[{"text":"居民\(id)"}],"managingOrganization":{"reference":"Organization/\(chc)"},
         "extension":[{"url":"https://weijian.health/StructureDefinition/household","valueIdentifier":{"system":"https://weijian.health/sid/household","value":"\(household)"}}],
         "address":[{"text":"上海市","extension":[{"url":"https://weijian.health/StructureDefinition/subdistrict","valueCode":"\(subdistrict)"}]}]
        """
        if let doctor { text += #","generalPractitioner":[{"reference":"Practitioner/\#(doctor)"}]"# }
        if id == "A" {
            text += #","identifier":[{"system":"https://weijian.health/sid/resident-id","value":"\#(ResidentIDNumber.make(addressCode: "310105", birthDate: "1958-08-08", sequence: 21, male: true))"}]"#
            text += #","telecom":[{"system":"phone","value":"13912345678"}]"#
        }
        return try json(text + "}")
    }

    /// Two CHCs, a hospital; resident A (doctor A's panel, CHC A, 长宁) and A2 in A's household; B (doctor B, CHC B, 闵行, seen at the hospital).
    static func seed(_ store: FHIRStore) async throws {
        for org in ["chcA", "chcB", "hosp"] {
            _ = try await store.update(try json(#"{"resourceType":"Organization","id":"\#(org)","name":"\#(org)"}"#), type: "Organization", id: org)
        }
        for dr in ["drA", "drB", "drH"] {
            _ = try await store.update(try json(#"{"resourceType":"Practitioner","id":"\#(dr)"}"#), type: "Practitioner", id: dr)
        }
        for patient in [try patient("A", chc: "chcA", doctor: "drA", household: "H1", subdistrict: "310105001"),
                        try patient("A2", chc: "chcA", doctor: nil, household: "H1", subdistrict: "310105001"),
                        try patient("B", chc: "chcB", doctor: "drB", household: "H2", subdistrict: "310112001")] {
            _ = try await store.update(patient, type: "Patient", id: patient["id"]?.stringValue ?? "")
        }
        _ = try await store.update(try json(#"{"resourceType":"Encounter","id":"eB","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/B"},"serviceProvider":{"reference":"Organization/hosp"}}"#), type: "Encounter", id: "eB")
        _ = try await store.update(try json(#"{"resourceType":"Observation","id":"oA","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/A"}}"#), type: "Observation", id: "oA")
    }

    static let principals: [String: Principal] = [
        "residentA": Principal(subject: "residentA", role: .resident, displayName: "A", patient: "A"),
        "residentA2": Principal(subject: "residentA2", role: .resident, displayName: "A2", patient: "A2"),
        "doctorA": Principal(subject: "doctorA", role: .familyDoctor, displayName: "医生A", institution: "chcA", practitioner: "drA"),
        "doctorB": Principal(subject: "doctorB", role: .familyDoctor, displayName: "医生B", institution: "chcB", practitioner: "drB"),
        "chcStaffA": Principal(subject: "chcStaffA", role: .chcStaff, displayName: "社区A", institution: "chcA"),
        "chcManagerB": Principal(subject: "chcManagerB", role: .chcManager, displayName: "主任B", institution: "chcB"),
        "clinician": Principal(subject: "clinician", role: .hospitalClinician, displayName: "医院", institution: "hosp", practitioner: "drH"),
        "cdc": Principal(subject: "cdc", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"),
        "manager": Principal(subject: "manager", role: .commissionManager, displayName: "卫健委", district: "310105"),
        "inspector": Principal(subject: "inspector", role: .healthInspector, displayName: "监督", district: "310105"),
        "sysadmin": Principal(subject: "sysadmin", role: .systemAdministrator, displayName: "系统"),
        "secadmin": Principal(subject: "secadmin", role: .securityAdministrator, displayName: "安全"),
        "auditor": Principal(subject: "auditor", role: .auditAdministrator, displayName: "审计"),
    ]

    struct Case {
        var method: HTTPRequest.Method
        var uri: String
        var body: String?
        /// Status per principal name ("anonymous" for none); principals not listed must get 403.
        var expected: [String: HTTPResponse.Status]
    }

    static let observationForA = #"{"resourceType":"Observation","status":"final","code":{"text":"体重"},"subject":{"reference":"Patient/A"}}"#

    static let cases: [Case] = [
        Case(method: .get, uri: "/fhir/r4/Patient/A", expected: ["anonymous": .unauthorized, "residentA": .ok, "doctorA": .ok, "chcStaffA": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/fhir/r4/Patient/B", expected: ["anonymous": .unauthorized, "doctorB": .ok, "chcManagerB": .ok, "clinician": .ok]),
        Case(method: .get, uri: "/fhir/r4/Observation?patient=A", expected: ["anonymous": .unauthorized, "residentA": .ok, "doctorA": .ok, "chcStaffA": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/fhir/r4/Patient", expected: ["anonymous": .unauthorized]),
        Case(method: .get, uri: "/fhir/r4/Patient?_summary=count", expected: [
            "anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok, "cdc": .ok, "manager": .ok, "inspector": .ok]),
        Case(method: .post, uri: "/fhir/r4/Observation", body: observationForA, expected: ["anonymous": .unauthorized, "doctorA": .created, "chcStaffA": .created]),
        Case(method: .get, uri: "/fhir/r4/Organization/chcA", expected: [
            "anonymous": .unauthorized, "residentA": .ok, "residentA2": .ok, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok,
            "cdc": .ok, "manager": .ok, "inspector": .ok, "sysadmin": .ok, "secadmin": .ok, "auditor": .ok]),
        Case(method: .get, uri: "/fhir/r4/AuditEvent?_count=5", expected: ["anonymous": .unauthorized, "auditor": .ok]),
        Case(method: .get, uri: "/api/v1/admin/accounts", expected: ["anonymous": .unauthorized, "sysadmin": .ok]),
        Case(method: .get, uri: "/api/v1/security/break-glass", expected: ["anonymous": .unauthorized, "secadmin": .ok]),
        Case(method: .get, uri: "/api/v1/audit/verify", expected: ["anonymous": .unauthorized, "auditor": .ok]),
        Case(method: .get, uri: "/api/v1/me/access-log", expected: ["anonymous": .unauthorized, "residentA": .ok, "residentA2": .ok]),
        Case(method: .get, uri: "/api/v1/mpi/match?birthDate=1960-01-01", expected: [
            "anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/research/Observation.ndjson", expected: ["anonymous": .unauthorized, "manager": .ok]),
        // Family-doctor contracting: a resident's contracts follow the relationship; the panel is the doctor's own;
        // coverage is for managers of a district; signing is for residents and CHC desks (the doctor here is unknown: 404).
        Case(method: .get, uri: "/api/v1/contracting/contracts?patient=A", expected: ["anonymous": .unauthorized, "residentA": .ok, "doctorA": .ok, "chcStaffA": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/contracting/panel", expected: ["anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok]),
        Case(method: .get, uri: "/api/v1/contracting/coverage?by=subdistrict", expected: ["anonymous": .unauthorized, "manager": .ok]),
        Case(method: .post, uri: "/api/v1/contracting/contracts", body: #"{"patient":"A","practitioner":"drA"}"#, expected: [
            "anonymous": .unauthorized, "residentA": .notFound, "residentA2": .notFound, "doctorA": .notFound, "doctorB": .notFound, "chcStaffA": .notFound, "chcManagerB": .notFound]),
        Case(method: .get, uri: "/workstation", expected: ["anonymous": .seeOther, "doctorA": .ok, "doctorB": .ok]),
        Case(method: .get, uri: "/contracting", expected: ["anonymous": .seeOther, "residentA": .ok, "residentA2": .ok]),
        // Chronic care: the worklist is the doctor's; rates are aggregates for managers; follow-ups need the relationship.
        Case(method: .get, uri: "/api/v1/chronic/worklist", expected: ["anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok]),
        Case(method: .get, uri: "/api/v1/chronic/rates?programme=hypertension", expected: ["anonymous": .unauthorized, "manager": .ok]),
        Case(method: .post, uri: "/api/v1/chronic/followups", body: #"{"patient":"A","programme":"hypertension","date":"2026-01-05","systolic":130,"diastolic":80}"#, expected: [
            "anonymous": .unauthorized, "doctorA": .conflict, "chcStaffA": .conflict]),
        Case(method: .get, uri: "/chronic", expected: ["anonymous": .seeOther, "doctorA": .ok, "doctorB": .ok]),
        // Checks and shared plans follow the relationship (the clinician's hospital saw B); the specialist writes the plan
        // (B is not enrolled: 409); referrals, screening and its closing are the family doctor's (A is not enrolled: 404;
        // A has no open screening: 409); a resident's messages are their own.
        Case(method: .get, uri: "/api/v1/chronic/checks/A", expected: ["anonymous": .unauthorized, "doctorA": .ok, "chcStaffA": .ok]),
        Case(method: .get, uri: "/api/v1/chronic/careplans/B", expected: ["anonymous": .unauthorized, "doctorB": .ok, "chcManagerB": .ok, "clinician": .ok]),
        Case(method: .post, uri: "/api/v1/chronic/careplans", body: #"{"patient":"B","programme":"hypertension","medication":"氨氯地平","reviewOn":"2099-01-01"}"#,
             expected: ["anonymous": .unauthorized, "clinician": .conflict]),
        Case(method: .post, uri: "/api/v1/chronic/escalations/A/hypertension/referral", expected: ["anonymous": .unauthorized, "doctorA": .notFound]),
        Case(method: .post, uri: "/api/v1/chronic/screening/diabetes/A/close", body: #"{"outcome":"normal"}"#, expected: ["anonymous": .unauthorized, "doctorA": .conflict]),
        Case(method: .post, uri: "/api/v1/chronic/screening/diabetes/run", expected: ["anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok]),
        Case(method: .get, uri: "/api/v1/me/messages", expected: ["anonymous": .unauthorized, "residentA": .ok, "residentA2": .ok]),
        // Infectious disease reports: clinicians who see the resident report (A has no notifiable code here: 422); the
        // district CDC lists and reviews (an unknown card: 404); timeliness also for the commission.
        Case(method: .post, uri: "/api/v1/surveillance/reports", body: #"{"patient":"A","icd10":"Z00","diagnosedAt":"2026-01-05","certainty":"clinical"}"#, expected: [
            "anonymous": .unauthorized, "doctorA": .unprocessableContent, "chcStaffA": .unprocessableContent]),
        Case(method: .get, uri: "/api/v1/surveillance/reports", expected: ["anonymous": .unauthorized, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/reports/none", expected: ["anonymous": .unauthorized, "cdc": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/reports/none/review", body: #"{"action":"verify"}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound]),
        Case(method: .get, uri: "/api/v1/surveillance/timeliness", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/diseases", expected: [
            "anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/signals", expected: ["anonymous": .unauthorized, "cdc": .ok]),
        Case(method: .post, uri: "/api/v1/surveillance/signals/none/verify", body: #"{"verdict":true}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound]),
        Case(method: .get, uri: "/api/v1/surveillance/signals/response", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/vaccination/coverage?cohort=2024", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/vaccination/overdue", expected: ["anonymous": .unauthorized, "cdc": .ok]),  // the matrix's CHCs are not in the catalogue, so CHC staff get 403 here; VaccinationTests covers them
        Case(method: .get, uri: "/api/v1/surveillance/vaccination/lots/L1", expected: ["anonymous": .unauthorized, "cdc": .ok]),
        Case(method: .get, uri: "/surveillance/vaccination", expected: ["anonymous": .seeOther, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/surveillance/streams", expected: [
            "anonymous": .unauthorized, "cdc": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok, "manager": .ok]),
        Case(method: .post, uri: "/api/v1/surveillance/streams/fever-clinic/counts", body: #"[{"site":"s1","subdistrict":"310105001","day":"2026-01-05","count":3}]"#,
             expected: ["anonymous": .unauthorized, "cdc": .created]),  // the matrix's CHCs and hospital are not in the catalogue: no district, 403
        Case(method: .get, uri: "/api/v1/surveillance/streams/fever-clinic", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        // Emergency command: the CDC and the commission; resources also for hospitals and CHC managers of catalogued institutions.
        Case(method: .get, uri: "/api/v1/surveillance/incidents", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .post, uri: "/api/v1/surveillance/incidents", body: #"{"title":"演练"}"#, expected: ["anonymous": .unauthorized, "cdc": .created, "manager": .created]),
        Case(method: .get, uri: "/api/v1/surveillance/incidents/none", expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/incidents/none/tasks", body: #"{"team":"vector","title":"灭蚊"}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/incidents/none/tasks/none", body: #"{"status":"done"}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/incidents/none/notes", body: #"{"text":"进展"}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/incidents/none/close", body: #"{"summary":"结束"}"#, expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .get, uri: "/api/v1/surveillance/resources", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),  // the matrix's hospital and CHCs are not catalogued: 403
        Case(method: .put, uri: "/api/v1/surveillance/resources/nowhere", body: #"[{"kind":"beds","total":1,"available":1}]"#, expected: ["anonymous": .unauthorized, "cdc": .notFound, "manager": .notFound]),
        Case(method: .get, uri: "/surveillance/incidents", expected: ["anonymous": .seeOther, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/surveillance/resources", expected: ["anonymous": .seeOther, "cdc": .ok, "manager": .ok]),
        // Vaccination clinic appointments: sessions opened by a catalogued CHC (the matrix's are not: 403), listed for
        // anyone signed in; booking by the family or the child's CHC (an unknown child: 404; A books for A: the
        // session is unknown, 404); a resident's own list and a CHC's day list.
        Case(method: .post, uri: "/api/v1/surveillance/vaccination/sessions", body: #"{"day":"2099-01-01","period":"am","capacity":5}"#, expected: ["anonymous": .unauthorized]),
        Case(method: .get, uri: "/api/v1/surveillance/vaccination/sessions?district=310105", expected: Dictionary(uniqueKeysWithValues: principals.keys.map { ($0, .ok) } + [("anonymous", .unauthorized)])),
        Case(method: .post, uri: "/api/v1/surveillance/vaccination/appointments", body: #"{"session":"none","patient":"A","vaccine":"HepB","dose":3}"#,
             expected: ["anonymous": .unauthorized, "residentA": .notFound, "chcStaffA": .notFound]),
        Case(method: .post, uri: "/api/v1/surveillance/vaccination/appointments/none/cancel", expected: ["anonymous": .unauthorized, "residentA": .notFound, "residentA2": .notFound,
                                                                                                        "chcStaffA": .notFound, "chcManagerB": .notFound]),
        Case(method: .get, uri: "/api/v1/surveillance/vaccination/appointments", expected: ["anonymous": .unauthorized, "residentA": .ok, "residentA2": .ok, "chcStaffA": .ok, "chcManagerB": .ok]),
        // Indicators and the cockpit: the commission (and the CDC, reading); recompute and reported values by the commission.
        Case(method: .get, uri: "/api/v1/indicators/definitions", expected: ["anonymous": .unauthorized, "manager": .ok, "cdc": .ok, "chcManagerB": .ok]),
        Case(method: .post, uri: "/api/v1/indicators/recompute", expected: ["anonymous": .unauthorized, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/indicators/cockpit", expected: ["anonymous": .unauthorized, "manager": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/indicators/cockpit.csv", expected: ["anonymous": .unauthorized, "manager": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/indicators/plan", expected: ["anonymous": .unauthorized, "manager": .ok, "cdc": .ok]),
        Case(method: .post, uri: "/api/v1/indicators/plan/none/reported", body: #"{"period":"2026-10","value":1}"#, expected: ["anonymous": .unauthorized, "manager": .unprocessableContent]),
        Case(method: .get, uri: "/cockpit", expected: ["anonymous": .seeOther, "manager": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/api/v1/indicators/portrait/310105001", expected: ["anonymous": .unauthorized, "manager": .ok, "cdc": .ok]),
        Case(method: .get, uri: "/portrait/310105001", expected: ["anonymous": .seeOther, "manager": .ok, "cdc": .ok]),
        // Mosquito surveillance: sites are the CDC's; surveys by the CDC and CHC staff; areas for the CDC and the commission.
        Case(method: .get, uri: "/api/v1/surveillance/vector/sites", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .post, uri: "/api/v1/surveillance/vector/sites", body: #"{"subdistrict":"310105001","name":"公园","kind":"park"}"#, expected: ["anonymous": .unauthorized, "cdc": .created]),
        Case(method: .post, uri: "/api/v1/surveillance/vector/reports", body: #"{"site":"none","day":"2026-01-05","method":"breteau","examined":10,"positive":1}"#,
             expected: ["anonymous": .unauthorized, "cdc": .notFound]),
        Case(method: .get, uri: "/api/v1/surveillance/vector/areas", expected: ["anonymous": .unauthorized, "cdc": .ok, "manager": .ok]),
        Case(method: .get, uri: "/surveillance/vector", expected: ["anonymous": .seeOther, "cdc": .ok]),
        Case(method: .post, uri: "/api/v1/surveillance/detect", body: #"{"method":"C1","counts":[1,2,1,2,1,2,1,9]}"#, expected: ["anonymous": .unauthorized, "cdc": .ok]),
        // Referral: the family doctor's referrals and every clinical institution's inbox; rates for managers; a referral up
        // only by the resident's own family doctor (here refused as content: 同仁医院 is not in this small world's record).
        Case(method: .get, uri: "/api/v1/referral/referrals/worklist", expected: ["anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok]),
        Case(method: .get, uri: "/api/v1/referral/referrals/inbox", expected: [
            "anonymous": .unauthorized, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok]),
        Case(method: .get, uri: "/api/v1/referral/rates", expected: ["anonymous": .unauthorized, "manager": .ok]),
        Case(method: .get, uri: "/api/v1/referral/appointments?patient=A", expected: ["anonymous": .unauthorized, "residentA": .ok, "doctorA": .ok, "chcStaffA": .ok, "cdc": .ok]),
        Case(method: .post, uri: "/api/v1/referral/referrals", body: #"{"patient":"A","toOrganization":"cn-tongren","department":"cardiology","reason":"血压未控制"}"#, expected: [
            "anonymous": .unauthorized, "doctorA": .unprocessableContent]),
        Case(method: .get, uri: "/referral", expected: [
            "anonymous": .seeOther, "residentA": .seeOther, "residentA2": .seeOther, "doctorA": .ok, "doctorB": .ok, "chcStaffA": .ok, "chcManagerB": .ok, "clinician": .ok]),
        Case(method: .get, uri: "/api/v1/divisions?parent=310105", expected: Dictionary(uniqueKeysWithValues: (["anonymous"] + principals.keys).map { ($0, .ok) })),
    ]

    @Test func everyRoleAgainstEveryRouteFamily() async throws {
        try await TestServer.run { server in
            try await Self.seed(server.platform.fhir)
            var clients: [String: any TestClientProtocol] = ["anonymous": server.client]
            for (name, principal) in Self.principals { clients[name] = try await server.client(as: principal) }
            var failures: [String] = []
            for testCase in Self.cases {
                for (name, client) in clients.sorted(by: { $0.key < $1.key }) {
                    let want = testCase.expected[name] ?? .forbidden
                    let headers: HTTPFields = testCase.body == nil ? [:] : [.contentType: "application/fhir+json"]
                    let got = try await client.execute(uri: testCase.uri, method: testCase.method, headers: headers, body: testCase.body.map { ByteBuffer(string: $0) }) { $0.status }
                    if got != want { failures.append("\(name) \(testCase.method) \(testCase.uri): got \(got.code), want \(want.code)") }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }

    @Test func horizontalAccessConsentAndBreakingTheGlass() async throws {
        try await TestServer.run { server in
            try await Self.seed(server.platform.fhir)
            let residentA = try await server.client(as: try Self.principals["residentA"].unsafelyUnwrappedForTest)
            let residentA2 = try await server.client(as: try Self.principals["residentA2"].unsafelyUnwrappedForTest)
            let doctorA = try await server.client(as: try Self.principals["doctorA"].unsafelyUnwrappedForTest)
            let doctorB = try await server.client(as: try Self.principals["doctorB"].unsafelyUnwrappedForTest)
            let manager = try await server.client(as: try Self.principals["manager"].unsafelyUnwrappedForTest)

            // Doctor A cannot open doctor B's panel, nor search beyond their own.
            try await doctorA.execute(uri: "/fhir/r4/Patient/B", method: .get) { #expect($0.status == .forbidden) }
            try await doctorA.execute(uri: "/fhir/r4/Patient?general-practitioner=Practitioner/drB", method: .get) { #expect($0.status == .forbidden) }
            try await doctorA.execute(uri: "/fhir/r4/Patient?general-practitioner=Practitioner/drA", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"id\":\"A\""))
                // In a list, the ID number and phone are masked …
                #expect(text.contains("310105********") && text.contains("139****5678"))
                #expect(!text.contains("13912345678") && !text.contains("19580808"))
            }
            // … read alone by someone allowed, they are shown in full.
            try await doctorA.execute(uri: "/fhir/r4/Patient/A", method: .get) { response in
                #expect(String(buffer: response.body).contains("13912345678"))
            }
            // Nor change a record of B's by pointing a new one at B.
            let forB = Self.observationForA.replacingOccurrences(of: "Patient/A", with: "Patient/B")
            try await doctorA.execute(uri: "/fhir/r4/Observation", method: .post, headers: [.contentType: "application/fhir+json"], body: ByteBuffer(string: forB)) {
                #expect($0.status == .forbidden)
            }
            // Nor find B's record through a conditional create that matches it.
            try await doctorA.execute(uri: "/fhir/r4/Patient", method: .post,
                                      headers: [.contentType: "application/fhir+json", HTTPField.Name("If-None-Exist")!: "_id=B"],
                                      body: ByteBuffer(string: #"{"resourceType":"Patient","name":[{"text":"新居民"}]}"#)) { response in
                #expect(response.status == .forbidden)
                #expect(!String(buffer: response.body).contains("居民B"))
            }
            // A resident cannot open a neighbour's record … until the neighbour, of the same household, consents.
            try await residentA2.execute(uri: "/fhir/r4/Patient/A", method: .get) { #expect($0.status == .forbidden) }
            try await residentA.execute(uri: "/api/v1/me/consents", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"grantee":"A2"}"#)) {
                #expect($0.status == .created)
            }
            try await residentA2.execute(uri: "/fhir/r4/Patient/A", method: .get) { #expect($0.status == .ok) }
            try await residentA.execute(uri: "/api/v1/me/consents", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"grantee":"B"}"#)) {
                #expect($0.status == .badRequest)   // not of the household
            }
            try await residentA2.execute(uri: "/fhir/r4/Patient/B", method: .get) { #expect($0.status == .forbidden) }
            // A manager gets no identified rows, only counts.
            try await manager.execute(uri: "/fhir/r4/Patient?name=%E5%B1%85%E6%B0%91A", method: .get) { #expect($0.status == .forbidden) }
            try await manager.execute(uri: "/fhir/r4/Observation?patient=A", method: .get) { #expect($0.status == .forbidden) }
            try await manager.execute(uri: "/fhir/r4/Patient?_summary=count", method: .get) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains("居民"))
            }
            // … and de-identified rows: every patient, none named, none by its real id.
            try await manager.execute(uri: "/api/v1/research/Patient.ndjson", method: .get) { response in
                #expect(response.status == .ok)
                let lines = String(buffer: response.body).split(separator: "\n")
                #expect(lines.count == 3)
                #expect(!lines.contains { $0.contains("居民") || $0.contains("\"id\":\"A\"") || $0.contains("H1") })
            }
            // Breaking the glass: doctor B, with a stated reason, may open A; the access is flagged.
            let reason = "急诊抢救，患者昏迷".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            try await doctorB.execute(uri: "/fhir/r4/Patient/A", method: .get, headers: [HTTPField.Name("X-Break-Glass")!: reason]) { #expect($0.status == .ok) }
            try await doctorB.execute(uri: "/fhir/r4/Patient/A", method: .get, headers: [HTTPField.Name("X-Break-Glass")!: "x"]) { #expect($0.status == .forbidden) }

            // Resident A sees who read the record and why, including the emergency access.
            try await doctorA.execute(uri: "/fhir/r4/Patient/A", method: .get) { #expect($0.status == .ok) }
            let log = try await residentA.execute(uri: "/api/v1/me/access-log", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONValue.parse(Data(buffer: response.body))
            }
            let rows = log.items
            #expect(rows.contains { $0["role"]?.stringValue == "家庭医生" && $0["breakGlass"] == .bool(true) && $0["reason"]?.stringValue == "急诊抢救，患者昏迷" })
            #expect(rows.contains { $0["who"]?.stringValue == "doctorA" && $0["action"]?.stringValue == "查看" && $0["purpose"]?.stringValue == "诊疗" })
            #expect(rows.contains { $0["outcome"]?.stringValue == "denied" })
            // The security administrator sees the flagged access for review; the chain is intact.
            let secadmin = try await server.client(as: try Self.principals["secadmin"].unsafelyUnwrappedForTest)
            let flagged = try await secadmin.execute(uri: "/api/v1/security/break-glass", method: .get) { try JSONValue.parse(Data(buffer: $0.body)) }
            let seq = try #require(flagged.items.first?["seq"])
            try await secadmin.execute(uri: "/api/v1/security/break-glass/\(seq.serialized())/review", method: .post, headers: [.contentType: "application/json"],
                                       body: ByteBuffer(string: #"{"verdict":"justified","note":"急诊"}"#)) { #expect($0.status == .noContent) }
            #expect(try await server.platform.audit.verify().intact)
            // The audit administrator reads the log as FHIR AuditEvent.
            let auditor = try await server.client(as: try Self.principals["auditor"].unsafelyUnwrappedForTest)
            try await auditor.execute(uri: "/fhir/r4/AuditEvent?patient=A&_count=3", method: .get) { response in
                let bundle = try JSONValue.parse(Data(buffer: response.body))
                #expect(bundle["entry"]?.items.count == 3)
                #expect(bundle["entry"]?.items.first?["resource"]?["resourceType"] == .string("AuditEvent"))
                #expect(bundle["link"]?.items.contains { $0["relation"] == .string("next") } == true)
            }
        }
    }
}

extension Optional {
    /// The value, or a test failure (keeps test tables terse).
    var unsafelyUnwrappedForTest: Wrapped {
        get throws { try #require(self) }
    }
}
