import Access
import FHIR
import Foundation
import Hummingbird
import Registry

extension Division: ResponseEncodable {}
extension Institution: ResponseEncodable {}
extension MatchCandidate: ResponseEncodable {}
extension MergeEvent: ResponseEncodable {}

/// The registries' JSON API under `/api/v1`: divisions, institutions, and the master patient index.
///
/// Divisions and institutions are a public directory; the patient index needs a clinical role
/// (merging, the CHC manager's), and every use of it is written to the audit chain.
struct RegistryRoutes {
    typealias Context = AppRequestContext
    let registry: RegistryService
    let access: AccessServices

    func record(_ context: Context, _ principal: Principal, action: String, entity: String, patients: [String]) async throws {
        try await access.record(context, principal, action: action, entity: entity, patients: patients)
    }

    struct MergeRequest: Decodable {
        var source: String
        var target: String
        var reason: String?
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1")
        api.get("divisions") { request, _ -> [Division] in
            try await registry.divisions(parent: request.uri.queryParameters["parent"].map(String.init))
        }
        api.get("institutions") { request, _ -> [Institution] in
            let query = request.uri.queryParameters
            return try await registry.institutions(district: query["district"].map(String.init), type: query["type"].map(String.init))
        }
        api.get("mpi/match") { request, context -> [MatchCandidate] in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .cdcEpidemiologist)
            let query = request.uri.queryParameters
            let idNumber = query["idNumber"].map(String.init)
            let birthDate = query["birthDate"].map(String.init)
            if let birthDate, FHIRDateRange.parse(birthDate) == nil || birthDate.count != 10 {
                throw HTTPError(.badRequest, message: "birthDate must be a date like 1980-01-31")
            }
            guard idNumber != nil || birthDate != nil else {
                throw HTTPError(.badRequest, message: "Give idNumber, or birthDate with name and/or phone")
            }
            let candidates = try await apiErrors {
                try await MasterPatientIndex.match(
                    idNumber: idNumber, name: query["name"].map(String.init), birthDate: birthDate,
                    phone: query["phone"].map(String.init), database: registry.database, protection: registry.fhir.protection
                )
            }
            try await record(context, principal, action: "search", entity: "mpi/match", patients: candidates.map { Self.patientID($0.patient) })
            return candidates
        }
        api.post("mpi/merges") { request, context -> EditedResponse<MergeEvent> in
            let principal = try context.require(.chcManager)
            let body = try await request.decode(as: MergeRequest.self, context: context)
            let event = try await apiErrors {
                try await registry.merge(source: Self.patientID(body.source), target: Self.patientID(body.target), reason: body.reason)
            }
            try await record(context, principal, action: "merge", entity: "mpi/merges/\(event.id)", patients: [event.source, event.target].map(Self.patientID))
            return EditedResponse(status: .created, response: event)
        }
        api.post("mpi/merges/:id/undo") { _, context -> MergeEvent in
            let principal = try context.require(.chcManager)
            guard let id = context.parameters.get("id", as: Int64.self) else {
                throw HTTPError(.badRequest, message: "The merge id must be a number")
            }
            let event = try await apiErrors { try await registry.unmerge(eventID: id) }
            try await record(context, principal, action: "unmerge", entity: "mpi/merges/\(event.id)", patients: [event.source, event.target].map(Self.patientID))
            return event
        }
        api.get("mpi/patients/:id/merges") { _, context -> [MergeEvent] in
            let principal = try context.require(.chcManager, .chcStaff, .familyDoctor, .hospitalClinician)
            let id = try context.parameters.require("id")
            try await record(context, principal, action: "read", entity: "mpi/patients/merges", patients: [Self.patientID(id)])
            return try await registry.merges(of: Self.patientID(id))
        }
    }

    /// Accepts `Patient/abc` or `abc`.
    static func patientID(_ text: String) -> String {
        text.hasPrefix("Patient/") ? String(text.dropFirst("Patient/".count)) : text
    }
}

/// Runs `body`, turning FHIR errors into HTTP errors with the same status and message.
func apiErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as FHIRError {
        throw HTTPError(HTTPResponse.Status(code: error.status), message: error.issues.map(\.diagnostics).joined(separator: "; "))
    }
}
