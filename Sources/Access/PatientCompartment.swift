public import FHIR

/// Which records are personal health data, and whose: the patient a resource belongs to.
public enum PatientCompartment {
    /// Types that describe institutions, staff or definitions rather than a person's health: no access log, readable by staff.
    public static let directoryTypes: Set<String> = ["Organization", "Location", "Practitioner", "PractitionerRole", "Schedule", "Slot", "Measure", "Endpoint"]

    /// Whether resources of `type` are personal health data.
    public static func isPersonal(_ type: String) -> Bool {
        !directoryTypes.contains(type) && type != "AuditEvent"
    }

    /// The Patient ids a resource belongs to, from `Patient.id` or its subject/patient/for/beneficiary
    /// and (for Appointment and Communication) its Patient participants. Empty when it names none.
    /// References still in `urn:uuid:` form (inside a transaction) are returned as written.
    public static func patients(of resource: JSONValue, type: String) -> [String] {
        if type == "Patient" { return resource["id"]?.stringValue.map { [$0] } ?? [] }
        var found: [String] = []
        func add(_ reference: JSONValue?) {
            guard let text = reference?["reference"]?.stringValue else { return }
            if text.hasPrefix("urn:uuid:") { found.append(text); return }
            if let value = ReferenceValue(text), value.type == "Patient", !found.contains(value.id) { found.append(value.id) }
        }
        for key in ["subject", "patient", "for", "beneficiary"] { add(resource[key]) }
        if type == "Appointment" {
            for participant in resource["participant"]?.items ?? [] { add(participant["actor"]) }
        }
        if type == "Communication" {
            for recipient in resource["recipient"]?.items ?? [] { add(recipient) }
            add(resource["sender"])
        }
        return found
    }
}
