import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import SQLKit
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Direct push from the EMR, cards entered by hand, the CDC's review, duplicates and timeliness, over real HTTP.
@Suite struct CaseReportTests {
    static func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, type: String = "application/json") async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: method, headers: body == nil ? [:] : [.contentType: type], body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func condition(_ code: String, recorded: String, onset: String? = nil, verification: String = "confirmed", id: String? = nil) -> String {
        var text = #"{"resourceType":"Condition","# + (id.map { #""id":"\#($0)","# } ?? "")
        text += #""clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"#
        text += #""verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"\#(verification)"}]},"#
        text += #""code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\#(code)"}]},"subject":{"reference":"Patient/i1"},"#
        text += #""asserter":{"reference":"Practitioner/dr-i"},"recordedDate":"\#(recorded)""#
        if let onset { text += #","onsetDateTime":"\#(onset)""# }
        return text + "}"
    }

    static func count(_ platform: Platform, _ table: String) async throws -> Int {
        try await platform.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) } ?? -1
    }

    @Test func aNotifiableDiagnosisWrittenThroughFHIRMakesACardInTheSameRequest() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let subdistrict = try #require(chc.catchment.first)
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1990-04-04", sequence: 31, male: false)
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-i","name":[{"text":"接诊医生"}]}"#.utf8)), type: "Practitioner", id: "dr-i", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"i1","name":[{"text":"病例一"}],"gender":"female","birthDate":"1990-04-04","managingOrganization":{"reference":"Organization/\(chc.id)"},
                     "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"generalPractitioner":[{"reference":"Practitioner/dr-i"}],
                     "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(subdistrict)"}]}]}
                    """.utf8)), type: "Patient", id: "i1", ifMatch: nil)
            }
            let emr = try await server.client(as: TestServer.platformPrincipal)
            let now = Date()
            let today = CalendarDay.today()
            let fresh = ISO8601Timestamp.format(now.addingTimeInterval(-3600))
            // Infectious diarrhoea diagnosed an hour ago: a card, on time (24 h), clinical.
            var (status, text) = try await Self.send(emr, .post, "/fhir/r4/Condition", Self.condition("A09.0", recorded: fresh, onset: CalendarDay.shift(today, days: -2), id: nil), type: "application/fhir+json")
            #expect(status == .created, "\(text)")
            let conditionID = try #require(try JSONValue.parse(Data(text.utf8))["id"]?.stringValue)
            let card = try await platform.database.read { try await $0.raw("SELECT * FROM surveillance_report WHERE source = \(bind: "Condition/" + conditionID)").first() }
            let row = try #require(card)
            #expect(try row.decode(column: "disease", as: String.self) == "infectious-diarrhea")
            #expect(try row.decode(column: "certainty", as: String.self) == "clinical")
            #expect(try row.decode(column: "subdistrict", as: String?.self) == subdistrict && (try row.decode(column: "district", as: String?.self)) == "310105")
            #expect(try row.decode(column: "late", as: Int.self) == 0 && (try row.decode(column: "reporter", as: String?.self)) == "dr-i")
            // Cholera (class A, 2 hours) diagnosed three hours ago and suspected: late.
            (status, text) = try await Self.send(emr, .post, "/fhir/r4/Condition", Self.condition("A00.9", recorded: ISO8601Timestamp.format(now.addingTimeInterval(-3 * 3600)), verification: "provisional"), type: "application/fhir+json")
            #expect(status == .created)
            // Not notifiable (hypertension): no card.
            (status, _) = try await Self.send(emr, .post, "/fhir/r4/Condition", Self.condition("I10", recorded: fresh), type: "application/fhir+json")
            #expect(status == .created)
            #expect(try await Self.count(platform, "surveillance_report") == 2)
            // Onset after the diagnosis: refused, nothing stored.
            let conditions = try await Self.count(platform, "fhir_resource WHERE res_type = 'Condition'")
            (status, text) = try await Self.send(emr, .post, "/fhir/r4/Condition", Self.condition("B05.9", recorded: CalendarDay.shift(today, days: -3), onset: CalendarDay.shift(today, days: -1)), type: "application/fhir+json")
            #expect(status == .unprocessableContent && text.contains("OperationOutcome") && text.contains("发病日期"), "\(text)")
            #expect(try await Self.count(platform, "fhir_resource WHERE res_type = 'Condition'") == conditions)
            #expect(try await Self.count(platform, "surveillance_report") == 2)
            // The EMR corrects the diagnosis (a new version): the card follows, with the change in its history.
            var revised = try JSONValue.parse(Data(Self.condition("A09.0", recorded: fresh, onset: CalendarDay.shift(today, days: -2), verification: "confirmed", id: conditionID).utf8))
            revised["evidence"] = .array([.object(["detail": .array([.object(["reference": .string("Observation/lab1")])])])])
            _ = try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Observation","id":"lab1","status":"final","code":{"text":"粪便培养"},"subject":{"reference":"Patient/i1"}}"#.utf8)), type: "Observation", id: "lab1", ifMatch: nil)
                _ = try await writer.update(revised, type: "Condition", id: conditionID, ifMatch: nil)
            }
            let cdc = try await server.client(as: Principal(subject: "cdc-1", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            (status, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/reports")
            #expect(status == .ok)
            let cards = try JSONDecoder().decode([CaseReport].self, from: Data(text.utf8))
            #expect(cards.count == 2)
            let diarrhoea = try #require(cards.first { $0.disease == "infectious-diarrhea" })
            #expect(diarrhoea.certainty == "confirmed" && diarrhoea.revision == 2)
            let cholera = try #require(cards.first { $0.disease == "cholera" })
            #expect(cholera.late && cholera.certainty == "suspected")
            (_, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/reports?late=1")
            #expect(try JSONDecoder().decode([CaseReport].self, from: Data(text.utf8)).map(\.id) == [cholera.id])
            (_, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/timeliness?from=\(CalendarDay.shift(today, days: -1))")
            #expect(text.contains(#""reports":2"#) && text.contains(#""late":1"#) && text.contains(#""timelyPercent":50"#), "\(text)")
            // The EMR marks the diagnosis entered in error: its card is withdrawn, with the reason in its history.
            revised["verificationStatus"] = .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-ver-status"), "code": .string("entered-in-error")])])])
            _ = try await platform.fhir.update(revised, type: "Condition", id: conditionID)
            (_, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/reports/\(diarrhoea.id)")
            let withdrawnCard = try JSONValue.parse(Data(text.utf8))
            #expect(withdrawnCard["report"]?["status"]?.stringValue == "rejected")
            #expect(withdrawnCard["history"]?.arrayValue?.last?["action"]?.stringValue == "withdrawn", "\(text)")
        }
    }

    @Test func cardsByHandAreCheckedAndTheCDCReviewsCorrectsAndRemovesDuplicates() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1985-05-05", sequence: 33, male: true)
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-i","name":[{"text":"接诊医生"}]}"#.utf8)), type: "Practitioner", id: "dr-i", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"i1","name":[{"text":"病例二"}],"gender":"male","birthDate":"1985-05-05","managingOrganization":{"reference":"Organization/\(chc.id)"},
                     "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"generalPractitioner":[{"reference":"Practitioner/dr-i"}],
                     "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(chc.catchment.first ?? "")"}]}]}
                    """.utf8)), type: "Patient", id: "i1", ifMatch: nil)
            }
            let doctor = try await server.client(as: Principal(subject: "doc-i", role: .familyDoctor, displayName: "医生", institution: chc.id, practitioner: "dr-i"))
            let today = CalendarDay.today()
            // Bad input: an unknown disease code, an onset after the diagnosis, an unknown resident.
            var (status, text) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"i1","icd10":"Z99","diagnosedAt":"\#(today)","certainty":"clinical"}"#)
            #expect(status == .unprocessableContent && text.contains("法定传染病"))
            (status, text) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"i1","icd10":"B26","onsetDate":"\#(today)","diagnosedAt":"\#(CalendarDay.shift(today, days: -2))","certainty":"clinical"}"#)
            #expect(status == .unprocessableContent && text.contains("发病日期"))
            (status, text) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"nobody","icd10":"B26","diagnosedAt":"\#(today)","certainty":"clinical"}"#)
            #expect(status == .notFound && text.contains("不存在"))
            (status, _) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"i1","icd10":"B26","diagnosedAt":"\#(today)","certainty":"maybe"}"#)
            #expect(status == .unprocessableContent)
            #expect(try await Self.count(platform, "surveillance_report") == 0)
            // Two cards for the same mumps case (two institutions): the CDC sees the other as a possible duplicate.
            (status, text) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"i1","icd10":"B26.9","onsetDate":"\#(CalendarDay.shift(today, days: -3))","diagnosedAt":"\#(CalendarDay.shift(today, days: -1))","certainty":"clinical"}"#)
            #expect(status == .created, "\(text)")
            let first = try JSONDecoder().decode(CaseReport.self, from: Data(text.utf8))
            #expect(first.late, "diagnosed yesterday (the whole day counts from its start), reported today: past 24 hours")
            (status, text) = try await Self.send(doctor, .post, "/api/v1/surveillance/reports", #"{"patient":"i1","icd10":"B26","diagnosedAt":"\#(today)","certainty":"suspected"}"#)
            let second = try JSONDecoder().decode(CaseReport.self, from: Data(text.utf8))
            let cdc = try await server.client(as: Principal(subject: "cdc-1", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            (status, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/reports/\(second.id)")
            #expect(status == .ok && text.contains(first.id) && text.contains(#""action":"created""#), "\(text)")
            (status, text) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(second.id)/review", #"{"action":"duplicate","duplicateOf":"\#(second.id)"}"#)
            #expect(status == .unprocessableContent)
            (status, text) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(second.id)/review", #"{"action":"duplicate","duplicateOf":"\#(first.id)"}"#)
            #expect(status == .ok && text.contains(#""status":"duplicate""#))
            (status, _) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(second.id)/review", #"{"action":"verify"}"#)
            #expect(status == .conflict)
            // 订正: suspected → laboratory-confirmed, then verified; rejecting needs a reason.
            (status, text) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(first.id)/review", #"{"action":"correct","certainty":"confirmed"}"#)
            #expect(status == .ok && text.contains(#""certainty":"confirmed""#) && text.contains(#""revision":2"#))
            (status, _) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(first.id)/review", #"{"action":"correct","icd10":"I10"}"#)
            #expect(status == .unprocessableContent)
            (status, _) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(first.id)/review", #"{"action":"reject"}"#)
            #expect(status == .unprocessableContent)
            (status, text) = try await Self.send(cdc, .post, "/api/v1/surveillance/reports/\(first.id)/review", #"{"action":"verify"}"#)
            #expect(status == .ok && text.contains(#""status":"verified""#))
            (_, text) = try await Self.send(cdc, .get, "/api/v1/surveillance/reports/\(first.id)")
            let history = try JSONValue.parse(Data(text.utf8))["history"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
            #expect(history == ["created", "corrected", "verified"])
            // Another district's CDC sees none of it.
            let other = try await server.client(as: Principal(subject: "cdc-2", role: .cdcEpidemiologist, displayName: "疾控", district: "310112"))
            (status, _) = try await Self.send(other, .get, "/api/v1/surveillance/reports/\(first.id)")
            #expect(status == .notFound)
            (_, text) = try await Self.send(other, .get, "/api/v1/surveillance/reports")
            #expect(text == "[]")
        }
    }
}
