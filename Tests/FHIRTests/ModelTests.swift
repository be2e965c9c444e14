@testable import FHIR
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func parsesAndSerialisesWithResourceTypeFirst() throws {
        let value = try JSONValue.parse(Data(#"{"id":"a","resourceType":"Patient","active":true,"n":1,"d":1.5,"s":"王\"\n","x":null,"l":[1,2]}"#.utf8))
        #expect(value["resourceType"] == .string("Patient"))
        #expect(value["n"] == .integer(1))
        #expect(value["d"] == .decimal(1.5))
        #expect(value["active"] == .bool(true))
        let text = value.serialized()
        #expect(text.hasPrefix(#"{"resourceType":"Patient","id":"a","#))
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
    }

    @Test func keepsTheFirstOfRepeatedMemberNames() throws {
        let value = try JSONValue.parse(Data(#"{"a":1,"b":{"c":true,"c":false,"d":{}},"a":2,"e":[{"f":"x","f":"y"}]}"#.utf8))
        #expect(value == .object(["a": .integer(1), "b": .object(["c": .bool(true), "d": .object([:])]), "e": .array([.object(["f": .string("x")])])]))
    }

    @Test func reportsMalformedJSON() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data("{\"a\":".utf8)) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data("not json".utf8)) }
    }

    /// The parser reads what Foundation's `JSONDecoder` read through `Codable` before it, edge cases included.
    @Test(arguments: [
        ("5.0", JSONValue.integer(5)), ("1e2", .integer(100)), ("-0.0", .integer(0)), ("5.5", .decimal(5.5)),
        ("9223372036854775808", .decimal(9_223_372_036_854_775_808)), ("-9223372036854775808", .integer(.min)),
        ("[1,]", .array([.integer(1)])), (#"{"a":1,"a":2}"#, .object(["a": .integer(1)])), (#"{"a":1,}"#, .object(["a": .integer(1)])),
        (#""\ud83d\ude00 \u0000\/""#, .string("😀 \u{0}/")), (" [ true , false , null ] ", .array([.bool(true), .bool(false), .null])),
        ("\u{FEFF}1", .integer(1)),
    ])
    func parsesLikeFoundation(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONValue.parse(Data(text.utf8)) == expected)
    }

    @Test(arguments: ["1e400", #""\ud800""#, "01", "-", "1.", ".5", "1 2", "", "tru", "\"\t\"", "NaN", #""\x""#, "[,]", "[1,,2]", String(repeating: "[", count: 600)])
    func rejectsLikeFoundation(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data(text.utf8)) }
    }
}

@Suite struct DateRangeTests {
    @Test func partialDatesCoverTheirWholePeriod() throws {
        let year = try #require(FHIRDateRange.parse("2024"))
        let day = try #require(FHIRDateRange.parse("2024-02-29"))
        #expect(year.high - year.low == 366 * 86_400_000)
        #expect(day.high - day.low == 86_400_000)
        // 2024-02-29 in Shanghai starts at 2024-02-28T16:00:00Z.
        #expect(day.low == 1_709_136_000_000)
        let instant = try #require(FHIRDateRange.parse("2024-02-29T00:00:00Z"))
        #expect(instant.low == 1_709_164_800_000)
        #expect(FHIRDateRange.parse("2024-02-29T08:00:00+08:00")?.low == instant.low)
    }

    @Test func rejectsImpossibleDates() {
        #expect(FHIRDateRange.parse("2023-02-29") == nil)
        #expect(FHIRDateRange.parse("2023-13") == nil)
        #expect(FHIRDateRange.parse("2023-01-01T25:00:00Z") == nil)
        #expect(FHIRDateRange.parse("yesterday") == nil)
    }
}

@Suite struct ValidatorTests {
    let validator = ResourceValidator()

    func issues(_ json: String) throws -> [OutcomeIssue] {
        validator.validate(try JSONValue.parse(Data(json.utf8)))
    }

