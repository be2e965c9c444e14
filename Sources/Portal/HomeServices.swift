public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A home service a resident asks of their community health centre: an Internet+ nursing order (互联网+护理服务),
/// a hospice assessment (安宁疗护) or a family sickbed (家庭病床).
public struct HomeServiceOrder: Sendable, Codable, Equatable {
    public var id: String
    /// `nursing`, `hospice` or `sickbed`.
    public var kind: String
    public var patient: String
    /// The CHC that provides it (the resident's).
    public var institution: String
    public var status: String
    /// The nursing service's code (``HomeServices/nursingCatalogue``).
    public var item: String?
    public var address: String?
    public var scheduledAt: String?
    public var description: String
    /// What the steps recorded: `nurse`, `reason`, `scale`, `score`, `setting`, `place`, `carePlan`, `visitDays`,
    /// `bed`, `summary`, `assessment`, with the time and account of each step (`<step>At`, `<step>By`).
    public var detail: [String: String]
    public var feeFen: Int
    public var paidAt: String?
    public var createdAt: String
    public var updatedAt: String
}

/// A nursing service of the catalogue, with its price in 分 (the visit included).
public struct NursingService: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var feeFen: Int
}

/// A scale of the hospice assessment and the score at which hospice care is indicated.
public struct HospiceScale: Sendable, Equatable {
    public var name: String
    public var range: ClosedRange<Int>
    public var step: Int
    public var threshold: Int
    /// Whether scores at or below the threshold indicate hospice care (PPS), else at or above it (ECOG).
    public var atOrBelow: Bool

    public func eligible(_ score: Int) -> Bool { atOrBelow ? score <= threshold : score >= threshold }
    public var rule: String { "\(name) \(atOrBelow ? "≤" : "≥") \(threshold)" }
}

/// What a resident sends.
public struct HomeServiceForm: Sendable, Codable, Equatable {
    public var item: String?
    public var address: String?
    public var scheduledAt: String?
    public var description: String?

    public init(item: String? = nil, address: String? = nil, scheduledAt: String? = nil, description: String? = nil) {
        self.item = item
        self.address = address
        self.scheduledAt = scheduledAt
        self.description = description
    }
}

/// 互联网+护理服务、安宁疗护、家庭病床 (Portal target): the state of each request as data (``HomeServices/steps``), one
/// step at a time by the CHC's staff, cancellation by the resident before the CHC takes it.
public struct HomeServices: Sendable {
    public let store: FHIRStore
    public var database: Database { store.database }

    public init(store: FHIRStore) { self.store = store }

    public static let kinds = ["nursing": "互联网+护理服务", "hospice": "安宁疗护", "sickbed": "家庭病床"]

    /// 互联网+护理服务 items (prices as a Shanghai CHC's, visit fee included).
    public static let nursingCatalogue: [NursingService] = [
        NursingService(code: "dressing", name: "伤口换药", feeFen: 12000),
        NursingService(code: "picc", name: "PICC 导管维护", feeFen: 18000),
        NursingService(code: "catheter", name: "导尿管护理（更换）", feeFen: 15000),
        NursingService(code: "pressure-ulcer", name: "压疮护理", feeFen: 16000),
        NursingService(code: "gastric-tube", name: "鼻饲管护理（更换）", feeFen: 15000),
        NursingService(code: "injection", name: "肌内注射", feeFen: 8000),
    ]

    public static let statuses: [String: [String: String]] = [
        "nursing": ["requested": "待受理", "accepted": "已受理", "assigned": "已派护士", "completed": "已完成", "declined": "未受理", "cancelled": "已取消"],
        "hospice": ["requested": "待评估", "eligible": "符合收治条件", "not-eligible": "暂不符合", "referred": "已转介", "declined": "未受理", "cancelled": "已取消"],
        "sickbed": ["requested": "待评估", "assessed": "评估通过", "admitted": "已建床", "discharged": "已撤床", "declined": "不宜建床", "cancelled": "已取消"],
    ]

