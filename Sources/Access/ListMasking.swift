public import FHIR
import Registry

/// Masks resident ID numbers and phone numbers in lists (search results) and exports: `310105********123X`,
/// `139****5678`. A single record read by someone allowed to see it shows the full values; systems that
/// exchange records (registered clients) get full values, since they need them to match records.
public enum ListMasking {
    /// The phone masked: first 3 and last 4 digits kept.
    public static func maskedPhone(_ text: String) -> String {
        guard text.count > 7 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(3)) + String(repeating: "*", count: text.count - 7) + String(text.suffix(4))
    }

    /// A person's record (Patient, Practitioner, RelatedPerson) with its ID numbers and phones masked;
    /// other resources unchanged.
    public static func mask(_ resource: JSONValue) -> JSONValue {
        guard let type = resource["resourceType"]?.stringValue, ProtectedFields.types.contains(type) else { return resource }
        return ProtectedFields.map(resource) { value, kind in
            kind == "phone" ? maskedPhone(value) : ResidentIDNumber.masked(value)
        }
    }

    /// A searchset or history Bundle with every Patient in it masked.
    public static func maskBundle(_ bundle: JSONValue) -> JSONValue {
        guard case .object(var members) = bundle, let entries = members["entry"]?.arrayValue else { return bundle }
        members["entry"] = .array(entries.map { entry in
            guard case .object(var fields) = entry, let resource = fields["resource"] else { return entry }
            fields["resource"] = mask(resource)
            return .object(fields)
        })
        return .object(members)
    }
}
