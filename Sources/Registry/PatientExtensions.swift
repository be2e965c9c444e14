public import FHIR

/// The platform's own Patient extensions: the 街道 of an address and the household a resident belongs to.
public enum PatientExtensions {
    /// On `Patient.address`: the GB/T 2260 code of the 街道/镇 (`valueCode`).
    public static let subdistrict = "https://weijian.health/StructureDefinition/subdistrict"
    /// On `Patient`: the household (`valueIdentifier`), shared by the members of one 户.
    public static let household = "https://weijian.health/StructureDefinition/household"

    /// The 街道 codes of a Patient's addresses.
    public static func subdistricts(of patient: JSONValue) -> [String] {
        (patient["address"]?.items ?? []).flatMap { address in
            (address["extension"]?.items ?? []).filter { $0["url"]?.stringValue == subdistrict }.compactMap { $0["valueCode"]?.stringValue }
        }
    }

    /// The household identifier of a Patient, if recorded.
    public static func household(of patient: JSONValue) -> String? {
        patient["extension"]?.items.first { $0["url"]?.stringValue == household }?["valueIdentifier"]?["value"]?.stringValue
    }
}
