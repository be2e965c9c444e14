import FHIR
import Foundation
import SQLKit
public import Storage

/// An indicator as data (DHIS2's idea): what it measures, its unit and direction, where its value comes from.
public struct IndicatorDefinition: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    /// `%`, `张/千人`, …
    public var unit: String
    /// `up` (higher is better) or `down`.
    public var direction: String
    /// The domain that computes it (`contracting`, `chronic`, `surveillance`, `referral`, `emergency`).
    public var domain: String
    /// Numerator ÷ denominator, in words.
    public var definition: String
    /// The platform's default target (percent or value) where no plan row binds the district; nil: none.
    public var target: Double?
    /// 统计口径: whom the denominator counts (常住人口 residents, 户籍人口 registered, 重点人群, 登记患者, 医疗机构, …).
    public var scope: String
    /// 指标属性: 预期性 (expected) or 约束性 (binding).
    public var nature: String
    /// How often it is computed: `month` (every value is the month's, the year to date where the definition says 本年).
    public var period: String
    /// The breakdowns its source computes besides the district (`subdistrict`, `organization`, `sex`, `age`).
    public var disaggregations: [String]

    public init(code: String, name: String, unit: String, direction: String = "up", domain: String, definition: String, target: Double? = nil,
                scope: String = "常住人口", nature: String = "预期性", period: String = "month", disaggregations: [String] = []) {
        self.code = code
        self.name = name
        self.unit = unit
        self.direction = direction
        self.domain = domain
        self.definition = definition
        self.target = target
        self.scope = scope
        self.nature = nature
        self.period = period
        self.disaggregations = disaggregations
    }

    /// Chinese names of the breakdowns.
    public static let disaggregationNames = ["subdistrict": "街道", "organization": "机构", "sex": "性别", "age": "年龄组"]
}

/// A computed value of an indicator for an area (the district, a 街道 or an institution), a category of people
/// (everyone, a sex, an age group) and a month.
public struct IndicatorValue: Sendable, Codable, Equatable {
    public var code: String
    /// The district's code, a 街道's, or an institution's id.
    public var area: String
    /// Empty for everyone; `sex:male`, `sex:female`, `age:65+`, … for a breakdown of the area.
    public var category: String
    /// `YYYY-MM`.
    public var period: String
    public var value: Double
    public var numerator: Double?
    public var denominator: Double?

    public init(code: String, area: String, category: String = "", period: String, value: Double, numerator: Double? = nil, denominator: Double? = nil) {
        self.code = code
        self.area = area
        self.category = category
        self.period = period
        self.value = value
        self.numerator = numerator
        self.denominator = denominator
    }

    /// A percentage value from a numerator and a denominator, rounded down to one decimal as the platform's
    /// rates are (a rate shown as met is met); nil when the denominator is 0.
    public static func percent(_ code: String, area: String, category: String = "", period: String, _ numerator: Int, of denominator: Int) -> IndicatorValue? {
        guard denominator > 0 else { return nil }
        return IndicatorValue(code: code, area: area, category: category, period: period, value: (Double(numerator) * 1000 / Double(denominator)).rounded(.down) / 10,
                              numerator: Double(numerator), denominator: Double(denominator))
    }

    /// The Chinese name of a category (`sex:female` → 女, `age:65+` → 65+ 岁).
    public static func categoryName(_ category: String) -> String {
        switch category {
        case "": "全部"
        case "sex:male": "男"
        case "sex:female": "女"
        default: category.hasPrefix("age:") ? "\(category.dropFirst(4)) 岁" : category
        }
    }
}

/// What each domain implements to contribute its indicators (the one protocol between the domains and the
/// indicator engine): the definitions, and their values for a district on a day.
public protocol IndicatorSource: Sendable {
    var definitions: [IndicatorDefinition] { get }
    func values(district: String, on day: String, period: String) async throws -> [IndicatorValue]
}

/// A value against its target, as the cockpit shows it: green when met, amber when within 10% of it, red below.
public struct IndicatorStatus: Sendable, Codable, Equatable {
    public var definition: IndicatorDefinition
    public var value: IndicatorValue?
    /// Earlier months, oldest first (up to 12).
    public var trend: [IndicatorValue]
    public var target: Double?
    /// Where the target comes from: a plan row's id (`000-6-13`) or `platform`.
    public var targetSource: String?
    /// `green`, `amber`, `red`, or `none` (no value or no target).
    public var rag: String