    @Test func acceptsAValidObservation() throws {
        let found = try issues("""
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
             "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-01T08:30:00+08:00",
             "valueQuantity":{"value":128,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}
            """)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func findsEachKindOfProblem() throws {
        let found = try issues("""
            {"resourceType":"Observation","status":"done","code":{"coding":{"code":"x"}},
             "subject":{"reference":"Organization/o1"},"effectiveDateTime":"2024-02-30","colour":"red",
             "valueQuantity":{"value":"high"}}
            """)
        let text = found.map(\.diagnostics).joined(separator: "\n")
        #expect(found.contains { $0.code == "code-invalid" && $0.expression == "Observation.status" }, "\(text)")
        #expect(found.contains { $0.expression == "Observation.code.coding" && $0.diagnostics.contains("array") }, "\(text)")
        #expect(found.contains { $0.expression == "Observation.subject" && $0.diagnostics.contains("Organization") }, "\(text)")
        #expect(found.contains { $0.expression == "Observation.effectiveDateTime" }, "\(text)")
        #expect(found.contains { $0.expression == "Observation.colour" && $0.diagnostics.contains("Unknown element") }, "\(text)")
        #expect(found.contains { $0.expression == "Observation.valueQuantity.value" }, "\(text)")
    }

    @Test func resolvesChoiceElementsByTheirTypeSuffix() throws {
        let valid = try issues("""
            {"resourceType":"Patient","multipleBirthInteger":2,"deceasedBoolean":false,"_birthDate":{"extension":[]}}
            """)
        #expect(valid.isEmpty, "\(valid)")
        let found = try issues("""
            {"resourceType":"Patient","multipleBirthString":"2","deceasedDateTime":"2024-13-01","deceasedboolean":true,"multipleBirth":1,"valueQuantity":{}}
            """)
        let expressions = Set(found.compactMap(\.expression))
        #expect(expressions == ["Patient.multipleBirthString", "Patient.deceasedDateTime", "Patient.deceasedboolean", "Patient.multipleBirth", "Patient.valueQuantity"], "\(found)")
    }

    @Test func reportsMissingRequiredElements() throws {
        let found = try issues(#"{"resourceType":"Observation"}"#)
        #expect(Set(found.filter { $0.code == "required" }.compactMap(\.expression)) == ["Observation.status", "Observation.code"])
    }

    @Test func rejectsUnknownResourceTypes() throws {
        #expect(try issues(#"{"resourceType":"Spaceship"}"#).first?.code == "not-supported")
        #expect(try issues(#"{"id":"x"}"#).first?.code == "required")
    }
}

@Suite struct IndexerTests {
    @Test func extractsValuesByShape() throws {
        let patient = try JSONValue.parse(Data("""
            {"resourceType":"Patient","identifier":[{"system":"urn:s","value":"42"}],"name":[{"family":"张","given":["伟"]}],
             "gender":"male","birthDate":"1980-05-01","telecom":[{"system":"phone","value":"13900000000"}],
             "managingOrganization":{"reference":"Organization/o1"}}
            """.utf8))
        let entries = SearchIndexer().entries(for: patient, type: "Patient")
        #expect(entries.tokens.contains(.init(param: "identifier", system: "urn:s", code: "42")))
        #expect(entries.tokens.contains(.init(param: "gender", system: nil, code: "male")))
        #expect(entries.tokens.contains(.init(param: "phone", system: "phone", code: "13900000000")))
        #expect(entries.strings.contains(.init(param: "name", value: "张伟")))
        #expect(entries.strings.contains(.init(param: "family", value: "张")))
        #expect(entries.references.contains(.init(param: "organization", type: "Organization", id: "o1")))
        #expect(entries.dates.contains { $0.param == "birthdate" && $0.high - $0.low == 86_400_000 })
        #expect(!entries.tokens.contains { $0.param == "email" })
    }
}
