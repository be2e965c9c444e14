import FHIR
import Foundation
import SQLKit
import Storage

/// A periodic check of a managed resident and when it is next due: the yearly health check (年度健康体检)
/// and the complication screenings (并发症筛查: kidney, retinopathy, foot), as data in `chronic_check`.
public struct CheckDue: Sendable, Codable, Equatable {
    public var patient: String
    /// The check's code (`annual-check`, `kidney`, `retinopathy`, `foot`) and Chinese name.
    public var check: String
    public var name: String
    /// The last day it was done, nil when never.
    public var lastDone: String?
    /// The day it is due: the last time plus the interval, or the enrolment day when never done.
    public var due: String
}

/// The checks: what satisfies them (a completed Procedure coded with one of the check's codes, which the
/// follow-up form writes too) and their due days, computed from the record.
public enum ChronicCheck {
    /// The code system of the checks' own codes.
    public static let system = "https://weijian.health/CodeSystem/chronic-check"

    /// The checks by code: name and the `system|code` pairs that satisfy them.
    static func all(sql: any SQLDatabase) async throws -> [String: (name: String, codes: Set<String>)] {
        var checks: [String: (name: String, codes: Set<String>)] = [:]
        for row in try await sql.raw("SELECT code, name, codes FROM chronic_check").all() {
            checks[try row.decode(column: "code", as: String.self)] = (try row.decode(column: "name", as: String.self),
                                                                        Set(try row.decode(column: "codes", as: String.self).split(separator: ",").map(String.init)))
        }
        return checks
    }

    /// The checks a completed Procedure satisfies (none for other statuses).
    static func satisfied(by procedure: JSONValue, checks: [String: (name: String, codes: Set<String>)]) -> [String] {
        guard procedure["status"]?.stringValue == "completed" else { return [] }
        let codes = (procedure["code"]?["coding"]?.arrayValue ?? []).compactMap { coding -> String? in
            guard let system = coding["system"]?.stringValue, let code = coding["code"]?.stringValue else { return nil }
            return system + "|" + code
        }
        return checks.filter { !$0.value.codes.isDisjoint(with: codes) }.map(\.key).sorted()
    }

    /// The day a Procedure was performed.
    static func day(of procedure: JSONValue) -> String? {
        let text = procedure["performedDateTime"]?.stringValue ?? procedure["performedPeriod"]?["start"]?.stringValue
        return text.map { String($0.prefix(10)) }.flatMap { CalendarDay.isValid($0) ? $0 : nil }
    }

    /// `column` plus the integer column `days`, as YYYY-MM-DD text, in the engine's SQL.
    static func addDays(_ column: String, daysColumn: String, engine: DatabaseEngine) -> String {
        switch engine {
        case .sqlite: "date(\(column), '+' || \(daysColumn) || ' days')"
        case .postgres: "to_char(CAST(\(column) AS date) + \(daysColumn), 'YYYY-MM-DD')"
        }
    }

    /// The checks of confirmed enrolments with their due days: for the given residents, or, with `patients`
    /// nil, every resident whose check falls due by `dueBy` and not before `dueFrom` (the reminder job).
    static func due(sql: any SQLDatabase, engine: DatabaseEngine, patients: [String]?, dueFrom: String? = nil, dueBy: String? = nil) async throws -> [CheckDue] {
        let due = "COALESCE(\(addDays("MAX(d.done_on)", daysColumn: "c.interval_days", engine: engine)), MIN(e.since))"
        func query(_ filter: String) -> SQLQueryString {
            var having: [String] = []
            if let dueFrom { having.append("\(due) >= \(ChronicSchedule.literal(dueFrom))") }
            if let dueBy { having.append("\(due) <= \(ChronicSchedule.literal(dueBy))") }
            return SQLQueryString(stringLiteral: """
                SELECT e.patient_id, c.code, c.name, MAX(d.done_on) AS last_done, \(due) AS due
                FROM chronic_enrolment e JOIN chronic_check_programme p ON p.programme = e.programme JOIN chronic_check c ON c.code = p.check_code
                LEFT JOIN chronic_check_done d ON d.patient_id = e.patient_id AND d.check_code = c.code
                WHERE e.status = 'confirmed'\(filter)
                GROUP BY e.patient_id, c.code, c.name, c.interval_days\(having.isEmpty ? "" : " HAVING " + having.joined(separator: " AND "))
                ORDER BY e.patient_id, c.code
                """)
        }
        func decode(_ row: any SQLRow) throws -> CheckDue {
            CheckDue(patient: try row.decode(column: "patient_id", as: String.self), check: try row.decode(column: "code", as: String.self),
                     name: try row.decode(column: "name", as: String.self), lastDone: try row.decode(column: "last_done", as: String?.self),
                     due: try row.decode(column: "due", as: String.self))
        }
        guard let patients else { return try await sql.raw(query("")).all().map(decode) }
        var found: [CheckDue] = []
        for chunk in patients.chunked(500) {
            found += try await sql.raw(query(" AND e.patient_id IN (" + chunk.map(ChronicSchedule.literal).joined(separator: ", ") + ")")).all().map(decode)
        }
        return found
    }
}

extension ChronicService {
    /// The checks of the given residents' confirmed enrolments, with their due days.
    public func checks(patients: [String]) async throws -> [CheckDue] {
        try await database.read { try await ChronicCheck.due(sql: $0, engine: database.engine, patients: patients) }
    }

    /// The checks there are: code and Chinese name.
    public func checkNames() async throws -> [String: String] {
        try await database.read { try await ChronicCheck.all(sql: $0).mapValues(\.name) }
    }
}
