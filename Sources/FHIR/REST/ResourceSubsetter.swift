/// Produces the subsets of a resource that `_elements` and `_summary` ask for,
/// marked with the `SUBSETTED` tag as the specification requires.
public enum ResourceSubsetter {
    /// Elements kept by `_summary=true` besides the mandatory ones (an approximation of the
    /// specification's per-element summary flags, which the definitions do not carry).
    static let summaryElements: Set<String> = [
        "identifier", "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean", "deceasedDateTime", "address",
        "managingOrganization", "status", "code", "subject", "patient", "category", "effectiveDateTime", "effectivePeriod",
        "issued", "period", "type", "class", "clinicalStatus", "verificationStatus", "onsetDateTime", "recordedDate",
        "intent", "priority", "start", "end", "date", "title", "url", "version", "vaccineCode", "occurrenceDateTime",
        "medicationCodeableConcept", "authoredOn", "partOf", "organization", "practitioner", "specialty", "serviceType",
    ]

    /// The subset of `resource` for the given `_elements` and `_summary`.
    public static func subset(_ resource: JSONValue, elements: [String]?, summary: String?) -> JSONValue {
        guard case .object(var members) = resource else { return resource }
        let mandatory: Set<String> = ["resourceType", "id", "meta"]
        if let elements {
            let keep = mandatory.union(elements)
            members = members.filter { keep.contains($0.key) }
        } else {
            switch summary {
            case "text":
                members = members.filter { mandatory.contains($0.key) || $0.key == "text" || $0.key == "status" }
            case "data":
                members["text"] = nil
            case "true":
                members = members.filter { mandatory.contains($0.key) || summaryElements.contains($0.key) }
            default:
                return resource
            }
        }
        var meta = members["meta"]?.objectValue ?? [:]
        var tags = meta["tag"]?.arrayValue ?? []
        tags.append(.object([
            "system": .string("http://terminology.hl7.org/CodeSystem/v3-ObservationValue"),
            "code": .string("SUBSETTED"),
            "display": .string("Resource encoded in summary mode"),
        ]))
        meta["tag"] = .array(tags)
        members["meta"] = .object(meta)
        return .object(members)
    }
}