    public static func rag(value: Double?, target: Double?, direction: String) -> String {
        guard let value, let target else { return "none" }
        if direction == "down" {
            return value <= target ? "green" : value <= target * 1.1 ? "amber" : "red"
        }
        return value >= target - 1e-9 ? "green" : value >= target * 0.9 ? "amber" : "red"
    }
}

/// A plan row with its latest value (computed, else reported by a manager) and whether it is met.
public struct PlanProgress: Sendable, Codable, Equatable {
    public var target: PlanTarget
    public var id: String
    public var value: Double?
    /// `computed`, `reported`, `plan` (the value the plan's own table reports as reached) or nil.
    public var source: String?
    public var period: String?
    public var met: Bool?

    /// The first number in a printed cell (`高血压 46.10（18 岁以上人 口）` → 46.10).
    static func leadingNumber(in text: String) -> Double? {
        guard let range = text.range(of: #"[0-9]+(\.[0-9]+)?"#, options: .regularExpression) else { return nil }
        return Double(text[range])
    }
}

/// The indicator engine (Indicators target): recomputes each source's values per district and month, keeps
/// reported values, and answers the cockpit and the plans' progress.
public struct IndicatorService: Sendable {
    public let database: Database
    public let sources: [any IndicatorSource]
    /// Where the definitions are published as FHIR Measure and the district values as MeasureReport; nil: not published.
    public let store: FHIRStore?

    public init(database: Database, sources: [any IndicatorSource], store: FHIRStore? = nil) {
        self.database = database
        self.sources = sources
        self.store = store
    }

    public var definitions: [IndicatorDefinition] { sources.flatMap(\.definitions) }

    public static func period(of day: String) -> String { String(day.prefix(7)) }

    /// Recomputes every source's values for `district` on `day` (the month's value is replaced). Returns how many
    /// values were written.
    @discardableResult
    public func recompute(district: String, on day: String = CalendarDay.today()) async throws -> Int {
        let period = Self.period(of: day)
        var values: [IndicatorValue] = []
        for source in sources { values += try await source.values(district: district, on: day, period: period) }
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            try await sql.raw("DELETE FROM indicator_value WHERE district = \(bind: district) AND period = \(bind: period)").run()
            var insert = BatchInsert(table: "indicator_value", columns: ["code", "district", "area", "category", "period", "value", "numerator", "denominator", "computed_at"])
            for value in values {
                insert.append([.text(value.code), .text(district), .text(value.area), .text(value.category), .text(value.period), .double(value.value),
                               value.numerator.map { .double($0) } ?? .text(nil), value.denominator.map { .double($0) } ?? .text(nil), .text(now)])
            }
            try await insert.flush(sql, engine: database.engine)
        }
        try await publish(values.filter { $0.area == district && $0.category.isEmpty }, district: district)
        return values.count
    }

