import Access
import Crypto
import FHIR
import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes
import Storage
import NIOCore
import Registry

/// Sign-in and sign-out (web sessions with CSRF tokens), the token endpoint (password and client
/// credentials), the signed-in person's own pages and API, and the three administrators' APIs.
struct AccessRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices

    static let loginCSRFCookie = "weijian_login_csrf"
    static let sessionLifetime: Duration = .seconds(8 * 3600)

    /// Parses an `application/x-www-form-urlencoded` body (the last value of a repeated name).
    static func form(_ request: Request, limit: Int = 64 * 1024) async throws -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in try await formValues(request, limit: limit) { fields[name] = value }
        return fields
    }

    /// Every name and value of an `application/x-www-form-urlencoded` body, in order (checkboxes repeat a name).
    static func formValues(_ request: Request, limit: Int = 64 * 1024) async throws -> [(String, String)] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "表单过大")
        }
        return FHIRService.parseQuery(String(buffer: buffer))
    }

    static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Constant-time comparison of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    func audit(_ context: Context, action: String, entity: String, outcome: String = "allowed", reason: String = "", actor: Principal? = nil) async throws {
        try await access.audit.append([AuditRecord(by: actor ?? context.principal, action: action, entity: entity, source: context.clientAddress, outcome: outcome, reason: reason)])
    }

    func register(on router: Router<Context>) {
        router.get("login") { request, context in loginPage(message: nil, status: .ok) }
        router.post("login") { request, context in try await login(request, context: context) }
        router.post("logout") { request, context in
            let fields = try await Self.form(request)
            if let session = context.sessions.session {
                guard Self.same(fields["csrf"] ?? "", session.csrf) else { throw HTTPError(.forbidden, message: "表单已过期，请刷新页面后重试") }
                try await audit(context, action: "logout", entity: "account/\(session.account)")
            }
            context.sessions.clearSession()
            return HTML.redirect("/login")
        }
        router.post("auth/token") { request, context in try await token(request, context: context) }
        router.get("me") { _, context in try await mePage(context) }
        router.get("me/access-log") { _, context in try await accessLogPage(context) }

        let api = router.group("api/v1")
        api.get("me") { _, context -> MeView in
            let principal = try context.requirePrincipal()
            return MeView(principal)
        }
        api.get("me/access-log") { request, context -> [AccessView] in
            let principal = try context.require(.resident)
            return try await accessLog(principal, before: request.uri.queryParameters["before"].flatMap { Int64(String($0)) })
        }
        api.get("me/consents") { _, context -> [String] in
            let principal = try context.require(.resident)
            return try await access.consents.grantors(for: principal.patient ?? "")
        }
        api.post("me/consents") { request, context -> Response in
            let principal = try context.require(.resident)
            let body = try await request.decode(as: ConsentRequest.self, context: context)
            try await grantConsent(principal, grantee: body.grantee)
            try await audit(context, action: "consent", entity: "Patient/\(body.grantee)")
            return Response(status: .created)
        }
        api.delete("me/consents/:grantee") { _, context -> Response in
            let principal = try context.require(.resident)
            let grantee = try context.parameters.require("grantee")
            try await access.consents.revoke(grantor: principal.patient ?? "", grantee: grantee)
            try await audit(context, action: "consent-revoke", entity: "Patient/\(grantee)")
            return Response(status: .noContent)
        }

        // 系统管理员: accounts and registered systems.
        api.get("admin/accounts") { _, context -> [AccountView] in
            _ = try context.require(.systemAdministrator)
            return try await access.accounts.all().map(AccountView.init)
        }
        api.post("admin/accounts") { request, context -> EditedResponse<AccountView> in
            _ = try context.require(.systemAdministrator)
            let body = try await request.decode(as: NewAccountRequest.self, context: context)
            guard let role = Role(rawValue: body.role) else {
                throw HTTPError(.badRequest, message: "未知角色 \(body.role)；可选：\(Role.allCases.filter { $0 != .systemClient }.map(\.rawValue).joined(separator: ", "))")
            }
            guard role != .systemClient else { throw HTTPError(.badRequest, message: "接入系统请通过 /api/v1/admin/clients 登记") }
            let account = try await accountErrors {
                try await access.accounts.create(NewAccount(username: body.username, displayName: body.displayName, role: role, password: body.password,
                                                            institution: body.institution, district: body.district, practitioner: body.practitioner, patient: body.patient))
            }
            try await audit(context, action: "admin", entity: "account/\(account.id)", reason: "create \(role.rawValue)")
            return EditedResponse(status: .created, response: AccountView(account))
        }
        for (path, disabled) in [("admin/accounts/:id/disable", true), ("admin/accounts/:id/enable", false)] {
            api.post(RouterPath(path)) { _, context -> Response in
                _ = try context.require(.systemAdministrator)
                let id = try context.parameters.require("id")
                try await accountErrors { try await access.accounts.setDisabled(id: id, disabled) }
                try await audit(context, action: "admin", entity: "account/\(id)", reason: disabled ? "disable" : "enable")
                return Response(status: .noContent)
            }
        }
        api.post("admin/clients") { request, context -> EditedResponse<ClientSecretView> in
            _ = try context.require(.systemAdministrator)
            let body = try await request.decode(as: NewClientRequest.self, context: context)
            let (scopes, unknown) = ScopeSet.parse(body.scopes)
            guard unknown.isEmpty else { throw HTTPError(.badRequest, message: "无法识别的权限范围：\(unknown.joined(separator: " "))") }
            let secret = try await accountErrors {
                try await access.tokens.registerClient(clientID: body.clientId, name: body.name, institution: body.institution, district: body.district, scopes: scopes)
            }
            try await audit(context, action: "admin", entity: "client/\(body.clientId)", reason: "register \(scopes.text)")
            return EditedResponse(status: .created, response: ClientSecretView(clientId: body.clientId, clientSecret: secret))
        }

        // 安全管理员: lockouts and break-glass review.
        api.post("security/accounts/:id/unlock") { _, context -> Response in
            _ = try context.require(.securityAdministrator)
            let id = try context.parameters.require("id")
            try await accountErrors { try await access.accounts.unlock(id: id) }
            try await audit(context, action: "admin", entity: "account/\(id)", reason: "unlock")
            return Response(status: .noContent)
        }
        api.get("security/break-glass") { request, context -> [AccessView] in
            _ = try context.require(.securityAdministrator)
            let entries = try await access.audit.entries(breakGlassOnly: true, limit: 200, before: request.uri.queryParameters["before"].flatMap { Int64(String($0)) })
            try await audit(context, action: "search", entity: "audit?break_glass")
            return try await views(entries, showPatient: true)
        }
        api.post("security/break-glass/:seq/review") { request, context -> Response in
            let principal = try context.require(.securityAdministrator)
            guard let seq = context.parameters.get("seq", as: Int64.self) else { throw HTTPError(.badRequest, message: "seq 须为数字") }
            let body = try await request.decode(as: ReviewRequest.self, context: context)
            guard ["justified", "unjustified"].contains(body.verdict) else { throw HTTPError(.badRequest, message: "verdict 须为 justified 或 unjustified") }
            guard let entry = try await access.audit.entry(seq: seq), entry.record.breakGlass else { throw HTTPError(.notFound, message: "没有该紧急访问记录") }
            try await access.audit.database.write { sql in
                if try await sql.raw("SELECT seq FROM audit_review WHERE seq = \(bind: seq)").first() != nil {
                    throw HTTPError(.conflict, message: "该记录已复核")
                }
                try await sql.raw("""
                    INSERT INTO audit_review (seq, reviewer, verdict, note, reviewed_at)
                    VALUES (\(bind: seq), \(bind: principal.subject), \(bind: body.verdict), \(bind: body.note ?? ""), \(bind: ISO8601Timestamp.now()))
                    """).run()
            }
            try await audit(context, action: "review", entity: "audit/\(seq)", reason: body.verdict)
            return Response(status: .noContent)
        }

        // 卫健委管理人员: de-identified rows for analysis and research (rules in docs/access.md).
        api.get("research/:type") { _, context -> Response in
            _ = try context.require(.commissionManager)
            let name = try context.parameters.require("type")
            let type = name.hasSuffix(".ndjson") ? String(name.dropLast(7)) : name
            guard FHIRDefinitions.supportedTypes.contains(type), PatientCompartment.isPersonal(type) else {
                throw HTTPError(.notFound, message: "没有可导出的资源类型 \(type)")
            }
            let deidentifier = access.deidentifier
            let store = access.policy.store
            // Recorded before the first byte leaves; the rows are streamed a page at a time, never held whole.
            try await audit(context, action: "export", entity: "\(type) (de-identified)")
            return Response(
                status: .ok, headers: [.contentType: "application/fhir+ndjson; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    _ = try await BulkData(store: store).exportNDJSON(type: type, transform: { text in
                        deidentifier.deidentify(try JSONValue.parse(Data(text.utf8))).serialized()
                    }) { try await writer.write(ByteBuffer(string: $0)) }
                    try await writer.finish(nil)
                })
        }

        // 审计管理员: the chain's integrity.
        api.get("audit/verify") { _, context -> VerificationView in
            _ = try context.require(.auditAdministrator)
            let started = ContinuousClock.now
            let result = try await access.audit.verify()
            let elapsed = ContinuousClock.now - started
            try await audit(context, action: "verify", entity: "audit", outcome: result.intact ? "allowed" : "failed")
            return VerificationView(intact: result.intact, checked: result.checked, firstBroken: result.firstBroken, problem: result.problem,
                                    headHash: result.headHash, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }

    func accountErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AccountError {
            throw HTTPError(HTTPResponse.Status(code: error.status), message: error.description)
        }
    }

    // MARK: sign-in

    func loginPage(message: String?, status: HTTPResponse.Status, username: String = "", retryAfter: Int? = nil) -> Response {
        let csrf = Self.randomToken()
        let cookie = Cookie(name: Self.loginCSRFCookie, value: csrf, maxAge: 1800, path: "/login", secure: access.secureCookies, httpOnly: true, sameSite: .strict)
        var headers: HTTPFields = [.setCookie: cookie.description]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let error = message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let body = """
        \(error)
        <form class="card" method="post" action="/login">
        <input type="hidden" name="csrf" value="\(csrf)">
        <label>用户名或手机号 <input name="username" autocomplete="username" required value="\(HTML.escape(username))"></label>
        <label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">登录</button>
        </form>
        <p><a href="/login/code">居民短信验证码登录</a></p>
        <p>连续输错密码将逐步延长等待时间，10次后账号锁定15分钟，可联系安全管理员解锁。</p>
        """
        return HTML.response(HTML.page(title: "登录", body: body), status: status, headers: headers)
    }

    /// The login name to check a password against: a resident may type the phone number on their record
    /// instead of a user name (when exactly one resident's account goes with it and no user name is that number).
    func loginName(_ typed: String) async throws -> String {
        guard let phone = OneTimeCodes.normalisedPhone(typed), try await access.accounts.account(username: typed) == nil,
              let account = try await ResidentPortalRoutes(access: access, publicBaseURL: nil).residentAccount(phone: phone) else { return typed }
        return account.username
    }

    func login(_ request: Request, context: Context) async throws -> Response {
        let fields = try await Self.form(request)
        let username = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let cookieToken = request.cookies[Self.loginCSRFCookie]?.value ?? ""
        guard Self.same(fields["csrf"] ?? "", cookieToken) else {
            return loginPage(message: "页面已过期，请重新登录", status: .forbidden, username: username)
        }
        if let wait = await RateLimiter.wait((access.loginByAddress, "ip:" + context.clientAddress), (access.loginByUser, "user:" + username.lowercased())) {
            return loginPage(message: "尝试过于频繁，请 \(wait) 秒后再试", status: .tooManyRequests, username: username, retryAfter: wait)
        }
        let outcome = try await access.accounts.login(username: try await loginName(username), password: fields["password"] ?? "")
        switch outcome {
        case .success(let account):
            context.sessions.createSession(WebSession(account: account.id, csrf: Self.randomToken()), expiresIn: Self.sessionLifetime)
            try await audit(context, action: "login", entity: "account/\(account.id)", actor: account.principal)
            let expired = Cookie(name: Self.loginCSRFCookie, value: "", maxAge: 0, path: "/login", secure: access.secureCookies, httpOnly: true, sameSite: .strict)
            return HTML.redirect(account.role == .resident ? "/portal" : "/me", headers: [.setCookie: expired.description])
        case .invalid:
            try await audit(context, action: "login-failed", entity: "account", outcome: "denied")
            return loginPage(message: "用户名或密码错误", status: .unauthorized, username: username)
        case .throttled(let wait):
            try await audit(context, action: "login-failed", entity: "account", outcome: "denied", reason: "throttled")
            return loginPage(message: "密码错误次数较多，请 \(wait) 秒后再试", status: .tooManyRequests, username: username, retryAfter: wait)
        case .locked(let wait):
            try await audit(context, action: "login-failed", entity: "account", outcome: "denied", reason: "locked")
            return loginPage(message: "账号已锁定，请 \(max(1, wait / 60)) 分钟后再试，或联系安全管理员解锁", status: HTTPResponse.Status(code: 423, reasonPhrase: "Locked"), username: username, retryAfter: wait)
        case .disabled:
            try await audit(context, action: "login-failed", entity: "account", outcome: "denied", reason: "disabled")
            return loginPage(message: "账号已停用，请联系系统管理员", status: .forbidden, username: username)
        }
    }

    // MARK: tokens

    struct TokenView: ResponseEncodable {
        var access_token: String
        var token_type = "Bearer"
        var expires_in: Int
        var scope: String
    }

    func oauthError(_ status: HTTPResponse.Status, _ code: String, _ description: String, retryAfter: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"weijian\"" }
        let body = try? JSONSerialization.data(withJSONObject: ["error": code, "error_description": description])
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body ?? Data())))
    }

    /// A token response, never cached (RFC 6749 §5.1).
    func tokenResponse(_ view: TokenView, _ request: Request, _ context: Context) throws -> Response {
        var response = try view.response(from: request, context: context)
        response.headers[.cacheControl] = "no-store"
        response.headers[.init("Pragma")!] = "no-cache"
        return response
    }

    func token(_ request: Request, context: Context) async throws -> Response {
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return oauthError(.badRequest, "invalid_request", "请以 application/x-www-form-urlencoded 提交 grant_type 等参数")
        }
        var fields = try await Self.form(request)
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }) {
            let parts = decoded.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields["client_id"] = parts[0].removingPercentEncoding; fields["client_secret"] = parts[1].removingPercentEncoding }
        }
        let (requested, unknown) = ScopeSet.parse(fields["scope"] ?? "")
        guard unknown.isEmpty else { return oauthError(.badRequest, "invalid_scope", "无法识别的权限范围：\(unknown.joined(separator: " "))") }
        let lifetime = Int(access.tokens.lifetime.components.seconds)
        switch fields["grant_type"] ?? "" {
        case "password":
            let username = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces)
            if let wait = await RateLimiter.wait((access.loginByAddress, "ip:" + context.clientAddress), (access.loginByUser, "user:" + username.lowercased())) {
                return oauthError(.tooManyRequests, "slow_down", "尝试过于频繁，请 \(wait) 秒后再试", retryAfter: wait)
            }
            switch try await access.accounts.login(username: try await loginName(username), password: fields["password"] ?? "") {
            case .success(let account):
                var principal = account.principal
                let allowedContext: Scope.Context = account.role == .resident ? .patient : .user
                let scopes = requested.scopes.isEmpty ? ScopeSet([Scope(context: allowedContext, resourceType: "*", read: true, write: account.role != .resident)]) : requested
                guard scopes.scopes.allSatisfy({ $0.context == allowedContext }) else {
                    return oauthError(.badRequest, "invalid_scope", "\(account.role.label)只能申请 \(allowedContext.rawValue)/… 权限范围")
                }
                principal.scopes = scopes
                try await audit(context, action: "token", entity: "account/\(account.id)", actor: principal)
                return try await tokenResponse(TokenView(access_token: access.tokens.issue(for: principal), expires_in: lifetime, scope: scopes.text), request, context)
            case .throttled(let wait), .locked(let wait):
                try await audit(context, action: "login-failed", entity: "account", outcome: "denied", reason: "token; locked or throttled")
                return oauthError(.tooManyRequests, "invalid_grant", "密码错误次数过多，请 \(wait) 秒后再试", retryAfter: wait)
            case .invalid, .disabled:
                try await audit(context, action: "login-failed", entity: "account", outcome: "denied", reason: "token")
                return oauthError(.badRequest, "invalid_grant", "用户名或密码错误")
            }
        case "sms_code":
            let portal = ResidentPortalRoutes(access: access, publicBaseURL: nil)
            guard let phone = OneTimeCodes.normalisedPhone(fields["phone"] ?? "") else { return oauthError(.badRequest, "invalid_request", "请填写11位手机号码（phone）") }
            if let wait = await RateLimiter.wait((access.loginByAddress, "ip:" + context.clientAddress), (access.loginByUser, "phone:" + phone)) {
                return oauthError(.tooManyRequests, "slow_down", "尝试过于频繁，请 \(wait) 秒后再试", retryAfter: wait)
            }
            guard let account = try await portal.signIn(phone: phone, code: fields["code"] ?? "", context) else {
                return oauthError(.badRequest, "invalid_grant", "验证码错误或已失效，请重新获取")
            }
            guard requested.scopes.allSatisfy({ $0.context == .patient }) else { return oauthError(.badRequest, "invalid_scope", "居民只能申请 patient/… 权限范围") }
            var principal = account.principal
            let scopes = requested.scopes.isEmpty ? ScopeSet([Scope(context: .patient, resourceType: "*", read: true, write: false)]) : requested
            principal.scopes = scopes
            try await audit(context, action: "token", entity: "account/\(account.id)", reason: "sms-code", actor: principal)
            return try await tokenResponse(TokenView(access_token: access.tokens.issue(for: principal), expires_in: lifetime, scope: scopes.text), request, context)
        case "client_credentials":
            let clientID = fields["client_id"] ?? ""
            if let wait = await access.loginByAddress.take("ip:" + context.clientAddress) {
                return oauthError(.tooManyRequests, "slow_down", "尝试过于频繁，请 \(wait) 秒后再试", retryAfter: wait)
            }
            guard let client = try await access.tokens.authenticateClient(clientID: clientID, secret: fields["client_secret"] ?? "") else {
                try await audit(context, action: "login-failed", entity: "client", outcome: "denied", reason: "client_credentials")
                return oauthError(.unauthorized, "invalid_client", "client_id 或 client_secret 错误")
            }
            let scopes = requested.scopes.isEmpty ? client.scopes : requested
            guard scopes.scopes.allSatisfy({ want in client.scopes.scopes.contains { has in
                has.context == want.context && (has.resourceType == "*" || has.resourceType == want.resourceType) && (has.read || !want.read) && (has.write || !want.write)
            } }) else {
                return oauthError(.badRequest, "invalid_scope", "申请的权限范围超出登记范围：\(client.scopes.text)")
            }
            let principal = TokenService.principal(for: client, scopes: scopes)
            try await audit(context, action: "token", entity: "client/\(client.clientID)", actor: principal)
            return try await tokenResponse(TokenView(access_token: access.tokens.issue(for: principal), expires_in: lifetime, scope: scopes.text), request, context)
        default:
            return oauthError(.badRequest, "unsupported_grant_type", "grant_type 须为 password、sms_code 或 client_credentials")
        }
    }

    // MARK: the person's own pages

    func mePage(_ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let csrf = context.sessions.session?.csrf ?? ""
        var body = """
        <p>\(HTML.escape(principal.displayName))（\(HTML.escape(principal.role.label))）</p>
        <ul>
        """
        if principal.role == .resident {
            body += "<li><a href=\"/portal\">智慧健康门户</a></li><li><a href=\"/contracting\">签约家庭医生</a></li><li><a href=\"/me/access-log\">谁查看了我的健康档案</a></li>"
        }
        if principal.role == .familyDoctor { body += "<li><a href=\"/workstation\">家庭医生工作台</a></li><li><a href=\"/chronic\">慢病工作台</a></li>" }
        if principal.role == .commissionManager || principal.role == .chcManager { body += "<li><a href=\"/chronic/rates\">慢病管理率与控制率</a></li>" }
        if principal.role == .chcStaff || principal.role == .chcManager { body += "<li><a href=\"/desk\">窗口签约</a></li>" }
        if principal.role == .cdcEpidemiologist { body += "<li><a href=\"/surveillance\">传染病监测预警</a></li><li><a href=\"/surveillance/incidents\">应急指挥</a></li>" }
        if principal.role == .commissionManager || principal.role == .cdcEpidemiologist { body += "<li><a href=\"/cockpit\">卫生健康驾驶舱</a></li>" }
        if principal.role == .commissionManager { body += "<li><a href=\"/surveillance/incidents\">应急指挥</a></li>" }
        if principal.role == .hospitalClinician || principal.role == .chcManager { body += "<li><a href=\"/surveillance/resources\">应急资源填报</a></li>" }
        if [.chcStaff, .chcManager, .hospitalClinician].contains(principal.role) { body += "<li><a href=\"/surveillance/streams\">传染病监测数据报告</a></li>" }
        if principal.role == .healthInspector || principal.role == .commissionManager {
            body += "<li><a href=\"/supervision/cases\">监督执法案件</a></li><li><a href=\"/supervision/credit\">信用分级分类监管</a></li><li><a href=\"/supervision/inspections\">监督检查计划</a></li>"
        }
        if [.chcStaff, .chcManager, .healthInspector].contains(principal.role) { body += "<li><a href=\"/report\">网格巡查报告</a></li>" }
        if principal.role == .familyDoctor || principal.role == .hospitalClinician { body += "<li><a href=\"/consultations\">会诊</a></li>" }
        if principal.role == .familyDoctor || principal.role == .hospitalClinician { body += "<li><a href=\"/visits\">在线复诊（互联网+复诊）</a></li>" }
        if principal.role == .chcStaff || principal.role == .chcManager { body += "<li><a href=\"/portal-services\">居家服务（上门护理、家庭病床、安宁疗护）</a></li>" }
        if principal.role == .hospitalClinician { body += "<li><a href=\"/emergency/notices\">院前预警</a></li><li><a href=\"/critical-care\">急危重症救治中心</a></li>" }
        if principal.role == .commissionManager { body += "<li><a href=\"/critical-care\">急危重症救治中心质控</a></li>" }
        if principal.role == .emergencyDispatcher { body += "<li><a href=\"/emergency/dispatch\">急救调度</a></li>" }
        if [.hospitalClinician, .chcManager, .chcStaff, .familyDoctor].contains(principal.role) { body += "<li><a href=\"/approvals\">行政审批（一网通办）</a></li>" }
        if principal.role == .commissionManager { body += "<li><a href=\"/supervision/approvals\">行政审批受理</a></li>" }
        body += "<li><a href=\"/fhir/r4/metadata\">FHIR 接口能力声明</a></li></ul>"
        body += """
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))"><button type="submit">退出登录</button></form>
        """
        return HTML.response(HTML.page(title: "我的", body: body))
    }

    func accessLogPage(_ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident else {
            return HTML.response(HTML.page(title: "查阅记录", body: "<p class=\"error\">此页面供居民查看本人健康档案的查阅记录。</p>"), status: .forbidden)
        }
        let views = try await accessLog(principal, before: nil)
        var rows = ""
        for view in views {
            let flag = view.breakGlass ? "<span class=\"flag\">紧急访问</span> " : ""
            rows += "<tr><td>\(HTML.escape(view.time))</td><td>\(HTML.escape(view.who))<br><small>\(HTML.escape(view.role))</small></td>"
            rows += "<td>\(HTML.escape(view.action))</td><td>\(flag)\(HTML.escape(view.purpose))\(view.reason.isEmpty ? "" : "：" + HTML.escape(view.reason))</td></tr>"
        }
        let csrf = context.sessions.session?.csrf ?? ""
        let body = """
        <p>\(HTML.escape(principal.displayName))，以下是最近查看或修改您健康档案的记录（谁、何时、做了什么、为什么）。</p>
        <table><thead><tr><th>时间</th><th>查阅人</th><th>操作</th><th>目的</th></tr></thead><tbody>
        \(rows.isEmpty ? "<tr><td colspan=\"4\">暂无记录</td></tr>" : rows)
        </tbody></table>
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(HTML.escape(csrf))"><button type="submit">退出登录</button></form>
        """
        return HTML.response(HTML.page(title: "谁查看了我的健康档案", body: body))
    }

    static let actionLabels = ["read": "查看", "search": "查询", "create": "新建", "update": "修改", "delete": "删除",
                               "transaction": "批量提交", "batch": "批量提交", "export": "导出"]
    static let purposeLabels = ["treatment": "诊疗", "self": "本人查看", "public-health": "公共卫生", "management": "管理",
                                "system": "系统对接", "audit": "审计", "operations": "运维"]

    func accessLog(_ principal: Principal, before: Int64?) async throws -> [AccessView] {
        guard let patient = principal.patient else { return [] }
        return try await views(try await access.audit.entries(patient: patient, limit: 100, before: before), showPatient: false)
    }

    func views(_ entries: [AuditEntry], showPatient: Bool) async throws -> [AccessView] {
        var names: [String: (String, String)] = [:]
        var result: [AccessView] = []
        for entry in entries {
            let record = entry.record
            if names[record.actor] == nil {
                if let account = try await access.accounts.account(id: record.actor) {
                    names[record.actor] = (account.displayName, account.role.label)
                } else {
                    names[record.actor] = (record.actor, Role(rawValue: record.actorRole)?.label ?? record.actorRole)
                }
            }
            let (who, role) = names[record.actor] ?? (record.actor, record.actorRole)
            result.append(AccessView(
                seq: entry.seq, time: entry.recordedAt, who: who, role: role,
                action: Self.actionLabels[record.action] ?? record.action,
                what: String(record.entity.prefix { $0 != "/" && $0 != "?" }),
                purpose: Self.purposeLabels[record.purpose] ?? record.purpose,
                outcome: record.outcome, breakGlass: record.breakGlass, reason: record.breakGlass || record.outcome == "denied" ? record.reason : "",
                patient: showPatient ? record.patient : nil
            ))
        }
        return result
    }

    func grantConsent(_ principal: Principal, grantee: String) async throws {
        guard let own = principal.patient, grantee != own, FHIRID.isValid(grantee) else { throw HTTPError(.badRequest, message: "请指定家庭成员的档案编号") }
        func household(_ id: String) async throws -> String? {
            guard let stored = try await access.policy.store.read(type: "Patient", id: id), !stored.deleted,
                  let patient = try? JSONValue.parse(Data(stored.content.utf8)) else { return nil }
            return PatientExtensions.household(of: patient)
        }
        guard let mine = try await household(own), let theirs = try await household(grantee), mine == theirs else {
            throw HTTPError(.badRequest, message: "只能授权同一家庭（户）的成员查看")
        }
        try await access.consents.grant(grantor: own, grantee: grantee)
    }
}

