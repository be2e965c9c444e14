public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A licence (执业许可) of an institution or a practitioner: its kind, number, scope and validity.
public struct Licence: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    /// `institution` or `practitioner`.
    public var holderType: String
    /// The institution's catalogue id or the Practitioner's id.
    public var holder: String
    /// One of ``Licences/kinds``.
    public var kind: String
    public var number: String
    /// 执业范围 / 诊疗科目: codes of ``Licences/scopes``.
    public var scope: [String]
    public var validFrom: String
    public var validTo: String
}

/// A licence against a day: expired, or expiring within the warning window.
public struct LicenceAlert: Sendable, Codable, Equatable {
    public var licence: Licence
    /// `expired` or `expiring`.
    public var status: String
    /// Days left (negative: days since it expired).
    public var daysLeft: Int
}

/// Practice found in the records that no licence covers (超范围执业): who, where, which day, and why.
public struct ScopeViolation: Sendable, Codable, Equatable {
    public var practitioner: String
    public var organization: String
    public var department: String
    public var day: String
    /// `no-licence` (无有效执业证书) or `outside-scope` (超出执业范围).
    public var reason: String
}

/// What an inspector records of a licence.
public struct LicenceForm: Sendable, Codable, Equatable {
    public var holderType: String
    public var holder: String
    public var kind: String
    public var number: String
    public var scope: [String]
    public var validFrom: String
    public var validTo: String