    /// Each step: the statuses it may be taken from and the status it leads to (`assess` of hospice leads to
    /// `eligible` or `not-eligible` by the score).
    public static let steps: [String: [String: (from: Set<String>, to: String, name: String)]] = [
        "nursing": [
            "accept": (["requested"], "accepted", "受理"), "assign": (["accepted", "assigned"], "assigned", "派护士"),
            "complete": (["assigned"], "completed", "完成服务"), "decline": (["requested"], "declined", "不予受理"),
        ],
        "hospice": [
            "assess": (["requested"], "eligible", "评估"), "refer": (["eligible"], "referred", "转介"), "decline": (["requested"], "declined", "不予受理"),
        ],
        "sickbed": [
            "assess": (["requested"], "assessed", "评估"), "admit": (["assessed"], "admitted", "建床"), "discharge": (["admitted"], "discharged", "撤床"),
            "decline": (["requested", "assessed"], "declined", "不宜建床"),
        ],
    ]

    /// The hospice assessment's scales and the score at which hospice care is indicated: the Palliative
    /// Performance Scale (PPS, 0–100 in steps of 10) at or below 50%, or ECOG (0–5) at or above 3.
    public static let hospiceScales: [String: HospiceScale] = [
        "pps": HospiceScale(name: "姑息功能评价量表 PPS", range: 0...100, step: 10, threshold: 50, atOrBelow: true),
        "ecog": HospiceScale(name: "ECOG 体能状态评分", range: 0...5, step: 1, threshold: 3, atOrBelow: false),
    ]
    public static let hospiceSettings = ["inpatient": "安宁疗护病床（住院）", "home": "居家安宁疗护"]

    /// A resident asks. Nursing needs a catalogue item, an address and a time within 60 days; every kind a
    /// description. 422 otherwise (or when their record names no CHC).
    public func request(_ kind: String, _ form: HomeServiceForm, patient: String, now: Date = Date()) async throws -> HomeServiceOrder {
        guard Self.kinds[kind] != nil else { throw PortalInput.invalid("服务类型须为 nursing、hospice 或 sickbed", "kind") }
        var item: NursingService?
        var address: String?
        var scheduled: String?
        if kind == "nursing" {
            guard let found = Self.nursingCatalogue.first(where: { $0.code == form.item }) else { throw PortalInput.invalid("请从目录中选择护理项目", "item") }
            item = found
            scheduled = try PortalInput.appointment(form.scheduledAt, field: "scheduledAt", now: now)
        }
        if kind != "hospice" {
            address = try PortalInput.required(form.address, field: "address", label: "上门地址", max: 200)
        }
        let label = kind == "nursing" ? "病情与护理需求" : kind == "hospice" ? "患者病情（诊断、目前状况、照护需求）" : "病情与建床理由"
        let description = try PortalInput.required(form.description, field: "description", label: label, max: 1000)
        let id = RecordID.make(kind == "nursing" ? "hn" : kind == "hospice" ? "hp" : "fb")
        let at = ISO8601Timestamp.format(now)
        return try await store.write { writer in
            let chc = try PortalInput.chc(of: try await PortalInput.patient(patient, writer: writer))
            if kind != "nursing" {
                let open = try await writer.sql.raw("""
                    SELECT id FROM portal_order WHERE patient_id = \(bind: patient) AND kind = \(bind: kind) AND status NOT IN ('discharged', 'declined', 'cancelled', 'not-eligible', 'referred')
                    """).first()
                guard open == nil else { throw FHIRError.conflict("已有进行中的\(Self.kinds[kind] ?? kind)申请") }
            }
            try await writer.sql.raw("""
                INSERT INTO portal_order (id, kind, patient_id, institution, status, item, address, scheduled_at, description, detail, fee_fen, created_at, updated_at)
                VALUES (\(bind: id), \(bind: kind), \(bind: patient), \(bind: chc), 'requested', \(bind: item?.code), \(bind: address), \(bind: scheduled),
                    \(bind: description), '{}', \(bind: item?.feeFen ?? 0), \(bind: at), \(bind: at))
                """).run()
            return try await Self.order(id, sql: writer.sql)
        }
    }

