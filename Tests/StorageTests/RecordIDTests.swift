import Storage
import Testing

@Suite struct RecordIDTests {
    @Test func idsAreThePrefixAndLowerCaseHexDigitsAndDiffer() {
        let ids = (0..<1000).map { _ in RecordID.make("a") }
        #expect(Set(ids).count == 1000)
        for id in ids {
            #expect(id.hasPrefix("a") && id.count == 17)
            #expect(id.dropFirst().allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(RecordID.make("x", length: 32).count == 33)
        #expect(RecordID.make("p-", length: 5).count == 7)
        // Digits come from the whole UUID: every position takes several values.
        #expect(Set(ids.map { $0.last }).count > 8)
    }
}
