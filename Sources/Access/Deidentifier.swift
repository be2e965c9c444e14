import Crypto
import Foundation
public import FHIR
import Registry

/// De-identification for research exports (科研数据脱敏). The rules (documented in docs/access.md):
///
/// 1. Direct identifiers are dropped: names, identifiers (ID numbers, medical record numbers), telecom
///    (phones), photos, contacts, links, address lines and text, narrative `text`, free-text `note`s,
///    and the household extension.
/// 2. Ids become pseudonyms: a keyed hash (HMAC-SHA256 with the blind-index key) of `Type/id`, the same in
///    every resource, so records of one person still join; references to them are rewritten alike.
/// 3. Dates are shifted per person: every date and date-time of a person's records moves by the same number
///    of days (−180…+180, from the keyed hash of the patient id), so intervals stay true but calendar dates do not.
/// 4. Ages are generalised: a birth date becomes its (shifted) year; people aged 90 and over all get the year of
///    90 years ago. Addresses keep only city, district and the 街道 code.
public struct Deidentifier: Sendable {
    let key: SymmetricKey
    /// The year "now" for the 90-and-over rule.
    let currentYear: Int

    /// Creates a de-identifier with the key file's blind-index key.
    public init(secrets: AccessSecrets, currentYear: Int = Calendar(identifier: .gregorian).component(.year, from: Date())) {
        self.key = SymmetricKey(data: Hex.decode(secrets.indexKey) ?? Array(secrets.indexKey.utf8))
        self.currentYear = currentYear
    }

    /// The pseudonym of `Type/id`: 24 hex digits of its keyed hash.
    public func pseudonym(_ reference: String) -> String {
        String(Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(reference.utf8), using: key)).prefix(24))
    }

    /// The per-person date shift in days, −180…+180.
    public func shiftDays(patient: String) -> Int {
        let code = Array(HMAC<SHA256>.authenticationCode(for: Array("shift:\(patient)".utf8), using: key))
        let value = Int(code[0]) << 8 | Int(code[1])
        return value % 361 - 180
    }

    static let dropped: Set<String> = ["identifier", "name", "telecom", "photo", "contact", "link", "text", "note", "communication"]

    /// A de-identified copy of a resource.
    public func deidentify(_ resource: JSONValue) -> JSONValue {
        guard let type = resource["resourceType"]?.stringValue else { return resource }
        let patient = PatientCompartment.patients(of: resource, type: type).first
        let shift = patient.map { shiftDays(patient: $0) } ?? 0
        var result = walk(resource, shift: shift, path: "")
        if let id = resource["id"]?.stringValue { result["id"] = .string(pseudonym("\(type)/\(id)")) }
        if type == "Patient" {
            if let birth = resource["birthDate"]?.stringValue, let year = Int(birth.prefix(4)) {
                let shifted = Calendar(identifier: .gregorian).date(byAdding: .day, value: shift, to: Self.date("\(year)-07-01") ?? Date())
                var shiftedYear = shifted.map { Calendar(identifier: .gregorian).component(.year, from: $0) } ?? year
                if currentYear - shiftedYear >= 90 { shiftedYear = currentYear - 90 }
                result["birthDate"] = .string(String(format: "%04d", shiftedYear))
            }
            result["address"] = resource["address"].map { addresses in
                .array(addresses.items.map { address in
                    var kept: [String: JSONValue] = [:]
                    for key in ["use", "city", "district", "state", "country"] { kept[key] = address[key] }
                    let subdistrict = address["extension"]?.items.filter { $0["url"]?.stringValue == PatientExtensions.subdistrict } ?? []
                    if !subdistrict.isEmpty { kept["extension"] = .array(subdistrict) }
                    return .object(kept)
                })
            }
            result["extension"] = nil
            if let deceased = resource["deceasedDateTime"]?.stringValue { result["deceasedDateTime"] = .string(String(deceased.prefix(4))) }
        }
        result["meta"] = nil
        return result
    }

    private func walk(_ value: JSONValue, shift: Int, path: String) -> JSONValue {
        switch value {
        case .object(var members):
            for key in Self.dropped { members[key] = nil }
            if let reference = members["reference"]?.stringValue, let parsed = ReferenceValue(reference), PatientCompartment.isPersonal(parsed.type) {
                members["reference"] = .string("\(parsed.type)/\(pseudonym(parsed.relative))")
                members["display"] = nil
            }
            for (key, member) in members where key != "reference" {
                members[key] = walk(member, shift: shift, path: key)
            }
            if members["url"]?.stringValue == PatientExtensions.household { return .null }
            return .object(members)
        case .array(let items):
            return .array(items.map { walk($0, shift: shift, path: path) }.filter { $0 != .null })
        case .string(let text):
            return .string(shiftDate(text, days: shift))
        default:
            return value
        }
    }

    static func date(_ text: String) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 12))
    }

    /// Shifts `YYYY-MM-DD` and `YYYY-MM-DDThh:mm…` strings by `days`; anything else is returned as it is.
    func shiftDate(_ text: String, days: Int) -> String {
        guard days != 0, text.count >= 10 else { return text }
        let chars = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { chars[$0] >= 48 && chars[$0] <= 57 } }
        guard digits(0..<4), chars[4] == 45, digits(5..<7), chars[7] == 45, digits(8..<10), text.count == 10 || chars[10] == UInt8(ascii: "T"),
              let day = Self.date(String(text.prefix(10))) else { return text }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        guard let moved = calendar.date(byAdding: .day, value: days, to: day) else { return text }
        let c = calendar.dateComponents([.year, .month, .day], from: moved)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0) + text.dropFirst(10)
    }
}
