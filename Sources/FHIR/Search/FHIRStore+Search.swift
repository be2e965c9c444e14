import Foundation
import SQLKit
import Storage

/// The outcome of a search: one page of matches, the included resources and the total.
public struct SearchResult: Sendable {
    /// The page of matching resources.
    public var matches: [StoredResource]
    /// Resources added by `_include` / `_revinclude`.
    public var included: [StoredResource]
    /// The number of matches in all pages, when computed.
    public var total: Int?
    /// Whether another page follows.
    public var hasMore: Bool
}

extension FHIRStore {
    /// Runs a search: reads the index tables, never scans JSON.
    public func search(_ request: SearchRequest) async throws -> SearchResult {
        let result = try await readSource.read { sql in
            try await Self.search(request, sql: sql, protection: protection, pageKeysFromIndex: database.engine == .postgres) { type, name in
                try await parameterKeys.sources(type: type, name: name, definitions: definitions, sql: sql)
            }
        }
        return try opened(result)
    }

    /// A search result made readable (protected values opened).
    func opened(_ result: SearchResult) throws -> SearchResult {
        guard protection != nil else { return result }
        var opened = result
        opened.matches = try result.matches.map(self.opened)
        opened.included = try result.included.map(self.opened)
        return opened
    }

    /// The numbers of the stored parameters whose index rows hold a type's search parameter.
    typealias ParameterSources = (_ type: String, _ name: String) async throws -> [Int64]

    /// `pageKeysFromIndex`: choose a page's keys in the index tables when they hold every criterion (PostgreSQL, below).
    static func search(_ request: SearchRequest, sql: any SQLDatabase, protection: (any FieldProtection)?, pageKeysFromIndex: Bool,
                       sources: ParameterSources) async throws -> SearchResult {
        let (filter, led, indexMatches) = try await searchFilter(request, sql: sql, protection: protection, sources: sources)
        var total: Int?
        if request.wantsTotal || request.summary == "count" {
            let count = indexMatches.map { "SELECT COUNT(*) AS n FROM " + $0 } ?? "SELECT COUNT(*) AS n FROM fhir_resource r WHERE \(filter)"
            let row = try await sql.raw(count).first()
            total = try row?.decode(column: "n", as: Int.self) ?? 0
        }
        if request.summary == "count" || request.count == 0 {
            return SearchResult(matches: [], included: [], total: total, hasMore: false)
        }
        var order = SQLQueryString("")
        for key in request.sort {
            order = order + (try await orderExpression(key, type: request.type, sources: sources))
            order.appendLiteral(key.descending ? " DESC, " : " ASC, ")
        }
        // Without `_sort`, a search that a criterion leads returns its matches in the order they were stored (the
        // resource key): the engines walk the led list in that order and stop at the page's end, where ordering by id
        // read every match's row first (a CHC's day: 500 rows of a file larger than memory for a page of 20).
        // Unled searches keep the id order, which the type's (type, id) index gives without reading the others.
        order.appendLiteral(led && request.sort.isEmpty ? "r.res_key ASC" : "r.res_id ASC")
        let query: SQLQueryString
        if pageKeysFromIndex, let indexMatches, request.sort.isEmpty {
            // Every criterion has index rows: the page's keys are chosen in the index tables, and only the page's
            // resource rows are read. Otherwise PostgreSQL read every match's row (a CHC's day at 1,000,000
            // residents: 3,689 rows, ≈ 15,000 pages) to keep 21 of them. SQLite walks the led list in key order and
            // stops at the page's end already; there the extra sort measured ≈ 8 % slower (a CHC's day, 20,000
            // residents, in memory).
            query = "SELECT r.res_type, r.res_id, r.version_id, r.last_updated, r.deleted, r.content FROM fhir_resource r WHERE r.res_key IN (SELECT r.res_key FROM "
                + indexMatches + " ORDER BY r.res_key LIMIT \(literal: request.count + 1) OFFSET \(literal: request.offset)) ORDER BY r.res_key ASC"
        } else {
            query = """
                SELECT r.res_type, r.res_id, r.version_id, r.last_updated, r.deleted, r.content FROM fhir_resource r
                WHERE \(filter) ORDER BY \(order) LIMIT \(literal: request.count + 1) OFFSET \(literal: request.offset)
                """
        }
        let rows = try await sql.raw(query).all()
        var matches = try rows.map(decode)
        let hasMore = matches.count > request.count
        if hasMore { matches.removeLast() }
        let included = try await includes(for: request, matches: matches, sql: sql, sources: sources)
        return SearchResult(matches: matches, included: included, total: total, hasMore: hasMore)
    }