    /// The FHIR side (Measure per definition, MeasureReport per district value and month), written only when a
    /// resource changed, so that the hourly run does not pile up versions.
    func publish(_ values: [IndicatorValue], district: String) async throws {
        guard let store else { return }
        let definitions = Dictionary(self.definitions.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        var resources: [(type: String, id: String, resource: JSONValue)] = []
        for definition in definitions.values.sorted(by: { $0.code < $1.code }) {
            resources.append(("Measure", "indicator-\(definition.code)", FHIRMeasures.measure(definition)))
        }
        for value in values {
            guard let definition = definitions[value.code] else { continue }
            resources.append(("MeasureReport", FHIRMeasures.reportID(value), FHIRMeasures.report(value, definition: definition, district: district)))
        }
        for (type, id, resource) in resources {
            if let current = try await store.read(type: type, id: id), !current.deleted,
               let stored = try? JSONValue.parse(Data(current.content.utf8)), FHIRMeasures.sameContent(stored, resource) { continue }
            _ = try await store.update(resource, type: type, id: id)
        }
    }

    /// The values of an indicator for an area, oldest month first (the last `months`). Read from the replica when one
    /// is configured (``Database/reader``), as the cockpit's other reads.
    public func series(code: String, district: String, area: String, months: Int = 12) async throws -> [IndicatorValue] {
        try await database.reader.read { sql in
            try await sql.raw("""
                SELECT * FROM indicator_value WHERE code = \(bind: code) AND district = \(bind: district) AND area = \(bind: area) AND category = '' ORDER BY period DESC LIMIT \(unsafeRaw: String(max(1, months)))
                """).all().map(Self.value).reversed()
        }
    }

    /// The latest month's values of the district for everyone, by area (`area` nil: every area); with
    /// `categories`, the breakdowns by sex and age too.
    public func latest(district: String, area: String? = nil, code: String? = nil, categories: Bool = false) async throws -> [IndicatorValue] {
        try await database.reader.read { sql in
            guard let period = try await sql.raw("SELECT MAX(period) AS p FROM indicator_value WHERE district = \(bind: district)").first()?.decode(column: "p", as: String?.self) else { return [] }
            var filter: SQLQueryString = "district = \(bind: district) AND period = \(bind: period)"
            if let area { filter = "\(filter) AND area = \(bind: area)" }
            if let code { filter = "\(filter) AND code = \(bind: code)" }
            if !categories { filter = "\(filter) AND category = ''" }
            return try await sql.raw("SELECT * FROM indicator_value WHERE \(filter) ORDER BY code, area, category").all().map(Self.value)
        }
    }

    /// The cockpit (驾驶舱): each indicator's latest district value, its trend, its target (the district's plan row
    /// where one binds it, else the platform's) and red/amber/green.
    /// `only` narrows to some definitions (one indicator's drill-down, the data-quality page) so that the others'
    /// trends are not read.
    public func cockpit(district: String, only: (IndicatorDefinition) -> Bool = { _ in true }) async throws -> [IndicatorStatus] {
        let latest = Dictionary(try await latest(district: district, area: district).map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let planRows = PlanTargets.rows(of: district).filter { $0.indicator != nil && PlanTargets.tables[$0.tableKey]?.kind == "target" }
        var statuses: [IndicatorStatus] = []
        for definition in definitions where only(definition) {
            let row = planRows.first { $0.indicator == definition.code }
            let target = row?.bound?.value ?? definition.target
            let trend = try await series(code: definition.code, district: district, area: district)
            let value = latest[definition.code]
            statuses.append(IndicatorStatus(definition: definition, value: value, trend: trend, target: target,
                                            targetSource: row.map(\.id) ?? (definition.target == nil ? nil : "platform"),
                                            rag: IndicatorStatus.rag(value: value?.value, target: target, direction: definition.direction)))
        }
        return statuses
    }

    /// Records a manager's value for a plan row the platform has no data for (e.g. 人均预期寿命). 422 for an
    /// unknown row, a row of another district's plan, a row the platform computes, a bad period or a value
    /// that is not a finite number.
    public func report(target id: String, district: String, period: String, value: Double, by actor: String) async throws {
        guard let row = PlanTargets.all.first(where: { $0.id == id }), row.district == district else {
            throw IndicatorError.invalid("本区规划中没有指标 \(id)")
        }
        guard row.indicator == nil else { throw IndicatorError.invalid("\(row.name) 由平台自动计算，无需填报") }
        guard PlanTargets.tables[row.tableKey]?.kind == "target" else { throw IndicatorError.invalid("\(row.name) 是上一规划期的实现情况，以规划文本为准，无需填报") }
        guard period.count == 7, CalendarDay.isValid(period + "-01") else { throw IndicatorError.invalid("period 须为 YYYY-MM") }
        guard value.isFinite, abs(value) < 1e9 else { throw IndicatorError.invalid("value 须为数值") }
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO indicator_reported (target_id, district, period, value, reported_by, reported_at) VALUES (\(bind: id), \(bind: district), \(bind: period), \(bind: value), \(bind: actor), \(bind: ISO8601Timestamp.now()))
                ON CONFLICT (target_id, district, period) DO UPDATE SET value = excluded.value, reported_by = excluded.reported_by, reported_at = excluded.reported_at
                """).run()
        }
    }

    /// The district's plan rows with their latest value (computed or reported) and whether each is met.
    public func planProgress(district: String) async throws -> [PlanProgress] {
        let computed = Dictionary(try await latest(district: district, area: district).map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let reported = try await database.read { sql in
            try await sql.raw("SELECT target_id, period, value FROM indicator_reported WHERE district = \(bind: district) ORDER BY period").all().map {
                (try $0.decode(column: "target_id", as: String.self), try $0.decode(column: "period", as: String.self), try $0.decode(column: "value", as: Double.self))
            }
        }
        var lastReported: [String: (period: String, value: Double)] = [:]
        for (id, period, value) in reported { lastReported[id] = (period, value) }
        return PlanTargets.rows(of: district).map { row in
            if PlanTargets.tables[row.tableKey]?.kind == "achieved" {
                // The previous plan's outcome, as the table prints it (a leading number, e.g. 高血压 46.10（18 岁以上人口）).
                let printed = row.achieved.flatMap { PlanProgress.leadingNumber(in: $0) }
                return PlanProgress(target: row, id: row.id, value: printed, source: printed == nil ? nil : "plan", period: PlanTargets.tables[row.tableKey].map { String($0.year) },
                                    met: printed.flatMap { value in row.bound?.met(by: value) })
            }
            if let code = row.indicator, let value = computed[code] {
                return PlanProgress(target: row, id: row.id, value: value.value, source: "computed", period: value.period, met: row.bound?.met(by: value.value))
            }
            if let value = lastReported[row.id] {
                return PlanProgress(target: row, id: row.id, value: value.value, source: "reported", period: value.period, met: row.bound?.met(by: value.value))
            }
            return PlanProgress(target: row, id: row.id, value: nil, source: nil, period: nil, met: nil)
        }
    }

    static func value(_ row: any SQLRow) throws -> IndicatorValue {
        IndicatorValue(code: try row.decode(column: "code", as: String.self), area: try row.decode(column: "area", as: String.self),
                       category: try row.decode(column: "category", as: String.self), period: try row.decode(column: "period", as: String.self), value: try row.decode(column: "value", as: Double.self),
                       numerator: try row.decode(column: "numerator", as: Double?.self), denominator: try row.decode(column: "denominator", as: Double?.self))
    }
}

/// A refused indicator request (422).
public enum IndicatorError: Error, Equatable {
    case invalid(String)
}

/// The Indicators target's tables.
public enum IndicatorMigrations {
    public static let all: [Migration] = values + PlanTaskMigrations.all

    static let values: [Migration] = [
        Migration(id: "0900_indicators") { _ in
            [
                // Computed values per district, area (the district, a 街道, an institution) and month.
                """
                CREATE TABLE indicator_value (code TEXT NOT NULL, district TEXT NOT NULL, area TEXT NOT NULL, period TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
                    numerator DOUBLE PRECISION, denominator DOUBLE PRECISION, computed_at TEXT NOT NULL, PRIMARY KEY (code, district, area, period))
                """,
                "CREATE INDEX indicator_value_period ON indicator_value (district, period)",
                // Values managers report for plan rows the platform cannot compute.
                """
                CREATE TABLE indicator_reported (target_id TEXT NOT NULL, district TEXT NOT NULL, period TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
                    reported_by TEXT NOT NULL, reported_at TEXT NOT NULL, PRIMARY KEY (target_id, district, period))
                """,
            ]
        },
        // Breakdowns by sex and age group: a category column in the key (the table is rebuilt, its rows kept as
        // everyone's).
        Migration(id: "0901_indicator_categories") { _ in
            [
                """
                CREATE TABLE indicator_value_new (code TEXT NOT NULL, district TEXT NOT NULL, area TEXT NOT NULL, category TEXT NOT NULL DEFAULT '', period TEXT NOT NULL,
                    value DOUBLE PRECISION NOT NULL, numerator DOUBLE PRECISION, denominator DOUBLE PRECISION, computed_at TEXT NOT NULL,
                    PRIMARY KEY (code, district, area, category, period))
                """,
                """
                INSERT INTO indicator_value_new (code, district, area, category, period, value, numerator, denominator, computed_at)
                    SELECT code, district, area, '', period, value, numerator, denominator, computed_at FROM indicator_value
                """,
                "DROP TABLE indicator_value",
                "ALTER TABLE indicator_value_new RENAME TO indicator_value",
                "CREATE INDEX indicator_value_period ON indicator_value (district, period)",
            ]
        },
    ]
}
