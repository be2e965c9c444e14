import Access
import FHIR
import Foundation
import Testing

@Suite struct DeidentifierTests {
    let deidentifier = Deidentifier(secrets: AccessSecrets.generate(), currentYear: 2026)

    @Test func dropsIdentifiersAndGeneralises() throws {
        let patient = try JSONValue.parse(Data("""
        {"resourceType":"Patient","id":"p1","identifier":[{"system":"https://weijian.health/sid/resident-id","value":"310105195808080021"}],
         "name":[{"text":"周建国"}],"telecom":[{"system":"phone","value":"13912345678"}],"gender":"male","birthDate":"1958-08-08",
         "text":{"status":"generated","div":"<div>周建国</div>"},
         "address":[{"text":"上海市长宁区仙霞路1号","line":["仙霞路1号"],"city":"上海市","district":"长宁区",
           "extension":[{"url":"https://weijian.health/StructureDefinition/subdistrict","valueCode":"310105009"}]}],
         "extension":[{"url":"https://weijian.health/StructureDefinition/household","valueIdentifier":{"value":"hh-1"}}],
         "managingOrganization":{"reference":"Organization/chc1"}}
        """.utf8))
        let out = deidentifier.deidentify(patient)
        let text = out.serialized()
        for secret in ["310105195808080021", "周建国", "13912345678", "仙霞路", "hh-1", "\"p1\""] {
            #expect(!text.contains(secret), "\(secret) must not survive")
        }
        #expect(out["id"]?.stringValue == deidentifier.pseudonym("Patient/p1"))
        #expect(out["birthDate"]?.stringValue?.count == 4)
        #expect(["1957", "1958", "1959"].contains(out["birthDate"]?.stringValue ?? ""))
        #expect(out["address"]?.items.first?["district"] == .string("长宁区"))
        #expect(text.contains("310105009"))
        #expect(out["managingOrganization"]?["reference"] == .string("Organization/chc1"))   // institutions are not personal
        #expect(out["gender"] == .string("male"))
    }

    @Test func shiftsEveryDateOfAPersonByTheSameDaysAndJoinsByPseudonym() throws {
        let a = try JSONValue.parse(Data(#"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/p1","display":"周建国"},"effectiveDateTime":"2024-03-01T09:30:00+08:00","note":[{"text":"周建国自述头晕"}]}"#.utf8))
        let b = try JSONValue.parse(Data(#"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"period":{"start":"2024-03-11","end":"2024-03-11"}}"#.utf8))
        let days = deidentifier.shiftDays(patient: "p1")
        #expect((-180...180).contains(days))
        let outA = deidentifier.deidentify(a), outB = deidentifier.deidentify(b)
        #expect(outA["subject"]?["reference"] == outB["subject"]?["reference"])
        #expect(outA["subject"]?["reference"]?.stringValue == "Patient/\(deidentifier.pseudonym("Patient/p1"))")
        #expect(!outA.serialized().contains("周建国"))
        let shiftedA = try #require(outA["effectiveDateTime"]?.stringValue)
        let shiftedB = try #require(outB["period"]?["start"]?.stringValue)
        #expect(shiftedA.hasSuffix("T09:30:00+08:00"))
        // Ten days apart before, ten days apart after.
        let formatter = DateFormatter(); formatter.dateFormat = "yyyy-MM-dd"; formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        let gap = try #require(formatter.date(from: shiftedB)).timeIntervalSince(try #require(formatter.date(from: String(shiftedA.prefix(10)))))
        #expect(Int((gap / 86_400).rounded()) == 10)
        if days != 0 { #expect(!shiftedA.hasPrefix("2024-03-01")) }
    }

    @Test func theVeryOldShareOneBirthYear() throws {
        let patient = try JSONValue.parse(Data(#"{"resourceType":"Patient","id":"old","birthDate":"1921-01-01"}"#.utf8))
        #expect(deidentifier.deidentify(patient)["birthDate"] == .string("1936"))
    }
}
