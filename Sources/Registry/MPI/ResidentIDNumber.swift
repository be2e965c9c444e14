import Foundation

/// A mainland China resident identity number (公民身份号码) per GB 11643-1999:
/// 6-digit address code, 8-digit birth date, 3-digit sequence (odd for men, even for women)
/// and an ISO 7064 MOD 11-2 check character (0–9 or X).
public struct ResidentIDNumber: Sendable, Hashable, CustomStringConvertible {
    /// The identifier system under which the platform stores these numbers in FHIR.
    public static let system = "https://weijian.health/sid/resident-id"

    /// The 18 characters, with an upper-case X.
    public let value: String
    /// The administrative division code of first registration (GB/T 2260).
    public var addressCode: String { String(value.prefix(6)) }
    /// The birth date, `YYYY-MM-DD`.
    public let birthDate: String
    /// `male` or `female`, from the parity of the 17th digit (FHIR administrative gender).
    public let gender: String

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters = Array("10X98765432")

    /// Why a number is not a valid resident ID.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case length(Int)
        case characters
        case birthDate
        case checkDigit(expected: Character)

        public var description: String {
            switch self {
            case .length(let count): "a resident ID number has 18 characters, this one has \(count)"
            case .characters: "a resident ID number is 17 digits followed by a digit or X"
            case .birthDate: "characters 7–14 of a resident ID number must be a real birth date (YYYYMMDD) not in the future"
            case .checkDigit(let expected): "the check character (the 18th) is wrong: it should be \(expected) for the first 17 digits given"
            }
        }
    }

    /// Validates and normalises `text` (lower-case x accepted).
    public init(_ text: String, today: Date = Date()) throws(Problem) {
        let upper = text.uppercased()
        let characters = Array(upper)
        guard characters.count == 18 else { throw .length(characters.count) }
        guard characters.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }), characters[17].isASCII, characters[17].isNumber || characters[17] == "X" else {
            throw .characters
        }
        let digits = characters.prefix(17).compactMap { $0.wholeNumberValue }
        let year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
        let month = digits[10] * 10 + digits[11]
        let day = digits[12] * 10 + digits[13]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        guard year >= 1900, let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.month, from: date) == month, calendar.component(.day, from: date) == day, date <= today
        else { throw .birthDate }
        let expected = Self.checkCharacter(for: digits)
        guard characters[17] == expected else { throw .checkDigit(expected: expected) }
        value = upper
        birthDate = String(format: "%04d-%02d-%02d", year, month, day)
        gender = digits[16] % 2 == 1 ? "male" : "female"
    }

    /// The ISO 7064 MOD 11-2 check character for 17 digits.
    public static func checkCharacter(for digits: [Int]) -> Character {
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checkCharacters[sum % 11]
    }

    /// Builds a valid number from its parts (for the synthetic demo population).
    public static func make(addressCode: String, birthDate: String, sequence: Int, male: Bool) -> String {
        var sequence = sequence % 1000
        if (sequence % 2 == 1) != male { sequence = (sequence + 1) % 1000 }
        let body = addressCode + birthDate.replacingOccurrences(of: "-", with: "") + String(format: "%03d", sequence)
        let digits = body.compactMap { $0.wholeNumberValue }
        return body + String(checkCharacter(for: digits))
    }

    /// The number masked for lists: first 6 and last 4 characters kept (`310105********123X`).
    public static func masked(_ text: String) -> String {
        guard text.count > 10 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(6)) + String(repeating: "*", count: text.count - 10) + String(text.suffix(4))
    }

    public var description: String { Self.masked(value) }
}
