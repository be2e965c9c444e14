import Access
import Contracting
import FHIR
import Foundation
import Hummingbird
import Registry

extension Contract: ResponseEncodable {}
extension DoctorPlaces: ResponseEncodable {}
extension CoverageReport: ResponseEncodable {}
extension QualityReport: ResponseEncodable {}
extension Rating: ResponseEncodable {}

/// Family-doctor contracting under `/api/v1/contracting`: finding a doctor, signing online (the resident, for
/// themselves or a household member who consented) and at the CHC desk (its staff), the waiting list,
/// renewal, termination and transfer, the doctor's panel, and coverage for managers.
struct ContractingRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let contracting: ContractingService

    struct SignBody: Decodable {
        /// One resident, or several of a household.
        var patient: String?
        var patients: [String]?
        var practitioner: String
        var districtHospital: String?
        var cityHospital: String?
        var package: String?
        /// Join the waiting list when the doctor has no place.
        var waitlist: Bool?
    }

    struct WaitlistBody: Decodable { var patient: String; var practitioner: String }
    struct ReasonBody: Decodable { var reason: String }
    struct TransferBody: Decodable { var practitioner: String; var reason: String }
    struct CapacityBody: Decodable { var capacity: Int }
    struct RatingBody: Decodable { var stars: Int; var comment: String? }

    struct DoctorView: Codable { var practitioner: String; var name: String; var capacity: Int; var signed: Int; var free: Int; var waiting: Int }
    struct FindView: ResponseCodable { var subdistrict: String?; var organization: String; var organizationName: String; var doctors: [DoctorView] }
    struct SignedView: ResponseCodable { var contracts: [Contract] }
    struct PanelEntry: Codable { var patient: String; var name: String; var gender: String?; var birthDate: String?; var subdistrict: String?; var contract: String; var since: String; var until: String; var keyGroups: [String] }
    struct PanelView: ResponseCodable { var practitioner: String; var count: Int; var residents: [PanelEntry] }
    struct GroupsView: ResponseCodable { var patient: String; var keyGroups: [GroupView] }
    struct GroupView: Codable { var code: String; var label: String }
    struct SeriesView: ResponseCodable { var district: String; var points: [CoveragePoint] }

    func audit(_ context: Context, _ principal: Principal, action: String, entity: String, patients: [String]) async throws {
        try await access.record(context, principal, action: action, entity: entity, patients: patients)
    }

    /// Whether `principal` may act for `patient` in contracting: the resident themselves or with the
    /// member's consent; CHC staff for the CHC the contract is (or will be) with.
    func mayAct(_ principal: Principal, for patient: String, organization: String) async throws -> Bool {
        switch principal.role {
        case .resident:
            let relationship = try await access.policy.relationship(principal, patient: patient)
            return relationship == .own || relationship == .consent
        case .familyDoctor, .chcStaff, .chcManager:
            return principal.institution == organization
        default:
            return false
        }
    }

    func names(_ type: String, _ ids: [String]) async throws -> [String: JSONValue] {
        guard !ids.isEmpty else { return [:] }
        var found: [String: JSONValue] = [:]
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + 200)])
            var request = try SearchRequest(type: type, query: [("_id", chunk.joined(separator: ","))], definitions: contracting.store.definitions, strict: true)
            request.count = chunk.count
            for match in try await contracting.store.search(request).matches {
                found[match.id] = try JSONValue.parse(Data(match.content.utf8))
            }
            start += 200
        }
        return found
    }

    func doctorViews(_ organization: String) async throws -> [DoctorView] {
        let places = try await contracting.doctors(organization: organization)
        let practitioners = try await names("Practitioner", places.map(\.practitioner))
        return places.map {
            DoctorView(practitioner: $0.practitioner, name: Pages.displayName(practitioners[$0.practitioner]), capacity: $0.capacity, signed: $0.signed, free: $0.free, waiting: $0.waiting)
        }
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/contracting")

        // 找家庭医生: the CHC whose catchment holds the 街道 (the resident's own by default) and its doctors' free places.
        api.get("find") { request, context -> FindView in
            let principal = try context.requirePrincipal()
            var subdistrict = request.uri.queryParameters["subdistrict"].map(String.init)
            if subdistrict == nil, principal.role == .resident, let own = principal.patient,
               let record = try await contracting.store.read(type: "Patient", id: own), !record.deleted {
                subdistrict = PatientExtensions.subdistricts(of: try JSONValue.parse(Data(record.content.utf8))).first
            }
            guard let subdistrict else { throw HTTPError(.badRequest, message: "请给出街道代码 subdistrict（如 310105002）") }
            guard let chc = Catalog.institutions.first(where: { $0.type == "chc" && $0.catchment.contains(subdistrict) }) else {
                throw HTTPError(.notFound, message: "街道 \(subdistrict) 没有对应的社区卫生服务中心")
            }
            return FindView(subdistrict: subdistrict, organization: chc.id, organizationName: chc.name, doctors: try await apiErrors { try await doctorViews(chc.id) })
        }

        api.get("organizations/:organization/doctors") { _, context -> [DoctorView] in
            _ = try context.requirePrincipal()
            return try await apiErrors { try await doctorViews(try context.parameters.require("organization")) }
        }

        // 签约: online by the resident (self or a consenting household member), or at the CHC desk.
        api.post("contracts") { request, context -> Response in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: SignBody.self, context: context)
            let patients = body.patients ?? body.patient.map { [$0] } ?? []
            guard !patients.isEmpty, patients.count <= 10 else { throw HTTPError(.badRequest, message: "请给出 1 至 10 名要签约的居民 (patient or patients)") }
            let doctor = try await apiErrors { try await contracting.places(practitioner: body.practitioner) }
            for patient in patients where !(try await mayAct(principal, for: patient, organization: doctor.organization)) {
                try await audit(context, principal, action: "sign", entity: "contracting", patients: [patient])
                throw HTTPError(.forbidden, message: principal.role == .resident
                    ? "不能为 Patient/\(patient) 签约：只能为本人或已授权的家庭成员签约 (no consent from this household member)"
                    : "只能在本中心为本中心家庭医生办理签约 (desk signing is for your own CHC's doctors)")
            }
            let requests = patients.map {
                SignRequest(patient: $0, practitioner: body.practitioner, districtHospital: body.districtHospital, cityHospital: body.cityHospital, package: body.package)
            }
            do {
                let signed = try await apiErrors {
                    try await contracting.sign(requests, channel: principal.role == .resident ? "online" : "desk", actor: principal.subject)
                }
                try await audit(context, principal, action: "sign", entity: signed.map { "contract/\($0.id)" }.joined(separator: ","), patients: patients)
                return try Pages.json(SignedView(contracts: signed), status: .created)
            } catch let full as ContractFull {
                if body.waitlist == true {
                    var positions: [String: Int] = [:]
                    for patient in patients {
                        positions[patient] = try await apiErrors { try await contracting.joinWaitlist(patient: patient, practitioner: body.practitioner) }
                    }
                    try await audit(context, principal, action: "waitlist", entity: "practitioner/\(body.practitioner)", patients: patients)
                    return try Pages.json(["waitlisted": positions], status: .accepted)
                }
                return try Pages.json(FullView(error: full.description, practitioner: full.practitioner, waiting: full.waiting,
                                              waitlist: "POST /api/v1/contracting/waitlist"), status: .conflict)
            }
        }

        api.post("waitlist") { request, context -> Response in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: WaitlistBody.self, context: context)
            let doctor = try await apiErrors { try await contracting.places(practitioner: body.practitioner) }
            guard try await mayAct(principal, for: body.patient, organization: doctor.organization) else {
                throw HTTPError(.forbidden, message: "只能为本人或已授权的家庭成员候补")
            }
            let position = try await apiErrors { try await contracting.joinWaitlist(patient: body.patient, practitioner: body.practitioner) }
            try await audit(context, principal, action: "waitlist", entity: "practitioner/\(body.practitioner)", patients: [body.patient])
            return try Pages.json(["position": position], status: .accepted)
        }

        api.get("contracts") { request, context -> [Contract] in
            let principal = try context.requirePrincipal()
            guard let patient = request.uri.queryParameters["patient"].map(String.init) ?? principal.patient else {
                throw HTTPError(.badRequest, message: "请给出居民 patient")
            }
            guard try await access.policy.relationship(principal, patient: patient) != nil else {
                try await audit(context, principal, action: "read", entity: "contracting", patients: [patient])
                throw HTTPError(.forbidden, message: "无权查看该居民的签约")
            }
            try await audit(context, principal, action: "read", entity: "contracting", patients: [patient])
            return try await contracting.contracts(patient: patient)
        }

        api.get("contracts/:id") { _, context -> Contract in
            let principal = try context.requirePrincipal()
            let contract = try await apiErrors { try await contracting.contract(try context.parameters.require("id")) }
            guard try await access.policy.relationship(principal, patient: contract.patient) != nil else {
                throw HTTPError(.forbidden, message: "无权查看该签约")
            }
            try await audit(context, principal, action: "read", entity: "contract/\(contract.id)", patients: [contract.patient])
            return contract
        }

        api.post("contracts/:id/renew") { _, context -> Contract in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let contract = try await apiErrors { try await contracting.contract(try context.parameters.require("id")) }
            guard try await mayAct(principal, for: contract.patient, organization: contract.organization) else { throw HTTPError(.forbidden, message: "无权为该居民续约") }
            let renewed = try await apiErrors { try await contracting.renew(contract.id, actor: principal.subject) }
            try await audit(context, principal, action: "renew", entity: "contract/\(contract.id)", patients: [contract.patient])
            return renewed
        }

        api.post("contracts/:id/terminate") { request, context -> Contract in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: ReasonBody.self, context: context)
            let contract = try await apiErrors { try await contracting.contract(try context.parameters.require("id")) }
            guard try await mayAct(principal, for: contract.patient, organization: contract.organization) else { throw HTTPError(.forbidden, message: "无权为该居民解约") }
            let ended = try await apiErrors { try await contracting.terminate(contract.id, reason: body.reason, actor: principal.subject) }
            try await audit(context, principal, action: "terminate", entity: "contract/\(contract.id)", patients: [contract.patient])
            return ended
        }

        api.post("contracts/:id/transfer") { request, context -> Contract in
            let principal = try context.require(.resident, .chcStaff, .chcManager)
            let body = try await request.decode(as: TransferBody.self, context: context)
            let contract = try await apiErrors { try await contracting.contract(try context.parameters.require("id")) }
            guard try await mayAct(principal, for: contract.patient, organization: contract.organization) else { throw HTTPError(.forbidden, message: "无权为该居民转签") }
            let next = try await apiErrors { try await contracting.transfer(contract.id, to: body.practitioner, reason: body.reason, actor: principal.subject) }
            try await audit(context, principal, action: "transfer", entity: "contract/\(contract.id)", patients: [contract.patient])
            return next
        }

        // 整体转签: a leaving doctor's panel moves to another doctor of the same CHC (the CHC manager).
        api.post("doctors/:practitioner/transfer-panel") { request, context -> SignedView in
            let principal = try context.require(.chcManager)
            let body = try await request.decode(as: TransferBody.self, context: context)
            let leaving = try context.parameters.require("practitioner")
            let from = try await apiErrors { try await contracting.places(practitioner: leaving) }
            let to = try await apiErrors { try await contracting.places(practitioner: body.practitioner) }
            guard from.organization == principal.institution, to.organization == principal.institution else {
                throw HTTPError(.forbidden, message: "只能在本中心的家庭医生之间整体转签")
            }
            let moved = try await apiErrors { try await contracting.transferPanel(from: leaving, to: body.practitioner, reason: body.reason, actor: principal.subject) }
            try await audit(context, principal, action: "transfer", entity: "panel/\(leaving)", patients: moved.map(\.patient))
            return SignedView(contracts: moved)
        }

        // 好差评: the resident rates the service of their contract.
        api.post("contracts/:id/ratings") { request, context -> Response in
            let principal = try context.require(.resident)
            let body = try await request.decode(as: RatingBody.self, context: context)
            let contract = try await apiErrors { try await contracting.contract(try context.parameters.require("id")) }
            guard try await mayAct(principal, for: contract.patient, organization: contract.organization) else { throw HTTPError(.forbidden, message: "只能评价本人或已授权家庭成员的签约服务") }
            let rating = try await apiErrors { try await contracting.rate(contract: contract.id, stars: body.stars, comment: body.comment ?? "") }
            try await audit(context, principal, action: "rate", entity: "contract/\(contract.id)", patients: [contract.patient])
            return try Pages.json(rating, status: .created)
        }

        // 签约服务质量与费用结算: measured from the record, for the commission (the district) and CHC managers (their CHC).
        api.get("quality") { request, context -> QualityReport in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            var report = try await apiErrors {
                try await contracting.quality(district: district, on: query["date"].map(String.init) ?? ContractingService.today())
            }
            if principal.role == .chcManager {
                report.doctors = report.doctors.filter { $0.organization == principal.institution }
                report.organizations = report.organizations.filter { $0.organization == principal.institution }
            }
            try await audit(context, principal, action: "search", entity: "contracting/quality", patients: [])
            return report
        }

        api.put("doctors/:practitioner/capacity") { request, context -> DoctorPlaces in
            let principal = try context.require(.chcManager)
            let body = try await request.decode(as: CapacityBody.self, context: context)
            let practitioner = try context.parameters.require("practitioner")
            let doctor = try await apiErrors { try await contracting.places(practitioner: practitioner) }
            guard doctor.organization == principal.institution else { throw HTTPError(.forbidden, message: "只能调整本中心家庭医生的签约容量") }
            let changed = try await apiErrors { try await contracting.setCapacity(practitioner: practitioner, capacity: body.capacity) }
            try await audit(context, principal, action: "admin", entity: "capacity/\(practitioner)", patients: [])
            return changed
        }

        // 签约居民名单: the family doctor's own panel, filtered by key group or 街道.
        api.get("panel") { request, context -> PanelView in
            let principal = try context.require(.familyDoctor)
            guard let practitioner = principal.practitioner else { throw HTTPError(.forbidden, message: "账号未关联医生") }
            let query = request.uri.queryParameters
            let group = try query["group"].map { code -> KeyGroup in
                guard let group = KeyGroup(rawValue: String(code)) else { throw HTTPError(.badRequest, message: "未知的重点人群 '\(code)'") }
                return group
            }
            let subdistrict = query["subdistrict"].map(String.init)
            let entries = try await contracting.panel(practitioner: practitioner)
            let records = try await names("Patient", entries.map(\.contract.patient))
            var residents: [PanelEntry] = []
            for entry in entries {
                if let group, !entry.groups.contains(group) { continue }
                if let subdistrict, entry.contract.subdistrict != subdistrict { continue }
                let record = records[entry.contract.patient]
                residents.append(PanelEntry(
                    patient: entry.contract.patient, name: Pages.displayName(record), gender: record?["gender"]?.stringValue, birthDate: record?["birthDate"]?.stringValue,
                    subdistrict: entry.contract.subdistrict, contract: entry.contract.id, since: entry.contract.startDate, until: entry.contract.endDate,
                    keyGroups: entry.groups.map(\.label)
                ))
            }
            try await audit(context, principal, action: "search", entity: "contracting/panel", patients: residents.map(\.patient))
            return PanelView(practitioner: practitioner, count: residents.count, residents: residents)
        }

        api.get("key-groups/:patient") { _, context -> GroupsView in
            let principal = try context.requirePrincipal()
            let patient = try context.parameters.require("patient")
            guard try await access.policy.relationship(principal, patient: patient) != nil else { throw HTTPError(.forbidden, message: "无权查看该居民") }
            try await audit(context, principal, action: "read", entity: "contracting/key-groups", patients: [patient])
            return GroupsView(patient: patient, keyGroups: try await contracting.keyGroups(patient: patient).map { GroupView(code: $0.rawValue, label: $0.label) })
        }

        // 签约覆盖率: aggregates for the commission and CHC managers of the district.
        api.get("coverage") { request, context -> CoverageReport in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            return try await apiErrors {
                try await contracting.coverage(district: district, by: query["by"].map(String.init) ?? "subdistrict",
                                               on: query["date"].map(String.init) ?? ContractingService.today())
            }
        }

        api.get("coverage/series") { request, context -> SeriesView in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            guard let months = Int(query["months"].map(String.init) ?? "12") else { throw HTTPError(.badRequest, message: "months 须为整数") }
            return SeriesView(district: district, points: try await apiErrors { try await contracting.coverageSeries(district: district, months: months) })
        }
    }

    struct FullView: Encodable { var error: String; var practitioner: String; var waiting: Int; var waitlist: String }

}
