import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Supervision

extension Approval: ResponseEncodable {}
extension ApprovalStats: ResponseEncodable {}

/// 一网通办 行政审批 under `/api/v1/supervision/approvals`, the applicants' page `/approvals` and the commission's
/// queue `/supervision/approvals`. A CHC manager applies for their CHC's institution licences; a clinician (hospital
/// clinician, CHC staff, family doctor, or a CHC manager with a practitioner record) for their own practitioner
/// licence. The commission's managers accept, return, approve and refuse, and follow up poor ratings.
struct ApprovalRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let approvals: Approvals

    static let applicants: [Role] = [.chcManager, .hospitalClinician, .chcStaff, .familyDoctor]
    static let approvers: [Role] = [.commissionManager]

    struct Catalogue: ResponseCodable { var kinds: [ApprovalKind]; var materials: [String: String]; var scopes: [String: String] }
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
        router.get("approvals") { request, context in try await applicantPage(request, context) }
        router.post("approvals") { request, context in try await applicantAction(request, context) }
        router.get("supervision/approvals") { request, context in try await queuePage(request, context) }
        router.get("supervision/approvals/:id") { request, context in try await detailPage(request, context) }
        router.post("supervision/approvals/:id") { request, context in try await approverAction(request, context) }
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

// MARK: - Pages

extension ApprovalRoutes {
    static func kindName(_ code: String, _ approvals: Approvals) -> String { approvals.kinds[code]?.name ?? code }

    static func statusBadge(_ approval: Approval) -> String {
        let colour = switch approval.status {
        case "approved": "rag-green"
        case "rejected": "rag-red"
        case "returned": "rag-amber"
        default: ""
        }
        return "<strong class=\"status \(colour)\" data-status=\"\(approval.status)\">\(Approvals.statuses[approval.status] ?? approval.status)</strong>"
    }

    static func overdueNote(_ approval: Approval) -> String {
        switch approval.overdue ?? "" {
        case "acceptance": " <span class=\"rag-red overdue\">受理超时</span>"
        case "decision": " <span class=\"rag-red overdue\">办理超时</span>"
        default: ""
        }
    }

    static func institutionName(_ id: String) -> String { Catalog.institutions.first { $0.id == id }.map { $0.shortName ?? $0.name } ?? id }

    static func holderName(_ approval: Approval) -> String {
        approval.holderType == "institution" ? institutionName(approval.holder) : approval.applicantName
    }

    static func history(_ approval: Approval) -> String {
        "<details><summary>办理记录（\(approval.history.count)）</summary><ol class=\"history\">" + approval.history.map { event in
            "<li>\(HTML.escape(String(event.at.prefix(16)).replacingOccurrences(of: "T", with: " "))) \(Approvals.actionNames[event.action] ?? HTML.escape(event.action))"
                + (event.note.map { "：\(HTML.escape($0))" } ?? "") + "</li>"
        }.joined() + "</ol></details>"
    }

    static func materialBoxes(_ kind: ApprovalKind?, checked: [String], requested: [String] = []) -> String {
        let required = (kind?.requiredMaterials ?? []) + requested.filter { !(kind?.requiredMaterials ?? []).contains($0) }
        let codes = required + (required.contains("supplementary") ? [] : ["supplementary"])
        return "<fieldset><legend>申请材料（勾选已提供的材料）</legend>" + codes.map { code in
            "<label><input type=\"checkbox\" name=\"material-\(code)\" value=\"on\"\(checked.contains(code) ? " checked" : "")> \(Approvals.materials[code] ?? code)"
                + (required.contains(code) ? " <span class=\"muted\">（必需）</span>" : "") + "</label>"
        }.joined() + "</fieldset>"
    }

    /// The materials a return may ask for: the kind's own and 其他补充材料 first, the rest folded away.
    static func returnBoxes(_ kind: ApprovalKind?) -> String {
        let first = (kind?.requiredMaterials ?? []) + ["supplementary"]
        func box(_ code: String) -> String { "<label><input type=\"checkbox\" name=\"material-\(code)\" value=\"on\"> \(Approvals.materials[code] ?? code)</label>" }
        return first.map(box).joined() + "<details><summary>其他材料</summary>"
            + Approvals.materials.keys.filter { !first.contains($0) }.sorted().map(box).joined() + "</details>"
    }