    public init(holderType: String, holder: String, kind: String, number: String, scope: [String], validFrom: String, validTo: String) {
        self.holderType = holderType
        self.holder = holder
        self.kind = kind
        self.number = number
        self.scope = scope
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// 执业许可 (Supervision target): licences with their validity, expiry alerts, and practice outside them.
public struct Licences: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public static let kinds = ["institution-practice": ("institution", "医疗机构执业许可证"), "radiology": ("institution", "放射诊疗许可证"),
                               "physician": ("practitioner", "医师执业证书"), "nurse": ("practitioner", "护士执业证书")]
    /// 执业范围 of physicians (the categories of the registration rules), and the clinical departments each covers.
    public static let scopes = ["internal-medicine": "内科专业", "surgery": "外科专业", "general-practice": "全科医学专业",
                                "ophthalmology-ent": "眼耳鼻咽喉科专业", "rehabilitation": "康复医学专业", "nursing": "护理"]
    public static let departmentScope = ["cardiology": "internal-medicine", "endocrinology": "internal-medicine", "neurology": "internal-medicine",
                                         "respiratory": "internal-medicine", "gastroenterology": "internal-medicine", "nephrology": "internal-medicine",
                                         "geriatrics": "internal-medicine", "orthopaedics": "surgery", "general-surgery": "surgery",
                                         "ophthalmology": "ophthalmology-ent", "rehabilitation": "rehabilitation", "general-practice": "general-practice"]
    /// Days before expiry when a licence is flagged.
    public static let warningDays = 90


    /// Records a licence. 422 for an unknown kind, a holder of the wrong type or not in the district's catalogue
    /// (institutions), a bad id (practitioners), an unknown scope, an empty number, bad days or a validity that
    /// ends before it starts; 409 for a number already recorded.
    public func register(_ form: LicenceForm, district: String, actor: String) async throws -> Licence {
        try await database.write { sql in try await register(form, district: district, actor: actor, sql: sql) }
    }

    /// The same inside the caller's transaction (an approval registers the licence it grants with its own change).
    func register(_ form: LicenceForm, district: String, actor: String, sql: any SQLDatabase) async throws -> Licence {
        guard let kind = Self.kinds[form.kind] else { throw SupervisionInput.invalid("证照类型须为 \(Self.kinds.keys.sorted().joined(separator: "、")) 之一", "kind") }
        guard form.holderType == kind.0 else { throw SupervisionInput.invalid("\(kind.1)的持证方须为\(kind.0 == "institution" ? "机构" : "执业人员")", "holderType") }
        if form.holderType == "institution" {
            guard Catalog.institutions.contains(where: { $0.id == form.holder && $0.district == district }) else {
                throw SupervisionInput.invalid("机构 \(form.holder) 不在本区名录中", "holder")
            }
        } else {
            guard FHIRID.isValid(form.holder) else { throw SupervisionInput.invalid("执业人员编号无效", "holder") }
        }
        let number = form.number.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !number.isEmpty, number.count <= 50 else { throw SupervisionInput.invalid("请填写证书编号（不超过 50 字）", "number") }
        if let unknown = form.scope.first(where: { Self.scopes[$0] == nil }) { throw SupervisionInput.invalid("未知执业范围 \(unknown)", "scope") }
        guard form.holderType == "institution" || !form.scope.isEmpty else { throw SupervisionInput.invalid("执业证书须载明执业范围", "scope") }
        guard CalendarDay.isValid(form.validFrom), CalendarDay.isValid(form.validTo) else { throw SupervisionInput.invalid("有效期须为 YYYY-MM-DD", "validFrom") }
        guard form.validTo >= form.validFrom else { throw SupervisionInput.invalid("有效期止（\(form.validTo)）早于有效期起（\(form.validFrom)）", "validTo") }
        let id = RecordID.make("lc")
        let scope = form.scope.sorted().joined(separator: ",")
        guard try await sql.raw("SELECT id FROM supervision_licence WHERE kind = \(bind: form.kind) AND number = \(bind: number)").first() == nil else {
            throw FHIRError.conflict("证书编号 \(number) 已登记")
        }
        try await sql.raw("""
            INSERT INTO supervision_licence (id, district, holder_type, holder_id, kind, number, scope, valid_from, valid_to, recorded_by, recorded_at)
            VALUES (\(bind: id), \(bind: district), \(bind: form.holderType), \(bind: form.holder), \(bind: form.kind), \(bind: number), \(bind: scope),
                \(bind: form.validFrom), \(bind: form.validTo), \(bind: actor), \(bind: ISO8601Timestamp.now()))
            """).run()
        return Licence(id: id, district: district, holderType: form.holderType, holder: form.holder, kind: form.kind, number: number, scope: form.scope.sorted(),
                       validFrom: form.validFrom, validTo: form.validTo)
    }

    /// The district's licences.
    public func licences(district: String) async throws -> [Licence] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM supervision_licence WHERE district = \(bind: district) ORDER BY valid_to, id").all().map(Self.licence)
        }
    }

    /// The licences expired on `day` or expiring within ``warningDays``, soonest first; not those renewed (the
    /// holder has another of the kind valid that day and beyond the warning window, e.g. granted by an approval).
    public func alerts(district: String, on day: String = CalendarDay.today()) async throws -> [LicenceAlert] {
        let horizon = CalendarDay.shift(day, days: Self.warningDays)
        let all = try await licences(district: district)
        let renewed = Set(all.filter { $0.validFrom <= day && $0.validTo > horizon }.map { "\($0.holder)|\($0.kind)" })
        return all.filter { $0.validTo <= horizon && !renewed.contains("\($0.holder)|\($0.kind)") }.map { licence in
            let left = CalendarDay.days(from: day, to: licence.validTo)
            return LicenceAlert(licence: licence, status: licence.validTo < day ? "expired" : "expiring", daysLeft: left)
        }
    }

    /// Practice that no valid licence covers: each (practitioner, organization, department, day) of `practice`
    /// (taken by the caller from the records, e.g. the hospitals' published sessions) checked against the
    /// practitioner's physician licences valid that day.
    public func violations(district: String, practice: [(practitioner: String, organization: String, department: String, day: String)]) async throws -> [ScopeViolation] {
        let licences = try await licences(district: district).filter { $0.kind == "physician" }
        let byHolder = Dictionary(grouping: licences, by: \.holder)
        return practice.compactMap { item in
            let valid = (byHolder[item.practitioner] ?? []).filter { $0.validFrom <= item.day && item.day <= $0.validTo }
            if valid.isEmpty { return ScopeViolation(practitioner: item.practitioner, organization: item.organization, department: item.department, day: item.day, reason: "no-licence") }
            guard let needed = Self.departmentScope[item.department] else { return nil }
            // The department's category must be in the scope of a licence valid that day.
            if valid.contains(where: { $0.scope.contains(needed) }) { return nil }
            return ScopeViolation(practitioner: item.practitioner, organization: item.organization, department: item.department, day: item.day, reason: "outside-scope")
        }
    }

    static func licence(_ row: any SQLRow) throws -> Licence {
        Licence(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                holderType: try row.decode(column: "holder_type", as: String.self), holder: try row.decode(column: "holder_id", as: String.self),
                kind: try row.decode(column: "kind", as: String.self), number: try row.decode(column: "number", as: String.self),
                scope: try row.decode(column: "scope", as: String.self).split(separator: ",").map(String.init),
                validFrom: try row.decode(column: "valid_from", as: String.self), validTo: try row.decode(column: "valid_to", as: String.self))
    }
}
