/// SQL fragments that differ between the two engines, for migrations.
///
/// Everything else in the project's SQL is written once, in the common subset both engines accept.
public struct SQLFragments: Sendable {
    /// The engine these fragments are for.
    public let engine: DatabaseEngine

    /// Creates the fragments for an engine.
    public init(engine: DatabaseEngine) { self.engine = engine }

    /// An auto-numbered 64-bit primary key column type.
    public var autoIncrementPrimaryKey: String {
        switch engine {
        case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        }
    }

    /// A text column whose comparison and ordering are by code point, so prefix ranges use the index.
    public var binaryText: String {
        switch engine {
        case .sqlite: "TEXT"
        case .postgres: "TEXT COLLATE \"C\""
        }
    }

    /// A floating-point column.
    public var double: String {
        switch engine {
        case .sqlite: "REAL"
        case .postgres: "DOUBLE PRECISION"
        }
    }

    /// A binary column.
    public var blob: String {
        switch engine {
        case .sqlite: "BLOB"
        case .postgres: "BYTEA"
        }
    }
}
