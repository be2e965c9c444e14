import FHIR
import Foundation
import SQLKit
import Storage

/// A signal stream beside the case reports (多渠道监测): fever sentinel clinics, influenza-like illness,
/// laboratories, school absenteeism, pharmacy sales (counts), tip-offs and media items (single reports).
public struct SignalStream: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    /// `count` or `item`.
    public var kind: String
    public var unit: String
}

/// One day's count from one reporting site.
public struct StreamCount: Sendable, Codable, Equatable {
    /// The reporting site (a sentinel clinic's, school's, pharmacy's or laboratory's code).
    public var site: String
    public var subdistrict: String
    public var day: String
    public var count: Int

    public init(site: String, subdistrict: String, day: String, count: Int) {
        self.site = site
        self.subdistrict = subdistrict
        self.day = day
        self.count = count
    }
}

/// A stream's total for one area and period.
public struct StreamTotal: Sendable, Codable, Equatable {
    /// The 街道 code, or the district's.
    public var area: String
    /// The day, or the Monday of the week.
    public var period: String
    public var count: Int
}

extension SurveillanceService {
    /// The streams there are.
    public func streams() async throws -> [SignalStream] {
        try await database.read { sql in
            try await sql.raw("SELECT code, name, kind, unit FROM surveillance_stream ORDER BY code").all().map {
                SignalStream(code: try $0.decode(column: "code", as: String.self), name: try $0.decode(column: "name", as: String.self),
                             kind: try $0.decode(column: "kind", as: String.self), unit: try $0.decode(column: "unit", as: String.self))
            }
        }
    }

    func stream(_ code: String, kind: String) async throws -> SignalStream {
        guard let stream = try await streams().first(where: { $0.code == code }) else {
            throw FHIRError.notFound("没有监测渠道 '\(code)'")
        }
        guard stream.kind == kind else {
            throw FHIRError.badRequest(stream.kind == "vector" ? "蚊媒密度请按监测点报告：POST /api/v1/surveillance/vector/reports"
                                                              : "渠道 '\(code)' 接收\(stream.kind == "count" ? "每日计数" : "单条报告")")
        }
        return stream
    }

    /// Records a batch of daily counts of a `count` stream in a district (a site's count for a day replaces
    /// an earlier one). All or nothing: 422 with a message per bad row (unknown 街道 of the district, a day
    /// not a day or in the future, a count outside 0–100,000, more than 1,000 rows).
    public func recordCounts(stream code: String, district: String, counts: [StreamCount], reporter: String, today: String = CalendarDay.today()) async throws -> Int {
        _ = try await stream(code, kind: "count")
        var issues: [OutcomeIssue] = []
        if counts.isEmpty || counts.count > 1000 { issues.append(OutcomeIssue(code: "value", diagnostics: "每批 1–1000 条", expression: "counts")) }
        for (index, row) in counts.enumerated() {
            func add(_ text: String) { issues.append(OutcomeIssue(code: "value", diagnostics: "第 \(index + 1) 条：\(text)", expression: "counts[\(index)]")) }
            if !row.subdistrict.hasPrefix(district) || row.subdistrict.count != 9 { add("街道 '\(row.subdistrict)' 不属于本区 \(district)") }
            if !CalendarDay.isValid(row.day) { add("日期须为 YYYY-MM-DD") } else if row.day > today { add("日期 \(row.day) 晚于今天") }
            if !(0...100_000).contains(row.count) { add("计数 \(row.count) 不在 0–100000 之间") }
            if row.site.isEmpty || row.site.count > 64 { add("报告单位编码须为 1–64 个字符") }
        }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        try await database.write { sql in
            var rows = BatchInsert(table: "surveillance_stream_count", columns: ["stream", "site", "subdistrict", "district", "day", "count", "reported_by"],
                                   suffix: "ON CONFLICT (stream, site, day) DO UPDATE SET subdistrict = excluded.subdistrict, count = excluded.count, reported_by = excluded.reported_by")
            var seen = Set<String>()
            for row in counts.reversed() where seen.insert(row.site + "|" + row.day).inserted {
                rows.append([.text(code), .text(row.site), .text(row.subdistrict), .text(district), .text(row.day), .int(Int64(row.count)), .text(reporter)])
            }
            try await rows.flush(sql, engine: database.engine)
        }
        return counts.count
    }

    /// Records a single report of an `item` stream (a tip-off, a media item).
    public func recordItem(stream code: String, district: String, subdistrict: String, day: String, text: String, reporter: String,
                           today: String = CalendarDay.today()) async throws -> String {
        _ = try await stream(code, kind: "item")
        var issues: [OutcomeIssue] = []
        if !subdistrict.hasPrefix(district) || subdistrict.count != 9 { issues.append(OutcomeIssue(code: "value", diagnostics: "街道 '\(subdistrict)' 不属于本区", expression: "subdistrict")) }
        if !CalendarDay.isValid(day) || day > today { issues.append(OutcomeIssue(code: "value", diagnostics: "日期须为不晚于今天的 YYYY-MM-DD", expression: "day")) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 2000 { issues.append(OutcomeIssue(code: "value", diagnostics: "内容须为 1–2000 字", expression: "text")) }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        let id = RecordID.make("si")
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO surveillance_stream_item (id, stream, subdistrict, district, day, text, reported_by, created_at)
                VALUES (\(bind: id), \(bind: code), \(bind: subdistrict), \(bind: district), \(bind: day), \(bind: trimmed), \(bind: reporter), \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return id
    }

    /// A stream's totals in a district from `from` to `to`, by day or week (weeks from Monday), by 街道 or for
    /// the district; an `item` stream counts its reports.
    public func streamTotals(stream code: String, district: String, from: String, to: String, byWeek: Bool, bySubdistrict: Bool) async throws -> [StreamTotal] {
        guard let stream = try await streams().first(where: { $0.code == code }) else { throw FHIRError.notFound("没有监测渠道 '\(code)'") }
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to, CalendarDay.days(from: from, to: to) <= 3660 else {
            throw FHIRError.badRequest("from 与 to 须为 YYYY-MM-DD，from 不晚于 to，相隔不超过十年")
        }
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT \(unsafeRaw: bySubdistrict ? "subdistrict" : "district") AS area, day, \(unsafeRaw: stream.kind == "count" ? "SUM(count)" : "COUNT(*)") AS n
                FROM \(unsafeRaw: stream.kind == "count" ? "surveillance_stream_count" : "surveillance_stream_item")
                WHERE district = \(bind: district) AND stream = \(bind: code) AND day >= \(bind: from) AND day <= \(bind: to)
                GROUP BY \(unsafeRaw: bySubdistrict ? "subdistrict" : "district"), day ORDER BY 1, 2
                """).all().map { (try $0.decode(column: "area", as: String.self), try $0.decode(column: "day", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
        guard byWeek else { return rows.map { StreamTotal(area: $0.0, period: $0.1, count: $0.2) } }
        // 1970-01-05 was a Monday.
        var weeks: [String: Int] = [:]
        for (area, day, count) in rows {
            let offset = CalendarDay.days(from: "1970-01-05", to: day)
            let monday = CalendarDay.shift(day, days: -(((offset % 7) + 7) % 7))
            weeks[area + "|" + monday, default: 0] += count
        }
        return weeks.sorted { $0.key < $1.key }.map { key, count in
            let parts = key.split(separator: "|").map(String.init)
            return StreamTotal(area: parts[0], period: parts[1], count: count)
        }
    }
}
