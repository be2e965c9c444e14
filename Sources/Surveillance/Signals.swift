import FHIR
import Foundation
import Messaging
import SQLKit
import Storage

/// An early-warning signal (预警信号) and where it is in its lifecycle: generated → verified (true or false,
/// 核实) → responded (现场处置, for true signals) → closed.
public struct Signal: Sendable, Codable, Equatable {
    public var id: String
    public var disease: String
    public var subdistrict: String
    public var district: String
    /// `any-case` (甲类及乙类甲管 单病例), `cluster` (≥ k cases in d days), `ears-c3`.
    public var detector: String
    public var day: String
    /// Cases on the day (any-case, EARS) or in the window (cluster).
    public var cases: Int
    public var detail: String
    /// `pending`, `verified`, `responded`, `closed`.
    public var status: String
    public var generatedAt: String
    public var verifiedAt: String?
    public var verdict: String?
    public var respondedAt: String?
    public var response: String?
    public var closedAt: String?
}

/// Response to signals as CIDARS reports it: the share verified within 24 hours and the median hours to verify.
public struct SignalResponse: Sendable, Codable, Equatable {
    public var signals: Int
    public var verified: Int
    public var verifiedWithin24Hours: Int
    /// Percent of signals verified within 24 hours, rounded down.
    public var responsePercent: Int
    public var medianHoursToVerify: Double?
    public var trueSignals: Int
}