    /// Index rows counted at most when choosing which criterion leads a search (see ``searchFilter``).
    static let leadProbeLimit = 2_000
    /// The second count's limit, for two criteria or more that both exceed ``leadProbeLimit``.
    static let leadProbeWideLimit = 50_000

    /// The `WHERE` condition on `r` (the resource table) for a search, whether a criterion leads it, and, where every
    /// criterion has index rows, its matches in the index tables alone: a `FROM` clause whose rows `r` have the
    /// matches' `res_key` (for their count and for choosing a page's keys).
    ///
    /// Each criterion is a set of index rows. Written as `r.res_key IN (SELECT res_key FROM <index> WHERE …)` for every
    /// criterion, SQLite materialises every list in full (a common code or an open date range: millions of rows at a
    /// district's size) and, without statistics, walks every resource of the type; PostgreSQL plans from its statistics.
    /// So the criterion with the fewest index rows leads: its rows are counted up to ``leadProbeLimit``, or up to the
    /// smallest count so far (one short index range read each), the smallest set is the `IN` list that drives the search through the resource key, and the others are
    /// checked per resource as correlated `EXISTS` on the index table's primary key `(res_key, seq)` (`+i.param_key`
    /// keeps SQLite off the value indexes there). When every criterion matches more rows than the limit, no criterion
    /// leads and the search is written as before (the type's resources in `res_id` order, stopped at the page's end).
    static func searchFilter(_ request: SearchRequest, sql: any SQLDatabase, protection: (any FieldProtection)?, sources: ParameterSources) async throws
        -> (SQLQueryString, led: Bool, indexMatches: SQLQueryString?) {
        var rowSets: [(index: Int, rows: IndexRows)] = []
        for (index, criterion) in request.criteria.enumerated() {
            if let rows = try await indexRows(for: criterion, type: request.type, protection: protection, sources: sources) { rowSets.append((index, rows)) }
        }
        // A reference and a date indexed together (``FHIRDefinitions/referenceDatePairs``) are one more candidate,
        // counted first (its rows are never more than either's); when it leads, the two criteria it holds need no check.
        let paired = try await referenceDateRows(request, sources: sources)
        if let paired { rowSets.insert((pairedIndex, paired.rows), at: 0) }
        // References first (a patient's, an encounter's: usually the fewest rows); each later count stops at the
        // smallest so far, since only a smaller set could lead instead.
        // Two criteria or more whose sets are all larger than the limit (a CHC's encounters and a busy day's) usually
        // intersect in few resources, which the type's walk in `res_id` order would look for among all of them: they
        // are counted again up to ``leadProbeWideLimit``.
        var lead: (index: Int, count: Int)?
        let ordered = rowSets.sorted { ($0.rows.table.hasPrefix("fhir_idx_reference") ? 0 : 1, $0.index) < ($1.rows.table.hasPrefix("fhir_idx_reference") ? 0 : 1, $1.index) }
        for start in rowSets.count > 1 ? [leadProbeLimit, leadProbeWideLimit] : [leadProbeLimit] where lead == nil {
            for (index, rows) in ordered {
                let limit = lead?.count ?? start
                guard limit > 0 else { break }
                let counted = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM (SELECT 1 FROM \(unsafeRaw: rows.table) i WHERE \(rows.condition) LIMIT \(literal: limit)) AS probe
                    """).first()?.decode(column: "n", as: Int.self) ?? limit
                if counted < limit { lead = (index, counted) }
            }
        }
        // With a lead the type is checked per resource (`|| ''` keeps both engines off the type's index as a driver).
        var filter = SQLQueryString(lead == nil ? "r.res_type = " : "r.res_type || '' = ")
        filter.appendInterpolation(bind: request.type)
        filter.appendLiteral(" AND r.deleted = 0")
        // The criteria the paired rows stand for when they lead.
        var covered: [Int] = []
        if let lead, lead.index == pairedIndex, let paired {
            covered = paired.covers
            filter.appendLiteral(" AND ")
            filter = filter + paired.rows.inList
        }
        for (index, criterion) in request.criteria.enumerated() where !covered.contains(index) {
            filter.appendLiteral(" AND ")
            if let lead, let rows = rowSets.first(where: { $0.index == index })?.rows {
                filter = filter + (index == lead.index ? rows.inList : rows.correlated)
            } else {
                filter = filter + (try await condition(for: criterion, type: request.type, protection: protection, sources: sources))
            }
        }
        // The matches of a led search whose every criterion has index rows are found in the index tables alone: only
        // current, undeleted versions have index rows, and a parameter's number belongs to one type, so the resource
        // rows (one random read each at a district's size) add nothing to the count or to which keys a page holds.
        var indexMatches: SQLQueryString?
        if let lead, let leadRows = rowSets.first(where: { $0.index == lead.index })?.rows {
            var rest = SQLQueryString("1 = 1")
            var indexOnly = true
            for index in request.criteria.indices where index != lead.index && !covered.contains(index) {
                guard let rows = rowSets.first(where: { $0.index == index })?.rows else { indexOnly = false; break }
                rest = rest + " AND " + rows.correlated
            }
            if indexOnly {
                indexMatches = "(SELECT DISTINCT i.res_key FROM \(unsafeRaw: leadRows.table) i WHERE \(leadRows.condition)) r WHERE " + rest
            }
        }
        return (filter, lead != nil, indexMatches)
    }

    /// The position ``searchFilter`` gives the rows of a reference and a date together (not a criterion's).
    static let pairedIndex = -1

    /// The rows of `fhir_idx_reference_date` matching a plain reference criterion and a plain date criterion of
    /// `request` that the type indexes together, with the two criteria's positions; nil when there is no such pair.
    /// Only one date criterion joins (`date=ge…&date=lt…` are two): with several dates in one resource, each
    /// criterion may be met by a different one, which one row could not tell.
    static func referenceDateRows(_ request: SearchRequest, sources: ParameterSources) async throws -> (covers: [Int], rows: IndexRows)? {
        guard let pairs = FHIRDefinitions.referenceDatePairs[request.type] else { return nil }
        // The stored parameter (one) behind each plain reference or date criterion.
        var storedKeys: [Int: Int64] = [:]
        for (index, criterion) in request.criteria.enumerated() {
            guard let definition = criterion.definition, !criterion.values.isEmpty else { continue }
            let plain = switch definition.type {
            case "reference": criterion.modifier == nil || criterion.modifier?.first?.isUppercase == true
            case "date": criterion.modifier == nil
            default: false
            }
            let keys = plain ? try await sources(request.type, definition.name) : []
            if keys.count == 1 { storedKeys[index] = keys[0] }
        }
        for pair in pairs {
            let referenceKeys = try await sources(request.type, pair.reference)
            let dateKeys = try await sources(request.type, pair.date)
            guard referenceKeys.count == 1, dateKeys.count == 1,
                  let reference = storedKeys.keys.sorted().first(where: { storedKeys[$0] == referenceKeys[0] && request.criteria[$0].definition?.type == "reference" }),
                  let date = storedKeys.keys.sorted().first(where: { storedKeys[$0] == dateKeys[0] && request.criteria[$0].definition?.type == "date" }),
                  let referenceDefinition = request.criteria[reference].definition, let dateDefinition = request.criteria[date].definition
            else { continue }
            var referenceValues: [SQLQueryString] = []
            for value in request.criteria[reference].values {
                referenceValues.append(try valueCondition(value, definition: referenceDefinition, modifier: request.criteria[reference].modifier) { _, code in [code] })
            }
            var dateValues: [SQLQueryString] = []
            for value in request.criteria[date].values {
                dateValues.append(try valueCondition(value, definition: dateDefinition, modifier: nil) { _, code in [code] })
            }
            let parameter: SQLQueryString = "i.param_key = \(literal: referenceKeys[0]) AND i.date_param_key = \(literal: dateKeys[0])"
            return ([reference, date], IndexRows(table: "fhir_idx_reference_date", parameter: parameter,
                                                 values: joined(referenceValues, by: " OR ") + " AND " + joined(dateValues, by: " OR ")))
        }
        return nil
    }

    /// A criterion's rows in one index table (`i`).
    struct IndexRows {
        var table: String
        /// The parameter's numbers, on `i.param_key`.
        var parameter: SQLQueryString
        /// The values, OR-ed.
        var values: SQLQueryString

        /// The rows' condition on `i`.
        var condition: SQLQueryString { parameter + " AND " + values }

        /// `r.res_key IN (…)`: the rows' resources as a list.
        var inList: SQLQueryString { "r.res_key IN (SELECT i.res_key FROM \(unsafeRaw: table) i WHERE \(condition))" }

        /// A correlated check of one resource's rows through the table's primary key.
        var correlated: SQLQueryString {
            "EXISTS (SELECT 1 FROM \(unsafeRaw: table) i WHERE i.res_key = r.res_key AND +" + parameter + " AND " + values + ")"
        }
    }

    /// The index rows of a plain criterion (a parameter with values, no `:missing` or `:not`); nil for the others.
    static func indexRows(for criterion: SearchRequest.Criterion, type: String, protection: (any FieldProtection)?, sources: ParameterSources) async throws -> IndexRows? {
        guard !["_id", "_lastUpdated"].contains(criterion.name), let definition = criterion.definition,
              criterion.modifier != "missing", criterion.modifier != "not" else { return nil }
        var alternatives: [SQLQueryString] = []
        for value in criterion.values {
            alternatives.append(try valueCondition(value, definition: definition, modifier: criterion.modifier) { system, code in
                protection?.searchCodes(type: type, system: system, code: code) ?? [code]
            })
        }
        let keys = try await sources(type, definition.name)
        return IndexRows(table: indexTable(for: definition.type), parameter: parameterCondition(keys), values: joined(alternatives, by: " OR "))
    }

    /// `param_key IN (…)` for the given numbers; a number no parameter has when there are none.
    private static func parameterCondition(_ keys: [Int64], column: String = "i.param_key") -> SQLQueryString {
        if keys.count == 1 { return "\(unsafeRaw: column) = \(literal: keys[0])" }
        return "\(unsafeRaw: column) IN (\(unsafeRaw: (keys.isEmpty ? [0] : keys).map(String.init).joined(separator: ", ")))"
    }

    private static func includes(for request: SearchRequest, matches: [StoredResource], sql: any SQLDatabase, sources: ParameterSources) async throws -> [StoredResource] {
        guard !matches.isEmpty, !(request.includes.isEmpty && request.revIncludes.isEmpty) else { return [] }
        let ids = matches.map(\.id)
        var targets: [ReferenceValue] = []
        for include in request.includes {
            let keys = try await sources(include.sourceType, include.parameter)
            var query = SQLQueryString("SELECT DISTINCT i.target_type, i.target_id FROM fhir_idx_reference i WHERE ")
            query = query + parameterCondition(keys)
            query = query + " AND i.res_key IN (SELECT res_key FROM fhir_resource WHERE res_type = \(bind: include.sourceType) AND res_id IN (\(binds: ids)))"
            if let targetType = include.targetType { query = query + " AND i.target_type = \(bind: targetType)" }
            for row in try await sql.raw(query).all() {
                targets.append(ReferenceValue(type: try row.decode(column: "target_type", as: String.self), id: try row.decode(column: "target_id", as: String.self)))
            }
        }
        for include in request.revIncludes {
            let keys = try await sources(include.sourceType, include.parameter)
            let rows = try await sql.raw("""
                SELECT DISTINCT r.res_type, r.res_id FROM fhir_idx_reference i JOIN fhir_resource r ON r.res_key = i.res_key
                WHERE \(parameterCondition(keys)) AND r.res_type = \(bind: include.sourceType)
                AND i.target_type = \(bind: request.type) AND i.target_id IN (\(binds: ids))
                """).all()
            for row in rows {
                targets.append(ReferenceValue(type: try row.decode(column: "res_type", as: String.self), id: try row.decode(column: "res_id", as: String.self)))
            }
        }
        let matched = Set(matches.map { ReferenceValue(type: $0.type, id: $0.id) })
        var seen = Set<ReferenceValue>()
        var included: [StoredResource] = []
        for (type, group) in Dictionary(grouping: targets.filter { !matched.contains($0) && seen.insert($0).inserted }, by: \.type) {
            let rows = try await sql.raw("""
                SELECT res_type, res_id, version_id, last_updated, deleted, content FROM fhir_resource
                WHERE res_type = \(bind: type) AND deleted = 0 AND res_id IN (\(binds: group.map(\.id)))
                """).all()
            included += try rows.map(decode)
        }
        return included.sorted { ($0.type, $0.id) < ($1.type, $1.id) }
    }

    private static func orderExpression(_ key: SearchRequest.SortKey, type: String, sources: ParameterSources) async throws -> SQLQueryString {
        guard let definition = key.definition else {
            return key.name == "_id" ? "r.res_id" : "r.last_updated_ms"
        }
        let aggregate = key.descending ? "MAX" : "MIN"
        let (table, column): (String, String) = switch definition.type {
        case "string": ("fhir_idx_string", "value")
        case "date": ("fhir_idx_date", key.descending ? "high_ms" : "low_ms")
        case "number": ("fhir_idx_number", "value")
        case "quantity": ("fhir_idx_quantity", "value")
        default: ("fhir_idx_token", "code")
        }
        let keys = try await sources(type, definition.name)
        return "(SELECT \(unsafeRaw: aggregate)(i.\(unsafeRaw: column)) FROM \(unsafeRaw: table) i WHERE i.res_key = r.res_key AND \(parameterCondition(keys)))"
    }

    /// The SQL condition on `r` for one criterion (values OR-ed).
    static func condition(for criterion: SearchRequest.Criterion, type: String, protection: (any FieldProtection)?, sources: ParameterSources) async throws -> SQLQueryString {
        if criterion.name == "_id" {
            for id in criterion.values where !FHIRID.isValid(id) {
                throw FHIRError.badRequest("'\(id)' is not a valid resource id")
            }
            return "r.res_id IN (\(binds: criterion.values))"
        }
        if criterion.name == "_lastUpdated" {
            var alternatives: [SQLQueryString] = []
            for value in criterion.values {
                let (prefix, text) = splitPrefix(value)
                guard let range = FHIRDateRange.parse(text) else {
                    throw FHIRError.badRequest("_lastUpdated=\(value): '\(text)' is not a date or dateTime")
                }
                alternatives.append(dateCondition(prefix: prefix, range: range, low: "r.last_updated_ms", high: "(r.last_updated_ms + 1)"))
            }
            return joined(alternatives, by: " OR ")
        }
        guard let definition = criterion.definition else { throw FHIRError.badRequest("Unknown search parameter '\(criterion.name)'") }
        let table = indexTable(for: definition.type)
        if criterion.modifier == "missing" {
            guard let flag = criterion.values.first, flag == "true" || flag == "false" else {
                throw FHIRError.badRequest("\(criterion.name):missing takes true or false")
            }
            let keys = try await sources(type, definition.name)
            let inner: SQLQueryString = "SELECT i.res_key FROM \(unsafeRaw: table) i WHERE \(parameterCondition(keys))"
            return flag == "true" ? "r.res_key NOT IN (\(inner))" : "r.res_key IN (\(inner))"
        }
        if let rows = try await indexRows(for: criterion, type: type, protection: protection, sources: sources) { return rows.inList }
        var alternatives: [SQLQueryString] = []
        for value in criterion.values {
            alternatives.append(try valueCondition(value, definition: definition, modifier: criterion.modifier) { system, code in
                protection?.searchCodes(type: type, system: system, code: code) ?? [code]
            })
        }
        let keys = try await sources(type, definition.name)
        let inner: SQLQueryString = "SELECT i.res_key FROM \(unsafeRaw: table) i WHERE \(parameterCondition(keys)) AND (\(joined(alternatives, by: " OR ")))"
        return criterion.modifier == "not" ? "r.res_key NOT IN (\(inner))" : "r.res_key IN (\(inner))"
    }

    private static func indexTable(for type: String) -> String {
        switch type {
        case "string": "fhir_idx_string"
        case "reference": "fhir_idx_reference"
        case "date": "fhir_idx_date"
        case "number": "fhir_idx_number"
        case "quantity": "fhir_idx_quantity"
        default: "fhir_idx_token"
        }
    }

    private static func joined(_ parts: [SQLQueryString], by separator: String) -> SQLQueryString {
        var result = SQLQueryString("(")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.appendLiteral(separator) }
            result = result + part
        }
        result.appendLiteral(")")
        return result
    }

    private static let prefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]

    static func splitPrefix(_ value: String) -> (String, String) {
        let head = String(value.prefix(2))
        if prefixes.contains(head), value.count > 2, let third = value.dropFirst(2).first, third.isNumber || third == "-" {
            return (head, String(value.dropFirst(2)))
        }
        return ("eq", value)
    }

    /// The condition for one value; `codes` gives the codes a token may be stored as (with its keyed hash where protected).
    private static func valueCondition(_ value: String, definition: SearchParameterDefinition, modifier: String?,
                                       codes: (_ system: String?, _ code: String) -> [String]) throws -> SQLQueryString {
        let name = definition.name
        switch definition.type {
        case "token", "uri":
            if let bar = value.firstIndex(of: "|"), definition.type == "token" {
                let system = String(value[..<bar])
                let code = String(value[value.index(after: bar)...])
                if system.isEmpty { return "(i.system IS NULL AND i.code = \(bind: code))" }
                if code.isEmpty { return "i.system = \(bind: system)" }
                return "(i.system = \(bind: system) AND i.code IN (\(binds: codes(system, code))))"
            }
            return "i.code IN (\(binds: codes(nil, value)))"
        case "string":
            let normalized = SearchIndexer.normalize(value)
            switch modifier {
            case "exact":
                return "i.value = \(bind: normalized)"
            case "contains":
                let escaped = normalized.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                return "i.value LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"
            default:
                return "(i.value >= \(bind: normalized) AND i.value < \(bind: normalized + "\u{10FFFF}"))"
            }
        case "reference":
            if let modifier, modifier.first?.isUppercase == true {
                return "(i.target_type = \(bind: modifier) AND i.target_id = \(bind: value))"
            }
            if let reference = ReferenceValue(value) {
                if let targets = definition.targets, !targets.isEmpty, !targets.contains(reference.type), !targets.contains("Resource") {
                    throw FHIRError.badRequest("\(name)=\(value): \(name) refers to \(targets.joined(separator: ", ")), not \(reference.type)")
                }
                return "(i.target_type = \(bind: reference.type) AND i.target_id = \(bind: reference.id))"
            }
            if FHIRID.isValid(value) {
                return "i.target_id = \(bind: value)"
            }
            return "(i.target_type = '' AND i.target_id = \(bind: value))"
        case "date":
            let (prefix, text) = splitPrefix(value)
            guard let range = FHIRDateRange.parse(text) else {
                throw FHIRError.badRequest("\(name)=\(value): '\(text)' is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime with offset)")
            }
            return dateCondition(prefix: prefix, range: range, low: "i.low_ms", high: "i.high_ms")
        case "number", "quantity":
            var parts = value.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let (prefix, numberText) = splitPrefix(parts.removeFirst())
            guard let number = Double(numberText), number.isFinite else {
                throw FHIRError.badRequest("\(name)=\(value): '\(numberText)' is not a number")
            }
            var condition = numberCondition(prefix: prefix, number: number, text: numberText)
            if definition.type == "quantity", parts.count == 2 {
                if !parts[0].isEmpty { condition = condition + " AND i.system = \(bind: parts[0])" }
                if !parts[1].isEmpty { condition = condition + " AND i.code = \(bind: parts[1])" }
            }
            return "(" + condition + ")"
        default:
            throw FHIRError.badRequest("Searching by \(definition.type) parameters is not supported")
        }
    }

    private static func dateCondition(prefix: String, range: FHIRDateRange, low: String, high: String) -> SQLQueryString {
        // `low <= range.high` follows from the others (a stored range's low is never above its high), but bounds the
        // low index's range on both sides: without it a day's search read every row from that day on.
        let contained: SQLQueryString = "(\(unsafeRaw: low) >= \(bind: range.low) AND \(unsafeRaw: low) <= \(bind: range.high) AND \(unsafeRaw: high) <= \(bind: range.high))"
        switch prefix {
        case "ne": return "NOT " + contained
        case "gt": return "\(unsafeRaw: high) > \(bind: range.high)"
        case "lt": return "\(unsafeRaw: low) < \(bind: range.low)"
        case "ge": return "(\(unsafeRaw: high) > \(bind: range.high) OR " + contained + ")"
        case "le": return "(\(unsafeRaw: low) < \(bind: range.low) OR " + contained + ")"
        case "sa": return "\(unsafeRaw: low) >= \(bind: range.high)"
        case "eb": return "\(unsafeRaw: high) <= \(bind: range.low)"
        case "ap":
            let margin = max(Int64(86_400_000), (range.high - range.low) / 10)
            return "(\(unsafeRaw: low) < \(bind: range.high + margin) AND \(unsafeRaw: high) > \(bind: range.low - margin))"
        default: return contained
        }
    }

    private static func numberCondition(prefix: String, number: Double, text: String) -> SQLQueryString {
        // eq uses the implicit precision of the value as written: 5.4 means [5.35, 5.45).
        let decimals = text.split(separator: ".").dropFirst().first.map { $0.count } ?? 0
        let half = 0.5 * pow(10, -Double(decimals))
        switch prefix {
        case "ne": return "(i.value < \(bind: number - half) OR i.value >= \(bind: number + half))"
        case "gt", "sa": return "i.value > \(bind: number)"
        case "lt", "eb": return "i.value < \(bind: number)"
        case "ge": return "i.value >= \(bind: number)"
        case "le": return "i.value <= \(bind: number)"
        case "ap": return "(i.value >= \(bind: number * 0.9) AND i.value <= \(bind: number * 1.1))"
        default: return "(i.value >= \(bind: number - half) AND i.value < \(bind: number + half))"
        }
    }
}

extension FHIRStore {
    /// Calls `body` with every current resource of `type` matching `query` (ordered by id), reading a page of
    /// `pageSize` at a time: for reports and batch work that must see every match, not one page of them.
    public func forEachMatch(_ type: String, _ query: [(String, String)], pageSize: Int = 1000, _ body: (StoredResource) async throws -> Void) async throws {
        var offset = 0
        while true {
            var request = try SearchRequest(type: type, query: query + [("_sort", "_id")], definitions: definitions, strict: true)
            request.count = pageSize
            request.offset = offset
            let page = try await search(request)
            for match in page.matches { try await body(match) }
            guard page.hasMore else { return }
            offset += pageSize
        }
    }
}
