import Crypto
public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A supervision case (监督执法案件): raised by a non-site enforcement rule over the platform's data, by a
/// report from a grid patrol or the public, by a planned inspection, or by hand; then investigated, found,
/// penalised, rectified and closed, each step an event with its time and actor.
public struct SupervisionCase: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    /// `rule` (非现场执法), `patrol` (网格巡查), `public` (群众举报), `plan` (监督检查计划) or `manual`.
    public var source: String
    /// The rule (``Enforcement/rules``) or report kind (``Enforcement/reportKinds``) behind it.
    public var rule: String?
    /// The institution concerned, when it is one in the catalogue (an unlicensed site is not).
    public var institution: String?
    /// Who or what is concerned, as shown: an institution's name, a site, a practitioner.
    public var subject: String
    public var subdistrict: String?
    public var detail: String
    /// One of ``Enforcement/statuses``.
    public var status: String
    /// Of the finding (``Enforcement/severities``), once found.
    public var severity: String?
    public var assignee: String?
    /// The penalty (``Enforcement/penalties``) and fine, once penalised.
    public var penalty: String?
    public var fineYuan: Int?
    /// The day rectification is due (整改期限), once ordered.
    public var rectifyBy: String?
    public var openedAt: String
    public var updatedAt: String
    public var closedAt: String?
    public var events: [CaseEvent]
    public var evidence: [EvidenceItem]
}

/// A step of a case, with the status it left the case in.
public struct CaseEvent: Sendable, Codable, Equatable {
    public var action: String
    public var status: String
    public var detail: String
    public var actor: String
    public var at: String
}

/// A piece of evidence (证据): a photo, a scanned record or a document, kept with its digest.
public struct EvidenceItem: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var mediaType: String
    public var bytes: Int
    /// SHA-256 of the content, hex: what the case file cites.
    public var sha256: String
    public var uploadedBy: String
    public var uploadedAt: String
}

/// What a rule found: the case it should raise, once (`key` tells the same finding on a later run).
public struct RuleHit: Sendable, Equatable {
    public var rule: String
    public var key: String
    public var institution: String?
    public var subject: String
    public var subdistrict: String?
    public var detail: String

    public init(rule: String, key: String, institution: String?, subject: String, subdistrict: String? = nil, detail: String) {
        self.rule = rule
        self.key = key
        self.institution = institution
        self.subject = subject
        self.subdistrict = subdistrict
        self.detail = detail
    }
}

/// A step an inspector takes on a case.
public struct CaseAction: Sendable, Codable, Equatable {
    /// One of ``Enforcement/actions``.
    public var action: String
    public var detail: String
    public var severity: String?
    public var penalty: String?
    public var fineYuan: Int?
    public var deadline: String?
    public var assignee: String?

    public init(action: String, detail: String, severity: String? = nil, penalty: String? = nil, fineYuan: Int? = nil, deadline: String? = nil, assignee: String? = nil) {
        self.action = action
        self.detail = detail
        self.severity = severity
        self.penalty = penalty
        self.fineYuan = fineYuan
        self.deadline = deadline
        self.assignee = assignee
    }
}

/// A report of unlicensed practice (非法行医) or a complaint about an institution (投诉), from the public or a
/// grid patrol (网格巡查, the CHCs' 卫生监督协管员).
public struct SupervisionReport: Sendable, Codable, Equatable {
    public var id: String
    /// `public` or `patrol`.
    public var channel: String
    /// One of ``Enforcement/reportKinds``.
    public var kind: String
    public var subdistrict: String
    public var place: String
    public var institution: String?
    public var description: String
    public var contactName: String?
    /// Masked (``maskedPhone``) wherever reports are listed.
    public var contactPhone: String?
    public var receivedAt: String
    public var caseID: String
}

/// What a reporter submits.
public struct ReportForm: Sendable, Codable, Equatable {
    public var kind: String
    public var subdistrict: String
    public var place: String
    public var institution: String?
    public var description: String
    public var contactName: String?
    public var contactPhone: String?

