public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// One drug of an e-prescription as the clinician writes it.
public struct PrescriptionItem: Sendable, Codable, Equatable {
    /// The drug's ATC code (the catalogue's, ``Drugs``).
    public var atc: String
    /// The dose each time, in `unit` (`mg` or `g`).
    public var dose: Double
    public var unit: String?
    public var timesPerDay: Int
    public var days: Int

    public init(atc: String, dose: Double, unit: String? = "mg", timesPerDay: Int, days: Int) {
        self.atc = atc
        self.dose = dose
        self.unit = unit
        self.timesPerDay = timesPerDay
        self.days = days
    }
}

/// A pre-review rule (处方前置审核规则), held as data in `portal_prereview_rule`.
public struct PreReviewRule: Sendable, Codable, Equatable {
    public var id: String
    /// `max-dose`, `duplicate` or `interaction`.
    public var kind: String
    /// For `duplicate`: how many leading ATC characters make a class (5: the chemical subgroup).
    public var parameter: String?
    /// For `interaction`: two ATC codes or code prefixes.
    public var atcA: String?
    public var atcB: String?
    public var reason: String
    public var enabled: Bool

    public init(id: String, kind: String, parameter: String? = nil, atcA: String? = nil, atcB: String? = nil, reason: String, enabled: Bool = true) {
        self.id = id
        self.kind = kind
        self.parameter = parameter
        self.atcA = atcA
        self.atcB = atcB
        self.reason = reason
        self.enabled = enabled
    }
}

/// A drug the resident already takes (an active MedicationRequest of their record).
public struct ActiveDrug: Sendable, Equatable {
    public var atc: String
    public var name: String
    public var reference: String

    public init(atc: String, name: String, reference: String) {
        self.atc = atc
        self.name = name
        self.reference = reference
    }
}

/// 处方前置审核: every e-prescription of an online return visit is checked before it is issued, against the rules
/// of `portal_prereview_rule`: the largest daily dose of the drug's label (``Drugs``, through
/// ``Drugs/dailyMilligrams(of:)`` over the MedicationRequest as it would be written), duplicate therapy (two drugs
/// of one ATC class in the prescription, or one of them against the resident's active MedicationRequests), and the
/// listed interactions.
public enum PreReview {
    /// The reasons a prescription is refused, in Chinese; empty when it passes. `requests` are the
    /// MedicationRequests the items would be written as (same order).
    public static func check(_ items: [PrescriptionItem], requests: [JSONValue], active: [ActiveDrug], rules: [PreReviewRule]) -> [String] {
        var reasons: [String] = []
        let enabled = rules.filter(\.enabled)
        func name(_ atc: String) -> String { Drugs.catalogue.first { $0.atc == atc }?.name ?? atc }
        if let rule = enabled.first(where: { $0.kind == "max-dose" }) {
            for (item, request) in zip(items, requests) {
                guard let drug = Drugs.drug(of: request), let daily = Drugs.dailyMilligrams(of: request), daily > drug.maximumDailyMilligrams else { continue }
                let amount = daily.rounded() == daily ? String(Int(daily)) : String(format: "%.1f", daily)
                reasons.append("\(drug.name)每日 \(amount) mg，\(rule.reason) \(Int(drug.maximumDailyMilligrams)) mg（\(item.atc)）")
            }
        }
        for rule in enabled where rule.kind == "duplicate" {
            let length = Int(rule.parameter ?? "") ?? 5
            func cls(_ atc: String) -> String { String(atc.prefix(length)) }
            for (index, item) in items.enumerated() {
                for other in items[..<index] where cls(other.atc) == cls(item.atc) {
                    reasons.append("\(name(other.atc))与\(name(item.atc))同属 \(cls(item.atc)) 类：\(rule.reason)")
                }
                for drug in active where cls(drug.atc) == cls(item.atc) {
                    reasons.append("\(name(item.atc))与正在使用的\(drug.name)同属 \(cls(item.atc)) 类：\(rule.reason)")
                }
            }
        }
        let everything = items.map { ($0.atc, name($0.atc), true) } + active.map { ($0.atc, $0.name, false) }
        for rule in enabled where rule.kind == "interaction" {
            guard let a = rule.atcA, let b = rule.atcB, !a.isEmpty, !b.isEmpty else { continue }
            // Each pair once, with at least one drug of this prescription in it.
            for (i, first) in everything.enumerated() {
                for second in everything[(i + 1)...] where first.2 || second.2 {
                    let matches = (first.0.hasPrefix(a) && second.0.hasPrefix(b)) || (first.0.hasPrefix(b) && second.0.hasPrefix(a))
                    guard matches else { continue }
                    let already = first.2 && second.2 ? "" : "（正在使用）"
                    reasons.append("\(first.1)与\(second.1)\(already)存在相互作用：\(rule.reason)")
                }
            }
        }
        return reasons
    }

    /// The rules as stored.
    public static func rules(sql: any SQLDatabase) async throws -> [PreReviewRule] {
        try await sql.raw("SELECT * FROM portal_prereview_rule ORDER BY kind, id").all().map { row in
            PreReviewRule(id: try row.decode(column: "id", as: String.self), kind: try row.decode(column: "kind", as: String.self),
                          parameter: try row.decode(column: "parameter", as: String?.self), atcA: try row.decode(column: "atc_a", as: String?.self),
                          atcB: try row.decode(column: "atc_b", as: String?.self), reason: try row.decode(column: "reason", as: String.self),
                          enabled: try row.decode(column: "enabled", as: Int.self) != 0)
        }
    }

    /// Adds or replaces an interaction rule (the commission's pharmacists keep the table). 422 for codes that are not
    /// ATC codes or prefixes, or no reason.
    public static func saveInteraction(id: String, atcA: String, atcB: String, reason: String, enabled: Bool, database: Database) async throws -> PreReviewRule {
        func atc(_ text: String, _ field: String) throws -> String {
            let code = text.trimmingCharacters(in: .whitespaces).uppercased()
            guard (1...7).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw PortalInput.invalid("\(field) 须为 ATC 编码或其前缀（如 C10AA）", field)
            }
            return code
        }
        let a = try atc(atcA, "atcA"), b = try atc(atcB, "atcB")
        let reason = try PortalInput.required(reason, field: "reason", label: "相互作用说明", max: 300)
        let key = try PortalInput.required(id, field: "id", label: "规则编号", max: 64)
        guard key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { throw PortalInput.invalid("规则编号只能含字母、数字和 -", "id") }
        try await database.write { sql in
            if let row = try await sql.raw("SELECT kind FROM portal_prereview_rule WHERE id = \(bind: key)").first(),
               try row.decode(column: "kind", as: String.self) != "interaction" {
                throw PortalInput.invalid("规则 \(key) 不是相互作用规则", "id")
            }
            try await sql.raw("""
                INSERT INTO portal_prereview_rule (id, kind, parameter, atc_a, atc_b, reason, enabled) VALUES (\(bind: key), 'interaction', NULL, \(bind: a), \(bind: b), \(bind: reason), \(bind: enabled ? 1 : 0))
                ON CONFLICT (id) DO UPDATE SET atc_a = excluded.atc_a, atc_b = excluded.atc_b, reason = excluded.reason, enabled = excluded.enabled
                """).run()
        }
        return PreReviewRule(id: key, kind: "interaction", atcA: a, atcB: b, reason: reason, enabled: enabled)
    }
}
