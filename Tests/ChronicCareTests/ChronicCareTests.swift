import Access
import App
import ChronicCare
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import SQLKit
import Storage
import Testing
import WeijianTesting

@Suite struct ChronicCareTests {
    /// On the demo district, the registry's rates equal counts made independently: registered residents from the
    /// record's Conditions, managed and controlled residents by SQL written another way (window functions).
    @Test func demoRatesEqualIndependentCounts() async throws {
        try await TestDatabase.withPlatform { platform in
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            _ = try await seeder.seed(district: "310105", residents: 600, randomSeed: 11)
            let service = ChronicService(store: platform.fhir)
            let day = CalendarDay.today()
            try await service.recomputeAll(on: day)
            let district = try await service.rates(district: "310105", programme: "hypertension", by: "district", on: day)
            let bySubdistrict = try await service.rates(district: "310105", programme: "hypertension", by: "subdistrict", on: day)
            let total = try #require(district.first)
            #expect(bySubdistrict.map(\.registered).reduce(0, +) == total.registered)
            #expect(bySubdistrict.map(\.controlled).reduce(0, +) == total.controlled)
            let byDoctor = try await service.rates(district: "310105", programme: "hypertension", by: "practitioner", on: day)
            #expect(byDoctor.map(\.registered).reduce(0, +) == total.registered && byDoctor.count > 1)
            #expect(byDoctor.contains { $0.label != $0.key }, "doctors are named")
            // One CHC's residents only: its doctors and no one else's.
            let chc = try #require(try await service.rates(district: "310105", programme: "hypertension", by: "organization", on: day).first { $0.registered > 0 })
            let ofCHC = try await service.rates(district: "310105", programme: "hypertension", by: "practitioner", organization: chc.key, on: day)
            #expect(ofCHC.map(\.registered).reduce(0, +) == chc.registered)

            // Registered: residents with an active I10 diagnosis in the record.
            var diagnosed = Set<String>()
            try await platform.fhir.forEachMatch("Condition", [("code", "http://hl7.org/fhir/sid/icd-10|I10")]) { match in
                if let subject = try JSONValue.parse(Data(match.content.utf8))["subject"]?["reference"]?.stringValue { diagnosed.insert(String(subject.dropFirst(8))) }
            }
            #expect(total.registered == diagnosed.count && diagnosed.count > 60, "\(total.registered) vs \(diagnosed.count)")

            let yearAgo = CalendarDay.shift(day, days: -365)
            let (controlled, managed, overdue) = try await platform.database.read { sql in
                let controlled = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM (
                        SELECT patient_id, value1, value2, ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY taken_on DESC, source DESC) AS position
                        FROM chronic_reading WHERE kind = 'bp' AND taken_on <= \(bind: day)) latest
                    WHERE latest.position = 1 AND latest.value1 < 140 AND latest.value2 < 90
                      AND latest.patient_id IN (SELECT patient_id FROM chronic_enrolment WHERE programme = 'hypertension' AND status = 'confirmed')
                    """).first()?.decode(column: "n", as: Int.self) ?? -1
                let managed = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM (SELECT r.patient_id FROM chronic_reading r
                        WHERE r.kind = 'bp' AND r.taken_on > \(bind: yearAgo) AND r.taken_on <= \(bind: day)
                          AND r.patient_id IN (SELECT patient_id FROM chronic_enrolment WHERE programme = 'hypertension' AND status = 'confirmed')
                        GROUP BY r.patient_id HAVING COUNT(DISTINCT r.taken_on) >= 4) m
                    """).first()?.decode(column: "n", as: Int.self) ?? -1
                // Overdue: no reading in the last 90 days (the interval), or none at all and enrolled before that.
                let overdue = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM chronic_enrolment e WHERE e.programme = 'hypertension' AND e.status = 'confirmed'
                      AND NOT EXISTS (SELECT 1 FROM chronic_reading r WHERE r.patient_id = e.patient_id AND r.kind = 'bp'
                                      AND r.taken_on >= \(bind: CalendarDay.shift(day, days: -89)) AND r.taken_on <= \(bind: day))
                      AND (e.since < \(bind: day) OR EXISTS (SELECT 1 FROM chronic_reading r WHERE r.patient_id = e.patient_id AND r.kind = 'bp'))
                    """).first()?.decode(column: "n", as: Int.self) ?? -1
                return (controlled, managed, overdue)
            }
            #expect(total.controlled == controlled && controlled > 0)
            #expect(total.managed == managed)
            #expect(total.overdue == overdue)
            #expect(total.controlledPercent == total.controlled * 100 / total.registered)
        }
    }

    @Test func aFollowUpMovesTheNextDueDayAndBadInputIsRefused() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            let today = CalendarDay.today()
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1955-05-05", sequence: 21, male: true)
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-c","name":[{"text":"慢病医生"}]}"#.utf8)), type: "Practitioner", id: "dr-c", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"c1","active":true,"name":[{"text":"老王"}],"gender":"male","birthDate":"1955-05-05",
                     "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"managingOrganization":{"reference":"Organization/\(chc.id)"},
                     "generalPractitioner":[{"reference":"Practitioner/dr-c"}],
                     "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(chc.catchment.first ?? "")"}]}]}
                    """.utf8)), type: "Patient", id: "c1", ifMatch: nil)
                // Diagnosed two years ago; last blood pressure 120 days ago, uncontrolled.
                _ = try await writer.create(try JSONValue.parse(Data(#"{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]},"subject":{"reference":"Patient/c1"},"onsetDateTime":"\#(CalendarDay.shift(today, days: -730))"}"#.utf8)))
                _ = try await writer.create(try JSONValue.parse(Data(#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/c1"},"effectiveDateTime":"\#(CalendarDay.shift(today, days: -120))T09:00:00+08:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":152,"unit":"mmHg"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":96,"unit":"mmHg"}}]}"#.utf8)))
            }
            let doctor = try await server.client(as: Principal(subject: "doc-c", role: .familyDoctor, displayName: "慢病医生", institution: chc.id, practitioner: "dr-c"))
            func worklist() async throws -> String {
                try await doctor.execute(uri: "/api/v1/chronic/worklist", method: .get) { response in
                    #expect(response.status == .ok)
                    return String(buffer: response.body)
                }
            }
            let before = try await worklist()
            #expect(before.contains(#""overdue":[{"#) && before.contains(#""patient":"c1""#))
            func post(_ body: String) async throws -> (HTTPResponse.Status, String) {
                try await doctor.execute(uri: "/api/v1/chronic/followups", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            // Bad input: implausible pressure, glucose in mg/dL, a day in the future, not enrolled.
            var (status, text) = try await post(#"{"patient":"c1","programme":"hypertension","date":"\#(today)","systolic":400,"diastolic":20}"#)
            #expect(status == .unprocessableContent && text.contains("收缩压") && text.contains("舒张压"))
            (status, text) = try await post(#"{"patient":"c1","programme":"hypertension","date":"\#(today)","systolic":130,"diastolic":80,"fastingGlucose":126,"glucoseUnit":"mg/dL"}"#)
            #expect(status == .unprocessableContent && text.contains("单位须为"))
            (status, text) = try await post(#"{"patient":"c1","programme":"hypertension","date":"\#(today)","systolic":130,"diastolic":80,"fastingGlucose":126}"#)
            #expect(status == .unprocessableContent && text.contains("误用了"))
            (status, text) = try await post(#"{"patient":"c1","programme":"hypertension","date":"\#(CalendarDay.shift(today, days: 3))","systolic":130,"diastolic":80}"#)
            #expect(status == .unprocessableContent && text.contains("将来"))
            (status, text) = try await post(#"{"patient":"c1","programme":"type2-diabetes","date":"\#(today)","fastingGlucose":6.1}"#)
            #expect(status == .conflict)
            (status, _) = try await post(#"{"patient":"c1","programme":"hypertension","date":"2026-02-30","systolic":130,"diastolic":80}"#)
            #expect(status == .unprocessableContent)
            (status, _) = try await post(#"{"patient":"c1","programme":"hypertension""#)
            #expect(status == .badRequest)
            let readings = try await platform.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM chronic_reading").first()?.decode(column: "n", as: Int.self) }
            #expect(readings == 1, "refused follow-ups left nothing behind")

            // A good follow-up: controlled today, next due in 90 days, off the overdue list.
            (status, text) = try await post(#"{"patient":"c1","programme":"hypertension","date":"\#(today)","systolic":132,"diastolic":82,"weight":70,"height":170,"adherence":"regular","medication":"氨氯地平 5mg qd"}"#)
            #expect(status == .created, "\(text)")
            let enrolment = try JSONDecoder().decode(Enrolment.self, from: Data(text.utf8))
            #expect(enrolment.lastFollowUp == today && enrolment.nextDue == CalendarDay.shift(today, days: 90) && enrolment.controlled == true)
            let after = try await worklist()
            #expect(after.contains(#""overdue":[]"#))
            let bmi = try await platform.fhir.search(try SearchRequest(type: "Observation", query: [("code", "http://loinc.org|39156-5"), ("subject", "Patient/c1")], definitions: .shared, strict: true))
            #expect(bmi.matches.first?.content.contains("24.2") == true)
            // Someone else's resident cannot be followed up.
            let stranger = try await server.client(as: Principal(subject: "doc-x", role: .familyDoctor, displayName: "别的医生", institution: "cn-other", practitioner: "dr-x"))
            try await stranger.execute(uri: "/api/v1/chronic/followups", method: .post, headers: [.contentType: "application/json"],
                                       body: ByteBuffer(string: #"{"patient":"c1","programme":"hypertension","date":"\#(today)","systolic":130,"diastolic":80}"#)) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test func twoElevatedPressuresOnDifferentDaysMakeASuspectedCase() async throws {
        try await TestDatabase.withPlatform { platform in
            let today = CalendarDay.today()
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1970-01-01", sequence: 31, male: false)
            _ = try await platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"Patient","id":"s1","gender":"female","birthDate":"1970-01-01","identifier":[{"system":"\#(ResidentIDNumber.system)","value":"\#(number)"}]}"#.utf8)), type: "Patient", id: "s1")
            func pressure(_ systolic: Int, _ diastolic: Int, daysAgo: Int) throws -> JSONValue {
                try JSONValue.parse(Data(#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/s1"},"effectiveDateTime":"\#(CalendarDay.shift(today, days: -daysAgo))T09:00:00+08:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":\#(systolic),"unit":"mmHg"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":\#(diastolic),"unit":"mmHg"}}]}"#.utf8))
            }
            let service = ChronicService(store: platform.fhir)
            _ = try await platform.fhir.create(try pressure(146, 88, daysAgo: 10))
            _ = try await platform.fhir.create(try pressure(150, 92, daysAgo: 10))
            #expect(try await service.enrolments(patients: ["s1"]).isEmpty, "two readings on one day are not enough")
            let third = try await platform.fhir.create(try pressure(138, 94, daysAgo: 2))
            let suspected = try await service.enrolments(patients: ["s1"])
            #expect(suspected.map(\.status) == ["suspected"] && suspected.first?.uncontrolledStreak == 2)
            // The reading entered in error goes, and with it the latest value.
            var wrong = try JSONValue.parse(Data(third.content.utf8))
            wrong["status"] = .string("entered-in-error")
            wrong["meta"] = nil
            _ = try await platform.fhir.update(wrong, type: "Observation", id: third.id)
            #expect(try await service.enrolments(patients: ["s1"]).first?.lastFollowUp == CalendarDay.shift(today, days: -10))
            let confirmed = try await service.decide(patient: "s1", programme: "hypertension", confirm: true)
            #expect(confirmed.status == "confirmed")
            await #expect(throws: FHIRError.self) { _ = try await service.decide(patient: "s1", programme: "hypertension", confirm: false) }
        }
    }
}

@Suite struct DiabetesRiskScoreTests {
    @Test func pointsFollowTheGuidelineTable() throws {
        // 58-year-old man, 145 mmHg, BMI 26, waist 92 cm, a parent with diabetes: 15 + 2 + 7 + 3 + 8 + 6 = 41.
        let high = try #require(DiabetesRiskScore.score(age: 58, male: true, systolic: 145, bmi: 26, waist: 92, familyHistory: true))
        #expect(high.points == 41 && high.highRisk && high.missing.isEmpty)
        // 30-year-old woman, 108 mmHg, BMI 21.5, waist 69 cm: 4 points.
        #expect(DiabetesRiskScore.score(age: 30, male: false, systolic: 108, bmi: 21.5, waist: 69, familyHistory: false)?.points == 4)
        // Boundaries: 24 vs 25 points; waist steps differ by sex.
        #expect(DiabetesRiskScore.score(age: 45, male: true, systolic: 125, bmi: 23, waist: 74.9, familyHistory: false)?.points == 18)
        #expect(DiabetesRiskScore.score(age: 45, male: false, systolic: 125, bmi: 23, waist: 74.9, familyHistory: false)?.points == 19)
        #expect(DiabetesRiskScore.score(age: 65, male: true, systolic: 160, bmi: 30, waist: 95, familyHistory: true)?.points == 51)
        let partial = try #require(DiabetesRiskScore.score(age: 62, male: false, systolic: nil, bmi: nil, waist: nil, familyHistory: true))
        #expect(partial.points == 22 && partial.missing == ["systolic", "bmi", "waist"] && !partial.highRisk)
        #expect(DiabetesRiskScore.score(age: 19, male: true, systolic: 120, bmi: 22, waist: 80, familyHistory: false) == nil)
        #expect(DiabetesRiskScore.score(age: 75, male: true, systolic: 120, bmi: 22, waist: 80, familyHistory: false) == nil)
    }

    @Test func theScoreIsReadFromTheRecord() async throws {
        try await TestDatabase.withPlatform { platform in
            let today = CalendarDay.today()
            let birth = CalendarDay.shift(today, days: -(58 * 365 + 30))
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: birth, sequence: 41, male: true)
            _ = try await platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"Patient","id":"d1","gender":"male","birthDate":"\#(birth)","identifier":[{"system":"\#(ResidentIDNumber.system)","value":"\#(number)"}]}"#.utf8)), type: "Patient", id: "d1")
            let day = CalendarDay.shift(today, days: -20) + "T09:00:00+08:00"
            for text in [
                #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/d1"},"effectiveDateTime":"\#(day)","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":145,"unit":"mmHg"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":85,"unit":"mmHg"}}]}"#,
                #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"subject":{"reference":"Patient/d1"},"effectiveDateTime":"\#(day)","valueQuantity":{"value":26,"unit":"kg/m2"}}"#,
                #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8280-0"}]},"subject":{"reference":"Patient/d1"},"effectiveDateTime":"\#(day)","valueQuantity":{"value":92,"unit":"cm"}}"#,
                #"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"Z83.3"}]},"subject":{"reference":"Patient/d1"}}"#,
            ] { _ = try await platform.fhir.create(try JSONValue.parse(Data(text.utf8))) }
            let service = ChronicService(store: platform.fhir)
            let score = try #require(try await service.diabetesRisk(patient: "d1", on: today))
            #expect(score.points == 41 && score.highRisk && score.missing.isEmpty)
            // Once diabetic, the screening no longer applies.
            _ = try await platform.fhir.create(try JSONValue.parse(Data(#"{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"E11.9"}]},"subject":{"reference":"Patient/d1"}}"#.utf8)))
            #expect(try await service.diabetesRisk(patient: "d1", on: today) == nil)
        }
    }
}