    public init(kind: String, subdistrict: String, place: String, institution: String? = nil, description: String, contactName: String? = nil, contactPhone: String? = nil) {
        self.kind = kind
        self.subdistrict = subdistrict
        self.place = place
        self.institution = institution
        self.description = description
        self.contactName = contactName
        self.contactPhone = contactPhone
    }
}

/// 非现场执法与案件办理 (Supervision target): cases raised by rules, reports and inspections, and the steps of
/// handling them; evidence kept with its digest.
public struct Enforcement: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The non-site enforcement rules (非现场执法规则): code → name and the rule it enforces. Each is computed over
    /// the platform's data (by the App, which reads the other domains) and raises one case per finding.
    public static let rules: [String: (name: String, basis: String)] = [
        "late-report": ("传染病疫情报告不及时", "《传染病防治法》《传染病信息报告管理规范》：甲类及按甲类管理的 2 小时内、其他 24 小时内网络直报"),
        "practice-without-licence": ("无有效执业证书执业", "《医师法》：医师经注册取得医师执业证书后方可执业"),
        "practice-outside-scope": ("超出执业范围执业", "《医师法》：医师应当按照注册的执业地点、执业类别、执业范围执业"),
        "licence-expired": ("医疗机构执业许可证过期", "《医疗机构管理条例》：医疗机构执业许可证须按期校验"),
        "waste-alert": ("医疗废物交接异常", "《医疗废物管理条例》：转移联单、重量一致，暂时贮存不超过 2 天"),
        "water-unqualified": ("生活饮用水检测不合格", "GB 5749-2022《生活饮用水卫生标准》"),
        "over-dose": ("处方超剂量", "《处方管理办法》：药品用法用量应当按照药品说明书规定的常规用法用量使用，特殊情况需要超剂量使用时，应当注明原因并再次签名"),
    ]
    /// The kinds of report: 非法行医 and 投诉 (against an institution of the catalogue).
    public static let reportKinds = ["unlicensed-practice": "非法行医", "complaint": "投诉"]
    public static let statuses = ["open": "待处理", "investigating": "调查中", "found": "违法事实已认定", "penalised": "已处罚",
                                  "rectifying": "责令整改中", "closed": "已结案", "dismissed": "不予立案"]
    public static let statusOrder = ["open", "investigating", "found", "penalised", "rectifying", "closed", "dismissed"]
    public static let severities = ["minor": "轻微", "general": "一般", "serious": "严重"]
    public static let penalties = ["warning": "警告", "fine": "罚款", "suspension": "暂停执业活动", "revocation": "吊销执业许可"]
    /// Action → (statuses it may be taken in, status it leaves, Chinese name).
    public static let actions: [String: (from: Set<String>, to: String?, name: String)] = [
        "assign": (["open", "investigating"], "investigating", "指派"),
        "inspect": (["open", "investigating", "rectifying"], nil, "现场检查"),
        "find": (["open", "investigating"], "found", "认定违法事实"),
        "dismiss": (["open", "investigating"], "dismissed", "不予立案"),
        "penalise": (["found"], "penalised", "行政处罚"),
        "order-rectification": (["found", "penalised"], "rectifying", "责令整改"),
        "verify-rectification": (["rectifying"], "closed", "整改复查合格，结案"),
        "close": (["found", "penalised"], "closed", "结案"),
    ]
    /// Evidence: at most 1 MB a piece (its base64 stays within the API's 2 MB body), of these types.
    public static let evidenceMaxBytes = 1024 * 1024
    public static let evidenceTypes = ["image/jpeg", "image/png", "application/pdf", "text/plain"]

    static func newID(_ prefix: String) -> String {
        RecordID.make(prefix)
    }

    static func text(_ value: String?, field: String, label: String, max: Int, required: Bool = true) throws -> String? {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if trimmed.isEmpty {
            if required { throw SupervisionInput.invalid("请填写\(label)", field) }
            return nil
        }
        guard trimmed.count <= max else { throw SupervisionInput.invalid("\(label)不超过 \(max) 字", field) }
        return trimmed
    }

    // MARK: raising cases

    /// Opens a case for each hit not seen before (same district and key); returns the cases opened.
    @discardableResult
    public func raise(_ hits: [RuleHit], district: String, at now: String = ISO8601Timestamp.now()) async throws -> [String] {
        guard !hits.isEmpty else { return [] }
        return try await database.write { sql in
            let known = Set(try await sql.raw("SELECT dedupe_key FROM supervision_case WHERE district = \(bind: district) AND source = 'rule'").all()
                .map { try $0.decode(column: "dedupe_key", as: String.self) })
            var opened: [String] = []
            var seen = known
            for hit in hits where !seen.contains(hit.key) {
                seen.insert(hit.key)
                let name = Self.rules[hit.rule]?.name ?? hit.rule
                if let id = try await Self.open(source: "rule", rule: hit.rule, key: hit.key, institution: hit.institution, subject: hit.subject, subdistrict: hit.subdistrict,
                                                detail: hit.detail, district: district, actor: "system", eventDetail: "规则「\(name)」发现：\(hit.detail)", at: now, sql: sql) {
                    opened.append(id)
                }
            }
            return opened
        }
    }

    /// Inserts a case and its first event, unless the key is taken (another run got there first): nil then.
    static func open(source: String, rule: String?, key: String, institution: String?, subject: String, subdistrict: String?, detail: String,
                     district: String, actor: String, eventDetail: String, at: String, status: String = "open", severity: String? = nil,
                     sql: any SQLDatabase) async throws -> String? {
        let id = newID("sc")
        let inserted = try await sql.raw("""
            INSERT INTO supervision_case (id, district, source, rule, dedupe_key, institution_id, subject, subdistrict, detail, status, severity, opened_at, updated_at)
            VALUES (\(bind: id), \(bind: district), \(bind: source), \(bind: rule), \(bind: key), \(bind: institution), \(bind: subject), \(bind: subdistrict),
                \(bind: detail), \(bind: status), \(bind: severity), \(bind: at), \(bind: at))
            ON CONFLICT (district, dedupe_key) DO NOTHING RETURNING id
            """).first()
        guard inserted != nil else { return nil }
        try await event(id, action: "open", status: status, detail: eventDetail, actor: actor, at: at, sql: sql)
        return id
    }

    static func event(_ id: String, action: String, status: String, detail: String, actor: String, at: String, sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO supervision_case_event (case_id, action, status, detail, actor, at)
            VALUES (\(bind: id), \(bind: action), \(bind: status), \(bind: detail), \(bind: actor), \(bind: at))
            """).run()
    }

    /// A case an inspector opens by hand (e.g. from a letter or a referral by another department).
    public func openManually(institution: String?, subject: String, subdistrict: String?, detail: String, district: String, actor: String) async throws -> SupervisionCase {
        if let institution { try Self.checkInstitution(institution, district: district) }
        if let subdistrict { try Self.checkSubdistrict(subdistrict, district: district) }
        let subject = try Self.text(subject, field: "subject", label: "当事人或场所", max: 100) ?? ""
        let detail = try Self.text(detail, field: "detail", label: "案情", max: 2000) ?? ""
        let now = ISO8601Timestamp.now()
        let id = try await database.write { sql in
            try await Self.open(source: "manual", rule: nil, key: "manual:" + Self.newID(""), institution: institution, subject: subject, subdistrict: subdistrict,
                                detail: detail, district: district, actor: actor, eventDetail: detail, at: now, sql: sql)
        }
        guard let id, let opened = try await self.case(id, district: district) else { throw FHIRError(status: 500, code: "exception", "the case was not stored") }
        return opened
    }

    static func checkInstitution(_ id: String, district: String) throws {
        guard Catalog.institutions.contains(where: { $0.id == id && $0.district == district }) else {
            throw SupervisionInput.invalid("机构 \(id) 不在本区名录中", "institution")
        }
    }

    static func checkSubdistrict(_ code: String, district: String) throws {
        guard Catalog.subdistricts(of: district).contains(where: { $0.code == code }) else {
            throw SupervisionInput.invalid("街道 \(code) 不属于本区", "subdistrict")
        }
    }

    // MARK: reports

    /// Records a report and opens its case. `channel` is `public` (anyone, no account) or `patrol`; 422 for an
    /// unknown kind, a 街道 outside the district, a complaint without an institution of the catalogue, a missing
    /// place or description, or a phone that is not one.
    public func report(_ form: ReportForm, channel: String, district: String, actor: String?) async throws -> SupervisionReport {
        guard let kindName = Self.reportKinds[form.kind] else { throw SupervisionInput.invalid("类型须为 unlicensed-practice（非法行医）或 complaint（投诉）", "kind") }
        try Self.checkSubdistrict(form.subdistrict, district: district)
        let institution = try Self.text(form.institution, field: "institution", label: "被投诉机构", max: 64, required: form.kind == "complaint")
        if let institution { try Self.checkInstitution(institution, district: district) }
        let place = try Self.text(form.place, field: "place", label: "地点", max: 200) ?? ""
        let description = try Self.text(form.description, field: "description", label: "情况描述", max: 2000) ?? ""
        let name = try Self.text(form.contactName, field: "contactName", label: "联系人", max: 50, required: false)
        let phone = try Self.text(form.contactPhone, field: "contactPhone", label: "联系电话", max: 20, required: false)
        if let phone, !(phone.count >= 7 && phone.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-") }) {
            throw SupervisionInput.invalid("联系电话须为 7 至 20 位数字（可含 -）", "contactPhone")
        }
        let id = Self.newID("sr")
        let now = ISO8601Timestamp.now()
        let subject = institution.flatMap { id in Catalog.institutions.first { $0.id == id }?.name } ?? place
        let caseID = try await database.write { sql -> String in
            guard let caseID = try await Self.open(source: channel, rule: form.kind, key: "report:\(id)", institution: institution, subject: subject, subdistrict: form.subdistrict,
                                                   detail: description, district: district, actor: actor ?? "public",
                                                   eventDetail: "收到\(channel == "patrol" ? "网格巡查" : "群众")\(kindName)报告 \(id)", at: now, sql: sql) else {
                throw FHIRError.conflict("报告已受理")
            }
            try await sql.raw("""
                INSERT INTO supervision_report (id, district, channel, kind, subdistrict, place, institution_id, description, contact_name, contact_phone, reported_by, received_at, case_id)
                VALUES (\(bind: id), \(bind: district), \(bind: channel), \(bind: form.kind), \(bind: form.subdistrict), \(bind: place), \(bind: institution), \(bind: description),
                    \(bind: name), \(bind: phone), \(bind: actor), \(bind: now), \(bind: caseID))
                """).run()
            return caseID
        }
        return SupervisionReport(id: id, channel: channel, kind: form.kind, subdistrict: form.subdistrict, place: place, institution: institution, description: description,
                                 contactName: name, contactPhone: phone, receivedAt: now, caseID: caseID)
    }

    /// The district's reports, newest first; phones masked unless `masked` is false (one case's own page).
    public func reports(district: String, caseID: String? = nil, masked: Bool = true) async throws -> [SupervisionReport] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let caseID { filter = "\(filter) AND case_id = \(bind: caseID)" }
            return try await sql.raw("SELECT * FROM supervision_report WHERE \(filter) ORDER BY received_at DESC, id LIMIT 500").all().map { row in
                let phone = try row.decode(column: "contact_phone", as: String?.self)
                return SupervisionReport(id: try row.decode(column: "id", as: String.self), channel: try row.decode(column: "channel", as: String.self),
                                         kind: try row.decode(column: "kind", as: String.self), subdistrict: try row.decode(column: "subdistrict", as: String.self),
                                         place: try row.decode(column: "place", as: String.self), institution: try row.decode(column: "institution_id", as: String?.self),
                                         description: try row.decode(column: "description", as: String.self), contactName: try row.decode(column: "contact_name", as: String?.self),
                                         contactPhone: masked ? phone.map(Self.maskedPhone) : phone, receivedAt: try row.decode(column: "received_at", as: String.self),
                                         caseID: try row.decode(column: "case_id", as: String.self))
            }
        }
    }

    /// 13812345678 → 138****5678; shorter numbers keep their last four digits only.
    public static func maskedPhone(_ phone: String) -> String {
        guard phone.count >= 11 else { return String(repeating: "*", count: max(0, phone.count - 4)) + phone.suffix(4) }
        return phone.prefix(3) + String(repeating: "*", count: phone.count - 7) + phone.suffix(4)
    }

    // MARK: handling

    /// Takes a step on a case of the district: 404 for another district's, 409 for a step its status does not
    /// allow, 422 for a step without what it needs (a finding's severity, a penalty's kind, a fine for 罚款, a
    /// deadline in the future for rectification, a reason).
    public func act(_ action: CaseAction, on id: String, district: String, actor: String, today: String = CalendarDay.today()) async throws -> SupervisionCase {
        guard let rule = Self.actions[action.action] else {
            throw SupervisionInput.invalid("action 须为 \(Self.actions.keys.sorted().joined(separator: "、")) 之一", "action")
        }
        let detail = try Self.text(action.detail, field: "detail", label: "\(rule.name)的说明", max: 2000) ?? ""
        var updates: [SQLQueryString] = []
        switch action.action {
        case "assign":
            let assignee = try Self.text(action.assignee, field: "assignee", label: "承办人", max: 64) ?? ""
            updates.append("assignee = \(bind: assignee)")
        case "find":
            guard let severity = action.severity, Self.severities[severity] != nil else { throw SupervisionInput.invalid("违法情节须为 minor（轻微）、general（一般）或 serious（严重）", "severity") }
            updates.append("severity = \(bind: severity)")
        case "penalise":
            guard let penalty = action.penalty, Self.penalties[penalty] != nil else {
                throw SupervisionInput.invalid("处罚种类须为 \(Self.penalties.keys.sorted().joined(separator: "、")) 之一", "penalty")
            }
            if penalty == "fine" {
                guard let fine = action.fineYuan, fine > 0, fine <= 10_000_000 else { throw SupervisionInput.invalid("罚款金额须为 1 至 10,000,000 元", "fineYuan") }
                updates.append("fine_yuan = \(bind: fine)")
            }
            updates.append("penalty = \(bind: penalty)")
        case "order-rectification":
            guard let deadline = action.deadline, CalendarDay.isValid(deadline) else { throw SupervisionInput.invalid("整改期限须为 YYYY-MM-DD", "deadline") }
            guard deadline > today else { throw SupervisionInput.invalid("整改期限须晚于今天", "deadline") }
            updates.append("rectify_by = \(bind: deadline)")
        default:
            break
        }
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT status FROM supervision_case WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有案件 \(id)")
            }
            let status = try row.decode(column: "status", as: String.self)
            guard rule.from.contains(status) else {
                throw FHIRError.conflict("案件当前为「\(Self.statuses[status] ?? status)」，不能\(rule.name)")
            }
            let next = rule.to ?? (status == "open" ? "investigating" : status)
            updates.append("status = \(bind: next)")
            updates.append("updated_at = \(bind: now)")
            if next == "closed" || next == "dismissed" { updates.append("closed_at = \(bind: now)") }
            try await sql.raw("UPDATE supervision_case SET \(updates.joined(separator: ", ")) WHERE id = \(bind: id)").run()
            try await Self.event(id, action: action.action, status: next, detail: detail, actor: actor, at: now, sql: sql)
        }
        guard let updated = try await self.case(id, district: district) else { throw FHIRError.notFound("本区没有案件 \(id)") }
        return updated
    }

    /// Keeps a piece of evidence with a case that is not yet closed: 422 for an unknown type, empty or
    /// oversized content or content that is not base64; 404 for another district's case; 409 for a closed one.
    public func attach(to id: String, name: String, mediaType: String, base64: String, district: String, actor: String) async throws -> EvidenceItem {
        let name = try Self.text(name, field: "name", label: "证据名称", max: 100) ?? ""
        guard Self.evidenceTypes.contains(mediaType) else { throw SupervisionInput.invalid("证据类型须为 \(Self.evidenceTypes.joined(separator: "、")) 之一", "mediaType") }
        guard base64.count <= (Self.evidenceMaxBytes / 3 + 1) * 4 + 8, let content = Data(base64Encoded: base64), !content.isEmpty else {
            throw SupervisionInput.invalid("证据内容须为非空的 base64，且不超过 \(Self.evidenceMaxBytes / 1024 / 1024) MB", "content")
        }
        guard content.count <= Self.evidenceMaxBytes else { throw SupervisionInput.invalid("证据不超过 \(Self.evidenceMaxBytes / 1024 / 1024) MB", "content") }
        let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        let item = EvidenceItem(id: Self.newID("ev"), name: name, mediaType: mediaType, bytes: content.count, sha256: digest, uploadedBy: actor, uploadedAt: ISO8601Timestamp.now())
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT status FROM supervision_case WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有案件 \(id)")
            }
            let status = try row.decode(column: "status", as: String.self)
            guard status != "closed", status != "dismissed" else { throw FHIRError.conflict("案件已\(Self.statuses[status] ?? status)，不能再添加证据") }
            try await sql.raw("""
                INSERT INTO supervision_case_evidence (id, case_id, name, media_type, bytes, sha256, content, uploaded_by, uploaded_at)
                VALUES (\(bind: item.id), \(bind: id), \(bind: item.name), \(bind: item.mediaType), \(bind: item.bytes), \(bind: item.sha256), \(bind: content.base64EncodedString()),
                    \(bind: actor), \(bind: item.uploadedAt))
                """).run()
            try await Self.event(id, action: "evidence", status: status, detail: "证据「\(name)」SHA-256 \(digest)", actor: actor, at: item.uploadedAt, sql: sql)
        }
        return item
    }

    /// A piece of evidence's type and content, if it belongs to a case of the district.
    public func evidenceContent(case id: String, evidence: String, district: String) async throws -> (mediaType: String, name: String, content: Data)? {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT e.media_type, e.name, e.content FROM supervision_case_evidence e JOIN supervision_case c ON c.id = e.case_id
                WHERE e.id = \(bind: evidence) AND c.id = \(bind: id) AND c.district = \(bind: district)
                """).first(), let content = Data(base64Encoded: try row.decode(column: "content", as: String.self)) else { return nil }
            return (try row.decode(column: "media_type", as: String.self), try row.decode(column: "name", as: String.self), content)
        }
    }

    // MARK: reading

    /// The district's cases, newest first, optionally of one status, institution or source; without their events.
    public func cases(district: String, status: String? = nil, institution: String? = nil, source: String? = nil, limit: Int = 500) async throws -> [SupervisionCase] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let status { filter = "\(filter) AND status = \(bind: status)" }
            if let institution { filter = "\(filter) AND institution_id = \(bind: institution)" }
            if let source { filter = "\(filter) AND source = \(bind: source)" }
            return try await sql.raw("SELECT * FROM supervision_case WHERE \(filter) ORDER BY opened_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 5000))))")
                .all().map { try Self.supervisionCase($0, events: [], evidence: []) }
        }
    }

    /// One case of the district with its events and evidence.
    public func `case`(_ id: String, district: String) async throws -> SupervisionCase? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM supervision_case WHERE id = \(bind: id) AND district = \(bind: district)").first() else { return nil }
            let events = try await sql.raw("SELECT * FROM supervision_case_event WHERE case_id = \(bind: id) ORDER BY id").all().map {
                CaseEvent(action: try $0.decode(column: "action", as: String.self), status: try $0.decode(column: "status", as: String.self),
                          detail: try $0.decode(column: "detail", as: String.self), actor: try $0.decode(column: "actor", as: String.self), at: try $0.decode(column: "at", as: String.self))
            }
            let evidence = try await sql.raw("SELECT id, name, media_type, bytes, sha256, uploaded_by, uploaded_at FROM supervision_case_evidence WHERE case_id = \(bind: id) ORDER BY uploaded_at, id").all().map {
                EvidenceItem(id: try $0.decode(column: "id", as: String.self), name: try $0.decode(column: "name", as: String.self),
                             mediaType: try $0.decode(column: "media_type", as: String.self), bytes: try $0.decode(column: "bytes", as: Int.self),
                             sha256: try $0.decode(column: "sha256", as: String.self), uploadedBy: try $0.decode(column: "uploaded_by", as: String.self),
                             uploadedAt: try $0.decode(column: "uploaded_at", as: String.self))
            }
            return try Self.supervisionCase(row, events: events, evidence: evidence)
        }
    }

    static func supervisionCase(_ row: any SQLRow, events: [CaseEvent], evidence: [EvidenceItem]) throws -> SupervisionCase {
        SupervisionCase(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                        source: try row.decode(column: "source", as: String.self), rule: try row.decode(column: "rule", as: String?.self),
                        institution: try row.decode(column: "institution_id", as: String?.self), subject: try row.decode(column: "subject", as: String.self),
                        subdistrict: try row.decode(column: "subdistrict", as: String?.self), detail: try row.decode(column: "detail", as: String.self),
                        status: try row.decode(column: "status", as: String.self), severity: try row.decode(column: "severity", as: String?.self),
                        assignee: try row.decode(column: "assignee", as: String?.self), penalty: try row.decode(column: "penalty", as: String?.self),
                        fineYuan: try row.decode(column: "fine_yuan", as: Int?.self), rectifyBy: try row.decode(column: "rectify_by", as: String?.self),
                        openedAt: try row.decode(column: "opened_at", as: String.self), updatedAt: try row.decode(column: "updated_at", as: String.self),
                        closedAt: try row.decode(column: "closed_at", as: String?.self), events: events, evidence: evidence)
    }
}

