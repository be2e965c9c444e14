public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A time-critical centre (胸痛、卒中、创伤、危重孕产妇、危重新生儿救治中心): its milestones in the order they happen,
/// and the intervals its quality is measured by.
public struct CriticalCentre: Sendable, Equatable {
    public struct Milestone: Sendable, Equatable { public var code: String; public var name: String }
    /// An interval between two milestones, with the standard's limit in minutes where there is one.
    public struct Measure: Sendable, Equatable {
        public var code: String
        public var name: String
        public var from: String
        public var to: String
        public var targetMinutes: Double?
        public var basis: String?
    }
    public var code: String
    public var name: String
    public var milestones: [Milestone]
    public var measures: [Measure]
}

/// One patient's case at a centre: the times of its milestones.
public struct CriticalCase: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var hospital: String
    public var centre: String
    public var patient: String?
    /// The emergency call that brought them, if it came by ambulance.
    public var call: String?
    /// Milestone → time (FHIR dateTime with offset).
    public var times: [String: String]
    public var recordedAt: String
}

/// A measure of a hospital's centre over a period: cases, those with both times, the median and the share
/// within the limit.
public struct CriticalMeasure: Sendable, Codable, Equatable {
    public var hospital: String
    public var centre: String
    public var measure: String
    public var name: String
    public var cases: Int
    public var measured: Int
    /// Minutes, one decimal; nil when nothing was measured.
    public var medianMinutes: Double?
    public var targetMinutes: Double?
    /// Percent within the limit, one decimal.
    public var withinTargetPercent: Double?
}