    /// The CHC's staff take a step (`fields` as the step needs: `nurse`; `reason`; `scale` and `score`;
    /// `setting` and `place`; `carePlan`, `visitDays` and `bed`; `summary`). 404 unless the order is their CHC's;
    /// 409 when its status does not allow the step; 422 for what a step needs and lacks.
    public func act(_ id: String, step: String, fields: [String: String], by actor: StaffActor, now: Date = Date()) async throws -> HomeServiceOrder {
        let at = ISO8601Timestamp.format(now)
        return try await database.write { sql in
            let order = try await Self.order(id, sql: sql)
            guard order.institution == actor.institution else { throw FHIRError.notFound("本中心没有服务申请 \(id)") }
            guard let rule = Self.steps[order.kind]?[step] else { throw PortalInput.invalid("未知操作 \(step)", "step") }
            guard rule.from.contains(order.status) else {
                throw FHIRError.conflict("\(Self.kinds[order.kind] ?? order.kind)申请\(Self.statuses[order.kind]?[order.status] ?? order.status)，不能\(rule.name)")
            }
            try await Self.hold(order, sql: sql)
            var detail = try await Self.order(id, sql: sql).detail
            var status = rule.to
            switch (order.kind, step) {
            case (_, "decline"):
                detail["reason"] = try PortalInput.required(fields["reason"], field: "reason", label: "原因", max: 500)
            case ("nursing", "assign"):
                detail["nurse"] = try PortalInput.required(fields["nurse"], field: "nurse", label: "上门护士姓名", max: 50)
            case ("nursing", "complete"):
                detail["summary"] = try PortalInput.text(fields["summary"], field: "summary", label: "护理记录", max: 2000, required: false)
            case ("hospice", "assess"):
                let code = fields["scale"] ?? "pps"
                guard let scale = Self.hospiceScales[code] else { throw PortalInput.invalid("评估量表须为 pps 或 ecog", "scale") }
                guard let score = Int(fields["score"] ?? ""), scale.range.contains(score), score % scale.step == 0 else {
                    throw PortalInput.invalid("\(scale.name)评分须为 \(scale.range.lowerBound)–\(scale.range.upperBound)\(scale.step > 1 ? "（\(scale.step) 的倍数）" : "") 的整数", "score")
                }
                status = scale.eligible(score) ? "eligible" : "not-eligible"
                detail["scale"] = code
                detail["score"] = String(score)
                detail["assessment"] = try PortalInput.text(fields["assessment"], field: "assessment", label: "评估意见", max: 2000, required: false)
            case ("hospice", "refer"):
                guard let setting = fields["setting"], Self.hospiceSettings[setting] != nil else { throw PortalInput.invalid("转介去向须为 inpatient（安宁疗护病床）或 home（居家安宁疗护）", "setting") }
                detail["setting"] = setting
                detail["place"] = try PortalInput.required(fields["place"], field: "place", label: "接收机构或团队", max: 100)
            case ("sickbed", "assess"):
                detail["assessment"] = try PortalInput.required(fields["assessment"], field: "assessment", label: "评估意见", max: 2000)
            case ("sickbed", "admit"):
                detail["carePlan"] = try PortalInput.required(fields["carePlan"], field: "carePlan", label: "治疗护理计划", max: 2000)
                let days = (fields["visitDays"] ?? "").split(whereSeparator: { ", ，、".contains($0) }).compactMap { Int($0) }
                guard !days.isEmpty, days.allSatisfy({ (1...7).contains($0) }), Set(days).count == days.count else {
                    throw PortalInput.invalid("请选择每周查床日（周一至周日，至少一天）", "visitDays")
                }
                detail["visitDays"] = days.sorted().map(String.init).joined(separator: ",")
                detail["bed"] = "家床-\(id.suffix(6).uppercased())"
            case ("sickbed", "discharge"):
                detail["summary"] = try PortalInput.required(fields["summary"], field: "summary", label: "撤床小结", max: 2000)
            default:
                break
            }
            detail["\(step)At"] = at
            detail["\(step)By"] = actor.account
            try await sql.raw("""
                UPDATE portal_order SET status = \(bind: status), detail = \(bind: PortalInput.json(detail)), updated_at = \(bind: at) WHERE id = \(bind: id)
                """).run()
            return try await Self.order(id, sql: sql)
        }
    }