    static func checkedCodes(_ fields: [String: String], prefix: String) -> [String] {
        fields.filter { $0.key.hasPrefix(prefix) && $0.value == "on" }.map { String($0.key.dropFirst(prefix.count)) }.sorted()
    }

    static func notices(_ request: Request) -> String {
        (request.uri.queryParameters["m"].map { "<p class=\"ok\" id=\"message\">\(HTML.escape(String($0)))</p>" } ?? "")
            + (request.uri.queryParameters["e"].map { "<p class=\"error\" role=\"alert\">\(HTML.escape(String($0)))</p>" } ?? "")
    }

    /// The applicant's page: their applications, the resubmission and rating forms, and a new application.
    func applicantPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.applicants, title: "行政审批（一网通办）", refusal: "此页面供医疗机构负责人和医务人员办理执业许可申请。") { principal, district in
            let applicant = try Self.applicant(principal)
            let mine = try await approvals.list(district: district, applicant: principal.subject)
            var body = Self.notices(request)
            body += "<h2>我的申请</h2><ul class=\"plain\" id=\"my-approvals\">"
            for item in mine {
                let full = try await approvals.approval(item.id, district: district, applicant: principal.subject)
                body += "<li class=\"card\" data-approval=\"\(HTML.escape(full.id))\"><div><strong>\(HTML.escape(Self.kindName(full.kind, approvals)))</strong> · \(Self.statusBadge(full))</div>"
                body += "<div class=\"muted\">持证方 \(HTML.escape(Self.holderName(full))) · 提交 \(full.submittedDay)" + (full.dueDay.map { " · 承诺办结 \($0) 前" } ?? "") + "</div>"
                if let reason = full.reason, ["returned", "rejected"].contains(full.status) { body += "<p>\(full.status == "returned" ? "补正要求" : "不予许可理由")：\(HTML.escape(reason))</p>" }
                if let number = full.licenceNumber { body += "<p>证书编号：<strong class=\"licence-number\">\(HTML.escape(number))</strong></p>" }
                if full.status == "returned" {
                    body += "<form method=\"post\" action=\"/approvals\" class=\"resubmit\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"action\" value=\"resubmit\">"
                        + "<input type=\"hidden\" name=\"id\" value=\"\(HTML.escape(full.id))\">" + Self.materialBoxes(approvals.kinds[full.kind], checked: full.materials, requested: full.requestedMaterials)
                        + "<button type=\"submit\">补正后重新提交</button></form>"
                }
                if let rating = full.rating {
                    body += "<p class=\"rating\" data-rating=\"\(rating)\">我的评价：\(Approvals.ratingNames[rating] ?? "")" + (full.ratingComment.map { "（\(HTML.escape($0))）" } ?? "") + "</p>"
                } else if ["approved", "rejected"].contains(full.status) {
                    body += "<form method=\"post\" action=\"/approvals\" class=\"rate\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"action\" value=\"rate\">"
                        + "<input type=\"hidden\" name=\"id\" value=\"\(HTML.escape(full.id))\"><fieldset><legend>请评价本次服务（好差评）</legend>"
                        + [5, 4, 3, 2, 1].map { "<label><input type=\"radio\" name=\"score\" value=\"\($0)\" required> \(Approvals.ratingNames[$0] ?? "")</label>" }.joined()
                        + "</fieldset><label>意见（选填） <input type=\"text\" name=\"comment\" maxlength=\"500\"></label><button type=\"submit\">提交评价</button></form>"
                }
                body += Self.history(full) + "</li>"
            }
            body += (mine.isEmpty ? "<li class=\"muted\">尚无申请</li>" : "") + "</ul>"
            body += "<h2>新的申请</h2>"
            let offered = kinds(for: applicant)
            if let code = request.uri.queryParameters["kind"].map(String.init), let kind = offered.first(where: { $0.code == code }) {
                let today = CalendarDay.today()
                let scopes = kind.licenceKind == "nurse" ? ["nursing"] : Licences.scopes.keys.filter { $0 != "nursing" }.sorted()
                body += "<form method=\"post\" action=\"/approvals\" class=\"card\" id=\"new-application\">\(Pages.csrfField(context))"
                body += "<input type=\"hidden\" name=\"action\" value=\"submit\"><input type=\"hidden\" name=\"kind\" value=\"\(kind.code)\">"
                body += "<p><strong>\(kind.name)</strong><br><span class=\"muted\">持证方：\(HTML.escape(kind.holderType == "institution" ? Self.institutionName(applicant.institution ?? "") : principal.displayName))"
                    + " · 承诺办结时限 \(kind.timeLimitDays) 个工作日（自受理之日起）</span></p>"
                body += "<fieldset><legend>申请执业范围</legend>" + scopes.map { code in
                    "<label><input type=\"checkbox\" name=\"scope-\(code)\" value=\"on\"\(scopes.count == 1 ? " checked" : "")> \(Licences.scopes[code] ?? code)</label>"
                }.joined() + "</fieldset>"
                body += "<label>有效期起 <input type=\"date\" name=\"validFrom\" value=\"\(today)\" required></label>"
                body += "<label>有效期止 <input type=\"date\" name=\"validTo\" value=\"\(CalendarDay.shift(today, days: 5 * 365))\" required></label>"
                body += Self.materialBoxes(kind, checked: []) + "<button type=\"submit\">提交申请</button></form><p><a href=\"/approvals\">选择其他事项</a></p>"
            } else if offered.isEmpty {
                body += "<p class=\"muted\">此账号没有可申请的事项（机构类事项由社区卫生服务中心主任申请；执业注册须账号关联执业人员）。</p>"
            } else {
                body += "<ul class=\"plain\" id=\"kinds\">" + offered.map { kind in
                    "<li><a href=\"/approvals?kind=\(kind.code)\">\(kind.name)</a> <span class=\"muted\">· \(kind.timeLimitDays) 个工作日 · 需 \(kind.requiredMaterials.count) 项材料</span></li>"
                }.joined() + "</ul>"
            }
            return Pages.page("行政审批（一网通办）", body)
        }
    }

    /// The applicant's forms: a new application, a resubmission, a rating. Refusals come back as the page's message.
    func applicantAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard Self.applicants.contains(principal.role) else { throw HTTPError(.forbidden, message: "\(principal.role.label)无权办理执业许可申请") }
        let applicant = try Self.applicant(principal)
        var back = "/approvals"
        do {
            let id = fields["id"] ?? ""
            switch fields["action"] ?? "" {
            case "submit":
                let kind = fields["kind"] ?? ""
                if approvals.kinds[kind] != nil { back = "/approvals?kind=\(kind)" }
                try checkAllowed(kind, for: applicant)
                let form = ApprovalForm(kind: kind, scope: Self.checkedCodes(fields, prefix: "scope-"), validFrom: fields["validFrom"] ?? "", validTo: fields["validTo"] ?? "",
                                        materials: Self.checkedCodes(fields, prefix: "material-"))
                let approval = try await apiErrors { try await approvals.submit(form, by: applicant) }
                try await access.record(context, principal, action: "create", entity: "supervision/approval/\(approval.id)", patients: [])
                return HTML.redirect("/approvals?m=" + Pages.queryEscape("申请已提交，等待受理"))
            case "resubmit":
                _ = try await apiErrors { try await approvals.resubmit(id, materials: Self.checkedCodes(fields, prefix: "material-"), by: applicant) }
                try await access.record(context, principal, action: "update", entity: "supervision/approval/\(id)", patients: [])
                return HTML.redirect("/approvals?m=" + Pages.queryEscape("已补正并重新提交"))
            case "rate":
                guard let score = fields["score"].flatMap({ Int($0) }) else { throw HTTPError(.unprocessableContent, message: "请选择评价等级") }
                _ = try await apiErrors { try await approvals.rate(id, score: score, comment: fields["comment"], by: applicant) }
                try await access.record(context, principal, action: "update", entity: "supervision/approval/\(id)", patients: [])
                return HTML.redirect("/approvals?m=" + Pages.queryEscape("感谢您的评价"))
            default:
                throw HTTPError(.badRequest, message: "未知操作")
            }
        } catch let error as HTTPError where (400..<500).contains(error.status.code) {
            return HTML.redirect(back + (back.contains("?") ? "&" : "?") + "e=" + Pages.queryEscape(error.body ?? "无法办理"))
        }
    }

    /// The commission's queue: the figures, then the applications with their time limits and overdue flags.
    func queuePage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.approvers, title: "行政审批办件", refusal: "此页面供卫健委管理人员办理行政审批。") { _, district in
            let filter = request.uri.queryParameters["filter"].map(String.init)
            let all = try await approvals.list(district: district)
            let shown: [Approval]
            do {
                shown = try Self.filter(all, filter)
            } catch let error as HTTPError {
                return Pages.page("行政审批办件", "<p class=\"error\">\(HTML.escape(error.body ?? "筛选条件有误"))</p><p><a href=\"/supervision/approvals\">全部办件</a></p>", status: .badRequest)
            }
            let stats = try await approvals.stats(district: district)
            func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
            var body = "<div class=\"card\" id=\"stats\"><p>办件 <span class=\"count\">\(stats.applications)</span> · 在办 \(stats.open) · "
                + "<span\(stats.overdue > 0 ? " class=\"rag-red\"" : "")>逾期 \(stats.overdue)</span></p><p>按时办结率 <strong id=\"on-time-rate\">\(percent(stats.onTimeRate))</strong>（\(stats.concludedOnTime)/\(stats.concluded)）"
                + " · 平均办结 \(stats.averageDaysToConclusion.map { String(format: "%.1f", $0) } ?? "—") 天</p>"
                + "<p>好评率 <strong id=\"good-rate\">\(percent(stats.goodRate))</strong>（\(stats.goodRatings)/\(stats.ratings)）· 差评 \(stats.poorRatings)，待整改 \(stats.poorAwaitingFollowUp)</p></div>"
            body += "<p id=\"filters\">" + ([("", "全部"), ("submitted", "待受理"), ("accepted", "已受理"), ("returned", "退回补正"), ("overdue", "逾期"), ("poor-rating", "差评")].map { key, label in
                key == (filter ?? "") ? "<strong>\(label)</strong>" : "<a href=\"/supervision/approvals\(key.isEmpty ? "" : "?filter=\(key)")\">\(label)</a>"
            }.joined(separator: " · ")) + "</p>"
            body += "<ul class=\"plain\" id=\"queue\">" + shown.map { item in
                "<li data-approval=\"\(HTML.escape(item.id))\" data-status=\"\(item.status)\"\(item.overdue.map { " data-overdue=\"\($0)\"" } ?? "")>"
                    + "<a href=\"/supervision/approvals/\(HTML.escape(item.id))\">\(HTML.escape(Self.kindName(item.kind, approvals)))</a> · \(Self.statusBadge(item))\(Self.overdueNote(item))"
                    + "<br><span class=\"muted\">\(HTML.escape(Self.holderName(item))) · 提交 \(item.lastSubmittedDay)" + (item.dueDay.map { " · 时限 \($0)" } ?? "")
                    + (item.rating.map { " · 评价 \(Approvals.ratingNames[$0] ?? "")\($0 <= 2 && item.followUp == nil ? "（待整改）" : "")" } ?? "") + "</span></li>"
            }.joined() + (shown.isEmpty ? "<li class=\"muted\">没有办件</li>" : "") + "</ul>"
            return Pages.page("行政审批办件", body)
        }
    }

    /// One application for the commission: what was applied for, the materials, the history and the steps open now.
    func detailPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.approvers, title: "行政审批办件", refusal: "此页面供卫健委管理人员办理行政审批。") { _, district in
            let id = context.parameters.get("id") ?? ""
            let item: Approval
            do {
                item = try await approvals.approval(id, district: district)
            } catch let error as FHIRError where error.status == 404 {
                return Pages.page("行政审批办件", "<p class=\"error\">本区没有该申请。</p><p><a href=\"/supervision/approvals\">返回办件列表</a></p>", status: .notFound)
            }
            let kind = approvals.kinds[item.kind]
            var body = Self.notices(request)
            body += "<div class=\"card\" id=\"approval\" data-status=\"\(item.status)\"><h2>\(HTML.escape(Self.kindName(item.kind, approvals)))</h2>"
            body += "<p>状态：\(Self.statusBadge(item))\(Self.overdueNote(item))</p>"
            body += "<p>申请人 \(HTML.escape(item.applicantName)) · 持证方 \(HTML.escape(Self.holderName(item)))</p>"
            body += "<p>执业范围：\(item.scope.isEmpty ? "—" : item.scope.map { Licences.scopes[$0] ?? $0 }.joined(separator: "、")) · 有效期 \(item.validFrom) 至 \(item.validTo)</p>"
            body += "<p>首次提交 \(item.submittedDay)" + (item.acceptedDay.map { " · 受理 \($0)" } ?? "") + (item.dueDay.map { " · 承诺办结 \($0) 前" } ?? "")
                + (item.concludedDay.map { " · 办结 \($0)\(item.onTime == false ? "（超时）" : "")" } ?? "") + "</p>"
            if let number = item.licenceNumber { body += "<p>证书编号：<strong>\(HTML.escape(number))</strong></p>" }
            if let reason = item.reason { body += "<p>\(item.status == "rejected" ? "不予许可理由" : "补正要求")：\(HTML.escape(reason))</p>" }
            body += "<p>申请材料：</p><ul>" + ((kind?.requiredMaterials ?? []) + item.materials.filter { !(kind?.requiredMaterials ?? []).contains($0) }).map { code in
                "<li>\(item.materials.contains(code) ? "✓" : "✗") \(Approvals.materials[code] ?? HTML.escape(code))</li>"
            }.joined() + "</ul>"
            if let rating = item.rating {
                body += "<p id=\"rating\">评价：\(Approvals.ratingNames[rating] ?? "")" + (item.ratingComment.map { "（\(HTML.escape($0))）" } ?? "") + "</p>"
                if let followUp = item.followUp { body += "<p>整改情况：\(HTML.escape(followUp))</p>" }
            }
            body += Self.history(item) + "</div>"
            func form(_ action: String, _ title: String, _ fields: String, _ button: String) -> String {
                "<form method=\"post\" action=\"/supervision/approvals/\(HTML.escape(item.id))\" class=\"card\" id=\"\(action)-form\">\(Pages.csrfField(context))"
                    + "<input type=\"hidden\" name=\"action\" value=\"\(action)\"><h2>\(title)</h2>\(fields)<button type=\"submit\">\(button)</button></form>"
            }
            switch item.status {
            case "submitted":
                body += form("accept", "受理", "<p class=\"muted\">材料齐全、符合法定形式的，予以受理；自受理之日起 \(kind?.timeLimitDays ?? 20) 个工作日内办结。</p>", "受理")
                body += form("return", "退回补正", "<label>需补正的内容 <textarea name=\"reason\" maxlength=\"500\" required></textarea></label>"
                    + "<fieldset><legend>须补充的材料</legend>" + Self.returnBoxes(kind) + "</fieldset>", "退回补正")
            case "accepted":
                body += form("approve", "准予许可", "<label>核发证书编号 <input type=\"text\" name=\"licenceNumber\" maxlength=\"50\" required></label>", "准予许可")
                body += form("reject", "不予许可", "<label>理由 <textarea name=\"reason\" maxlength=\"500\" required></textarea></label>", "不予许可")
            default:
                if let rating = item.rating, rating <= 2, item.followUp == nil {
                    body += form("follow-up", "差评整改", "<label>整改情况 <textarea name=\"note\" maxlength=\"1000\" required></textarea></label>", "登记整改")
                }
            }
            body += "<p><a href=\"/supervision/approvals\">返回办件列表</a></p><style>textarea{width:100%;min-height:4rem;font-size:1rem}</style>"
            return Pages.page("行政审批办件", body)
        }
    }

    /// The commission's forms on one application; refusals come back as the page's message.
    func approverAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard Self.approvers.contains(principal.role) else { throw HTTPError(.forbidden, message: "此操作供卫健委管理人员使用") }
        let id = context.parameters.get("id") ?? ""
        // Application ids are letters and digits; anything else goes back to the queue.
        let back = !id.isEmpty && id.count <= 64 && id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? "/supervision/approvals/\(id)" : "/supervision/approvals"
        let action = fields["action"] ?? ""
        do {
            if action == "follow-up" {
                _ = try await apiErrors {
                    try await approvals.followUp(id, note: fields["note"] ?? "", district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
                }
            } else {
                _ = try await transition(id, Transition(action: action, reason: fields["reason"], materials: Self.checkedCodes(fields, prefix: "material-"),
                                                        licenceNumber: fields["licenceNumber"]), principal: principal)
            }
            try await access.record(context, principal, action: "update", entity: "supervision/approval/\(id)", patients: [])
            return HTML.redirect(back + "?m=" + Pages.queryEscape("已\(["accept": "受理", "return": "退回补正", "approve": "准予许可", "reject": "不予许可", "follow-up": "登记整改"][action] ?? "办理")"))
        } catch let error as HTTPError where (400..<500).contains(error.status.code) {
            return HTML.redirect(back + "?e=" + Pages.queryEscape(error.body ?? "无法办理"))
        }
    }
}