extension SupervisionMigrations {
    static let enforcement: [Migration] = [
        Migration(id: "1003_supervision_cases") { sql in
            [
                """
                CREATE TABLE supervision_case (id TEXT PRIMARY KEY, district TEXT NOT NULL, source TEXT NOT NULL, rule TEXT, dedupe_key TEXT NOT NULL, institution_id TEXT,
                    subject TEXT NOT NULL, subdistrict TEXT, detail TEXT NOT NULL, status TEXT NOT NULL, severity TEXT, assignee TEXT, penalty TEXT, fine_yuan BIGINT,
                    rectify_by TEXT, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT, UNIQUE (district, dedupe_key))
                """,
                "CREATE INDEX supervision_case_status ON supervision_case (district, status, opened_at)",
                "CREATE INDEX supervision_case_institution ON supervision_case (institution_id, opened_at)",
                """
                CREATE TABLE supervision_case_event (id \(sql.autoIncrementPrimaryKey), case_id TEXT NOT NULL REFERENCES supervision_case (id), action TEXT NOT NULL,
                    status TEXT NOT NULL, detail TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_case_event_case ON supervision_case_event (case_id, id)",
                """
                CREATE TABLE supervision_case_evidence (id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES supervision_case (id), name TEXT NOT NULL,
                    media_type TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, content TEXT NOT NULL, uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_case_evidence_case ON supervision_case_evidence (case_id)",
                """
                CREATE TABLE supervision_report (id TEXT PRIMARY KEY, district TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, subdistrict TEXT NOT NULL,
                    place TEXT NOT NULL, institution_id TEXT, description TEXT NOT NULL, contact_name TEXT, contact_phone TEXT, reported_by TEXT,
                    received_at TEXT NOT NULL, case_id TEXT NOT NULL REFERENCES supervision_case (id))
                """,
                "CREATE INDEX supervision_report_district ON supervision_report (district, received_at)",
                """
                CREATE TABLE supervision_inspection (id TEXT PRIMARY KEY, district TEXT NOT NULL, year INTEGER NOT NULL, institution_id TEXT NOT NULL, due_day TEXT NOT NULL,
                    grade TEXT NOT NULL, status TEXT NOT NULL, inspected_at TEXT, inspector TEXT, result TEXT, detail TEXT, case_id TEXT,
                    UNIQUE (district, institution_id, due_day))
                """,
                "CREATE INDEX supervision_inspection_year ON supervision_inspection (district, year, due_day)",
            ]
        },
    ]
}