extension SurveillanceService {
    /// Runs the detectors over the district's case reports (valid cards, by onset day, else diagnosis day) of
    /// the 60 days up to `day`, per disease and 街道: any case of a class A or B-A disease (on any day of the
    /// window); a cluster of `cluster_cases` within `cluster_days`, EARS C3, and CUSUM (against the window's
    /// first 28 days) on the daily counts (judged for each of the last 7 days, as late reports arrive); and,
    /// once the district's reports go back far enough, CIDARS's moving percentile (P50, three earlier years)
    /// and Farrington on the weeks ending on `day` (five earlier years). A signal is made once per disease, 街道, detector and
    /// day, however often this runs. Returns the new signals.
    @discardableResult
    public func detectSignals(district: String, on day: String = CalendarDay.today()) async throws -> [Signal] {
        guard CalendarDay.isValid(day) else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        let from = CalendarDay.shift(day, days: -59)
        // The methods that compare with earlier years read the history too: five years and some weeks.
        let historyStart = CalendarDay.shift(day, days: -(Self.historyDays - 1))
        return try await database.write { sql in
            let diseases = Dictionary(uniqueKeysWithValues: try await sql.raw("SELECT code, name, class, cluster_cases, cluster_days FROM surveillance_disease").all().map {
                // The thresholds are data: kept within what the 60-day window can judge (1–50 days, at least 1 case).
                (try $0.decode(column: "code", as: String.self), (name: try $0.decode(column: "name", as: String.self), diseaseClass: try $0.decode(column: "class", as: String.self),
                                                                   cases: max(1, try $0.decode(column: "cluster_cases", as: Int.self)),
                                                                   days: min(50, max(1, try $0.decode(column: "cluster_days", as: Int.self)))))
            })
            var history: [String: [Double]] = [:]  // disease|街道 → daily counts of the history
            for row in try await sql.raw("""
                SELECT disease, subdistrict, COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) AS d, COUNT(*) AS n FROM surveillance_report
                WHERE district = \(bind: district) AND subdistrict IS NOT NULL AND status IN ('submitted', 'verified')
                    AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) >= \(bind: historyStart) AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) <= \(bind: day)
                GROUP BY disease, subdistrict, COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10))
                """).all() {
                let key = try row.decode(column: "disease", as: String.self) + "|" + row.decode(column: "subdistrict", as: String.self)
                let index = CalendarDay.days(from: historyStart, to: try row.decode(column: "d", as: String.self))
                guard (0..<Self.historyDays).contains(index) else { continue }
                history[key, default: [Double](repeating: 0, count: Self.historyDays)][index] += Double(try row.decode(column: "n", as: Int.self))
            }
            // How far back the district's reports go: a method that compares with earlier years runs only when
            // those years were reported here (else their zeros would make every case look unusual).
            let firstReported = try await sql.raw("""
                SELECT MIN(COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10))) AS first FROM surveillance_report WHERE district = \(bind: district)
                """).first()?.decode(column: "first", as: String?.self)
            let reportedSince = firstReported.map { CalendarDay.days(from: $0, to: day) } ?? 0
            let series = history.filter { $0.value[(Self.historyDays - 60)...].contains { $0 > 0 } }.mapValues { Array($0.suffix(60)) }
            // Cases are reported after their onset, so the last 7 days are judged again on each run (a class A case
            // on any day of the window); the unique key keeps one signal per disease, 街道, detector and day.
            var found: [Finding] = []
            for (key, counts) in series.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "|").map(String.init)
                guard parts.count == 2, let disease = diseases[parts[0]] else { continue }
                if disease.diseaseClass == "A" || disease.diseaseClass == "B-A" {
                    for index in counts.indices where counts[index] > 0 {
                        found.append((parts[0], parts[1], "any-case", CalendarDay.shift(from, days: index), Int(counts[index]),
                                      "\(disease.name)：\(Int(counts[index])) 例（甲类或按甲类管理，单病例即预警）"))
                    }
                    continue
                }
                let cluster = FixedThreshold.cluster(counts, cases: Double(disease.cases), days: disease.days)
                let ears = EARS.alarms(counts, method: .c3)
                // CUSUM against the mean of the window's first 28 days (when there were cases in them).
                let cusum = counts[0..<28].reduce(0, +) > 0 ? CUSUM.alarms(counts, start: 28) : [Bool](repeating: false, count: 60)
                let full = history[key] ?? []
                // CIDARS's moving percentile (P50) once three earlier years (and their comparable weeks) were reported.
                let percentile = reportedSince >= 3 * 365 + 3 * 7 ? Array(MovingPercentile.alarms(full, percentile: 0.5).suffix(60)) : [Bool](repeating: false, count: 60)
                for index in 53..<60 {
                    let date = CalendarDay.shift(from, days: index)
                    if cluster[index] {
                        let window = Int(counts[(index - disease.days + 1)...index].reduce(0, +))
                        found.append((parts[0], parts[1], "cluster", date, window, "\(disease.name)：\(disease.days) 天内 \(window) 例（阈值 \(disease.cases) 例）"))
                    }
                    if ears[index] {
                        found.append((parts[0], parts[1], "ears-c3", date, Int(counts[index]), "\(disease.name)：当日 \(Int(counts[index])) 例，EARS C3 超出基线"))
                    }
                    if cusum[index] {
                        found.append((parts[0], parts[1], "cusum", date, Int(counts[index]), "\(disease.name)：累积和 (CUSUM) 超出阈值，当日 \(Int(counts[index])) 例"))
                    }
                    if percentile[index] {
                        let week = Int(counts[(index - 6)...index].reduce(0, +))
                        found.append((parts[0], parts[1], "moving-percentile", date, week, "\(disease.name)：近7天 \(week) 例，高于往年同期 P50（移动百分位数法）"))
                    }
                }
                // Farrington on the weeks ending on `day`, once five earlier years (± 3 weeks) were reported.
                if reportedSince >= 5 * 364 + 4 * 7, full.count == Self.historyDays {
                    let weeks = Self.historyDays / 7
                    let weekly = (0..<weeks).map { week in full[(Self.historyDays - (weeks - week) * 7)..<(Self.historyDays - (weeks - week - 1) * 7)].reduce(0, +) }
                    if let result = Farrington.run(weekly, alpha: 0.05, from: weekly.count - 1).last, let result, result.alarm {
                        let count = Int(weekly[weekly.count - 1])
                        found.append((parts[0], parts[1], "farrington", day, count, "\(disease.name)：近一周 \(count) 例，高于 Farrington 模型上限 \(String(format: "%.1f", result.upperBound))"))
                    }
                }
            }
            // The count streams (sentinels, laboratories, absenteeism, pharmacies) by 街道: EARS C2 on the daily
            // totals; the item streams (tip-offs, media): any report, for the CDC to look at.
            let streams = try await sql.raw("SELECT code, name, kind FROM surveillance_stream").all().map {
                (code: try $0.decode(column: "code", as: String.self), name: try $0.decode(column: "name", as: String.self), kind: try $0.decode(column: "kind", as: String.self))
            }
            var streamSeries: [String: [Double]] = [:]
            for (table, value) in [("surveillance_stream_count", "SUM(count)"), ("surveillance_stream_item", "COUNT(*)")] {
                for row in try await sql.raw("""
                    SELECT stream, subdistrict, day, \(unsafeRaw: value) AS n FROM \(unsafeRaw: table)
                    WHERE district = \(bind: district) AND day >= \(bind: from) AND day <= \(bind: day) GROUP BY stream, subdistrict, day
                    """).all() {
                    let key = try row.decode(column: "stream", as: String.self) + "|" + row.decode(column: "subdistrict", as: String.self)
                    let index = CalendarDay.days(from: from, to: try row.decode(column: "day", as: String.self))
                    guard (0..<60).contains(index) else { continue }
                    streamSeries[key, default: [Double](repeating: 0, count: 60)][index] += Double(try row.decode(column: "n", as: Int.self))
                }
            }
            for (key, counts) in streamSeries.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "|").map(String.init)
                guard parts.count == 2, let stream = streams.first(where: { $0.code == parts[0] }) else { continue }
                if stream.kind == "item" {
                    for index in 53..<60 where counts[index] > 0 {
                        found.append((stream.code, parts[1], "report", CalendarDay.shift(from, days: index), Int(counts[index]), "\(stream.name)：\(Int(counts[index])) 条，待核实"))
                    }
                    continue
                }
                // C2 (a two-day gap before the 7-day baseline) flags a day's jump at once; C3 would wait for the
                // excess of the days before it.
                let ears = EARS.alarms(counts, method: .c2)
                for index in 53..<60 where ears[index] {
                    found.append((stream.code, parts[1], "stream-ears-c2", CalendarDay.shift(from, days: index), Int(counts[index]),
                                  "\(stream.name)：当日 \(Int(counts[index]))，EARS C2 超出基线"))
                }
            }
            return try await Self.raise(found, district: district, sql: sql, engine: database.engine)
        }
    }

    /// What a detector found: the disease (or stream), 街道, detector, day, cases and the text for the CDC.
    typealias Finding = (disease: String, subdistrict: String, detector: String, day: String, cases: Int, detail: String)

    /// Makes a signal of each finding not already signalled (one per disease, 街道, detector and day), puts the new
    /// ones in the webhook outbox in the same transaction, and returns them.
    static func raise(_ findings: [Finding], district: String, sql: any SQLDatabase, engine: DatabaseEngine) async throws -> [Signal] {
        var made: [Signal] = []
        let now = ISO8601Timestamp.now()
        for finding in findings {
            let id = RecordID.make("sg")
            let inserted = try await sql.raw("""
                INSERT INTO surveillance_signal (id, disease, subdistrict, district, detector, signal_day, cases, detail, status, generated_at)
                VALUES (\(bind: id), \(bind: finding.disease), \(bind: finding.subdistrict), \(bind: district), \(bind: finding.detector), \(bind: finding.day),
                    \(bind: finding.cases), \(bind: finding.detail), 'pending', \(bind: now))
                ON CONFLICT (disease, subdistrict, detector, signal_day) DO NOTHING RETURNING id
                """).first()
            if inserted != nil, let row = try await sql.raw("SELECT * FROM surveillance_signal WHERE id = \(bind: id)").first() { made.append(try Self.signal(row)) }
        }
        try await announce(made, sql: sql, engine: engine)
        return made
    }

    /// Days of history read by ``detectSignals(district:on:)``: Farrington's five years ± 3 weeks, in whole weeks.
    static let historyDays = 7 * (5 * 52 + 12)

    /// Puts a webhook message for each new signal in the outbox, in the signal's own transaction: what, where,
    /// which detector, the day and count, and the link to it; never a person (预警信号推送).
    static func announce(_ signals: [Signal], sql: any SQLDatabase, engine: DatabaseEngine) async throws {
        guard !signals.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let drafts = try signals.map { signal in
            let body: [String: String] = ["event": "signal.generated", "id": signal.id, "disease": signal.disease, "district": signal.district,
                                          "subdistrict": signal.subdistrict, "detector": signal.detector, "day": signal.day, "cases": String(signal.cases),
                                          "detail": signal.detail, "generatedAt": signal.generatedAt, "link": "/surveillance/signals/\(signal.id)"]
            return Outbox.Draft(recipient: "district:\(signal.district)", topic: "surveillance-signal", body: String(decoding: try encoder.encode(body), as: UTF8.self),
                                dedupeKey: "signal:\(signal.id)", channel: "webhook")
        }
        try await Outbox.enqueue(drafts, sql: sql, engine: engine)
    }

    /// Runs ``detectSignals(district:on:)`` for every district with case reports in the last 60 days (the
    /// server's hourly run). Returns the number of new signals.
    @discardableResult
    public func detectSignalsEverywhere(on day: String = CalendarDay.today()) async throws -> Int {
        let districts = try await database.read { sql in
            try await sql.raw("SELECT DISTINCT district FROM surveillance_report WHERE district IS NOT NULL AND reported_at >= \(bind: CalendarDay.shift(day, days: -60))").all()
                .map { try $0.decode(column: "district", as: String.self) }
        }
        var made = 0
        for district in districts { made += try await detectSignals(district: district, on: day).count }
        return made
    }

    /// The district's signals, newest first (optionally of one status).
    public func signals(district: String, status: String? = nil) async throws -> [Signal] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let status { filter = "\(filter) AND status = \(bind: status)" }
            return try await sql.raw("SELECT * FROM surveillance_signal WHERE \(filter) ORDER BY generated_at DESC, id LIMIT 500").all().map(Self.signal)
        }
    }

    /// Moves a signal on: `verify` with `verdict` true or false (核实); `respond` with what was done (a true
    /// signal); `close`. 409 when the step does not follow from the signal's status.
    public func advance(signal id: String, step: String, verdict: Bool? = nil, note: String? = nil, actor: String, district: String) async throws -> Signal {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM surveillance_signal WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有预警信号 \(id)")
            }
            let signal = try Self.signal(row)
            let now = ISO8601Timestamp.now()
            switch (step, signal.status) {
            case ("verify", "pending"):
                guard let verdict else { throw FHIRError.unprocessable([OutcomeIssue(code: "required", diagnostics: "核实须给出 verdict: true（真实预警）或 false（排除）", expression: "verdict")]) }
                try await sql.raw("""
                    UPDATE surveillance_signal SET status = 'verified', verified_at = \(bind: now), verified_by = \(bind: actor), verdict = \(bind: verdict ? "true" : "false")
                    WHERE id = \(bind: id)
                    """).run()
            case ("respond", "verified"):
                guard signal.verdict == "true" else { throw FHIRError.conflict("已排除的信号无需现场处置，可直接关闭") }
                guard let note, !note.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw FHIRError.unprocessable([OutcomeIssue(code: "required", diagnostics: "请填写处置情况 (note)", expression: "note")])
                }
                try await sql.raw("UPDATE surveillance_signal SET status = 'responded', responded_at = \(bind: now), response = \(bind: String(note.prefix(1000))) WHERE id = \(bind: id)").run()
            case ("close", "responded"), ("close", "verified") where signal.status == "responded" || signal.verdict == "false":
                // A true signal closes after its response; a false one straight after verification.
                try await sql.raw("UPDATE surveillance_signal SET status = 'closed', closed_at = \(bind: now) WHERE id = \(bind: id)").run()
            case ("verify", _), ("respond", _), ("close", _):
                throw FHIRError.conflict("信号状态为 \(signal.status)，不能\(["verify": "核实", "respond": "处置", "close": "关闭"][step] ?? step)")
            default:
                throw FHIRError.badRequest("step 须为 verify、respond 或 close")
            }
            guard let updated = try await sql.raw("SELECT * FROM surveillance_signal WHERE id = \(bind: id)").first() else {
                throw FHIRError(status: 500, code: "exception", "the signal disappeared")
            }
            return try Self.signal(updated)
        }
    }

    /// The epidemic curve of a disease in a district (流行曲线): valid cards per day (by onset, else diagnosis)
    /// and 街道, for the `days` days up to `day`.
    public func epidemicCurve(district: String, disease: String, to day: String, days: Int = 60) async throws -> [(day: String, subdistrict: String, cases: Int)] {
        if let stream = try await streams().first(where: { $0.code == disease }) {
            // A stream's signal: its daily totals by 街道 instead.
            let from = CalendarDay.shift(day, days: -(days - 1))
            return try await streamTotals(stream: stream.code, district: district, from: from, to: day, byWeek: false, bySubdistrict: true).map { ($0.period, $0.area, $0.count) }
        }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) AS d, COALESCE(subdistrict, '') AS s, COUNT(*) AS n FROM surveillance_report
                WHERE district = \(bind: district) AND disease = \(bind: disease) AND status IN ('submitted', 'verified')
                    AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) >= \(bind: CalendarDay.shift(day, days: -(days - 1)))
                    AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) <= \(bind: day)
                GROUP BY COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)), COALESCE(subdistrict, '') ORDER BY 1, 2
                """).all().map { (try $0.decode(column: "d", as: String.self), try $0.decode(column: "s", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
    }

    /// One signal of the district.
    public func signal(id: String, district: String) async throws -> Signal? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM surveillance_signal WHERE id = \(bind: id) AND district = \(bind: district)").first().map(Self.signal)
        }
    }

    /// The district's response to signals generated since `from`.
    public func signalResponse(district: String, from: String) async throws -> SignalResponse {
        guard CalendarDay.isValid(from) else { throw FHIRError.badRequest("from 须为 YYYY-MM-DD") }
        let signals = try await database.read { sql in
            try await sql.raw("SELECT * FROM surveillance_signal WHERE district = \(bind: district) AND generated_at >= \(bind: from)").all().map(Self.signal)
        }
        let hours = signals.compactMap { signal -> Double? in
            guard let verified = signal.verifiedAt.flatMap(FHIRDateRange.parse), let generated = FHIRDateRange.parse(signal.generatedAt) else { return nil }
            return Double(verified.low - generated.low) / 3_600_000
        }.sorted()
        let within = hours.filter { $0 <= 24 }.count
        let median: Double? = Statistics.median(sorted: hours)
        return SignalResponse(signals: signals.count, verified: hours.count, verifiedWithin24Hours: within,
                              responsePercent: signals.isEmpty ? 0 : within * 100 / signals.count, medianHoursToVerify: median.map { ($0 * 100).rounded() / 100 },
                              trueSignals: signals.filter { $0.verdict == "true" }.count)
    }

    static func signal(_ row: any SQLRow) throws -> Signal {
        Signal(id: try row.decode(column: "id", as: String.self), disease: try row.decode(column: "disease", as: String.self),
               subdistrict: try row.decode(column: "subdistrict", as: String.self), district: try row.decode(column: "district", as: String.self),
               detector: try row.decode(column: "detector", as: String.self), day: try row.decode(column: "signal_day", as: String.self),
               cases: try row.decode(column: "cases", as: Int.self), detail: try row.decode(column: "detail", as: String.self),
               status: try row.decode(column: "status", as: String.self), generatedAt: try row.decode(column: "generated_at", as: String.self),
               verifiedAt: try row.decode(column: "verified_at", as: String?.self), verdict: try row.decode(column: "verdict", as: String?.self),
               respondedAt: try row.decode(column: "responded_at", as: String?.self), response: try row.decode(column: "response", as: String?.self),
               closedAt: try row.decode(column: "closed_at", as: String?.self))
    }
}