struct ConsentRequest: Decodable { var grantee: String }
struct ReviewRequest: Decodable { var verdict: String; var note: String? }
struct NewAccountRequest: Decodable {
    var username: String
    var displayName: String
    var role: String
    var password: String
    var institution: String?
    var district: String?
    var practitioner: String?
    var patient: String?
}
struct NewClientRequest: Decodable {
    var clientId: String
    var name: String
    var institution: String?
    var district: String?
    var scopes: String
}
struct ClientSecretView: ResponseCodable { var clientId: String; var clientSecret: String }
struct VerificationView: ResponseCodable {
    var intact: Bool
    var checked: Int
    var firstBroken: Int64?
    var problem: String?
    var headHash: String
    var seconds: Double
}
struct MeView: ResponseCodable {
    var subject: String
    var role: String
    var roleLabel: String
    var displayName: String
    var institution: String?
    var district: String?
    var practitioner: String?
    var patient: String?
    var scopes: String
    init(_ p: Principal) {
        subject = p.subject; role = p.role.rawValue; roleLabel = p.role.label; displayName = p.displayName
        institution = p.institution; district = p.district; practitioner = p.practitioner; patient = p.patient; scopes = p.scopes.text
    }
}
struct AccountView: ResponseCodable {
    var id: String
    var username: String
    var displayName: String
    var role: String
    var institution: String?
    var district: String?
    var locked: Bool
    var disabled: Bool
    init(_ a: Account) {
        id = a.id; username = a.username; displayName = a.displayName; role = a.role.rawValue; institution = a.institution; district = a.district
        locked = (a.lockedUntilMs ?? 0) > Int64(Date().timeIntervalSince1970 * 1000); disabled = a.disabled
    }
}
struct AccessView: ResponseCodable {
    var seq: Int64
    var time: String
    var who: String
    var role: String
    var action: String
    var what: String
    var purpose: String
    var outcome: String
    var breakGlass: Bool
    var reason: String
    var patient: String?
}
