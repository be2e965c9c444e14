import Storage

/// The server's CapabilityStatement, derived from what the code supports so that it stays true.
public enum CapabilityStatementBuilder {
    /// The software version reported in `metadata`.
    public static let softwareVersion = "0.1.0"

    /// Builds the statement for the given base URL.
    public static func make(definitions: FHIRDefinitions, base: String) -> JSONValue {
        let interactions: [JSONValue] = ["read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"]
            .map { .object(["code": .string($0)]) }
        let resources: [JSONValue] = FHIRDefinitions.supportedTypes.map { type in
            var params: [JSONValue] = [
                .object(["name": .string("_id"), "type": .string("token")]),
                .object(["name": .string("_lastUpdated"), "type": .string("date")]),
            ]
            for parameter in (definitions.searchParameters[type] ?? [:]).values.sorted(by: { $0.name < $1.name }) {
                params.append(.object(["name": .string(parameter.name), "type": .string(parameter.type)]))
            }
            let referenceParams = (definitions.searchParameters[type] ?? [:]).values.filter { $0.type == "reference" }.map(\.name).sorted()
            var resource: [String: JSONValue] = [
                "type": .string(type),
                "interaction": .array(interactions),
                "versioning": .string("versioned-update"),
                "readHistory": .bool(true),
                "updateCreate": .bool(true),
                "conditionalCreate": .bool(true),
                "conditionalUpdate": .bool(false),
                "conditionalDelete": .string("not-supported"),
                "referencePolicy": .array([.string("literal"), .string("enforced"), .string("local")]),
                "searchParam": .array(params),
            ]
            if !referenceParams.isEmpty {
                resource["searchInclude"] = .array(referenceParams.map { .string("\(type):\($0)") })
            }
            return .object(resource)
        }
        return .object([
            "resourceType": .string("CapabilityStatement"),
            "status": .string("active"),
            "date": .string(ISO8601Timestamp.now()),
            "publisher": .string("Weijian 卫健"),
            "kind": .string("instance"),
            "software": .object(["name": .string("Weijian"), "version": .string(softwareVersion)]),
            "implementation": .object(["description": .string("Weijian district health information platform FHIR R4 API"), "url": .string(base)]),
            "fhirVersion": .string("4.0.1"),
            "format": .array([.string("application/fhir+json"), .string("json")]),
            "rest": .array([.object([
                "mode": .string("server"),
                "resource": .array(resources),
                "interaction": .array([.object(["code": .string("transaction")]), .object(["code": .string("batch")]), .object(["code": .string("history-system")])]),
                "searchParam": .array([
                    .object(["name": .string("_count"), "type": .string("number")]),
                    .object(["name": .string("_sort"), "type": .string("string")]),
                    .object(["name": .string("_include"), "type": .string("string")]),
                    .object(["name": .string("_revinclude"), "type": .string("string")]),
                    .object(["name": .string("_summary"), "type": .string("token")]),
                    .object(["name": .string("_elements"), "type": .string("string")]),
                ]),
            ])]),
        ])
    }
}
