import FHIR
import Foundation
import SQLKit
import Storage

// 应急指挥: incidents opened from a signal or by hand, tasks for the response teams, the progress log,
// and the resources at hand (beds, fever clinics, stockpiles) with the plan's ICU bed ratios.

/// A public health incident (突发公共卫生事件) and its response.
public struct Incident: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var title: String
    /// 1 特别重大 (I), 2 重大 (II), 3 较大 (III), 4 一般 (IV).
    public var level: Int
    public var disease: String?
    public var subdistrict: String?
    /// The signal it was opened from, if any.
    public var signal: String?
    /// `open` or `closed`.
    public var status: String
    public var openedAt: String
    public var openedBy: String
    public var closedAt: String?
    public var summary: String?
}

/// A task of an incident, assigned to a response team (应急处置队伍).
public struct IncidentTask: Sendable, Codable, Equatable {
    public var id: String
    public var incident: String
    public var team: String
    public var title: String
    public var assignee: String?
    /// When it is due (YYYY-MM-DDThh:mm), if set.
    public var due: String?
    /// `assigned` (已派发), `in-progress` (处置中), `done` (已完成), `cancelled` (已取消).
    public var status: String
    public var note: String?
    public var createdAt: String
    public var updatedAt: String
}

/// One line of an incident's log (事件进展): opened, a task assigned or moved on, a note, closed.
public struct IncidentEvent: Sendable, Codable, Equatable {
    public var at: String
    public var actor: String
    public var text: String
}

/// What an institution has at hand of one kind of resource.
public struct ResourceLevel: Sendable, Codable, Equatable {
    public var organization: String
    public var kind: String
    public var total: Int
    public var available: Int
    public var updatedAt: String

    public init(organization: String, kind: String, total: Int, available: Int, updatedAt: String = "") {
        self.organization = organization
        self.kind = kind
        self.total = total
        self.available = available
        self.updatedAt = updatedAt
    }
}

/// A hospital's ICU beds against its beds: the plan asks for ICU beds of at least 10% of all beds in normal
/// times and 20% in an emergency (ICU and convertible ICU beds together; 000, 医疗救治体系 indicator 13).
public struct BedReadiness: Sendable, Codable, Equatable {
    public var organization: String
    public var beds: Int
    public var icuBeds: Int
    public var convertibleIcuBeds: Int
    /// ICU beds per 100 beds (normal times), one decimal.
    public var icuPercent: Double
    /// ICU and convertible ICU beds per 100 beds (emergency), one decimal.
    public var emergencyIcuPercent: Double
    public var meetsNormalTarget: Bool
    public var meetsEmergencyTarget: Bool
}

/// An incident as the command sees it: tasks, log, and the district's resources.
public struct IncidentSituation: Sendable, Codable, Equatable {
    public var incident: Incident
    public var tasks: [IncidentTask]
    public var events: [IncidentEvent]
    /// Valid case reports of the incident's disease (in its 街道 if it has one) since 14 days before it opened.
    public var cases: Int
    public var resources: [ResourceLevel]
}

public enum Emergency {
    /// The response teams (专业应急处置队伍, 002 and 003: 传染病, 消毒与感染控制, 病媒生物控制, 食品与饮水卫生,
    /// 精神卫生, 核生化) and the command's own groups.
    public static let teams: [(code: String, name: String)] = [
        ("epidemiology", "流行病学调查组"), ("sampling", "采样检测组"), ("disinfection", "消毒与感染控制组"), ("vector", "病媒生物控制组"),
        ("treatment", "医疗救治组"), ("food-water", "食品与饮水卫生组"), ("mental-health", "心理援助组"), ("cbrn", "核生化处置组"),
        ("communication", "宣传与舆情组"), ("logistics", "后勤保障组"),
    ]
    /// Resource kinds and their units.
    public static let resourceKinds: [(code: String, name: String, unit: String)] = [
        ("beds", "实际开放床位", "张"), ("icu-beds", "ICU 床位", "张"), ("convertible-icu-beds", "可平急转换 ICU 床位", "张"),
        ("negative-pressure-rooms", "负压病房", "间"), ("fever-clinics", "发热门诊（诊室）", "间"), ("ambulances", "负压救护车", "辆"),
        ("n95", "N95 口罩", "只"), ("protective-suits", "医用防护服", "套"), ("test-kits", "核酸检测试剂", "人份"), ("disinfectant", "消毒剂", "公斤"),
    ]
    public static let levels = [1: "特别重大（Ⅰ级）", 2: "重大（Ⅱ级）", 3: "较大（Ⅲ级）", 4: "一般（Ⅳ级）"]
    public static let taskStatuses = ["assigned": "已派发", "in-progress": "处置中", "done": "已完成", "cancelled": "已取消"]
    /// The plan's ICU bed ratios (percent of beds): normal times, emergency.
    public static let icuTargets = (normal: 10.0, emergency: 20.0)

