import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Supervision

extension Approval: ResponseEncodable {}
extension ApprovalStats: ResponseEncodable {}

/// 一网通办 行政审批 under `/api/v1/supervision/approvals`. A CHC manager applies for their CHC's institution licences; a clinician (hospital
/// clinician, CHC staff, family doctor, or a CHC manager with a practitioner record) for their own practitioner
/// licence. The commission's managers accept, return, approve and refuse, and follow up poor ratings.
struct ApprovalRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let approvals: Approvals

    static let applicants: [Role] = [.chcManager, .hospitalClinician, .chcStaff, .familyDoctor]
    static let approvers: [Role] = [.commissionManager]

    struct Catalogue: ResponseEncodable { var kinds: [ApprovalKind]; var materials: [String: String]; var scopes: [String: String] }
    struct Transition: Decodable { var action: String; var reason: String?; var materials: [String]?; var licenceNumber: String? }
    struct Rating: Decodable { var score: Int; var comment: String? }
    struct FollowUp: Decodable { var note: String }

    /// The applicant a principal stands for: the institution only for a CHC manager, the practitioner when the account has one.
    static func applicant(_ principal: Principal) throws -> Applicant {
        Applicant(account: principal.subject, name: principal.displayName, district: try Pages.district(of: principal, asked: nil),
                  institution: principal.role == .chcManager ? principal.institution : nil, practitioner: principal.practitioner)
    }

    /// The kinds `applicant` may apply for.
    func kinds(for applicant: Applicant) -> [ApprovalKind] {
        Approvals.standardKinds.compactMap { approvals.kinds[$0.code] }
            .filter { $0.holderType == "institution" ? applicant.institution != nil : applicant.practitioner != nil }
    }

    /// 403 when the applicant cannot hold the licence the kind results in (an institution's without being its
    /// manager, a practitioner's without a practitioner record).
    func checkAllowed(_ kindCode: String, for applicant: Applicant) throws {
        guard let kind = approvals.kinds[kindCode] else { return }  // an unknown kind is the domain's 422
        if kind.holderType == "institution", applicant.institution == nil {
            throw HTTPError(.forbidden, message: "\(kind.name)须由社区卫生服务中心主任为本机构申请")
        }
        if kind.holderType == "practitioner", applicant.practitioner == nil {
            throw HTTPError(.forbidden, message: "\(kind.name)须由执业人员本人申请，此账号未关联执业人员")
        }
    }

    static func filter(_ list: [Approval], _ name: String?) throws -> [Approval] {
        switch name ?? "" {
        case "": return list
        case "overdue": return list.filter { $0.overdue != nil }
        case "poor-rating": return list.filter { ($0.rating ?? 5) <= 2 }
        case "open": return list.filter { !["approved", "rejected"].contains($0.status) }
        case let status where Approvals.statuses[status] != nil: return list.filter { $0.status == status }
        default: throw HTTPError(.badRequest, message: "filter 须为 overdue、poor-rating、open 或一种状态（submitted、accepted、returned、approved、rejected）")
        }
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/supervision/approvals")
        api.get("kinds") { _, context -> Catalogue in
            _ = try context.require(Self.applicants + Self.approvers)
            return Catalogue(kinds: Approvals.standardKinds.compactMap { approvals.kinds[$0.code] }, materials: Approvals.materials, scopes: Licences.scopes)
        }
        api.get { request, context -> [Approval] in
            let principal = try context.require(Self.applicants + Self.approvers)
            let district = try Pages.district(of: principal, asked: nil)
            let mine = Self.applicants.contains(principal.role) ? principal.subject : nil
            return try Self.filter(try await approvals.list(district: district, applicant: mine), request.uri.queryParameters["filter"].map(String.init))
        }
        api.post { request, context -> Response in
            let principal = try context.require(Self.applicants)
            let applicant = try Self.applicant(principal)
            let form = try await request.decode(as: ApprovalForm.self, context: context)
            try checkAllowed(form.kind, for: applicant)
            let approval = try await apiErrors { try await approvals.submit(form, by: applicant) }
            try await access.record(context, principal, action: "create", entity: "supervision/approval/\(approval.id)", patients: [])
            return try Pages.json(approval, status: .created)
        }
        api.get("stats") { _, context -> ApprovalStats in
            let principal = try context.require(Self.approvers)
            return try await approvals.stats(district: try Pages.district(of: principal, asked: nil))
        }
        api.get(":id") { _, context -> Approval in
            let principal = try context.require(Self.applicants + Self.approvers)
            let mine = Self.applicants.contains(principal.role) ? principal.subject : nil
            return try await apiErrors {
                try await approvals.approval(try context.parameters.require("id"), district: try Pages.district(of: principal, asked: nil), applicant: mine)
            }
        }
        api.post(":id/transitions") { request, context -> Approval in
            _ = try context.require(Self.applicants + Self.approvers)
            let form = try await request.decode(as: Transition.self, context: context)
            let principal = try context.require(form.action == "resubmit" ? Self.applicants : Self.approvers)
            let approval = try await transition(try context.parameters.require("id"), form, principal: principal)
            try await access.record(context, principal, action: "update", entity: "supervision/approval/\(approval.id)", patients: [])
            return approval
        }
        api.post(":id/rating") { request, context -> Approval in
            let principal = try context.require(Self.applicants)
            let form = try await request.decode(as: Rating.self, context: context)
            let approval = try await apiErrors {
                try await approvals.rate(try context.parameters.require("id"), score: form.score, comment: form.comment, by: try Self.applicant(principal))
            }
            try await access.record(context, principal, action: "update", entity: "supervision/approval/\(approval.id)", patients: [])
            return approval
        }
        api.post(":id/follow-up") { request, context -> Approval in
            let principal = try context.require(Self.approvers)
            let form = try await request.decode(as: FollowUp.self, context: context)
            let approval = try await apiErrors {
                try await approvals.followUp(try context.parameters.require("id"), note: form.note, district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "supervision/approval/\(approval.id)", patients: [])
            return approval
        }
    }

    /// A step on an application: the applicant's resubmission, or the commission's decision.
    func transition(_ id: String, _ form: Transition, principal: Principal) async throws -> Approval {
        try await apiErrors {
            if form.action == "resubmit" {
                return try await approvals.resubmit(id, materials: form.materials ?? [], by: try Self.applicant(principal))
            }
            return try await approvals.decide(id, action: form.action, reason: form.reason, materials: form.materials ?? [], licenceNumber: form.licenceNumber,
                                              district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
        }
    }
}
