import Access
import FHIR
import Foundation
import Registry
import Storage

/// One person's lifelong health record as the resident portal shows it, read from the FHIR store: every
/// resource of theirs, grouped for the page, and the whole as a FHIR R4 Bundle for download.
struct HealthRecord {
    var patient: JSONValue?
    /// Every resource of the person's but the Patient, by type.
    var byType: [String: [JSONValue]]

    func of(_ type: String) -> [JSONValue] { byType[type] ?? [] }

    /// Results (Observations) newest first.
    var results: [JSONValue] { of("Observation").sorted { ResidentPortalRoutes.dateOf($0) > ResidentPortalRoutes.dateOf($1) } }
    /// Care plans and appointments: what is planned for the person.
    var plans: [JSONValue] { (of("CarePlan") + of("Appointment")).sorted { ResidentPortalRoutes.dateOf($0) > ResidentPortalRoutes.dateOf($1) } }
    /// Visits, diagnoses, reports and the rest of the timeline, newest first.
    var timeline: [JSONValue] {
        ["Encounter", "Condition", "DiagnosticReport", "Procedure", "ClinicalImpression", "ImagingStudy", "EpisodeOfCare"]
            .flatMap(of).sorted { ResidentPortalRoutes.dateOf($0) > ResidentPortalRoutes.dateOf($1) }
    }

    /// The search parameter that finds a type's resources of one Patient (`patient`, else `subject` or
    /// `beneficiary`), for every personal type the store serves.
    static func compartmentParameters(_ definitions: FHIRDefinitions) -> [(type: String, parameter: String)] {
        definitions.searchParameters.keys.sorted().compactMap { type in
            guard type != "Patient", PatientCompartment.isPersonal(type), let parameters = definitions.searchParameters[type] else { return nil }
            guard let name = ["patient", "subject", "beneficiary"].first(where: { parameters[$0]?.type == "reference" }) else { return nil }
            return (type, name)
        }
    }

    /// Reads every current resource of `patient` (a page at a time).
    static func stored(patient: String, store: FHIRStore) async throws -> (StoredResource?, [StoredResource]) {
        let own = try await store.read(type: "Patient", id: patient).flatMap { $0.deleted ? nil : $0 }
        var resources: [StoredResource] = []
        for (type, parameter) in compartmentParameters(store.definitions) {
            try await store.forEachMatch(type, [(parameter, "Patient/\(patient)")], pageSize: 500) { resources.append($0) }
        }
        return (own, resources)
    }

    static func gather(patient: String, store: FHIRStore) async throws -> HealthRecord {
        let (own, resources) = try await stored(patient: patient, store: store)
        var byType: [String: [JSONValue]] = [:]
        for resource in resources {
            byType[resource.type, default: []].append(try JSONValue.parse(Data(resource.content.utf8)))
        }
        return HealthRecord(patient: try own.map { try JSONValue.parse(Data($0.content.utf8)) }, byType: byType)
    }

    /// The whole record as a FHIR R4 `collection` Bundle: the Patient first, then every resource of theirs,
    /// each with its full URL under `base` (the FHIR API's address).
    static func bundle(patient: String, store: FHIRStore, base: String) async throws -> JSONValue {
        let (own, resources) = try await stored(patient: patient, store: store)
        let entries = (own.map { [$0] } ?? []) + resources
        return .object([
            "resourceType": .string("Bundle"),
            "id": .string(RecordID.make("record")),
            "type": .string("collection"),
            "timestamp": .string(ISO8601Timestamp.now()),
            "entry": .array(try entries.map { stored in
                .object(["fullUrl": .string("\(base)/\(stored.type)/\(stored.id)"), "resource": try JSONValue.parse(Data(stored.content.utf8))])
            }),
        ])
    }

    /// The members of a household (户) with their names.
    static func household(_ household: String, store: FHIRStore) async throws -> [(String, String)] {
        var members: [(String, String)] = []
        for id in try await ResidentDirectory.household(household, database: store.database) {
            guard let stored = try await store.read(type: "Patient", id: id), !stored.deleted,
                  let patient = try? JSONValue.parse(Data(stored.content.utf8)) else { continue }
            members.append((id, Pages.displayName(patient)))
        }
        return members
    }
}
