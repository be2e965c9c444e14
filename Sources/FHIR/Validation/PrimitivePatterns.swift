import Foundation

/// Checks primitive values against the R4 datatype rules.
///
/// Dates are checked by a strict parser (lexical form and calendar), time and oid by the
/// specification's regular expressions, the string-like types by direct checks: fast on the ingest path.
struct PrimitivePatterns: Sendable {
    static let shared = PrimitivePatterns()

    private let time: NSRegularExpression
    private let oid: NSRegularExpression

    private init() {
        // From the FHIR R4 datatype definitions.
        func compile(_ pattern: String) -> NSRegularExpression {
            do { return try NSRegularExpression(pattern: "^(?:" + pattern + ")$") } catch { fatalError("bad built-in pattern \(pattern)") }
        }
        time = compile("([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?")
        oid = compile("urn:oid:[0-2](\\.(0|[1-9][0-9]*))+")
    }

    private func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// A message describing why `value` is not a valid `type`, or nil when it is.
    func check(_ value: JSONValue, type: String) -> String? {
        switch type {
        case "boolean":
            if case .bool = value { return nil }
            return "Expected true or false, found \(value.kindName)"
        case "integer", "unsignedInt", "positiveInt":
            guard case .integer(let number) = value else { return "Expected a whole number, found \(value.kindName)" }
            if number < Int64(Int32.min) || number > Int64(Int32.max) { return "\(number) is outside the 32-bit range of \(type)" }
            if type == "unsignedInt" && number < 0 { return "\(number) must not be negative" }
            if type == "positiveInt" && number < 1 { return "\(number) must be 1 or more" }
            return nil
        case "decimal":
            return value.doubleValue == nil ? "Expected a number, found \(value.kindName)" : nil
        default:
            break
        }
        guard let text = value.stringValue else {
            return "Expected a \(type) string, found \(value.kindName)"
        }
        switch type {
        case "string", "markdown", "xhtml":
            return text.isEmpty ? "Empty strings are not allowed; leave the element out instead" : nil
        case "code":
            if text.isEmpty || Self.isSpace(text.utf8.first) || Self.isSpace(text.utf8.last) {
                return "'\(text)' is not a valid code: no leading or trailing white space, not empty"
            }
            return nil
        case "id":
            return FHIRID.isValid(text) ? nil : "'\(text)' is not a valid id: 1 to 64 of A-Z a-z 0-9 - ."
        case "uri", "url", "canonical", "uuid":
            return (text.isEmpty || text.utf8.contains(where: { Self.isSpace($0) })) ? "'\(text)' is not a valid \(type): no white space, not empty" : nil
        case "oid":
            return matches(oid, text) ? nil : "'\(text)' is not a valid oid (urn:oid:1.2.3)"
        case "base64Binary":
            return Data(base64Encoded: text) == nil ? "The value is not valid base64" : nil
        // The strict date parser accepts the specification's lexical forms of dates and real calendar
        // dates only; a time part must have seconds and an offset, as the R4 regular expressions require.
        case "date":
            guard text.utf8.count <= 10, !text.hasPrefix("0000"), FHIRDateRange.parse(text) != nil else {
                return "'\(text)' is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, and a date that exists)"
            }
            return nil
        case "dateTime":
            guard !text.hasPrefix("0000"), FHIRDateRange.parse(text) != nil, text.utf8.count <= 10 || Self.hasSecondsAndOffset(text) else {
                return "'\(text)' is not a valid dateTime (e.g. 2024-05-01 or 2024-05-01T08:30:00+08:00, a date that exists)"
            }
            return nil
        case "instant":
            guard !text.hasPrefix("0000"), FHIRDateRange.parse(text) != nil, Self.hasSecondsAndOffset(text) else {
                return "'\(text)' is not a valid instant (e.g. 2024-05-01T08:30:00+08:00, seconds and time zone required)"
            }
            return nil
        case "time":
            return matches(time, text) ? nil : "'\(text)' is not a valid time (hh:mm:ss)"
        default:
            return nil
        }
    }
}

extension PrimitivePatterns {
    /// `YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm)`: the date parser has checked the rest.
    static func hasSecondsAndOffset(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == 0x54, bytes[16] == 0x3A else { return false }
        return bytes[bytes.count - 1] == 0x5A || bytes[bytes.count - 6] == 0x2B || bytes[bytes.count - 6] == 0x2D
    }

    static func isSpace(_ byte: UInt8?) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

/// FHIR logical ids: 1–64 characters from `A–Z a–z 0–9 - .`.
public enum FHIRID {
    /// True when `text` is a valid id.
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 64 else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E
        }
    }
}
