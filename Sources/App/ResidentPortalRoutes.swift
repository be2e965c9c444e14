import Access
import FHIR
import Foundation
import Hummingbird
import HTTPTypes
import Messaging
import Registry
import Storage

/// The resident portal's own part (智慧健康门户): sign-in with a one-time SMS code, the portal's home page,
/// "my health record" (the timeline, results against their reference ranges, prescriptions, vaccinations and
/// follow-up plans; a household member's too, with their recorded consent) and the record's download as a
/// FHIR R4 Bundle. The services (online return visits, nursing, payments…) have their own routes.
struct ResidentPortalRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let publicBaseURL: String?

    static let codeCSRFCookie = "weijian_code_csrf"

    func register(on router: Router<Context>) {
        router.get("login/code") { _, _ in codePage(phone: "", sent: false, message: nil, status: .ok) }
        router.post("login/code/send") { request, context in try await sendCodeForm(request, context) }
        router.post("login/code") { request, context in try await codeLogin(request, context) }
        router.get("portal") { _, context in try await home(context) }
        router.get("portal/record") { request, context in try await recordPage(request, context) }
        router.get("portal/record/download") { request, context in try await download(request, context) }
        router.get("portal/family") { request, context in try await familyPage(request, context) }
        router.post("portal/family") { request, context in try await familyChange(request, context) }

        let api = router.group("api/v1")
        // For apps: ask for a code, then exchange it at /auth/token with grant_type=sms_code.
        api.post("auth/sms-code") { request, context -> Response in
            let body = try await request.decode(as: CodeRequest.self, context: context)
            guard let phone = OneTimeCodes.normalisedPhone(body.phone) else { throw HTTPError(.badRequest, message: "请填写11位手机号码") }
            if let wait = try await sendCode(phone: phone, context) {
                throw HTTPError(.tooManyRequests, headers: [.retryAfter: String(wait)], message: "验证码发送过于频繁，请 \(wait) 秒后再试")
            }
            return try Pages.json(["message": "如该手机号已登记居民账号，验证码已发送，5分钟内有效"], status: .accepted)
        }
        api.get("me/record") { request, context -> Response in
            let principal = try context.require(.resident)
            return try await bundleResponse(principal, patient: request.uri.queryParameters["patient"].map(String.init), request, context)
        }
    }

    // MARK: one-time codes

    /// Sends a code to `phone` when exactly one resident's account goes with it (a phone shared by a household
    /// signs in by user name instead). The answer never tells whether the phone is registered: a code is issued
    /// (and never sent) for any phone, so asking again too soon is refused alike. Returns the seconds to wait when
    /// asked too often.
    func sendCode(phone: String, _ context: Context) async throws -> Int? {
        if let wait = await access.codesByAddress.take("code-ip:" + context.clientAddress) { return wait }
        let code: String
        do {
            code = try await access.oneTimeCodes.issue(phone: phone)
        } catch OneTimeCodes.IssueError.tooSoon(let wait) {
            return wait
        }
        guard let account = try await residentAccount(phone: phone) else {
            try await access.audit.append([AuditRecord(by: nil, action: "sms-code", entity: "account", source: context.clientAddress, outcome: "denied", reason: "no single account")])
            return nil
        }
        let message = OutboundMessage(id: RecordID.make("otp"), recipient: account.patient ?? "", channel: "sms", topic: "login-code",
                                      body: "您的卫健登录验证码为 \(code)，5分钟内有效。如非本人操作，请忽略。", createdAt: ISO8601Timestamp.now(), status: "pending", sentAt: nil)
        do {
            try await access.smsSender.send(message, to: phone)
        } catch {
            throw HTTPError(.serviceUnavailable, message: "短信发送失败，请稍后再试或使用用户名和密码登录")
        }
        try await access.audit.append([AuditRecord(by: account.principal, action: "sms-code", entity: "account/\(account.id)", source: context.clientAddress)])
        return nil
    }

    /// The one resident account whose Patient record carries `phone`, if exactly one does.
    func residentAccount(phone: String) async throws -> Account? {
        let store = access.policy.store
        var search = try SearchRequest(type: "Patient", query: [("phone", phone)], definitions: store.definitions, strict: true)
        search.count = 10
        let patients = try await store.search(search).matches.map(\.id)
        let accounts = try await access.accounts.residentAccounts(patients: patients)
        guard accounts.count == 1, let account = accounts.first, !account.disabled else { return nil }
        return account
    }

    /// Signs in with a phone and its code; nil (and an audit entry) when the code is wrong, used or expired.
    func signIn(phone: String, code: String, _ context: Context) async throws -> Account? {
        guard try await access.oneTimeCodes.verify(phone: phone, code: code), let account = try await residentAccount(phone: phone) else {
            try await access.audit.append([AuditRecord(by: nil, action: "login-failed", entity: "account", source: context.clientAddress, outcome: "denied", reason: "sms-code")])
            return nil
        }
        return account
    }

    func codePage(phone: String, sent: Bool, message: String?, status: HTTPResponse.Status, retryAfter: Int? = nil) -> Response {
        let csrf = AccessRoutes.randomToken()
        let cookie = Cookie(name: Self.codeCSRFCookie, value: csrf, maxAge: 1800, path: "/login", secure: access.secureCookies, httpOnly: true, sameSite: .strict)
        var headers: HTTPFields = [.setCookie: cookie.description]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        var body = message.map { "<p class=\"\(status == .ok ? "ok" : "error")\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        body += """
        <form class="card" method="post" action="/login/code/send">
        <input type="hidden" name="csrf" value="\(csrf)">
        <label>手机号码 <input name="phone" type="tel" inputmode="numeric" autocomplete="tel" required value="\(HTML.escape(phone))"></label>
        <button type="submit">\(sent ? "重新获取验证码" : "获取验证码")</button>
        </form>
        """
        if sent {
            body += """
            <form class="card" method="post" action="/login/code">
            <input type="hidden" name="csrf" value="\(csrf)"><input type="hidden" name="phone" value="\(HTML.escape(phone))">
            <label>短信验证码 <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required></label>
            <button type="submit">登录</button>
            </form>
            """
        }
        body += "<p>验证码5分钟内有效，输错5次后失效。家庭成员共用一个手机号的，请<a href=\"/login\">使用用户名和密码登录</a>。</p>"
        return HTML.response(HTML.page(title: "短信验证码登录", body: body), status: status, headers: headers)
    }

    func checkedCodeForm(_ request: Request) async throws -> [String: String]? {
        let fields = try await AccessRoutes.form(request)
        guard AccessRoutes.same(fields["csrf"] ?? "", request.cookies[Self.codeCSRFCookie]?.value ?? "") else { return nil }
        return fields
    }

    func sendCodeForm(_ request: Request, _ context: Context) async throws -> Response {
        guard let fields = try await checkedCodeForm(request) else { return codePage(phone: "", sent: false, message: "页面已过期，请重新获取验证码", status: .forbidden) }
        let typed = (fields["phone"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let phone = OneTimeCodes.normalisedPhone(typed) else {
            return codePage(phone: typed, sent: false, message: "请填写11位手机号码", status: .badRequest)
        }
        if let wait = try await sendCode(phone: phone, context) {
            return codePage(phone: phone, sent: true, message: "验证码发送过于频繁，请 \(wait) 秒后再试", status: .tooManyRequests, retryAfter: wait)
        }
        return codePage(phone: phone, sent: true, message: "如该手机号已登记居民账号，验证码已发送，5分钟内有效", status: .ok)
    }

    func codeLogin(_ request: Request, _ context: Context) async throws -> Response {
        guard let fields = try await checkedCodeForm(request) else { return codePage(phone: "", sent: false, message: "页面已过期，请重新获取验证码", status: .forbidden) }
        guard let phone = OneTimeCodes.normalisedPhone(fields["phone"] ?? "") else {
            return codePage(phone: "", sent: false, message: "请填写11位手机号码", status: .badRequest)
        }
        if let wait = await RateLimiter.wait((access.loginByAddress, "ip:" + context.clientAddress), (access.loginByUser, "phone:" + phone)) {
            return codePage(phone: phone, sent: true, message: "尝试过于频繁，请 \(wait) 秒后再试", status: .tooManyRequests, retryAfter: wait)
        }
        guard let account = try await signIn(phone: phone, code: fields["code"] ?? "", context) else {
            return codePage(phone: phone, sent: true, message: "验证码错误或已失效，请重新获取", status: .unauthorized)
        }
        context.sessions.createSession(WebSession(account: account.id, csrf: AccessRoutes.randomToken()), expiresIn: AccessRoutes.sessionLifetime)
        try await access.audit.append([AuditRecord(by: account.principal, action: "login", entity: "account/\(account.id)", source: context.clientAddress, reason: "sms-code")])
        let expired = Cookie(name: Self.codeCSRFCookie, value: "", maxAge: 0, path: "/login", secure: access.secureCookies, httpOnly: true, sameSite: .strict)
        return HTML.redirect("/portal", headers: [.setCookie: expired.description])
    }

    // MARK: pages

    /// The resident's own page, or a 403 page for anyone else (nil when the principal is a resident).
    func residentOnly(_ context: Context, _ title: String) -> (Principal?, Response?) {
        guard let principal = context.principal else { return (nil, HTML.redirect("/login")) }
        guard principal.role == .resident, principal.patient != nil else {
            return (nil, Pages.page(title, "<p class=\"error\">此页面供居民本人使用。</p>", status: .forbidden))
        }
        return (principal, nil)
    }

    static let services: [(String, String, String)] = [
        ("/portal/record", "我的健康档案", "就诊、检查检验、用药、疫苗接种、随访计划"),
        ("/referral/book", "预约挂号", "分时段预约，转诊居民优先"),
        ("/contracting", "签约家庭医生", "在线签约、续约、评价"),
        ("/portal/vaccination", "预约接种", "本人及授权家人的免疫规划疫苗"),
        ("/portal/visits", "在线复诊", "复诊开方，处方经前置审核"),
        ("/portal/nursing", "互联网+护理服务", "上门换药、导管维护等"),
        ("/portal/sickbed", "家庭病床", "申请建床"),
        ("/portal/hospice", "安宁疗护", "评估申请"),
        ("/portal/payments", "缴费记录", "诊间结算"),
        ("/portal/education", "健康教育", "为您推荐的健康知识"),
        ("/portal/family", "家庭成员", "授权家人查看档案"),
        ("/me/access-log", "谁查看了我的健康档案", "查阅人、时间、目的"),
    ]

    func home(_ context: Context) async throws -> Response {
        let (found, refusal) = residentOnly(context, "智慧健康门户")
        guard let principal = found else { return refusal ?? HTML.redirect("/login") }
        var body = "<p>\(HTML.escape(principal.displayName))，您好。</p><ul class=\"plain portal-menu\">"
        for (href, label, hint) in Self.services {
            body += "<li><a href=\"\(href)\">\(label)</a><br><span class=\"muted\">\(hint)</span></li>"
        }
        body += "</ul>"
        body += "<form method=\"post\" action=\"/logout\">\(Pages.csrfField(context))<button type=\"submit\">退出登录</button></form>"
        return Pages.page("智慧健康门户", body)
    }

    /// The Patient whose record is asked for: the resident's own, or a household member's who consented.
    func subject(_ principal: Principal, asked: String?) async throws -> String? {
        guard let own = principal.patient else { return nil }
        guard let asked, !asked.isEmpty, asked != own else { return own }
        guard FHIRID.isValid(asked), try await access.policy.relationship(principal, patient: asked) != nil else { return nil }
        return asked
    }

    func recordPage(_ request: Request, _ context: Context) async throws -> Response {
        let (found, refusal) = residentOnly(context, "我的健康档案")
        guard let principal = found else { return refusal ?? HTML.redirect("/login") }
        let asked = request.uri.queryParameters["patient"].map(String.init)
        guard let patient = try await subject(principal, asked: asked) else {
            try await access.record(context, principal, action: "read", entity: "portal/record", patients: [asked ?? ""])
            return Pages.page("健康档案", "<p class=\"error\">没有该家庭成员的授权，或档案不存在。</p>", status: .notFound)
        }
        let record = try await HealthRecord.gather(patient: patient, store: access.policy.store)
        try await access.record(context, principal, action: "read", entity: "portal/record", patients: [patient])
        var body = "<p><strong>\(HTML.escape(Pages.displayName(record.patient)))</strong>"
        body += " <span class=\"muted\">\(record.patient?["gender"]?.stringValue == "male" ? "男" : "女") · \(HTML.escape(record.patient?["birthDate"]?.stringValue ?? ""))</span></p>"
        let query = patient == principal.patient ? "" : "?patient=\(Pages.queryEscape(patient))"
        body += "<p><a href=\"/portal/record/download\(query)\" id=\"download\">下载完整健康档案（FHIR R4）</a></p>"
        body += section("检查检验结果", id: "results", record.results.map { line(Self.dateOf($0), Self.resultLine($0)) })
        body += section("用药与处方", id: "prescriptions", record.of("MedicationRequest").map { line(Self.dateOf($0), ContractingRoutes.summary($0) + Self.dosage($0)) })
        body += section("疫苗接种", id: "vaccinations", record.of("Immunization").map { line(Self.dateOf($0), ContractingRoutes.summary($0) + ($0["lotNumber"]?.stringValue.map { "（批号 \($0)）" } ?? "")) })
        body += section("随访与预约", id: "plans", record.plans.map { line(Self.dateOf($0), Self.planSummary($0)) })
        body += section("就诊记录", id: "encounters", record.timeline.map { line(Self.dateOf($0), Self.timelineLabel($0) + " " + ContractingRoutes.summary($0)) })
        body += "<p><a href=\"/portal\">返回门户首页</a></p>"
        return Pages.page("我的健康档案", body)
    }

    func section(_ title: String, id: String, _ lines: [String]) -> String {
        "<section class=\"card\" id=\"\(id)\"><h2>\(title)</h2><ul class=\"plain\">\(lines.isEmpty ? "<li class=\"muted\">暂无记录</li>" : lines.joined())</ul></section>"
    }

    func line(_ date: String, _ text: String) -> String {
        "<li><span class=\"muted\">\(HTML.escape(String(date.prefix(10))))</span> \(HTML.escape(text))</li>"
    }

    static func dateOf(_ resource: JSONValue) -> String { ContractingRoutes.date(resource) ?? "" }

    /// Adult reference ranges for common results recorded without one (LOINC code → low, high): blood pressure
    /// by the Chinese hypertension guideline (2018), fasting glucose and HbA1c by the Chinese diabetes guideline (2020).
    static let usualRanges: [String: (Double, Double)] = [
        "8480-6": (90, 139), "8462-4": (60, 89), "1558-6": (3.9, 6.1), "4548-4": (4.0, 6.0),
    ]

    static func usualRange(_ concept: JSONValue?) -> [JSONValue] {
        guard let code = concept?["coding"]?.arrayValue?.first(where: { $0["system"]?.stringValue == "http://loinc.org" })?["code"]?.stringValue,
              let (low, high) = usualRanges[code] else { return [] }
        return [.object(["low": .object(["value": .decimal(low)]), "high": .object(["value": .decimal(high)])])]
    }

    /// A result with its reference range and whether it is out of it: `空腹血糖：7.8mmol/L（参考 3.9–6.1） 偏高`. A result
    /// recorded without a range is judged against the usual adult range of its LOINC code, if it has one.
    static func resultLine(_ observation: JSONValue) -> String {
        let name = observation["code"]?["text"]?.stringValue ?? observation["code"]?["coding"]?.arrayValue?.first?["display"]?.stringValue ?? "检查"
        var parts: [String] = []
        var flagged = false
        func describe(_ label: String?, _ quantity: JSONValue?, _ ranges: [JSONValue]) {
            guard let quantity, let value = quantity["value"]?.doubleValue else { return }
            var text = (label.map { $0 + " " } ?? "") + (quantity["value"]?.serialized() ?? "") + (quantity["unit"]?.stringValue ?? "")
            if let range = ranges.first {
                let low = range["low"]?["value"]?.doubleValue, high = range["high"]?["value"]?.doubleValue
                text += "（参考 \(range["low"]?["value"]?.serialized() ?? "")–\(range["high"]?["value"]?.serialized() ?? "")）"
                if let low, value < low { text += " 偏低"; flagged = true }
                if let high, value > high { text += " 偏高"; flagged = true }
            }
            parts.append(text)
        }
        describe(nil, observation["valueQuantity"], observation["referenceRange"]?.arrayValue ?? usualRange(observation["code"]))
        for component in observation["component"]?.arrayValue ?? [] {
            let label = component["code"]?["text"]?.stringValue ?? component["code"]?["coding"]?.arrayValue?.first?["display"]?.stringValue
            describe(label, component["valueQuantity"], component["referenceRange"]?.arrayValue ?? usualRange(component["code"]))
        }
        if parts.isEmpty, let text = observation["valueString"]?.stringValue ?? observation["valueCodeableConcept"]?["text"]?.stringValue { parts.append(text) }
        return name + "：" + parts.joined(separator: "，") + (flagged ? " ⚠" : "")
    }

    static func dosage(_ request: JSONValue) -> String {
        guard let text = request["dosageInstruction"]?.arrayValue?.first?["text"]?.stringValue else { return "" }
        return "（\(text)）"
    }

    static func planSummary(_ resource: JSONValue) -> String {
        let type = resource["resourceType"]?.stringValue ?? ""
        if type == "Appointment" {
            let status = ["booked": "已预约", "fulfilled": "已就诊", "cancelled": "已取消", "noshow": "未到诊"][resource["status"]?.stringValue ?? ""] ?? ""
            return "预约：" + (resource["description"]?.stringValue ?? resource["serviceType"]?.arrayValue?.first?["text"]?.stringValue ?? "门诊") + " " + (resource["start"]?.stringValue ?? "") + " " + status
        }
        let title = resource["title"]?.stringValue ?? resource["description"]?.stringValue ?? "计划"
        let activities = (resource["activity"]?.arrayValue ?? []).compactMap { $0["detail"]?["description"]?.stringValue ?? $0["detail"]?["code"]?["text"]?.stringValue }
        return title + (activities.isEmpty ? "" : "：" + activities.joined(separator: "；"))
    }

    static func timelineLabel(_ resource: JSONValue) -> String {
        ["Encounter": "就诊", "Condition": "诊断", "DiagnosticReport": "报告", "Procedure": "处置", "ClinicalImpression": "会诊", "ImagingStudy": "影像",
         "EpisodeOfCare": "签约"][resource["resourceType"]?.stringValue ?? ""] ?? ""
    }

    // MARK: download

    func download(_ request: Request, _ context: Context) async throws -> Response {
        let (found, refusal) = residentOnly(context, "下载健康档案")
        guard let principal = found else { return refusal ?? HTML.redirect("/login") }
        return try await bundleResponse(principal, patient: request.uri.queryParameters["patient"].map(String.init), request, context)
    }

    /// The whole record as a FHIR R4 Bundle (`collection`): the Patient and every resource of theirs.
    func bundleResponse(_ principal: Principal, patient asked: String?, _ request: Request, _ context: Context) async throws -> Response {
        guard let patient = try await subject(principal, asked: asked) else {
            try await access.record(context, principal, action: "export", entity: "portal/record", patients: [asked ?? ""])
            throw HTTPError(.notFound, message: "没有该家庭成员的授权，或档案不存在")
        }
        let base = publicBaseURL.map { $0 + "/fhir/r4" } ?? "http://\(request.head.authority ?? "localhost")/fhir/r4"
        let bundle = try await HealthRecord.bundle(patient: patient, store: access.policy.store, base: base)
        try await access.record(context, principal, action: "export", entity: "portal/record", patients: [patient])
        return Response(status: .ok, headers: [.contentType: "application/fhir+json; charset=utf-8", .cacheControl: "no-store",
                                               .contentDisposition: "attachment; filename=\"health-record-\(patient).json\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: bundle.serialized())))
    }

    // MARK: household

    func familyPage(_ request: Request, _ context: Context) async throws -> Response {
        let (found, refusal) = residentOnly(context, "家庭成员")
        guard let principal = found, let own = principal.patient else { return refusal ?? HTML.redirect("/login") }
        let store = access.policy.store
        var body = request.uri.queryParameters["m"].map { "<p class=\"ok\" id=\"saved\">\(HTML.escape(String($0)))</p>" } ?? ""
        body += "<section class=\"card\" id=\"granted-to-me\"><h2>可查看的家人档案</h2><ul class=\"plain\">"
        let grantors = try await access.consents.grantors(for: own)
        for grantor in grantors {
            let name = try await store.read(type: "Patient", id: grantor).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }.map(Pages.displayName) ?? grantor
            body += "<li>\(HTML.escape(name)) <a href=\"/portal/record?patient=\(Pages.queryEscape(grantor))\">查看档案</a></li>"
        }
        body += grantors.isEmpty ? "<li class=\"muted\">暂无家人授权您查看其档案</li>" : ""
        body += "</ul></section>"
        body += "<section class=\"card\" id=\"my-consents\"><h2>我授权的家人</h2><ul class=\"plain\">"
        let members = try await householdMembers(of: own)
        for (member, name) in members {
            let granted = try await access.consents.allows(grantor: own, grantee: member)
            body += "<li>\(HTML.escape(Pages.maskedName(name))) <form class=\"inline\" method=\"post\" action=\"/portal/family\">\(Pages.csrfField(context))"
            body += "<input type=\"hidden\" name=\"member\" value=\"\(HTML.escape(member))\"><input type=\"hidden\" name=\"grant\" value=\"\(granted ? "0" : "1")\">"
            body += "<button type=\"submit\">\(granted ? "撤回授权" : "授权查看我的档案")</button></form></li>"
        }
        body += members.isEmpty ? "<li class=\"muted\">档案中没有同户的家庭成员</li>" : ""
        body += "</ul></section><p><a href=\"/portal\">返回门户首页</a></p>"
        try await access.record(context, principal, action: "read", entity: "portal/family", patients: [own])
        return Pages.page("家庭成员", body)
    }

    /// The other Patients of the resident's household (户), by id, with their names.
    func householdMembers(of own: String) async throws -> [(String, String)] {
        let store = access.policy.store
        guard let stored = try await store.read(type: "Patient", id: own), let patient = try? JSONValue.parse(Data(stored.content.utf8)),
              let household = PatientExtensions.household(of: patient) else { return [] }
        return try await HealthRecord.household(household, store: store).filter { $0.0 != own }
    }

    func familyChange(_ request: Request, _ context: Context) async throws -> Response {
        let (found, refusal) = residentOnly(context, "家庭成员")
        guard let principal = found, let own = principal.patient else { return refusal ?? HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        let member = fields["member"] ?? ""
        guard try await householdMembers(of: own).contains(where: { $0.0 == member }) else {
            return Pages.page("家庭成员", "<p class=\"error\">只能授权同一家庭（户）的成员查看。</p><p><a href=\"/portal/family\">返回</a></p>", status: .badRequest)
        }
        if fields["grant"] == "1" {
            try await access.consents.grant(grantor: own, grantee: member)
            try await access.record(context, principal, action: "consent", entity: "Patient/\(member)", patients: [own])
            return HTML.redirect("/portal/family?m=" + Pages.queryEscape("已授权"))
        }
        try await access.consents.revoke(grantor: own, grantee: member)
        try await access.record(context, principal, action: "consent-revoke", entity: "Patient/\(member)", patients: [own])
        return HTML.redirect("/portal/family?m=" + Pages.queryEscape("已撤回授权"))
    }
}

struct CodeRequest: Decodable { var phone: String }