    /// The resident withdraws a request the CHC has not yet taken. 404 unless it is theirs; 409 after.
    public func cancel(_ id: String, patient: String, now: Date = Date()) async throws -> HomeServiceOrder {
        try await database.write { sql in
            let order = try await Self.order(id, sql: sql)
            guard order.patient == patient else { throw FHIRError.notFound("没有服务申请 \(id)") }
            guard order.status == "requested" else { throw FHIRError.conflict("申请\(Self.statuses[order.kind]?[order.status] ?? order.status)，不能取消") }
            try await Self.hold(order, sql: sql)
            try await sql.raw("UPDATE portal_order SET status = 'cancelled', updated_at = \(bind: ISO8601Timestamp.format(now)) WHERE id = \(bind: id)").run()
            return try await Self.order(id, sql: sql)
        }
    }

    /// A resident's orders, or a CHC's, newest first.
    public func list(kind: String? = nil, patient: String? = nil, institution: String? = nil, limit: Int = 200) async throws -> [HomeServiceOrder] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let kind { filter = "\(filter) AND kind = \(bind: kind)" }
            if let patient { filter = "\(filter) AND patient_id = \(bind: patient)" }
            if let institution { filter = "\(filter) AND institution = \(bind: institution)" }
            return try await sql.raw("SELECT * FROM portal_order WHERE \(filter) ORDER BY created_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))").all().map(Self.decode)
        }
    }

    public func find(_ id: String) async throws -> HomeServiceOrder? {
        try await database.read { sql in try await sql.raw("SELECT * FROM portal_order WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    /// Holds the order while it still has the status read (a row lock on PostgreSQL), else 409.
    static func hold(_ order: HomeServiceOrder, sql: any SQLDatabase) async throws {
        let held = try await sql.raw("UPDATE portal_order SET status = status WHERE id = \(bind: order.id) AND status = \(bind: order.status) RETURNING id").first()
        guard held != nil else { throw FHIRError.conflict("申请已被他人处理，请刷新后重试") }
    }

    static func order(_ id: String, sql: any SQLDatabase) async throws -> HomeServiceOrder {
        guard let row = try await sql.raw("SELECT * FROM portal_order WHERE id = \(bind: id)").first() else { throw FHIRError.notFound("没有服务申请 \(id)") }
        return try decode(row)
    }

    static func decode(_ row: any SQLRow) throws -> HomeServiceOrder {
        HomeServiceOrder(id: try row.decode(column: "id", as: String.self), kind: try row.decode(column: "kind", as: String.self),
                         patient: try row.decode(column: "patient_id", as: String.self), institution: try row.decode(column: "institution", as: String.self),
                         status: try row.decode(column: "status", as: String.self), item: try row.decode(column: "item", as: String?.self),
                         address: try row.decode(column: "address", as: String?.self), scheduledAt: try row.decode(column: "scheduled_at", as: String?.self),
                         description: try row.decode(column: "description", as: String.self),
                         detail: try PortalInput.decodeJSON(try row.decode(column: "detail", as: String.self), as: [String: String].self),
                         feeFen: try row.decode(column: "fee_fen", as: Int.self), paidAt: try row.decode(column: "paid_at", as: String?.self),
                         createdAt: try row.decode(column: "created_at", as: String.self), updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
