public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A kind of application for a licence (行政审批事项): what it is called, which licence it results in, the
/// materials it requires and the time limit the commission commits to.
public struct ApprovalKind: Sendable, Codable, Equatable {
    public var code: String
    /// The Chinese name, e.g. 医师执业注册.
    public var name: String
    /// The licence it results in: a key of ``Licences/kinds``.
    public var licenceKind: String
    /// Codes of ``Approvals/materials`` the application must include.
    public var requiredMaterials: [String]
    /// 承诺办结时限: working days from acceptance (受理) to the decision.
    public var timeLimitDays: Int

    public init(code: String, name: String, licenceKind: String, requiredMaterials: [String], timeLimitDays: Int) {
        self.code = code
        self.name = name
        self.licenceKind = licenceKind
        self.requiredMaterials = requiredMaterials
        self.timeLimitDays = timeLimitDays
    }

    /// `institution` or `practitioner`, from the licence kind.
    public var holderType: String { Licences.kinds[licenceKind]?.0 ?? "institution" }
}

/// An application (行政审批申请) with its status, its time limit and, once concluded, its rating.
public struct Approval: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    /// A code of ``ApprovalKind``.
    public var kind: String
    public var holderType: String
    /// The institution's catalogue id, or the applicant's Practitioner id.
    public var holder: String
    /// The account that applied.
    public var applicant: String
    /// The applicant's name as shown (a member of staff, not a resident).
    public var applicantName: String
    public var scope: [String]
    public var validFrom: String
    public var validTo: String
    /// Codes of ``Approvals/materials`` provided.
    public var materials: [String]
    /// Materials asked for when the application was returned (退回补正), still to be provided on resubmission.
    public var requestedMaterials: [String]
    /// `submitted` 已提交, `accepted` 已受理, `returned` 退回补正, `approved` 准予许可, `rejected` 不予许可.
    public var status: String
    /// The day of the first submission.
    public var submittedDay: String
    /// The day of the latest submission (the first, or the resubmission after a return).
    public var lastSubmittedDay: String
    public var acceptedDay: String?
    /// The last day of the time limit, once accepted (受理日 + 承诺时限, working days).
    public var dueDay: String?
    public var concludedDay: String?
    /// Whether the decision came within the time limit (concluded applications only).
    public var onTime: Bool?
    /// The reason of the latest return or refusal.
    public var reason: String?
    /// The licence an approval created.
    public var licenceId: String?
    public var licenceNumber: String?
    /// 好差评: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    public var rating: Int?
    public var ratingComment: String?
    public var ratedAt: String?
    /// The commission's follow-up (整改) of a poor rating.
    public var followUp: String?
    public var followedUpAt: String?
    /// Overdue against `on` when listed: `acceptance` (受理超时) or `decision` (办理超时); nil when not overdue.
    public var overdue: String?
    /// The status changes, oldest first (filled when one application is read).
    public var history: [ApprovalEvent]
}

/// One step of an application's history.
public struct ApprovalEvent: Sendable, Codable, Equatable {
    /// `submit`, `accept`, `return`, `resubmit`, `approve`, `reject`, `rate` or `follow-up`.
    public var action: String
    /// The status after the step.
    public var status: String
    public var at: String
    /// The account that took the step.
    public var actor: String
    public var note: String?
}

/// What an applicant submits.
public struct ApprovalForm: Sendable, Codable, Equatable {
    public var kind: String
    public var scope: [String]
    public var validFrom: String
    public var validTo: String
    public var materials: [String]

    public init(kind: String, scope: [String], validFrom: String, validTo: String, materials: [String]) {
        self.kind = kind
        self.scope = scope
        self.validFrom = validFrom
        self.validTo = validTo
        self.materials = materials
    }
}

/// Who applies: the account, the holder the licence will name, and the district.
public struct Applicant: Sendable, Equatable {
    public var account: String
    public var name: String
    public var district: String
    /// The institution for institution licences (a CHC manager's own CHC).
    public var institution: String?
    /// The Practitioner id for a practitioner's own licence.
    public var practitioner: String?

    public init(account: String, name: String, district: String, institution: String?, practitioner: String?) {
        self.account = account
        self.name = name
        self.district = district
        self.institution = institution
        self.practitioner = practitioner
    }
}