/// 胸痛、卒中、创伤中心与危重孕产妇、新生儿救治 (Collaboration target): the cases' time stamps and the quality
/// indicators built on them, per hospital.
public struct CriticalCare: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    static func m(_ code: String, _ name: String) -> CriticalCentre.Milestone { .init(code: code, name: name) }

    public static let centres: [CriticalCentre] = [
        CriticalCentre(code: "chest-pain", name: "胸痛中心",
                       milestones: [m("onset", "发病"), m("call", "呼救"), m("fmc", "首次医疗接触"), m("door", "到达医院"), m("ecg", "首份心电图"),
                                    m("activation", "启动导管室"), m("wire", "导丝通过")],
                       measures: [.init(code: "door-to-ecg", name: "进门至首份心电图", from: "door", to: "ecg", targetMinutes: 10, basis: "中国胸痛中心认证标准：≤10 分钟"),
                                  .init(code: "door-to-wire", name: "进门至导丝通过（D2W）", from: "door", to: "wire", targetMinutes: 90, basis: "中国胸痛中心认证标准：≤90 分钟"),
                                  .init(code: "fmc-to-wire", name: "首次医疗接触至导丝通过", from: "fmc", to: "wire", targetMinutes: 120, basis: "中国胸痛中心认证标准：≤120 分钟")]),
        CriticalCentre(code: "stroke", name: "卒中中心",
                       milestones: [m("onset", "发病"), m("door", "到达医院"), m("ct", "完成头颅CT"), m("needle", "静脉溶栓给药"), m("puncture", "动脉穿刺")],
                       measures: [.init(code: "door-to-ct", name: "进门至完成CT", from: "door", to: "ct", targetMinutes: 25, basis: "卒中中心建设标准：≤25 分钟"),
                                  .init(code: "door-to-needle", name: "进门至溶栓给药（DNT）", from: "door", to: "needle", targetMinutes: 60, basis: "卒中中心建设标准：≤60 分钟"),
                                  .init(code: "door-to-puncture", name: "进门至动脉穿刺（DPT）", from: "door", to: "puncture", targetMinutes: 90, basis: "卒中中心建设标准：≤90 分钟")]),
        CriticalCentre(code: "trauma", name: "创伤中心",
                       milestones: [m("injury", "受伤"), m("door", "到达医院"), m("assessment", "首次评估"), m("ct", "完成CT"), m("operation", "手术开始")],
                       measures: [.init(code: "door-to-ct", name: "进门至完成CT", from: "door", to: "ct", targetMinutes: nil, basis: nil),
                                  .init(code: "door-to-operation", name: "进门至手术", from: "door", to: "operation", targetMinutes: nil, basis: nil)]),
        CriticalCentre(code: "maternal", name: "危重孕产妇救治中心",
                       milestones: [m("door", "到达医院"), m("senior", "上级医师到场"), m("treatment", "开始救治")],
                       measures: [.init(code: "door-to-treatment", name: "进门至开始救治", from: "door", to: "treatment", targetMinutes: nil, basis: nil)]),
        CriticalCentre(code: "neonatal", name: "危重新生儿救治中心",
                       milestones: [m("door", "到达医院"), m("senior", "上级医师到场"), m("treatment", "开始救治")],
                       measures: [.init(code: "door-to-treatment", name: "进门至开始救治", from: "door", to: "treatment", targetMinutes: nil, basis: nil)]),
    ]

    public static func centre(_ code: String) -> CriticalCentre? { centres.first { $0.code == code } }

    static func invalid(_ text: String, _ field: String) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: field)])
    }

    /// Checks a case's times: known milestones, dateTimes with a time, none in the future, and in the centre's
    /// order (a later milestone never before an earlier one). Returns milliseconds by milestone.
    static func checkedTimes(_ times: [String: String], centre: CriticalCentre, now: Date) throws -> [String: Int64] {
        var millis: [String: Int64] = [:]
        for (code, text) in times {
            guard let milestone = centre.milestones.first(where: { $0.code == code }) else {
                throw invalid("\(centre.name)没有时间节点 \(code)；可选：\(centre.milestones.map(\.code).joined(separator: "、"))", "times")
            }
            guard text.count > 10, let range = FHIRDateRange.parse(text) else { throw invalid("\(milestone.name)时间须为 YYYY-MM-DDThh:mm:ss+08:00", "times.\(code)") }
            guard range.low <= Int64((now.timeIntervalSince1970 + 300) * 1000) else { throw invalid("\(milestone.name)时间晚于现在", "times.\(code)") }
            millis[code] = range.low
        }
        var latest: (name: String, at: Int64)?
        for milestone in centre.milestones {
            guard let at = millis[milestone.code] else { continue }
            if let latest, at < latest.at { throw invalid("时间顺序有误：\(milestone.name)早于\(latest.name)", "times.\(milestone.code)") }
            latest = (milestone.name, at)
        }
        return millis
    }

    /// Opens a case at `hospital` (a hospital of the catalogue) with the times known so far.
    public func open(hospital: String, centre code: String, patient: String?, call: String?, times: [String: String], actor: String, now: Date = Date(),
                     sql: (any SQLDatabase)? = nil) async throws -> CriticalCase {
        guard let centre = Self.centre(code) else { throw Self.invalid("中心须为 \(Self.centres.map(\.code).joined(separator: "、")) 之一", "centre") }
        guard let institution = Catalog.institutions.first(where: { $0.id == hospital }), Consultations.hospitalTypes.contains(institution.type) else {
            throw Self.invalid("医院 \(hospital) 不在名录中", "hospital")
        }
        if let patient { guard FHIRID.isValid(patient) else { throw Self.invalid("居民编号无效", "patient") } }
        let door = try Self.checkedTimes(times, centre: centre, now: now)["door"]
        let item = CriticalCase(id: RecordID.make("cc"), district: institution.district, hospital: hospital, centre: code, patient: patient, call: call, times: times,
                                recordedAt: ISO8601Timestamp.format(now))
        let insert: @Sendable (any SQLDatabase) async throws -> Void = { sql in
            try await sql.raw("""
                INSERT INTO collab_critical_case (id, district, hospital, centre, patient_id, call_id, times, door_ms, recorded_at, recorded_by)
                VALUES (\(bind: item.id), \(bind: item.district), \(bind: hospital), \(bind: code), \(bind: patient), \(bind: call), \(bind: Consultations.json(times)),
                    \(bind: door), \(bind: item.recordedAt), \(bind: actor))
                """).run()
        }
        if let sql { try await insert(sql) } else { try await database.write { try await insert($0) } }
        return item
    }

    /// Records one milestone's time on a case of `hospital` (404 otherwise), keeping the order.
    public func record(_ id: String, milestone: String, at time: String, hospital: String, now: Date = Date()) async throws -> CriticalCase {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM collab_critical_case WHERE id = \(bind: id) AND hospital = \(bind: hospital)").first() else {
                throw FHIRError.notFound("本院没有病例 \(id)")
            }
            var item = try Self.decode(row)
            guard let centre = Self.centre(item.centre) else { throw FHIRError.notFound("本院没有病例 \(id)") }
            item.times[milestone] = time
            let millis = try Self.checkedTimes(item.times, centre: centre, now: now)
            try await sql.raw("UPDATE collab_critical_case SET times = \(bind: Consultations.json(item.times)), door_ms = \(bind: millis["door"]) WHERE id = \(bind: id)").run()
            return item
        }
    }

    /// A hospital's cases (or a district's), newest first.
    public func cases(hospital: String? = nil, district: String? = nil, limit: Int = 200) async throws -> [CriticalCase] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let hospital { filter = "\(filter) AND hospital = \(bind: hospital)" }
            if let district { filter = "\(filter) AND district = \(bind: district)" }
            return try await sql.raw("SELECT * FROM collab_critical_case WHERE \(filter) ORDER BY recorded_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))")
                .all().map(Self.decode)
        }
    }

    public func find(_ id: String) async throws -> CriticalCase? {
        try await database.read { sql in try await sql.raw("SELECT * FROM collab_critical_case WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    static func decode(_ row: any SQLRow) throws -> CriticalCase {
        CriticalCase(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                     hospital: try row.decode(column: "hospital", as: String.self), centre: try row.decode(column: "centre", as: String.self),
                     patient: try row.decode(column: "patient_id", as: String?.self), call: try row.decode(column: "call_id", as: String?.self),
                     times: try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "times", as: String.self).utf8)),
                     recordedAt: try row.decode(column: "recorded_at", as: String.self))
    }

    /// The measures of each hospital's centres over cases whose arrival (door) lies in [from, to] (days), per
    /// hospital, centre and measure.
    public func measures(district: String, from: String, to: String) async throws -> [CriticalMeasure] {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to, let low = FHIRDateRange.parse(from)?.low, let high = FHIRDateRange.parse(to)?.high else {
            throw Self.invalid("日期应为 YYYY-MM-DD，且 from 不晚于 to", "from")
        }
        let cases = try await database.read { sql in
            try await sql.raw("SELECT * FROM collab_critical_case WHERE district = \(bind: district) AND door_ms >= \(bind: low) AND door_ms < \(bind: high)").all().map(Self.decode)
        }
        var results: [CriticalMeasure] = []
        let groups = Dictionary(grouping: cases) { HospitalCentre(hospital: $0.hospital, centre: $0.centre) }
        for key in groups.keys.sorted(by: { ($0.hospital, $0.centre) < ($1.hospital, $1.centre) }) {
            guard let group = groups[key], let centre = Self.centre(key.centre) else { continue }
            let (hospital, code) = (key.hospital, key.centre)
            for measure in centre.measures {
                let minutes = group.compactMap { item -> Double? in
                    guard let start = item.times[measure.from].flatMap(FHIRDateRange.parse)?.low, let end = item.times[measure.to].flatMap(FHIRDateRange.parse)?.low else { return nil }
                    return Double(end - start) / 60_000
                }.sorted()
                let within = measure.targetMinutes.map { target in minutes.filter { $0 <= target }.count }
                results.append(CriticalMeasure(hospital: hospital, centre: code, measure: measure.code, name: measure.name, cases: group.count, measured: minutes.count,
                                               medianMinutes: Self.median(minutes).map { ($0 * 10).rounded() / 10 }, targetMinutes: measure.targetMinutes,
                                               withinTargetPercent: minutes.isEmpty ? nil : within.map { (Double($0) * 1000 / Double(minutes.count)).rounded() / 10 }))
            }
        }
        return results
    }

    struct HospitalCentre: Hashable { var hospital: String; var centre: String }

    /// The median of sorted values (the mean of the middle two for an even count).
    static func median(_ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
