/// Reading a Condition as a diagnosis, the one way every domain that enrols or groups by diagnosis does it.
public enum Diagnosis {
    /// The ICD-10 codes (upper case) of a Condition that is active (or recurring, relapsing) and not refuted
    /// or entered in error; empty otherwise. A missing status counts as active and confirmed.
    public static func activeICD10Codes(of condition: JSONValue) -> [String] {
        let clinical = condition["clinicalStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue ?? "active"
        let verification = condition["verificationStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue ?? "confirmed"
        guard ["active", "recurrence", "relapse"].contains(clinical), !["refuted", "entered-in-error"].contains(verification) else { return [] }
        return icd10Codes(in: condition["code"])
    }

    /// The ICD-10 codes (upper case) of a CodeableConcept (e.g. an Encounter's reasonCode).
    public static func icd10Codes(in concept: JSONValue?) -> [String] {
        (concept?["coding"]?.arrayValue ?? []).compactMap { coding in
            guard coding["system"]?.stringValue?.lowercased().contains("icd-10") == true else { return nil }
            return coding["code"]?.stringValue?.uppercased()
        }
    }
}
