import Foundation

/// Ids for the domains' own rows (a follow-up, a card, a signal): a short prefix naming the kind and random
/// hexadecimal digits (from a UUID), so ids are unique without a counter and fit FHIR's id rules.
public enum RecordID {
    /// `prefix` followed by `length` (at most 32) lower-case hexadecimal digits.
    public static func make(_ prefix: String, length: Int = 16) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(length)
    }
}
