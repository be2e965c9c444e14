import Foundation

/// Ids for the domains' own rows (a follow-up, a card, a signal): a short prefix naming the kind and random
/// hexadecimal digits (from a UUID), so ids are unique without a counter and fit FHIR's id rules.
public enum RecordID {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `prefix` followed by `length` (at most 32) lower-case hexadecimal digits: a UUID's bytes in order, as its
    /// `uuidString` without dashes would give them, written without going through that string.
    public static func make(_ prefix: String, length: Int = 16) -> String {
        let count = min(max(length, 0), 32)
        var out: [UInt8] = []
        out.reserveCapacity(prefix.utf8.count + count)
        out.append(contentsOf: prefix.utf8)
        withUnsafeBytes(of: UUID().uuid) { bytes in
            for index in 0..<count {
                let byte = bytes[index / 2]
                out.append(digits[Int(index % 2 == 0 ? byte >> 4 : byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