    /// ICU readiness of each institution that reported beds.
    public static func readiness(_ levels: [ResourceLevel]) -> [BedReadiness] {
        let byOrganization = Dictionary(grouping: levels, by: \.organization)
        return byOrganization.keys.sorted().compactMap { organization in
            let kinds = Dictionary(byOrganization[organization, default: []].map { ($0.kind, $0.total) }, uniquingKeysWith: { first, _ in first })
            guard let beds = kinds["beds"], beds > 0 else { return nil }
            let icu = kinds["icu-beds"] ?? 0, convertible = kinds["convertible-icu-beds"] ?? 0
            let normal = (Double(icu) * 1000 / Double(beds)).rounded() / 10
            let emergency = (Double(icu + convertible) * 1000 / Double(beds)).rounded() / 10
            return BedReadiness(organization: organization, beds: beds, icuBeds: icu, convertibleIcuBeds: convertible, icuPercent: normal, emergencyIcuPercent: emergency,
                                meetsNormalTarget: icu * 100 >= Int(icuTargets.normal) * beds, meetsEmergencyTarget: (icu + convertible) * 100 >= Int(icuTargets.emergency) * beds)
        }
    }
}

/// How an incident is opened: from a signal (its disease and 街道 carried over) or by hand.
public struct IncidentForm: Sendable, Codable, Equatable {
    public var title: String?
    public var level: Int?
    public var disease: String?
    public var subdistrict: String?
    public var signal: String?

    public init(title: String? = nil, level: Int? = nil, disease: String? = nil, subdistrict: String? = nil, signal: String? = nil) {
        self.title = title
        self.level = level
        self.disease = disease
        self.subdistrict = subdistrict
        self.signal = signal
    }
}

public struct TaskForm: Sendable, Codable, Equatable {
    public var team: String
    public var title: String
    public var assignee: String?
    public var due: String?

    public init(team: String, title: String, assignee: String? = nil, due: String? = nil) {
        self.team = team
        self.title = title
        self.assignee = assignee
        self.due = due
    }
}

