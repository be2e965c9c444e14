import Access
import Collaboration
import Contracting
import FHIR
import Foundation
import Hummingbird
import Registry

/// The contracting web pages (phone-sized, 中文): the resident's 签约家庭医生 page and the family doctor's
/// workstation (家庭医生工作台: today's worklist, the panel with filters, a resident's record timeline).
extension ContractingRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("contracting") { request, context in try await residentPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("contracting/sign") { request, context in try await residentSign(request, context) }
        router.post("contracting/terminate") { request, context in try await residentTerminate(request, context) }
        router.post("contracting/rate") { request, context in try await residentRate(request, context) }
        router.get("desk") { request, context in try await desk(idNumber: nil, message: request.uri.queryParameters["m"].map(String.init), context) }
        // The ID number travels in a POST body, never in a URL (where proxies and browser history keep it).
        router.post("desk") { request, context in
            let fields = try await Pages.checkedForm(request, context)
            return try await desk(idNumber: fields["idNumber"], message: nil, context)
        }
        router.post("desk/sign") { request, context in try await deskSign(request, context) }
        router.get("workstation") { request, context in try await workstation(request, context) }
        router.get("workstation/residents/:patient") { _, context in try await timeline(context) }
    }

    // MARK: the resident

    func residentPage(_ context: Context, message: String?) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else {
            return Pages.page("签约家庭医生", "<p class=\"error\">此页面供居民签约家庭医生。</p>", status: .forbidden)
        }
        var body = message.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        try await audit(context, principal, action: "read", entity: "contracting", patients: [patient])
        if let contract = try await contracting.contracts(patient: patient).first(where: { $0.status == "active" }) {
            let names = try await names("Practitioner", [contract.practitioner])
            let hospitals = [contract.districtHospital, contract.cityHospital].compactMap { id in Catalog.institutions.first { $0.id == id }?.name }
            body += """
            <div class="card" id="contract"><h2>我的签约</h2>
            <p class="ok">已签约</p>
            <p>家庭医生：<strong>\(HTML.escape(Pages.displayName(names[contract.practitioner])))</strong><br>
            社区卫生服务中心：\(HTML.escape(Catalog.institutions.first { $0.id == contract.organization }?.name ?? contract.organization))<br>
            \(hospitals.isEmpty ? "" : "签约医院：\(HTML.escape(hospitals.joined(separator: "、")))<br>")
            服务包：\(HTML.escape(Contract.packages[contract.package] ?? contract.package))<br>
            有效期：\(HTML.escape(contract.startDate)) 至 \(HTML.escape(contract.endDate))<br>
            <span class="muted">签约编号 <span id="contract-id">\(HTML.escape(contract.id))</span></span></p>
            <form method="post" action="/contracting/terminate">\(Pages.csrfField(context))
            <input type="hidden" name="contract" value="\(HTML.escape(contract.id))">
            <label>解约原因 <input type="text" name="reason" required maxlength="100"></label>
            <button type="submit" id="terminate">解约</button></form></div>
            <div class="card" id="rate"><h2>评价家庭医生服务（好差评）</h2>
            <form method="post" action="/contracting/rate">\(Pages.csrfField(context))
            <input type="hidden" name="contract" value="\(HTML.escape(contract.id))">
            <label>评分 <select name="stars"><option value="5">★★★★★ 非常满意</option><option value="4">★★★★ 满意</option>
            <option value="3">★★★ 一般</option><option value="2">★★ 不满意</option><option value="1">★ 非常不满意</option></select></label>
            <label>评价 <input type="text" name="comment" maxlength="200"></label>
            <button type="submit">提交评价</button></form></div>
            """
            return Pages.page("签约家庭医生", body)
        }
        guard let record = try await contracting.store.read(type: "Patient", id: patient), !record.deleted,
              let subdistrict = PatientExtensions.subdistricts(of: try JSONValue.parse(Data(record.content.utf8))).first,
              let chc = Catalog.institutions.first(where: { $0.type == "chc" && $0.catchment.contains(subdistrict) }) else {
            return Pages.page("签约家庭医生", body + "<p class=\"error\">档案中没有居住街道，无法确定所属社区卫生服务中心；请到社区卫生服务中心现场签约。</p>")
        }
        let doctors = try await doctorViews(chc.id)
        let district = chc.district
        let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child"]
        let districtHospitals = Catalog.institutions.filter { $0.district == district && hospitalTypes.contains($0.type) }
        let cityHospitals = Catalog.institutions.filter { hospitalTypes.contains($0.type) && $0.level == "tertiary" }
        func options(_ list: [Institution]) -> String {
            "<option value=\"\">（暂不选择）</option>" + list.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.name))</option>" }.joined()
        }
        var rows = ""
        for doctor in doctors {
            rows += "<li><label><input type=\"radio\" name=\"practitioner\" value=\"\(HTML.escape(doctor.practitioner))\" required> "
            rows += "<strong>\(HTML.escape(doctor.name))</strong> <span class=\"muted\">剩余名额 \(doctor.free)"
            rows += doctor.free == 0 ? "（已满，可候补，已有 \(doctor.waiting) 人候补）" : ""
            rows += "</span></label></li>"
        }
        body += """
        <div class="card"><h2>\(HTML.escape(chc.name))</h2>
        <p class="muted">按您档案中的居住街道（\(HTML.escape(Catalog.divisions.first { $0.code == subdistrict }?.name ?? subdistrict))）确定所属社区卫生服务中心。</p>
        <form method="post" action="/contracting/sign" id="sign-form">\(Pages.csrfField(context))
        <p>选择家庭医生：</p><ul class="plain">\(rows)</ul>
        <label>区级医院 <select name="districtHospital">\(options(districtHospitals))</select></label>
        <label>市级医院 <select name="cityHospital">\(options(cityHospitals))</select></label>
        <label>服务包 <select name="package">\(Contract.packages.sorted { $0.key < $1.key }.map { "<option value=\"\($0.key)\"\($0.key == "basic" ? " selected" : "")>\(HTML.escape($0.value))</option>" }.joined())</select></label>
        <label><input type="checkbox" name="waitlist" value="1"> 名额已满时加入候补</label>
        <button type="submit" id="sign">确认签约</button></form></div>
        """
        return Pages.page("签约家庭医生", body)
    }

    func residentSign(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { throw HTTPError(.forbidden, message: "此操作供居民本人使用") }
        let fields = try await Pages.checkedForm(request, context)
        guard let practitioner = fields["practitioner"], !practitioner.isEmpty else { return HTML.redirect("/contracting?m=" + Pages.queryEscape("请选择一位家庭医生")) }
        let blank: (String?) -> String? = { $0?.isEmpty == false ? $0 : nil }
        let signRequest = SignRequest(patient: patient, practitioner: practitioner, districtHospital: blank(fields["districtHospital"]),
                                      cityHospital: blank(fields["cityHospital"]), package: blank(fields["package"]))
        do {
            let signed = try await contracting.sign([signRequest], channel: "online", actor: principal.subject)
            try await audit(context, principal, action: "sign", entity: signed.map { "contract/\($0.id)" }.joined(separator: ","), patients: [patient])
            guard let contract = signed.first else { return HTML.redirect("/contracting") }
            let doctor = try await names("Practitioner", [contract.practitioner])
            return Pages.page("签约成功", """
                <div class="card" id="confirmation"><p class="ok">签约成功</p>
                <p>您已与家庭医生 <strong>\(HTML.escape(Pages.displayName(doctor[contract.practitioner])))</strong>
                （\(HTML.escape(Catalog.institutions.first { $0.id == contract.organization }?.name ?? contract.organization))）签约，
                有效期 \(HTML.escape(contract.startDate)) 至 \(HTML.escape(contract.endDate))。</p>
                <p class="muted">签约编号 \(HTML.escape(contract.id))。家庭医生将与您联系，提供健康评估和个性化健康管理。</p>
                <p><a href="/contracting">查看我的签约</a></p></div>
                """, status: .created)
        } catch let full as ContractFull {
            if fields["waitlist"] == "1" {
                let position = try await contracting.joinWaitlist(patient: patient, practitioner: full.practitioner)
                try await audit(context, principal, action: "waitlist", entity: "practitioner/\(full.practitioner)", patients: [patient])
                return Pages.page("已加入候补", "<div class=\"card\" id=\"waitlisted\"><p>该医生名额已满，您已加入候补，排第 \(position) 位；有名额时将按顺序自动为您签约。</p><p><a href=\"/contracting\">返回</a></p></div>", status: .accepted)
            }
            return HTML.redirect("/contracting?m=" + Pages.queryEscape("该医生签约名额已满：可勾选“名额已满时加入候补”后再次提交，或选择其他医生"))
        } catch let error as FHIRError {
            return HTML.redirect("/contracting?m=" + Pages.queryEscape(error.pageMessage))
        }
    }

    func residentTerminate(_ request: Request, _ context: Context) async throws -> Response {
        try await ownContractForm(request, context, action: "terminate", done: "已解约，可重新选择家庭医生") { contract, fields, principal in
            _ = try await contracting.terminate(contract.id, reason: fields["reason"] ?? "", actor: principal.subject)
        }
    }

    func residentRate(_ request: Request, _ context: Context) async throws -> Response {
        try await ownContractForm(request, context, action: "rate", done: "感谢您的评价") { contract, fields, _ in
            _ = try await contracting.rate(contract: contract.id, stars: Int(fields["stars"] ?? "") ?? 0, comment: fields["comment"] ?? "")
        }
    }

    /// A resident's form about their own contract: checks the CSRF token and that the contract is theirs, does
    /// `perform`, records it, and returns to the contracting page saying `done` (or what went wrong).
    func ownContractForm(_ request: Request, _ context: Context, action: String, done: String,
                         perform: (Contract, [String: String], Principal) async throws -> Void) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { throw HTTPError(.forbidden, message: "此操作供居民本人使用") }
        let fields = try await Pages.checkedForm(request, context)
        let contract = try await apiErrors { try await contracting.contract(fields["contract"] ?? "") }
        guard contract.patient == patient else { throw HTTPError(.forbidden, message: "只能办理本人的签约") }
        do {
            try await perform(contract, fields, principal)
        } catch let error as FHIRError {
            return HTML.redirect("/contracting?m=" + Pages.queryEscape(error.pageMessage))
        }
        try await audit(context, principal, action: action, entity: "contract/\(contract.id)", patients: [patient])
        return HTML.redirect("/contracting?m=" + Pages.queryEscape(done))
    }

    // MARK: the CHC desk

    /// 窗口签约: CHC staff find a resident by ID number (through the patient index's keyed hash) and sign them
    /// with one of the CHC's doctors. Only the masked number and a masked name are shown.
    func desk(idNumber: String?, message: String?, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard [.chcStaff, .chcManager].contains(principal.role), let institution = principal.institution else {
            return Pages.page("窗口签约", "<p class=\"error\">此页面供社区卫生服务中心工作人员使用。</p>", status: .forbidden)
        }
        var body = message.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        body += """
        <form method="post" action="/desk" class="card">\(Pages.csrfField(context))<label>居民身份证号 <input type="text" name="idNumber" maxlength="18" required></label>
        <button type="submit">查找</button></form>
        """
        if let idNumber, !idNumber.isEmpty {
            let candidates: [MatchCandidate]
            do {
                candidates = try await MasterPatientIndex.match(idNumber: idNumber, name: nil, birthDate: nil, phone: nil,
                                                                database: contracting.database, protection: contracting.store.protection)
            } catch let error as FHIRError {
                return Pages.page("窗口签约", body + "<p class=\"error\">\(HTML.escape(error.pageMessage))</p>", status: .badRequest)
            }
            let found = candidates.compactMap { $0.patient.hasPrefix("Patient/") ? String($0.patient.dropFirst(8)) : nil }
            try await audit(context, principal, action: "search", entity: "desk", patients: found)
            guard let patient = found.first else {
                return Pages.page("窗口签约", body + "<p>未找到身份证号为 \(HTML.escape(ResidentIDNumber.masked(idNumber))) 的居民档案，请先建档。</p>")
            }
            let record = try await names("Patient", [patient])[patient]
            let current = try await contracting.contracts(patient: patient).first { $0.status == "active" }
            body += "<div class=\"card\" id=\"resident\"><p>\(HTML.escape(Pages.maskedName(Pages.displayName(record)))) <span class=\"muted\">\(HTML.escape(ResidentIDNumber.masked(idNumber)))</span></p>"
            if let current {
                body += "<p>已签约（\(HTML.escape(current.startDate)) 至 \(HTML.escape(current.endDate))，合同 \(HTML.escape(current.id))）。</p></div>"
            } else {
                let doctors = try await doctorViews(institution)
                body += "<form method=\"post\" action=\"/desk/sign\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"patient\" value=\"\(HTML.escape(patient))\">"
                body += "<label>家庭医生 <select name=\"practitioner\">" + doctors.map { "<option value=\"\(HTML.escape($0.practitioner))\">\(HTML.escape($0.name))（剩余 \($0.free)）</option>" }.joined() + "</select></label>"
                body += "<label>服务包 <select name=\"package\">" + Contract.packages.sorted { $0.key < $1.key }.map { "<option value=\"\($0.key)\"\($0.key == "basic" ? " selected" : "")>\(HTML.escape($0.value))</option>" }.joined() + "</select></label>"
                body += "<button type=\"submit\">窗口签约</button></form></div>"
            }
        }
        return Pages.page("窗口签约", body)
    }

    func deskSign(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard [.chcStaff, .chcManager].contains(principal.role) else { throw HTTPError(.forbidden, message: "此操作供社区卫生服务中心工作人员使用") }
        let fields = try await Pages.checkedForm(request, context)
        let patient = fields["patient"] ?? ""
        let practitioner = fields["practitioner"] ?? ""
        let doctor = try await apiErrors { try await contracting.places(practitioner: practitioner) }
        guard doctor.organization == principal.institution else { throw HTTPError(.forbidden, message: "只能为本中心的家庭医生办理签约") }
        do {
            let signed = try await contracting.sign([SignRequest(patient: patient, practitioner: practitioner, package: fields["package"].flatMap { $0.isEmpty ? nil : $0 })],
                                                    channel: "desk", actor: principal.subject)
            try await audit(context, principal, action: "sign", entity: signed.map { "contract/\($0.id)" }.joined(separator: ","), patients: [patient])
            return HTML.redirect("/desk?m=" + Pages.queryEscape("签约成功，合同 \(signed.first?.id ?? "")"))
        } catch let full as ContractFull {
            return HTML.redirect("/desk?m=" + Pages.queryEscape(full.description))
        } catch let error as FHIRError {
            return HTML.redirect("/desk?m=" + Pages.queryEscape(error.pageMessage))
        }
    }

    // MARK: the family doctor

    func workstation(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .familyDoctor, let practitioner = principal.practitioner else {
            return Pages.page("家庭医生工作台", "<p class=\"error\">此页面供家庭医生使用。</p>", status: .forbidden)
        }
        let query = request.uri.queryParameters
        let groupFilter = query["group"].flatMap { KeyGroup(rawValue: String($0)) }
        let subdistrictFilter = query["subdistrict"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let today = ContractingService.today()
        let weekAgo = ContractingService.shift(today, days: -7)
        let panel = try await contracting.panel(practitioner: practitioner)
        let records = try await names("Patient", panel.map(\.contract.patient))
        func link(_ patient: String) -> String {
            "<a href=\"/workstation/residents/\(HTML.escape(patient))\">\(HTML.escape(Pages.displayName(records[patient])))</a>"
        }

        // Today's worklist.
        let newlySigned = panel.filter { $0.contract.startDate >= weekAgo }
        let chronic = panel.filter { $0.groups.contains(.hypertension) || $0.groups.contains(.diabetes) }
        var followUps: [(String, String?)] = []
        let dueBefore = ContractingService.shift(today, days: -90)
        for entry in chronic {
            var search = try SearchRequest(type: "Encounter", query: [("subject", "Patient/\(entry.contract.patient)"), ("_sort", "-date")], definitions: contracting.store.definitions, strict: true)
            search.count = 1
            let last = try await contracting.store.search(search).matches.first.flatMap { match -> String? in
                (try? JSONValue.parse(Data(match.content.utf8)))?["period"]?["start"]?.stringValue.map { String($0.prefix(10)) }
            }
            if last.map({ $0 < dueBefore }) ?? true { followUps.append((entry.contract.patient, last)) }
        }
        var results: [(String, String, String)] = []
        let patients = panel.map { "Patient/\($0.contract.patient)" }
        var start = 0
        while start < patients.count, results.count < 20 {
            let chunk = patients[start..<min(patients.count, start + 100)].joined(separator: ",")
            for type in ["Observation", "DiagnosticReport"] {
                var search = try SearchRequest(type: type, query: [("subject", chunk), ("date", "ge\(weekAgo)"), ("_sort", "-date")], definitions: contracting.store.definitions, strict: true)
                search.count = 20
                for match in try await contracting.store.search(search).matches {
                    let resource = try JSONValue.parse(Data(match.content.utf8))
                    let subject = resource["subject"]?["reference"]?.stringValue.map { String($0.dropFirst("Patient/".count)) } ?? ""
                    results.append((subject, Self.summary(resource), Self.date(resource) ?? ""))
                }
            }
            start += 100
        }
        var feedback: [(String, String)] = []
        var taskSearch = try SearchRequest(type: "Task", query: [("owner", "Practitioner/\(practitioner)"), ("_lastUpdated", "ge\(ContractingService.shift(today, days: -14))")], definitions: contracting.store.definitions, strict: true)
        taskSearch.count = 20
        for match in try await contracting.store.search(taskSearch).matches {
            let task = try JSONValue.parse(Data(match.content.utf8))
            feedback.append((task["for"]?["reference"]?.stringValue.map { String($0.dropFirst("Patient/".count)) } ?? "", Self.summary(task)))
        }
        // Consultation conclusions not yet read (会诊意见).
        let conclusions = try await Consultations(store: contracting.store).list(requestedBy: principal.subject).filter { $0.status == "completed" && $0.acknowledgedAt == nil }
        let unsigned = try await contracting.unsignedKeyResidents(organization: principal.institution ?? "", limit: 10)
        let unsignedRecords = try await names("Patient", unsigned.residents.map(\.patient))

        var body = "<p>\(HTML.escape(principal.displayName))，今天是 \(today)。签约居民 <span class=\"count\" id=\"panel-count\">\(panel.count)</span> 人。</p>"
        body += "<div class=\"card\" id=\"worklist\"><h2>今日工作</h2>"
        body += "<h3>新签约居民（近7天）\(newlySigned.count)</h3><ul class=\"plain\" id=\"new-signed\">"
        body += newlySigned.prefix(20).map { "<li>\(link($0.contract.patient)) <span class=\"muted\">\($0.contract.startDate) · \(HTML.escape(Self.channelLabel($0.contract.channel)))</span></li>" }.joined()
        body += "</ul><h3>随访到期（高血压、糖尿病，90天未就诊）\(followUps.count)</h3><ul class=\"plain\" id=\"follow-ups\">"
        body += followUps.prefix(20).map { "<li>\(link($0.0)) <span class=\"muted\">上次就诊 \($0.1 ?? "无记录")</span></li>" }.joined()
        body += "</ul><h3>新检查检验结果（近7天）\(results.count)</h3><ul class=\"plain\" id=\"results\">"
        body += results.prefix(20).map { "<li>\(link($0.0)) \(HTML.escape($0.1)) <span class=\"muted\">\(HTML.escape($0.2))</span></li>" }.joined()
        body += "</ul><h3>转诊反馈（近14天）\(feedback.count)</h3><ul class=\"plain\" id=\"feedback\">"
        body += feedback.map { "<li>\(link($0.0)) \(HTML.escape($0.1))</li>" }.joined()
        body += "</ul><h3>会诊意见（未阅）\(conclusions.count)</h3><ul class=\"plain\" id=\"conclusions\">"
        body += conclusions.prefix(20).map { "<li><a href=\"/consultations/\(HTML.escape($0.id))\">\(Consultations.kinds[$0.kind] ?? $0.kind)</a> \(HTML.escape(String(($0.conclusion ?? "").prefix(40))))</li>" }.joined()
        body += "</ul><h3>辖区未签约重点人群 \(unsigned.total)</h3><ul class=\"plain\" id=\"unsigned\">"
        body += unsigned.residents.map { entry in
            "<li>\(HTML.escape(Pages.maskedName(Pages.displayName(unsignedRecords[entry.patient])))) " + entry.groups.map { "<span class=\"tag\">\(HTML.escape($0.label))</span>" }.joined() + "</li>"
        }.joined()
        body += "</ul></div>"

        // The panel with filters.
        let subdistricts = Set(panel.compactMap(\.contract.subdistrict)).sorted()
        body += "<div class=\"card\" id=\"panel\"><h2>签约居民</h2><form method=\"get\" action=\"/workstation\">"
        body += "<label>重点人群 <select name=\"group\"><option value=\"\">全部</option>"
        body += KeyGroup.allCases.map { "<option value=\"\($0.rawValue)\"\($0 == groupFilter ? " selected" : "")>\(HTML.escape($0.label))</option>" }.joined()
        body += "</select></label><label>街道 <select name=\"subdistrict\"><option value=\"\">全部</option>"
        body += subdistricts.map { code in "<option value=\"\(code)\"\(code == subdistrictFilter ? " selected" : "")>\(HTML.escape(Catalog.divisions.first { $0.code == code }?.name ?? code))</option>" }.joined()
        body += "</select></label><button type=\"submit\">筛选</button></form><ul class=\"plain\" id=\"panel-list\">"
        let shown = panel.filter { entry in
            (groupFilter.map { entry.groups.contains($0) } ?? true) && (subdistrictFilter.map { entry.contract.subdistrict == $0 } ?? true)
        }
        for entry in shown.prefix(200) {
            let record = records[entry.contract.patient]
            let age = (record?["birthDate"]?.stringValue).flatMap { Int($0.prefix(4)) }.flatMap { birth in Int(today.prefix(4)).map { $0 - birth } }
            body += "<li>\(link(entry.contract.patient)) <span class=\"muted\">\(record?["gender"]?.stringValue == "male" ? "男" : "女")\(age.map { " \($0)岁" } ?? "")</span> "
            body += entry.groups.map { "<span class=\"tag\">\(HTML.escape($0.label))</span>" }.joined() + "</li>"
        }
        body += "</ul><p class=\"muted\">显示 \(min(shown.count, 200)) / \(shown.count) 人</p></div>"
        try await audit(context, principal, action: "search", entity: "workstation", patients: panel.map(\.contract.patient))
        return Pages.page("家庭医生工作台", body)
    }

    /// A resident's lifelong record, newest first (健康档案时间线), for someone allowed to see it.
    func timeline(_ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let patient = try context.parameters.require("patient")
        guard FHIRID.isValid(patient), let relationship = try await access.policy.relationship(principal, patient: patient),
              let record = try await contracting.store.read(type: "Patient", id: patient), !record.deleted else {
            try await audit(context, principal, action: "read", entity: "timeline", patients: [patient])
            return Pages.page("健康档案", "<p class=\"error\">无权查看该居民的健康档案，或档案不存在。</p>", status: .forbidden)
        }
        let resident = try JSONValue.parse(Data(record.content.utf8))
        var events: [(String, String, String)] = []
        let kinds: [(String, String, String)] = [("Encounter", "subject", "就诊"), ("Condition", "subject", "诊断"), ("Observation", "subject", "检查检验"),
                                                 ("DiagnosticReport", "subject", "报告"), ("MedicationRequest", "subject", "用药"), ("Immunization", "patient", "接种"),
                                                 ("EpisodeOfCare", "patient", "签约"), ("ClinicalImpression", "subject", "会诊"), ("ImagingStudy", "subject", "影像")]
        for (type, parameter, label) in kinds {
            var search = try SearchRequest(type: type, query: [(parameter, "Patient/\(patient)"), ("_sort", "-_lastUpdated")], definitions: contracting.store.definitions, strict: true)
            search.count = 100
            for match in try await contracting.store.search(search).matches {
                let resource = try JSONValue.parse(Data(match.content.utf8))
                events.append((Self.date(resource) ?? "", label, Self.summary(resource)))
            }
        }
        events.sort { $0.0 > $1.0 }
        let groups = try await contracting.keyGroups(patient: patient)
        try await audit(context, principal, action: "read", entity: "timeline", patients: [patient])
        var body = "<p><strong>\(HTML.escape(Pages.displayName(resident)))</strong> <span class=\"muted\">\(resident["gender"]?.stringValue == "male" ? "男" : "女") · \(HTML.escape(resident["birthDate"]?.stringValue ?? ""))</span> "
        body += groups.map { "<span class=\"tag\">\(HTML.escape($0.label))</span>" }.joined()
        body += relationship == .panel ? " <span class=\"muted\">（签约居民）</span>" : ""
        body += "</p><ul class=\"plain\" id=\"timeline\">"
        body += events.prefix(150).map { "<li><span class=\"muted\">\(HTML.escape(String($0.0.prefix(10))))</span> <span class=\"tag\">\(HTML.escape($0.1))</span> \(HTML.escape($0.2))</li>" }.joined()
        body += events.isEmpty ? "<li>暂无记录</li>" : ""
        body += "</ul><p><a href=\"/workstation\">返回工作台</a></p>"
        return Pages.page("健康档案时间线", body)
    }

    static func summary(_ resource: JSONValue) -> String {
        let concept = resource["code"] ?? resource["type"]?.arrayValue?.first ?? resource["medicationCodeableConcept"] ?? resource["vaccineCode"] ?? resource["class"]
        var text = concept?["text"]?.stringValue ?? concept?["coding"]?.arrayValue?.first?["display"]?.stringValue ?? concept?["display"]?.stringValue ?? ""
        if let quantity = resource["valueQuantity"], let value = quantity["value"] {
            text += " \(value.serialized())\(quantity["unit"]?.stringValue ?? "")"
        }
        for component in resource["component"]?.arrayValue ?? [] {
            if let value = component["valueQuantity"]?["value"] { text += " \(value.serialized())" }
        }
        // A consultation's conclusion (ClinicalImpression.summary); an imaging study's description.
        if let summary = resource["summary"]?.stringValue { text += "：\(summary)" }
        if text.isEmpty, let description = resource["description"]?.stringValue { text = description }
        if let status = resource["status"]?.stringValue, resource["resourceType"]?.stringValue == "EpisodeOfCare" || resource["resourceType"]?.stringValue == "Task" {
            text += "（\(status)）"
        }
        return text.isEmpty ? (resource["resourceType"]?.stringValue ?? "") : text
    }

    static func date(_ resource: JSONValue) -> String? {
        for key in ["effectiveDateTime", "issued", "onsetDateTime", "recordedDate", "authoredOn", "occurrenceDateTime", "date", "started"] {
            if let text = resource[key]?.stringValue { return text }
        }
        return resource["period"]?["start"]?.stringValue ?? resource["effectivePeriod"]?["start"]?.stringValue ?? resource["meta"]?["lastUpdated"]?.stringValue
    }

    static func channelLabel(_ channel: String) -> String {
        ["online": "线上签约", "desk": "窗口签约", "waitlist": "候补签约", "transfer": "转签", "import": "历史数据导入"][channel] ?? channel
    }
}