/// The district's figures of the service: conclusions on time, days to conclusion and the ratings (好差评).
public struct ApprovalStats: Sendable, Codable, Equatable {
    public var applications: Int
    /// Not concluded yet (submitted, accepted or returned).
    public var open: Int
    /// Open and past their time limit on the day of the figures.
    public var overdue: Int
    public var concluded: Int
    public var concludedOnTime: Int
    /// concludedOnTime / concluded; nil without conclusions.
    public var onTimeRate: Double?
    /// Calendar days from the first submission to the decision, averaged over the concluded; nil without conclusions.
    public var averageDaysToConclusion: Double?
    public var ratings: Int
    /// Ratings of 3 to 5 (基本满意 and better).
    public var goodRatings: Int
    /// goodRatings / ratings (好评率); nil without ratings.
    public var goodRate: Double?
    /// Ratings of 1 or 2 (差评).
    public var poorRatings: Int
    /// Poor ratings the commission has not followed up yet.
    public var poorAwaitingFollowUp: Int
}

/// 一网通办 行政审批 (Supervision target): applications for licences, their status from submission to the decision
/// with a history, the time limits, the applicants' ratings (好差评) and the commission's follow-up of poor ones.
/// An approval registers the licence through ``Licences/register(_:district:actor:)``, in the approval's own transaction.
public struct Approvals: Sendable {
    public let database: Database
    public let licences: Licences
    /// The kinds of application offered, by code.
    public let kinds: [String: ApprovalKind]
    /// Public holidays (YYYY-MM-DD) not counted as working days; weekends never are. Empty by default: the
    /// yearly holiday calendar of the State Council is configuration, not code.
    public let holidays: Set<String>

