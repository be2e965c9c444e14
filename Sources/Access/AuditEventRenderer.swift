public import FHIR

/// Presents audit entries as FHIR R4 AuditEvent resources (for the audit administrator).
public enum AuditEventRenderer {
    /// The extension carrying an entry's place in the hash chain.
    public static let chainExtension = "https://weijian.health/StructureDefinition/audit-chain"

    static func coding(_ system: String, _ code: String, _ display: String? = nil) -> JSONValue {
        var coding: [String: JSONValue] = ["system": .string(system), "code": .string(code)]
        if let display { coding["display"] = .string(display) }
        return .object(coding)
    }

    /// One entry as an AuditEvent.
    public static func render(_ entry: AuditEntry) -> JSONValue {
        let record = entry.record
        let interaction: (code: String, action: String) = switch record.action {
        case "read": ("read", "R")
        case "search": ("search-type", "R")
        case "create": ("create", "C")
        case "update": ("update", "U")
        case "delete": ("delete", "D")
        case "transaction", "batch": (record.action, "E")
        default: ("operation", "E")
        }
        let isREST = ["read", "search", "create", "update", "delete", "transaction", "batch"].contains(record.action)
        var event: [String: JSONValue] = [
            "resourceType": .string("AuditEvent"),
            "id": .string(String(entry.seq)),
            "type": isREST
                ? coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation")
                : coding("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"),
            "action": .string(interaction.action),
            "recorded": .string(entry.recordedAt),
            "outcome": .string(record.outcome == "allowed" ? "0" : (record.outcome == "denied" ? "4" : "8")),
            "agent": .array([.object([
                "who": .object(["identifier": .object(["system": .string("https://weijian.health/sid/account"), "value": .string(record.actor)])]),
                "role": .array([.object(["text": .string(Role(rawValue: record.actorRole)?.label ?? record.actorRole)])]),
                "requestor": .bool(true),
                "network": .object(["address": .string(record.source), "type": .string("2")]),
            ])]),
            "source": .object(["observer": .object(["display": .string("卫健 Weijian")])]),
            "extension": .array([.object([
                "url": .string(chainExtension),
                "extension": .array([
                    .object(["url": .string("seq"), "valueInteger": .integer(entry.seq)]),
                    .object(["url": .string("previousHash"), "valueString": .string(entry.previousHash)]),
                    .object(["url": .string("hash"), "valueString": .string(entry.hash)]),
                ]),
            ])]),
        ]
        if isREST {
            event["subtype"] = .array([coding("http://hl7.org/fhir/restful-interaction", interaction.code)])
        } else {
            event["subtype"] = .array([.object(["text": .string(record.action)])])
        }
        var purposes: [JSONValue] = [.object(["text": .string(record.purpose)])]
        if record.breakGlass {
            purposes.append(.object(["coding": .array([coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "BTG", "break the glass")])]))
        }
        event["purposeOfEvent"] = .array(purposes)
        if !record.reason.isEmpty { event["outcomeDesc"] = .string(record.reason) }
        var entities: [JSONValue] = []
        if !record.entity.isEmpty {
            if let reference = ReferenceValue(record.entity), !record.entity.contains("?") {
                entities.append(.object(["what": .object(["reference": .string(reference.relative)])]))
            } else {
                entities.append(.object(["description": .string(record.entity)]))
            }
        }
        if !record.patient.isEmpty {
            entities.append(.object([
                "what": .object(["reference": .string("Patient/\(record.patient)")]),
                "type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                "role": coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            ]))
        }
        if !entities.isEmpty { event["entity"] = .array(entities) }
        return .object(event)
    }
}
