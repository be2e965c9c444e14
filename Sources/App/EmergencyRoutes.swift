import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

extension Incident: ResponseEncodable {}
extension IncidentTask: ResponseEncodable {}
extension IncidentSituation: ResponseEncodable {}

/// 应急指挥 under `/api/v1/surveillance`: incidents (the district CDC and the commission), their tasks and log,
/// and the resources at hand (each hospital and CHC its own; the CDC and the commission any of the district).
extension SurveillanceRoutes {
    struct IncidentNote: Decodable { var text: String }
    struct IncidentClose: Decodable { var summary: String }
    struct TaskStep: Decodable { var status: String; var note: String? }
    struct ResourceView: ResponseCodable {
        var resources: [ResourceLevel]
        /// The district's totals per kind.
        var totals: [ResourceLevel]
        var icuReadiness: [BedReadiness]
    }

    static let commandRoles: [Role] = [.cdcEpidemiologist, .commissionManager]

    func registerEmergency(on router: Router<Context>) {
        let api = router.group("api/v1/surveillance")
        api.get("incidents") { _, context -> [Incident] in
            let principal = try context.require(Self.commandRoles)
            return try await surveillance.incidents(district: try Pages.district(of: principal, asked: nil))
        }
        api.post("incidents") { request, context -> Response in
            let principal = try context.require(Self.commandRoles)
            let form = try await request.decode(as: IncidentForm.self, context: context)
            let incident = try await apiErrors { try await surveillance.openIncident(form, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "surveillance/incident/\(incident.id)", patients: [])
            return try Pages.json(incident, status: .created)
        }
        api.get("incidents/:id") { _, context -> IncidentSituation in
            let principal = try context.require(Self.commandRoles)
            let id = try context.parameters.require("id")
            guard let situation = try await surveillance.situation(incident: id, district: try Pages.district(of: principal, asked: nil)) else {
                throw HTTPError(.notFound, message: "本区没有应急事件 \(id)")
            }
            return situation
        }
        api.post("incidents/:id/tasks") { request, context -> Response in
            let principal = try context.require(Self.commandRoles)
            let form = try await request.decode(as: TaskForm.self, context: context)
            let id = try context.parameters.require("id")
            let task = try await apiErrors { try await surveillance.addTask(form, incident: id, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "surveillance/incident/\(id)/task", patients: [])
            return try Pages.json(task, status: .created)
        }
        api.post("incidents/:id/tasks/:task") { request, context -> IncidentTask in
            let principal = try context.require(Self.commandRoles)
            let step = try await request.decode(as: TaskStep.self, context: context)
            let id = try context.parameters.require("id")
            let task = try await apiErrors {
                try await surveillance.updateTask(try context.parameters.require("task"), incident: id, status: step.status, note: step.note,
                                                  district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "surveillance/incident/\(id)/task", patients: [])
            return task
        }
        api.post("incidents/:id/notes") { request, context -> Response in
            let principal = try context.require(Self.commandRoles)
            let note = try await request.decode(as: IncidentNote.self, context: context)
            let id = try context.parameters.require("id")
            try await apiErrors { try await surveillance.addIncidentNote(note.text, incident: id, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "surveillance/incident/\(id)", patients: [])
            return Response(status: .noContent)
        }
        api.post("incidents/:id/close") { request, context -> Incident in
            let principal = try context.require(Self.commandRoles)
            let body = try await request.decode(as: IncidentClose.self, context: context)
            let id = try context.parameters.require("id")
            let incident = try await apiErrors { try await surveillance.closeIncident(id, summary: body.summary, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "surveillance/incident/\(id)", patients: [])
            return incident
        }

        // 应急资源: what the district has at hand, and each institution's report of its own.
        api.get("resources") { _, context -> ResourceView in
            let principal = try context.require(Self.commandRoles + [.hospitalClinician, .chcManager])
            let district = try Pages.district(of: principal, asked: nil)
            return try await resourceView(district: district)
        }
        api.put("resources/:organization") { request, context -> ResourceView in
            let principal = try context.require(Self.commandRoles + [.hospitalClinician, .chcManager])
            let district = try Pages.district(of: principal, asked: nil)
            let organization = try context.parameters.require("organization")
            try Self.checkResourceReporter(principal, organization: organization, district: district)
            let levels = try await request.decode(as: [ResourceLevel.Reported].self, context: context)
            _ = try await apiErrors {
                try await surveillance.recordResources(levels.map { ResourceLevel(organization: organization, kind: $0.kind, total: $0.total, available: $0.available) },
                                                       organization: organization, district: district, actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "surveillance/resource/\(organization)", patients: [])
            return try await resourceView(district: district)
        }
    }

    /// A hospital clinician or CHC manager reports for their own institution; the command for any of the district's.
    static func checkResourceReporter(_ principal: Principal, organization: String, district: String) throws {
        guard let institution = Catalog.institutions.first(where: { $0.id == organization }), institution.district == district else {
            throw HTTPError(.notFound, message: "本区没有机构 \(organization)")
        }
        if !commandRoles.contains(principal.role), principal.institution != organization {
            throw HTTPError(.forbidden, message: "只能填报本机构的应急资源")
        }
    }

    func resourceView(district: String) async throws -> ResourceView {
        let levels = try await surveillance.resources(district: district)
        let totals = Emergency.resourceKinds.compactMap { kind -> ResourceLevel? in
            let rows = levels.filter { $0.kind == kind.code }
            guard !rows.isEmpty else { return nil }
            return ResourceLevel(organization: district, kind: kind.code, total: rows.map(\.total).reduce(0, +), available: rows.map(\.available).reduce(0, +),
                                 updatedAt: rows.map(\.updatedAt).max() ?? "")
        }
        return ResourceView(resources: levels, totals: totals, icuReadiness: Emergency.readiness(levels))
    }
}

extension ResourceLevel {
    /// One kind as an institution reports it.
    struct Reported: Decodable { var kind: String; var total: Int; var available: Int }
}
extension BedReadiness: ResponseEncodable {}
extension ResourceLevel: ResponseEncodable {}
