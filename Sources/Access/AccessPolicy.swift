import Foundation
import Synchronization
public import FHIR
import Registry

/// The kinds of access to FHIR data.
public enum DataAction: String, Sendable {
    /// read, vread.
    case read
    /// search, history.
    case search
    /// create.
    case create
    /// update.
    case update
    /// delete.
    case delete

    /// Whether the action changes data.
    public var writes: Bool { self == .create || self == .update || self == .delete }
}

/// Deny-by-default decisions: which role may touch which resource types, and whose records.
///
/// A role first needs the resource type (``typeAllowed(_:type:write:)``); for personal health data it then
/// needs a relationship with the patient (``relationship(_:patient:cache:)``): the resident's own record or a
/// consenting household member's, a family doctor's contracted panel (Patient.generalPractitioner), a CHC's
/// registered residents (Patient.managingOrganization), a hospital's patients (an Encounter there or an
/// active ServiceRequest to it), a CDC user's district (the address's 街道 code).
public struct AccessPolicy: Sendable {
    /// The FHIR store, for the records that establish relationships.
    public let store: FHIRStore
    /// Household consents.
    public let consents: ConsentRegistry

    /// Creates the policy.
    public init(store: FHIRStore, consents: ConsentRegistry) {
        self.store = store
        self.consents = consents
    }

    /// The types a CDC epidemiologist reads: case data.
    public static let caseDataTypes: Set<String> = ["Patient", "Condition", "Observation", "DiagnosticReport", "Immunization", "Encounter"]

    /// Whether the principal is the district's exchange platform (区域平台), which sees every record.
    public static func isDistrictPlatform(_ principal: Principal) -> Bool {
        principal.role == .systemClient && principal.institution == nil && principal.district != nil
    }

    /// Whether the role and the credential's scopes allow `type` at all (before any patient check).
    public func typeAllowed(_ principal: Principal, type: String, write: Bool) -> Bool {
        guard principal.scopes.allows(type, write: write) else { return false }
        if type == "AuditEvent" { return principal.role == .auditAdministrator && !write }
        if PatientCompartment.directoryTypes.contains(type) {
            if !write { return principal.role != .resident || ["Organization", "Location", "Practitioner", "PractitionerRole", "Schedule", "Slot"].contains(type) }
            switch principal.role {
            case .systemAdministrator: return ["Organization", "Location", "Practitioner", "PractitionerRole", "Measure", "Endpoint"].contains(type)
            // A hospital's PACS registers its DICOMweb Endpoint (影像云).
            case .systemClient: return type == "Schedule" || type == "Slot" || type == "Endpoint"
            case .chcManager, .chcStaff, .hospitalClinician: return type == "Schedule" || type == "Slot"
            case .commissionManager: return type == "Measure"
            default: return false
            }
        }
        switch principal.role {
        case .resident:
            return !write || type == "Communication"
        case .familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .systemClient:
            return true
        case .cdcEpidemiologist:
            return Self.caseDataTypes.contains(type) && !write
        case .commissionManager, .healthInspector, .emergencyDispatcher, .systemAdministrator, .securityAdministrator, .auditAdministrator:
            return false
        }
    }

    /// Why a principal may see a patient's record, or nil when it may not.
    public enum Relationship: String, Sendable {
        /// The resident's own record.
        case own
        /// A household member's, by recorded consent.
        case consent
        /// The family doctor's contracted panel.
        case panel
        /// Registered at the principal's CHC.
        case institution
        /// An encounter or active referral at the principal's hospital.
        case encounter
        /// Resident of the CDC user's district.
        case district
    }

    /// Memoises relationship answers within one request.
    public final class Cache: Sendable {
        let answers = Mutex<[String: Relationship?]>([:])
        /// Creates an empty cache.
        public init() {}
    }

    /// The principal's relationship with a patient, nil when none.
    public func relationship(_ principal: Principal, patient: String, cache: Cache = Cache()) async throws -> Relationship? {
        if let known = cache.answers.withLock({ $0[patient] }) { return known }
        let answer = try await computeRelationship(principal, patient: patient)
        cache.answers.withLock { $0[patient] = answer }
        return answer
    }

    private func computeRelationship(_ principal: Principal, patient: String) async throws -> Relationship? {
        switch principal.role {
        case .resident:
            guard let own = principal.patient else { return nil }
            if own == patient { return .own }
            return try await consents.allows(grantor: patient, grantee: own) ? .consent : nil
        case .systemClient where principal.institution == nil && principal.district != nil:
            // The district's exchange platform (a client registered for a district) sees every record.
            return .district
        case .familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .systemClient, .cdcEpidemiologist:
            break
        default:
            return nil
        }
        guard let stored = try await store.read(type: "Patient", id: patient), !stored.deleted else { return nil }
        let record = try JSONValue.parse(Data(stored.content.utf8))
        let practitioners = (record["generalPractitioner"]?.items ?? []).compactMap { $0["reference"]?.stringValue }
        let managing = record["managingOrganization"]?["reference"]?.stringValue
        switch principal.role {
        case .familyDoctor:
            if let practitioner = principal.practitioner, practitioners.contains("Practitioner/\(practitioner)") { return .panel }
            return nil
        case .chcStaff, .chcManager:
            guard let institution = principal.institution else { return nil }
            let organization = "Organization/\(institution)"
            return managing == organization || practitioners.contains(organization) ? .institution : nil
        case .hospitalClinician, .systemClient:
            guard let institution = principal.institution else { return nil }
            if managing == "Organization/\(institution)" { return .institution }
            if try await count("Encounter", ["subject": "Patient/\(patient)", "service-provider": "Organization/\(institution)"]) > 0 { return .encounter }
            if try await count("ServiceRequest", ["subject": "Patient/\(patient)", "performer": "Organization/\(institution)", "status": "active"]) > 0 { return .encounter }
            return nil
        case .cdcEpidemiologist:
            guard let district = principal.district else { return nil }
            return PatientExtensions.subdistricts(of: record).contains { $0.hasPrefix(district) } ? .district : nil
        default:
            return nil
        }
    }

    private func count(_ type: String, _ parameters: [String: String]) async throws -> Int {
        var request = try SearchRequest(type: type, query: parameters.map { ($0.key, $0.value) } + [("_summary", "count")], definitions: store.definitions, strict: true)
        request.count = 0
        return try await store.search(request).total ?? 0
    }
}
