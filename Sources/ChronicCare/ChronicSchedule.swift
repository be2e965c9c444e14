import Foundation
import SQLKit
import Storage

/// The follow-up schedule and control status of enrolments, derived in SQL from the readings: the last
/// follow-up (the latest day with the programme's reading), the next due day (the last follow-up plus the
/// programme's interval, or the enrolment day when there has been none), follow-ups in the year before the
/// day, whether the latest reading is controlled (blood pressure < 140/90 mmHg, fasting glucose < 7.0 mmol/L)
/// and how many of the latest readings in a row are not (0–2, for escalation).
///
/// One set-based statement per programme: the same SQL recomputes one resident (after a reading) or a whole
/// district (`weijian bench chronic`).
enum ChronicSchedule {
    /// The condition a reading of `kind` (alias `r`) is controlled.
    static func controlled(_ kind: String) -> String {
        kind == "bp" ? "(r.value1 < 140 AND r.value2 < 90)" : "(r.value1 < 7.0)"
    }

    /// `day` plus `days` as YYYY-MM-DD text, in the engine's SQL.
    static func addDays(_ column: String, _ days: Int, engine: DatabaseEngine) -> String {
        switch engine {
        case .sqlite: "date(\(column), '+\(days) days')"
        case .postgres: "to_char(CAST(\(column) AS date) + \(days), 'YYYY-MM-DD')"
        }
    }

    /// Recomputes the enrolments of one resident as of `day`.
    static func recompute(sql: any SQLDatabase, engine: DatabaseEngine, day: String, patient: String) async throws {
        try await recompute(sql: sql, engine: engine, day: day, patients: [patient])
    }

    /// Recomputes the enrolments of the given residents (in chunks of 500).
    static func recompute(sql: any SQLDatabase, engine: DatabaseEngine, day: String, patients: [String]) async throws {
        for chunk in patients.chunked(500) {
            try await recompute(sql: sql, engine: engine, day: day, filter: "patient_id IN (" + chunk.map(literal).joined(separator: ", ") + ")")
        }
    }

    /// Recomputes every enrolment of the district (the nightly run).
    static func recomputeAll(sql: any SQLDatabase, engine: DatabaseEngine, day: String) async throws {
        try await recompute(sql: sql, engine: engine, day: day, filter: nil)
    }

    private static func recompute(sql: any SQLDatabase, engine: DatabaseEngine, day: String, filter extra: String?) async throws {
        let programmes = try await sql.raw("SELECT code, reading, follow_up_days FROM chronic_programme WHERE reading IS NOT NULL").all().map {
            (code: try $0.decode(column: "code", as: String.self), reading: try $0.decode(column: "reading", as: String.self),
             days: try $0.decode(column: "follow_up_days", as: Int.self))
        }
        let yearAgo = CalendarDay.shift(day, days: -365)
        for programme in programmes {
            let kind = programme.reading
            let ok = controlled(kind)
            let same = "r.patient_id = chronic_enrolment.patient_id AND r.kind = '\(kind)' AND r.taken_on <= \(literal(day))"
            let latest = "SELECT CASE WHEN \(ok) THEN 0 ELSE 1 END FROM chronic_reading r WHERE \(same) ORDER BY r.taken_on DESC, r.source DESC"
            var filter = "programme = \(literal(programme.code))"
            if let extra { filter += " AND " + extra }
            try await sql.raw(SQLQueryString(stringLiteral: """
                UPDATE chronic_enrolment SET
                    last_follow_up = (SELECT MAX(r.taken_on) FROM chronic_reading r WHERE \(same)),
                    follow_ups_year = (SELECT COUNT(DISTINCT r.taken_on) FROM chronic_reading r WHERE \(same) AND r.taken_on > \(literal(yearAgo))),
                    controlled = (SELECT CASE WHEN \(ok) THEN 1 ELSE 0 END FROM chronic_reading r WHERE \(same) ORDER BY r.taken_on DESC, r.source DESC LIMIT 1),
                    uncontrolled_streak = COALESCE((\(latest) LIMIT 1), 0) * (1 + COALESCE((\(latest) LIMIT 1 OFFSET 1), 0))
                WHERE \(filter)
                """)).run()
            try await sql.raw(SQLQueryString(stringLiteral: """
                UPDATE chronic_enrolment SET next_due = CASE WHEN last_follow_up IS NULL THEN since
                    ELSE \(addDays("last_follow_up", programme.days, engine: engine)) END
                WHERE \(filter)
                """)).run()
        }
    }

    /// A quoted SQL literal for text known to hold only digits, letters, `-` and `_` (ids, codes, days).
    static func literal(_ text: String) -> String {
        "'" + text.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }.replacingOccurrences(of: "'", with: "") + "'"
    }

}