extension SurveillanceService {
    /// Opens an incident in `district`. From a signal: the signal must be the district's and verified true, and
    /// only one incident per signal (409 otherwise); its disease and 街道 are carried over. By hand: a title
    /// (1–200 characters) is needed. The level is 1–4 (default 4, 一般).
    public func openIncident(_ form: IncidentForm, district: String, actor: String) async throws -> Incident {
        var issues: [OutcomeIssue] = []
        let level = form.level ?? 4
        if !(1...4).contains(level) { issues.append(OutcomeIssue(code: "value", diagnostics: "事件级别 level 须为 1–4（Ⅰ 特别重大 … Ⅳ 一般）", expression: "level")) }
        let title = form.title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if title.count > 200 { issues.append(OutcomeIssue(code: "value", diagnostics: "事件名称不超过 200 字", expression: "title")) }
        if form.signal == nil, title.isEmpty { issues.append(OutcomeIssue(code: "required", diagnostics: "请填写事件名称 (title)，或给出预警信号 (signal)", expression: "title")) }
        if let disease = form.disease, form.signal == nil, try await diseases().contains(where: { $0.code == disease }) == false {
            issues.append(OutcomeIssue(code: "value", diagnostics: "未知病种 '\(disease)'", expression: "disease"))
        }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        let names = Dictionary(try await diseases().map { ($0.code, $0.name) } + streams().map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try await database.write { sql in
            var incident = Incident(id: RecordID.make("inc"), district: district, title: title, level: level, disease: form.disease, subdistrict: form.subdistrict,
                                    signal: nil, status: "open", openedAt: ISO8601Timestamp.now(), openedBy: actor, closedAt: nil, summary: nil)
            if let signalID = form.signal {
                guard let row = try await sql.raw("SELECT * FROM surveillance_signal WHERE id = \(bind: signalID) AND district = \(bind: district)").first() else {
                    throw FHIRError.notFound("本区没有预警信号 \(signalID)")
                }
                let signal = try Self.signal(row)
                guard signal.verdict == "true" else { throw FHIRError.conflict("只有核实为真实预警的信号才能启动应急响应") }
                if try await sql.raw("SELECT id FROM surveillance_incident WHERE signal_id = \(bind: signalID)").first() != nil {
                    throw FHIRError.conflict("该信号已启动应急响应")
                }
                incident.signal = signalID
                incident.disease = signal.disease
                incident.subdistrict = signal.subdistrict
                if title.isEmpty { incident.title = "\(names[signal.disease] ?? signal.disease)（\(signal.day)）" }
            }
            try await sql.raw("""
                INSERT INTO surveillance_incident (id, district, title, level, disease, subdistrict, signal_id, status, opened_at, opened_by)
                VALUES (\(bind: incident.id), \(bind: district), \(bind: incident.title), \(bind: level), \(bind: incident.disease), \(bind: incident.subdistrict),
                    \(bind: incident.signal), 'open', \(bind: incident.openedAt), \(bind: actor))
                """).run()
            try await Self.log(incident.id, actor: actor, "启动应急响应：\(Emergency.levels[level] ?? String(level))", sql: sql)
            return incident
        }
    }

    /// The district's incidents, open ones first, newest first.
    public func incidents(district: String) async throws -> [Incident] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM surveillance_incident WHERE district = \(bind: district) ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, opened_at DESC, id LIMIT 500
                """).all().map(Self.incident)
        }
    }

    /// An incident's situation, or nil when the district has no such incident.
    public func situation(incident id: String, district: String) async throws -> IncidentSituation? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM surveillance_incident WHERE id = \(bind: id) AND district = \(bind: district)").first() else { return nil }
            let incident = try Self.incident(row)
            let tasks = try await sql.raw("SELECT * FROM surveillance_incident_task WHERE incident_id = \(bind: id) ORDER BY created_at, id").all().map(Self.task)
            let events = try await sql.raw("SELECT at, actor, text FROM surveillance_incident_log WHERE incident_id = \(bind: id) ORDER BY seq").all().map {
                IncidentEvent(at: try $0.decode(column: "at", as: String.self), actor: try $0.decode(column: "actor", as: String.self), text: try $0.decode(column: "text", as: String.self))
            }
            var cases = 0
            if let disease = incident.disease {
                var filter: SQLQueryString = "district = \(bind: district) AND disease = \(bind: disease) AND status IN ('submitted', 'verified')"
                if let subdistrict = incident.subdistrict { filter = "\(filter) AND subdistrict = \(bind: subdistrict)" }
                let since = CalendarDay.shift(String(incident.openedAt.prefix(10)), days: -14)
                cases = try await sql.raw("SELECT COUNT(*) AS n FROM surveillance_report WHERE \(filter) AND COALESCE(onset_date, SUBSTR(diagnosed_at, 1, 10)) >= \(bind: since)")
                    .first()?.decode(column: "n", as: Int.self) ?? 0
            }
            let resources = try await Self.resources(district: district, sql: sql)
            return IncidentSituation(incident: incident, tasks: tasks, events: events, cases: cases, resources: resources)
        }
    }

    /// Assigns a task to a team. 422 for an unknown team, an empty title or a bad due time; 404 for an unknown
    /// incident; 409 when the incident is closed.
    public func addTask(_ form: TaskForm, incident id: String, district: String, actor: String) async throws -> IncidentTask {
        var issues: [OutcomeIssue] = []
        let title = form.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let team = Emergency.teams.first(where: { $0.code == form.team }) else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "未知处置队伍 '\(form.team)'，可选：" + Emergency.teams.map { "\($0.code)（\($0.name)）" }.joined(separator: "、"), expression: "team")])
        }
        if title.isEmpty || title.count > 200 { issues.append(OutcomeIssue(code: "value", diagnostics: "任务内容须为 1–200 字", expression: "title")) }
        let assignee = form.assignee?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if (assignee?.count ?? 0) > 50 { issues.append(OutcomeIssue(code: "value", diagnostics: "负责人不超过 50 字", expression: "assignee")) }
        let due = form.due?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if let due, FHIRDateRange.parse(due) == nil || due.count < 10 { issues.append(OutcomeIssue(code: "value", diagnostics: "完成时限须为 YYYY-MM-DD 或 YYYY-MM-DDThh:mm", expression: "due")) }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        return try await database.write { sql in
            try await Self.openIncident(id, district: district, sql: sql)
            let now = ISO8601Timestamp.now()
            let task = IncidentTask(id: RecordID.make("tk"), incident: id, team: team.code, title: title, assignee: assignee, due: due, status: "assigned", note: nil,
                                    createdAt: now, updatedAt: now)
            try await sql.raw("""
                INSERT INTO surveillance_incident_task (id, incident_id, team, title, assignee, due, status, created_at, updated_at)
                VALUES (\(bind: task.id), \(bind: id), \(bind: task.team), \(bind: title), \(bind: assignee), \(bind: due), 'assigned', \(bind: now), \(bind: now))
                """).run()
            try await Self.log(id, actor: actor, "派发任务（\(team.name)）：\(title)", sql: sql)
            return task
        }
    }

    /// Moves a task on: `in-progress`, `done` or `cancelled`, with an optional note. A finished task does not move.
    public func updateTask(_ taskID: String, incident id: String, status: String, note: String?, district: String, actor: String) async throws -> IncidentTask {
        guard ["in-progress", "done", "cancelled"].contains(status) else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "任务状态须为 in-progress（处置中）、done（已完成）或 cancelled（已取消）", expression: "status")])
        }
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty.map { String($0.prefix(1000)) }
        return try await database.write { sql in
            try await Self.openIncident(id, district: district, sql: sql)
            guard let row = try await sql.raw("SELECT * FROM surveillance_incident_task WHERE id = \(bind: taskID) AND incident_id = \(bind: id)").first() else {
                throw FHIRError.notFound("该事件没有任务 \(taskID)")
            }
            let task = try Self.task(row)
            guard task.status == "assigned" || task.status == "in-progress" else { throw FHIRError.conflict("任务已\(Emergency.taskStatuses[task.status] ?? task.status)") }
            let now = ISO8601Timestamp.now()
            try await sql.raw("""
                UPDATE surveillance_incident_task SET status = \(bind: status), note = COALESCE(\(bind: note), note), updated_at = \(bind: now) WHERE id = \(bind: taskID)
                """).run()
            try await Self.log(id, actor: actor, "任务「\(task.title)」\(Emergency.taskStatuses[status] ?? status)" + (note.map { "：\($0)" } ?? ""), sql: sql)
            guard let updated = try await sql.raw("SELECT * FROM surveillance_incident_task WHERE id = \(bind: taskID)").first() else {
                throw FHIRError(status: 500, code: "exception", "the task disappeared")
            }
            return try Self.task(updated)
        }
    }

    /// Adds a line to the incident's log (进展).
    public func addIncidentNote(_ text: String, incident id: String, district: String, actor: String) async throws {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 1000 else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "进展内容须为 1–1000 字", expression: "text")])
        }
        try await database.write { sql in
            try await Self.openIncident(id, district: district, sql: sql)
            try await Self.log(id, actor: actor, text, sql: sql)
        }
    }

    /// Closes an incident with its summary (总结); its open tasks are cancelled.
    public func closeIncident(_ id: String, summary: String, district: String, actor: String) async throws -> Incident {
        let summary = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !summary.isEmpty, summary.count <= 2000 else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "required", diagnostics: "请填写处置总结 (summary，1–2000 字)", expression: "summary")])
        }
        return try await database.write { sql in
            try await Self.openIncident(id, district: district, sql: sql)
            let now = ISO8601Timestamp.now()
            try await sql.raw("""
                UPDATE surveillance_incident_task SET status = 'cancelled', updated_at = \(bind: now) WHERE incident_id = \(bind: id) AND status IN ('assigned', 'in-progress')
                """).run()
            try await sql.raw("UPDATE surveillance_incident SET status = 'closed', closed_at = \(bind: now), summary = \(bind: summary) WHERE id = \(bind: id)").run()
            try await Self.log(id, actor: actor, "结束应急响应：\(summary)", sql: sql)
            guard let row = try await sql.raw("SELECT * FROM surveillance_incident WHERE id = \(bind: id)").first() else {
                throw FHIRError(status: 500, code: "exception", "the incident disappeared")
            }
            return try Self.incident(row)
        }
    }

    /// Records what an institution has at hand (a row per kind replaces the earlier one). 422 for an unknown
    /// kind, a negative number or more available than in total; all or nothing.
    public func recordResources(_ levels: [ResourceLevel], organization: String, district: String, actor: String) async throws -> Int {
        var issues: [OutcomeIssue] = []
        if levels.isEmpty || levels.count > Emergency.resourceKinds.count { issues.append(OutcomeIssue(code: "value", diagnostics: "请给出 1–\(Emergency.resourceKinds.count) 类资源")) }
        for (index, level) in levels.enumerated() {
            let row = "第 \(index + 1) 条"
            if !Emergency.resourceKinds.contains(where: { $0.code == level.kind }) {
                issues.append(OutcomeIssue(code: "value", diagnostics: "\(row)：未知资源类型 '\(level.kind)'，可选：" + Emergency.resourceKinds.map(\.code).joined(separator: "、"), expression: "[\(index)].kind"))
            }
            if !(0...10_000_000).contains(level.total) || !(0...level.total).contains(level.available) {
                issues.append(OutcomeIssue(code: "value", diagnostics: "\(row)：总数须在 0–10000000 之间，可用数不超过总数", expression: "[\(index)].available"))
            }
        }
        if Set(levels.map(\.kind)).count != levels.count { issues.append(OutcomeIssue(code: "value", diagnostics: "同一类资源只能给出一条")) }
        guard issues.isEmpty else { throw FHIRError.unprocessable(issues) }
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            for level in levels {
                try await sql.raw("""
                    INSERT INTO surveillance_resource (organization, kind, district, total, available, updated_at, updated_by)
                    VALUES (\(bind: organization), \(bind: level.kind), \(bind: district), \(bind: level.total), \(bind: level.available), \(bind: now), \(bind: actor))
                    ON CONFLICT (organization, kind) DO UPDATE SET total = excluded.total, available = excluded.available, updated_at = excluded.updated_at,
                        updated_by = excluded.updated_by, district = excluded.district
                    """).run()
            }
        }
        return levels.count
    }

    /// The district's resources, by institution and kind.
    public func resources(district: String) async throws -> [ResourceLevel] {
        try await database.read { try await Self.resources(district: district, sql: $0) }
    }

    static func resources(district: String, sql: any SQLDatabase) async throws -> [ResourceLevel] {
        try await sql.raw("SELECT * FROM surveillance_resource WHERE district = \(bind: district) ORDER BY organization, kind").all().map {
            ResourceLevel(organization: try $0.decode(column: "organization", as: String.self), kind: try $0.decode(column: "kind", as: String.self),
                          total: try $0.decode(column: "total", as: Int.self), available: try $0.decode(column: "available", as: Int.self),
                          updatedAt: try $0.decode(column: "updated_at", as: String.self))
        }
    }

    /// Throws 404 for an incident not of the district, 409 for a closed one.
    static func openIncident(_ id: String, district: String, sql: any SQLDatabase) async throws {
        guard let row = try await sql.raw("SELECT status FROM surveillance_incident WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
            throw FHIRError.notFound("本区没有应急事件 \(id)")
        }
        guard try row.decode(column: "status", as: String.self) == "open" else { throw FHIRError.conflict("应急响应已结束") }
    }

    static func log(_ incident: String, actor: String, _ text: String, sql: any SQLDatabase) async throws {
        let next = try await sql.raw("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM surveillance_incident_log WHERE incident_id = \(bind: incident)").first()?.decode(column: "n", as: Int.self) ?? 1
        try await sql.raw("""
            INSERT INTO surveillance_incident_log (incident_id, seq, at, actor, text) VALUES (\(bind: incident), \(bind: next), \(bind: ISO8601Timestamp.now()), \(bind: actor), \(bind: text))
            """).run()
    }

    static func incident(_ row: any SQLRow) throws -> Incident {
        Incident(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                 title: try row.decode(column: "title", as: String.self), level: try row.decode(column: "level", as: Int.self),
                 disease: try row.decode(column: "disease", as: String?.self), subdistrict: try row.decode(column: "subdistrict", as: String?.self),
                 signal: try row.decode(column: "signal_id", as: String?.self), status: try row.decode(column: "status", as: String.self),
                 openedAt: try row.decode(column: "opened_at", as: String.self), openedBy: try row.decode(column: "opened_by", as: String.self),
                 closedAt: try row.decode(column: "closed_at", as: String?.self), summary: try row.decode(column: "summary", as: String?.self))
    }

    static func task(_ row: any SQLRow) throws -> IncidentTask {
        IncidentTask(id: try row.decode(column: "id", as: String.self), incident: try row.decode(column: "incident_id", as: String.self),
                     team: try row.decode(column: "team", as: String.self), title: try row.decode(column: "title", as: String.self),
                     assignee: try row.decode(column: "assignee", as: String?.self), due: try row.decode(column: "due", as: String?.self),
                     status: try row.decode(column: "status", as: String.self), note: try row.decode(column: "note", as: String?.self),
                     createdAt: try row.decode(column: "created_at", as: String.self), updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
