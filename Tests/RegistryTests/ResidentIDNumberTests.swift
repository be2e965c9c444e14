import Foundation
import Registry
import Testing

@Suite struct ResidentIDNumberTests {
    @Test func acceptsValidNumbersAndReadsThem() throws {
        // 11010519491231002X is the standard's own worked example (GB 11643-1999, annex).
        let example = try ResidentIDNumber("11010519491231002x")
        #expect(example.value == "11010519491231002X")
        #expect(example.birthDate == "1949-12-31")
        #expect(example.gender == "female")
        #expect(example.addressCode == "110105")
        let made = ResidentIDNumber.make(addressCode: "310105", birthDate: "1980-01-01", sequence: 123, male: true)
        let parsed = try ResidentIDNumber(made)
        #expect(parsed.gender == "male" && parsed.birthDate == "1980-01-01")
    }

    @Test(arguments: [
        ("11010519491231002", "length"),
        ("1101051949123100XX", "characters"),
        ("110105194902300021", "birthDate"),
        ("110105299901010021", "birthDate"),
        ("110105194912310021", "checkDigit"),
    ])
    func rejectsBadNumbers(_ text: String, _ problem: String) {
        do {
            _ = try ResidentIDNumber(text)
            Issue.record("\(text) accepted")
        } catch {
            #expect(String(describing: error).isEmpty == false)
            switch (error, problem) {
            case (.length, "length"), (.characters, "characters"), (.birthDate, "birthDate"), (.checkDigit, "checkDigit"): break
            default: Issue.record("\(text): \(error) is not a \(problem) problem")
            }
        }
    }

    @Test func masksForLists() {
        #expect(ResidentIDNumber.masked("11010519491231002X") == "110105********002X")
    }
}
