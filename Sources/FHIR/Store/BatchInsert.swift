public import SQLKit
public import Storage

/// A column value of a row written by ``BatchInsert``.
///
/// Integers are written into the statement as SQL literals (cheaper than a bound parameter through
/// the drivers' `Encodable` path); text and floating-point values are bound.
public enum RowValue: Sendable, Equatable, Hashable {
    /// An integer, written as a literal.
    case int(Int64)
    /// A floating-point number, bound.
    case double(Double)
    /// Text, bound; or NULL (nil), written as a literal.
    case text(String?)
}

/// Multi-row INSERT statements, split so that no statement exceeds the engines' bind limits. The FHIR
/// writer's index rows and the domains' batched write hooks use it.
public struct BatchInsert: Sendable {
    let table: String
    let columns: [String]
    var rows: [[RowValue]] = []
    /// What follows the rows, e.g. `ON CONFLICT (…) DO UPDATE SET …` (rows of one batch must not
    /// conflict with each other then).
    let suffix: String

    /// Whether the rows go to SQLite as one JSON array (see ``flush(_:engine:)``); off for rows of
    /// long text (resources' JSON), which bind cheaper than they escape into and out of an array.
    let packedOnSQLite: Bool

    /// A batch for `table`'s `columns`, optionally followed by `suffix` in each statement.
    public init(table: String, columns: [String], packedOnSQLite: Bool = true, suffix: String = "") {
        self.table = table
        self.columns = columns
        self.packedOnSQLite = packedOnSQLite
        self.suffix = suffix
    }

    /// Adds a row (as many values as columns).
    public mutating func append(_ row: [RowValue]) {
        rows.append(row)
    }

    /// Whether no row waits.
    public var isEmpty: Bool { rows.isEmpty }

    /// Rows per statement for a table of `columns` columns: SQLite allows 32766 bound values per
    /// statement, PostgreSQL 65535.
    static func rowsPerStatement(columns: Int) -> Int {
        max(1, 30_000 / columns)
    }

    /// Rows per statement when the rows travel as one JSON array (SQLite): no bind limit applies,
    /// the bound only keeps the text of one statement to a few MiB.
    static let rowsPerJSONStatement = 10_000

    /// Runs the inserts and empties the batch.
    ///
    /// On SQLite the rows go as one bound JSON array per statement, unpacked by `jsonb_each`
    /// (`INSERT … SELECT value->>0, … FROM jsonb_each(?)`): the statement is a few dozen bytes to
    /// compile and has one bind, instead of a `VALUES` list with a placeholder per value, which
    /// SQLite has to parse and SQLiteKit to encode value by value. Otherwise multi-row `VALUES`.
    public mutating func flush(_ sql: any SQLDatabase, engine: DatabaseEngine) async throws {
        guard !rows.isEmpty else { return }
        if engine == .sqlite, packedOnSQLite {
            var start = 0
            while start < rows.count {
                let end = min(rows.count, start + Self.rowsPerJSONStatement)
                // `WHERE true` keeps SQLite from reading an `ON CONFLICT` suffix as a join constraint.
                try await sql.raw("\(unsafeRaw: jsonInsertSQL)\(bind: Self.jsonArray(rows[start..<end])))\(unsafeRaw: suffix.isEmpty ? "" : " WHERE true " + suffix)").run()
                start = end
            }
            rows.removeAll(keepingCapacity: true)
            return
        }
        let rowsPerStatement = Self.rowsPerStatement(columns: columns.count)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + rowsPerStatement)
            try await sql.raw("\(InsertStatement(table: table, columns: columns, rows: rows[start..<end], returning: nil))\(unsafeRaw: suffix.isEmpty ? "" : " " + suffix)").run()
            start = end
        }
        rows.removeAll(keepingCapacity: true)
    }

    /// `INSERT INTO table (columns) SELECT value->>0, … FROM jsonb_each(` — the bound array and `)` follow.
    /// `jsonb_each` hands each row over as a binary JSON value, which `->>` reads without parsing it
    /// again (with `json_each` each row is turned back into text first; measured slower).
    private var jsonInsertSQL: String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT "
            + columns.indices.map { "value->>\($0)" }.joined(separator: ", ") + " FROM jsonb_each("
    }

    /// The rows as one JSON array of arrays: integers and finite numbers as JSON numbers (Swift writes
    /// the shortest text that reads back as the same `Double`), text as strings, NULL as `null`.
    static func jsonArray(_ rows: ArraySlice<[RowValue]>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 48)
        out.append(UInt8(ascii: "["))
        var firstRow = true
        for row in rows {
            out.append(UInt8(ascii: firstRow ? "[" : ","))
            if !firstRow { out.append(UInt8(ascii: "[")) }
            firstRow = false
            for (index, value) in row.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                switch value {
                case .int(let number): out.append(contentsOf: String(number).utf8)
                case .double(let number) where number.isFinite: out.append(contentsOf: number.description.utf8)
                case .double: out.append(contentsOf: "null".utf8)
                case .text(nil): out.append(contentsOf: "null".utf8)
                case .text(let text?): JSONValue.writeString(text, to: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Inserts every row in one statement (at most ``rowsPerStatement(columns:)`` rows) and returns
    /// `returning` of each inserted row, in no particular order; empties the batch.
    mutating func insertReturning(_ sql: any SQLDatabase, columns returning: String) async throws -> [any SQLRow] {
        guard !rows.isEmpty else { return [] }
        let result = try await sql.raw("\(InsertStatement(table: table, columns: columns, rows: rows[...], returning: returning))").all()
        rows.removeAll(keepingCapacity: true)
        return result
    }
}

/// One multi-row INSERT, serialised straight into SQL text and binds (no intermediate fragments).
private struct InsertStatement: SQLExpression {
    let table: String
    let columns: [String]
    let rows: ArraySlice<[RowValue]>
    let returning: String?

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ")
        var firstRow = true
        for row in rows {
            serializer.write(firstRow ? "(" : ", (")
            firstRow = false
            for (index, value) in row.enumerated() {
                if index > 0 { serializer.write(", ") }
                switch value {
                case .int(let number): serializer.write(String(number))
                case .double(let number): serializer.write(bind: number)
                // An untyped NULL: a NULL bound as text would not go into a numeric column on PostgreSQL.
                case .text(nil): serializer.write("NULL")
                case .text(let text?): serializer.write(bind: text)
                }
            }
            serializer.write(")")
        }
        if let returning { serializer.write(" RETURNING \(returning)") }
    }
}