    public init(database: Database, kinds: [ApprovalKind] = Approvals.standardKinds, holidays: Set<String> = []) {
        self.database = database
        self.licences = Licences(database: database)
        self.kinds = Dictionary(kinds.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        self.holidays = holidays
    }

    /// 申请材料: the named documents an application may include.
    public static let materials = [
        "application-form": "申请表", "identity": "身份证明", "setup-approval": "设置医疗机构批准书或备案回执",
        "premises": "执业场所产权或使用证明", "floor-plan": "建筑平面图", "staff-list": "卫生技术人员名录及资格证书",
        "equipment-list": "主要设备清单", "rules": "规章制度", "original-licence": "原医疗机构执业许可证正副本",
        "self-inspection": "校验期内执业情况自查报告", "physician-qualification": "医师资格证书", "health-certificate": "体检证明（6 个月内）",
        "employment": "拟执业机构聘用证明", "practice-certificate": "医师执业证书", "training": "相关专业培训考核合格证明",
        "nurse-qualification": "护士执业资格考试成绩合格证明", "nursing-education": "护理学历证书及临床实习证明",
        "radiation-assessment": "职业病危害控制效果评价报告", "radiation-testing": "放射诊疗设备性能及防护检测报告",
        "radiation-staff": "放射工作人员证及个人剂量监测资料", "supplementary": "其他补充材料",
    ]

    /// Working days an application may wait for acceptance (受理) after its submission: the five days of
    /// 行政许可法 第三十二条 to accept it or say at once what is missing.
    public static let acceptanceDays = 5

    /// The six common applications. Time limits are the commission's commitments (承诺办结时限, working days
    /// from acceptance), configurable through ``init(database:kinds:holidays:)``: 20 for institutions (the general
    /// ceiling of 行政许可法 第四十二条), 10 for practitioners (a commitment shorter than the 20 working days of
    /// 医师法 第十四条 and 护士条例 第八条).
    public static let standardKinds = [
        ApprovalKind(code: "institution-registration", name: "医疗机构执业登记", licenceKind: "institution-practice",
                     requiredMaterials: ["application-form", "identity", "setup-approval", "premises", "floor-plan", "staff-list", "equipment-list", "rules"], timeLimitDays: 20),
        ApprovalKind(code: "institution-renewal", name: "医疗机构执业许可证校验/延续", licenceKind: "institution-practice",
                     requiredMaterials: ["application-form", "original-licence", "self-inspection", "staff-list"], timeLimitDays: 20),
        ApprovalKind(code: "physician-registration", name: "医师执业注册", licenceKind: "physician",
                     requiredMaterials: ["application-form", "identity", "physician-qualification", "health-certificate", "employment"], timeLimitDays: 10),
        ApprovalKind(code: "physician-scope-change", name: "医师变更执业范围", licenceKind: "physician",
                     requiredMaterials: ["application-form", "practice-certificate", "training"], timeLimitDays: 10),
        ApprovalKind(code: "nurse-registration", name: "护士执业注册", licenceKind: "nurse",
                     requiredMaterials: ["application-form", "identity", "nurse-qualification", "nursing-education", "health-certificate", "employment"], timeLimitDays: 10),
        ApprovalKind(code: "radiology", name: "放射诊疗许可", licenceKind: "radiology",
                     requiredMaterials: ["application-form", "radiation-assessment", "radiation-testing", "radiation-staff", "rules"], timeLimitDays: 20),
    ]

    public static let statuses = ["submitted": "已提交", "accepted": "已受理", "returned": "退回补正", "approved": "已准予许可", "rejected": "不予许可"]
    /// The order statuses are shown in.
    public static let statusOrder = ["submitted", "accepted", "returned", "approved", "rejected"]
    public static let ratingNames = [5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"]
    /// The commission's steps: the status each starts from and the one it leads to.
    public static let transitions = ["accept": ("submitted", "accepted"), "return": ("submitted", "returned"),
                                     "approve": ("accepted", "approved"), "reject": ("accepted", "rejected")]
    static let concluded = ["approved", "rejected"]

    // MARK: - Working days

    /// Whether `day` is a working day: Monday to Friday and not a configured holiday.
    public func isWorkingDay(_ day: String) -> Bool {
        // 2024-01-01 was a Monday.
        let weekday = ((CalendarDay.days(from: "2024-01-01", to: day) % 7) + 7) % 7
        return weekday < 5 && !holidays.contains(day)
    }

    /// The `count`-th working day after `day` (the day itself does not count).
    public func addingWorkingDays(_ count: Int, to day: String) -> String {
        var current = day
        var left = count
        while left > 0 {
            current = CalendarDay.shift(current, days: 1)
            if isWorkingDay(current) { left -= 1 }
        }
        return current
    }

    /// Why `approval` is overdue on `day`: `acceptance` when it waits for acceptance past ``acceptanceDays``,
    /// `decision` when accepted and past its due day; nil otherwise.
    public func overdue(_ approval: Approval, on day: String) -> String? {
        switch approval.status {
        case "submitted": day > addingWorkingDays(Self.acceptanceDays, to: approval.lastSubmittedDay) ? "acceptance" : nil
        case "accepted": approval.dueDay.flatMap { day > $0 ? "decision" : nil }
        default: nil
        }
    }

    // MARK: - Applying

    /// The kind's checks of a form, shared by submission and resubmission: 422 for an unknown kind, scope or
    /// material, a bad validity, and materials missing (named).
    func checked(_ form: ApprovalForm, requested: [String] = []) throws -> (ApprovalKind, scope: [String], materials: [String]) {
        guard let kind = kinds[form.kind] else {
            throw SupervisionInput.invalid("申请事项须为 \(kinds.keys.sorted().joined(separator: "、")) 之一", "kind")
        }
        let scope = Array(Set(form.scope)).sorted()
        if let unknown = scope.first(where: { Licences.scopes[$0] == nil }) { throw SupervisionInput.invalid("未知执业范围 \(unknown)", "scope") }
        switch kind.licenceKind {
        case "nurse": guard scope == ["nursing"] else { throw SupervisionInput.invalid("护士执业注册的执业范围须为「护理」", "scope") }
        case "physician":
            guard !scope.isEmpty, !scope.contains("nursing") else { throw SupervisionInput.invalid("请选择医师的执业范围（内科、外科、全科医学等专业）", "scope") }
        default: break
        }
        guard CalendarDay.isValid(form.validFrom), CalendarDay.isValid(form.validTo) else { throw SupervisionInput.invalid("申请有效期须为 YYYY-MM-DD", "validFrom") }
        guard form.validTo > form.validFrom else { throw SupervisionInput.invalid("有效期止（\(form.validTo)）须晚于有效期起（\(form.validFrom)）", "validTo") }
        let materials = Array(Set(form.materials)).sorted()
        if let unknown = materials.first(where: { Self.materials[$0] == nil }) { throw SupervisionInput.invalid("未知申请材料 \(unknown)", "materials") }
        let missing = (kind.requiredMaterials + requested).filter { !materials.contains($0) }
        guard missing.isEmpty else {
            var seen = Set<String>()
            let names = missing.filter { seen.insert($0).inserted }.map { Self.materials[$0] ?? $0 }
            throw SupervisionInput.invalid("缺少申请材料：\(names.joined(separator: "、"))", "materials")
        }
        return (kind, scope, materials)
    }

    /// Submits an application for `applicant`: an institution licence for their institution (in the district's
    /// catalogue), a practitioner licence for themselves. 422 for what ``checked`` refuses and a holder missing.
    public func submit(_ form: ApprovalForm, by applicant: Applicant, now: Date = Date()) async throws -> Approval {
        let (kind, scope, materials) = try checked(form)
        let holder: String
        if kind.holderType == "institution" {
            guard let institution = applicant.institution,
                  Catalog.institutions.contains(where: { $0.id == institution && $0.district == applicant.district }) else {
                throw SupervisionInput.invalid("\(kind.name)须由本区名录中医疗机构的负责人申请", "kind")
            }
            holder = institution
        } else {
            guard let practitioner = applicant.practitioner, FHIRID.isValid(practitioner) else {
                throw SupervisionInput.invalid("\(kind.name)须由执业人员本人申请（账号未关联执业人员）", "kind")
            }
            holder = practitioner
        }
        let id = RecordID.make("ap")
        let day = CalendarDay.today(now), at = ISO8601Timestamp.format(now)
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO supervision_approval (id, district, kind, holder_type, holder_id, applicant, applicant_name, scope, valid_from, valid_to, materials,
                    requested, status, submitted_day, last_submitted_day, submitted_at, updated_at)
                VALUES (\(bind: id), \(bind: applicant.district), \(bind: kind.code), \(bind: kind.holderType), \(bind: holder), \(bind: applicant.account),
                    \(bind: String(applicant.name.prefix(100))), \(bind: scope.joined(separator: ",")), \(bind: form.validFrom), \(bind: form.validTo),
                    \(bind: materials.joined(separator: ",")), '', 'submitted', \(bind: day), \(bind: day), \(bind: at), \(bind: at))
                """).run()
            try await Self.log(id, action: "submit", status: "submitted", at: at, actor: applicant.account, note: nil, sql: sql)
        }
        return try await approval(id, district: applicant.district, applicant: applicant.account)
    }

    /// Resubmits a returned application with the materials now provided (those asked for included); 409 unless
    /// returned; 404 for another applicant's.
    public func resubmit(_ id: String, materials: [String], by applicant: Applicant, now: Date = Date()) async throws -> Approval {
        let current = try await approval(id, district: applicant.district, applicant: applicant.account)
        guard current.status == "returned" else { throw Self.conflict(current.status, "补正后重新提交") }
        let form = ApprovalForm(kind: current.kind, scope: current.scope, validFrom: current.validFrom, validTo: current.validTo, materials: materials)
        let (_, _, provided) = try checked(form, requested: current.requestedMaterials)
        let day = CalendarDay.today(now), at = ISO8601Timestamp.format(now)
        try await database.write { sql in
            guard try await sql.raw("""
                UPDATE supervision_approval SET status = 'submitted', materials = \(bind: provided.joined(separator: ",")), requested = '',
                    last_submitted_day = \(bind: day), updated_at = \(bind: at)
                WHERE id = \(bind: id) AND status = 'returned' RETURNING id
                """).first() != nil else { throw Self.conflict("submitted", "补正后重新提交") }
            try await Self.log(id, action: "resubmit", status: "submitted", at: at, actor: applicant.account, note: nil, sql: sql)
        }
        return try await approval(id, district: applicant.district, applicant: applicant.account)
    }

    // MARK: - Deciding

    /// The commission's step on an application of `district`: `accept` (受理), `return` (退回补正, with `reason`
    /// and the `materials` asked for), `approve` (准予许可, registering the licence numbered `licenceNumber`) or
    /// `reject` (不予许可, with `reason`). 404 for another district's application, 409 for a step its status does
    /// not allow, 422 for a missing reason or number (and what ``Licences/register`` refuses).
    public func decide(_ id: String, action: String, reason: String?, materials: [String] = [], licenceNumber: String? = nil,
                       district: String, actor: String, now: Date = Date()) async throws -> Approval {
        guard let step = Self.transitions[action] else {
            throw SupervisionInput.invalid("操作须为 accept（受理）、return（退回补正）、approve（准予许可）或 reject（不予许可）", "action")
        }
        let (from, to) = step
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if action == "return" || action == "reject" {
            guard !reason.isEmpty, reason.count <= 500 else {
                throw SupervisionInput.invalid(action == "return" ? "请写明需补正的内容（不超过 500 字）" : "请写明不予许可的理由（不超过 500 字）", "reason")
            }
        }
        let requested = Array(Set(materials)).sorted()
        if let unknown = requested.first(where: { Self.materials[$0] == nil }) { throw SupervisionInput.invalid("未知申请材料 \(unknown)", "materials") }
        let current = try await approval(id, district: district)
        guard current.status == from else { throw Self.conflict(current.status, Self.actionNames[action] ?? action) }
        let day = CalendarDay.today(now), at = ISO8601Timestamp.format(now)
        // The licence is registered in the same transaction as the approval's change: a concurrent decision (the
        // status no longer what it was) undoes both.
        try await database.write { sql in
            var licence: Licence?
            if action == "approve" { licence = try await register(current, number: licenceNumber, district: district, actor: actor, sql: sql) }
            var changes: SQLQueryString = "status = \(bind: to), updated_at = \(bind: at)"
            switch action {
            case "accept":
                let due = addingWorkingDays(kinds[current.kind]?.timeLimitDays ?? 20, to: day)
                changes = "\(changes), accepted_day = \(bind: day), due_day = \(bind: due)"
            case "return": changes = "\(changes), reason = \(bind: reason), requested = \(bind: requested.joined(separator: ","))"
            default:
                let onTime = current.dueDay.map { day <= $0 } ?? true
                changes = "\(changes), concluded_day = \(bind: day), on_time = \(bind: onTime ? 1 : 0)"
                if action == "reject" { changes = "\(changes), reason = \(bind: reason)" }
                if let licence { changes = "\(changes), licence_id = \(bind: licence.id), licence_number = \(bind: licence.number)" }
            }
            guard try await sql.raw("UPDATE supervision_approval SET \(changes) WHERE id = \(bind: id) AND status = \(bind: from) RETURNING id").first() != nil else {
                throw Self.conflict("changed", Self.actionNames[action] ?? action)
            }
            let note: String? = action == "approve" ? "证书编号 \(licence?.number ?? "")" : reason.isEmpty ? nil : reason
            try await Self.log(id, action: action, status: to, at: at, actor: actor, note: note, sql: sql)
        }
        return try await approval(id, district: district)
    }

    /// Registers the licence an approval of `approval` grants, numbered `number` (422 without one).
    func register(_ approval: Approval, number: String?, district: String, actor: String, sql: any SQLDatabase) async throws -> Licence {
        let number = number?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !number.isEmpty else { throw SupervisionInput.invalid("请填写核发的证书编号", "licenceNumber") }
        guard let kind = kinds[approval.kind] else { throw SupervisionInput.invalid("申请事项 \(approval.kind) 已不再受理", "kind") }
        return try await licences.register(LicenceForm(holderType: approval.holderType, holder: approval.holder, kind: kind.licenceKind, number: number,
                                                       scope: approval.scope, validFrom: approval.validFrom, validTo: approval.validTo),
                                           district: district, actor: actor, sql: sql)
    }

    /// The steps' names as shown.
    public static let actionNames = ["accept": "受理", "return": "退回补正", "approve": "准予许可", "reject": "不予许可", "rate": "评价", "follow-up": "登记整改"]

    static func conflict(_ status: String, _ step: String) -> FHIRError {
        if status == "changed" { return FHIRError.conflict("该申请的状态刚刚已被更改，请刷新后重试") }
        return FHIRError.conflict("该申请当前为「\(statuses[status] ?? status)」，不能\(step)")
    }

    // MARK: - Ratings

    /// The applicant's rating (好差评) of a concluded application, 1 (非常不满意) to 5 (非常满意), once: 409 before the
    /// conclusion or on a second rating, 422 outside 1–5 or for a comment over 500 characters.
    public func rate(_ id: String, score: Int, comment: String?, by applicant: Applicant, now: Date = Date()) async throws -> Approval {
        guard (1...5).contains(score) else { throw SupervisionInput.invalid("评价须为 1（非常不满意）到 5（非常满意）", "score") }
        let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard comment.count <= 500 else { throw SupervisionInput.invalid("评价意见不超过 500 字", "comment") }
        let current = try await approval(id, district: applicant.district, applicant: applicant.account)
        guard Self.concluded.contains(current.status) else { throw FHIRError.conflict("办结后才能评价（当前为「\(Self.statuses[current.status] ?? current.status)」）") }
        let at = ISO8601Timestamp.format(now)
        try await database.write { sql in
            guard try await sql.raw("""
                UPDATE supervision_approval SET rating = \(bind: score), rating_comment = \(bind: comment.isEmpty ? nil : comment), rated_at = \(bind: at)
                WHERE id = \(bind: id) AND rating IS NULL RETURNING id
                """).first() != nil else { throw FHIRError.conflict("该申请已评价，每件只能评价一次") }
            try await Self.log(id, action: "rate", status: current.status, at: at, actor: applicant.account,
                               note: "\(score) \(Self.ratingNames[score] ?? "")" + (comment.isEmpty ? "" : "：\(comment)"), sql: sql)
        }
        return try await approval(id, district: applicant.district, applicant: applicant.account)
    }

    /// The commission's follow-up (整改) of a poor rating (1 or 2), once: 409 for an application without a poor
    /// rating or already followed up; 422 for an empty note.
    public func followUp(_ id: String, note: String, district: String, actor: String, now: Date = Date()) async throws -> Approval {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 1000 else { throw SupervisionInput.invalid("请写明整改情况（不超过 1000 字）", "note") }
        let current = try await approval(id, district: district)
        guard let rating = current.rating, rating <= 2 else { throw FHIRError.conflict("只有差评（不满意、非常不满意）需要登记整改") }
        let at = ISO8601Timestamp.format(now)
        try await database.write { sql in
            guard try await sql.raw("""
                UPDATE supervision_approval SET follow_up = \(bind: note), followed_up_at = \(bind: at), followed_up_by = \(bind: actor)
                WHERE id = \(bind: id) AND follow_up IS NULL RETURNING id
                """).first() != nil else { throw FHIRError.conflict("该差评已登记整改") }
            try await Self.log(id, action: "follow-up", status: current.status, at: at, actor: actor, note: note, sql: sql)
        }
        return try await approval(id, district: district)
    }

    // MARK: - Reading

    /// One application with its history: of `district`, and of `applicant` when given (404 otherwise).
    public func approval(_ id: String, district: String, applicant: String? = nil, on day: String = CalendarDay.today()) async throws -> Approval {
        guard id.count <= 64, var found = try await list(district: district, applicant: applicant, id: id, on: day).first else {
            throw FHIRError.notFound("没有审批申请 \(id)")
        }
        found.history = try await database.read { sql in
            try await sql.raw("SELECT * FROM supervision_approval_event WHERE approval_id = \(bind: id) ORDER BY id").all().map { row in
                ApprovalEvent(action: try row.decode(column: "action", as: String.self), status: try row.decode(column: "status", as: String.self),
                              at: try row.decode(column: "at", as: String.self), actor: try row.decode(column: "actor", as: String.self),
                              note: try row.decode(column: "note", as: String?.self))
            }
        }
        return found
    }

    /// The district's applications (one applicant's when given), newest first, each flagged overdue against `day`.
    /// At most `limit` of them (all when nil).
    public func list(district: String, applicant: String? = nil, id: String? = nil, on day: String = CalendarDay.today(), limit: Int? = 1000) async throws -> [Approval] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let applicant { filter = "\(filter) AND applicant = \(bind: applicant)" }
            if let id { filter = "\(filter) AND id = \(bind: id)" }
            return try await sql.raw("SELECT * FROM supervision_approval WHERE \(filter) ORDER BY submitted_at DESC, id\(unsafeRaw: limit.map { " LIMIT \(max(1, $0))" } ?? "")").all().map { row in
                var approval = try Self.approval(row)
                approval.overdue = overdue(approval, on: day)
                return approval
            }
        }
    }

    /// The district's figures on `day`.
    public func stats(district: String, on day: String = CalendarDay.today()) async throws -> ApprovalStats {
        let all = try await list(district: district, on: day, limit: nil)
        let concluded = all.filter { Self.concluded.contains($0.status) }
        let onTime = concluded.filter { $0.onTime == true }.count
        let days = concluded.compactMap { approval in approval.concludedDay.map { CalendarDay.days(from: approval.submittedDay, to: $0) } }
        let rated = all.compactMap(\.rating)
        let good = rated.filter { $0 >= 3 }.count
        let poor = all.filter { ($0.rating ?? 5) <= 2 }
        return ApprovalStats(applications: all.count, open: all.count - concluded.count, overdue: all.filter { $0.overdue != nil }.count,
                             concluded: concluded.count, concludedOnTime: onTime,
                             onTimeRate: concluded.isEmpty ? nil : Double(onTime) / Double(concluded.count),
                             averageDaysToConclusion: days.isEmpty ? nil : Double(days.reduce(0, +)) / Double(days.count),
                             ratings: rated.count, goodRatings: good, goodRate: rated.isEmpty ? nil : Double(good) / Double(rated.count),
                             poorRatings: poor.count, poorAwaitingFollowUp: poor.filter { $0.followUp == nil }.count)
    }

    static func log(_ id: String, action: String, status: String, at: String, actor: String, note: String?, sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO supervision_approval_event (approval_id, action, status, at, actor, note)
            VALUES (\(bind: id), \(bind: action), \(bind: status), \(bind: at), \(bind: actor), \(bind: note))
            """).run()
    }

    static func approval(_ row: any SQLRow) throws -> Approval {
        func list(_ column: String) throws -> [String] { try row.decode(column: column, as: String.self).split(separator: ",").map(String.init) }
        return Approval(
            id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
            kind: try row.decode(column: "kind", as: String.self), holderType: try row.decode(column: "holder_type", as: String.self),
            holder: try row.decode(column: "holder_id", as: String.self), applicant: try row.decode(column: "applicant", as: String.self),
            applicantName: try row.decode(column: "applicant_name", as: String.self), scope: try list("scope"),
            validFrom: try row.decode(column: "valid_from", as: String.self), validTo: try row.decode(column: "valid_to", as: String.self),
            materials: try list("materials"), requestedMaterials: try list("requested"), status: try row.decode(column: "status", as: String.self),
            submittedDay: try row.decode(column: "submitted_day", as: String.self), lastSubmittedDay: try row.decode(column: "last_submitted_day", as: String.self),
            acceptedDay: try row.decode(column: "accepted_day", as: String?.self), dueDay: try row.decode(column: "due_day", as: String?.self),
            concludedDay: try row.decode(column: "concluded_day", as: String?.self), onTime: try row.decode(column: "on_time", as: Int?.self).map { $0 == 1 },
            reason: try row.decode(column: "reason", as: String?.self), licenceId: try row.decode(column: "licence_id", as: String?.self),
            licenceNumber: try row.decode(column: "licence_number", as: String?.self), rating: try row.decode(column: "rating", as: Int?.self),
            ratingComment: try row.decode(column: "rating_comment", as: String?.self), ratedAt: try row.decode(column: "rated_at", as: String?.self),
            followUp: try row.decode(column: "follow_up", as: String?.self), followedUpAt: try row.decode(column: "followed_up_at", as: String?.self),
            overdue: nil, history: [])
    }
}

extension SupervisionMigrations {
    /// 一网通办 行政审批: applications, one row each with its latest state, and their history.
    static let approvals: [Migration] = [
        Migration(id: "1010_supervision_approvals") { sql in
            [
                """
                CREATE TABLE supervision_approval (id TEXT PRIMARY KEY, district TEXT NOT NULL, kind TEXT NOT NULL, holder_type TEXT NOT NULL, holder_id TEXT NOT NULL,
                    applicant TEXT NOT NULL, applicant_name TEXT NOT NULL, scope TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL,
                    materials TEXT NOT NULL, requested TEXT NOT NULL, status TEXT NOT NULL, submitted_day TEXT NOT NULL, last_submitted_day TEXT NOT NULL,
                    submitted_at TEXT NOT NULL, accepted_day TEXT, due_day TEXT, concluded_day TEXT, on_time INTEGER, reason TEXT, licence_id TEXT,
                    licence_number TEXT, rating INTEGER, rating_comment TEXT, rated_at TEXT, follow_up TEXT, followed_up_at TEXT, followed_up_by TEXT,
                    updated_at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_approval_district ON supervision_approval (district, submitted_at)",
                "CREATE INDEX supervision_approval_applicant ON supervision_approval (applicant, submitted_at)",
                """
                CREATE TABLE supervision_approval_event (id \(sql.autoIncrementPrimaryKey), approval_id TEXT NOT NULL REFERENCES supervision_approval (id),
                    action TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, note TEXT)
                """,
                "CREATE INDEX supervision_approval_event_approval ON supervision_approval_event (approval_id, id)",
            ]
        },
    ]
}
