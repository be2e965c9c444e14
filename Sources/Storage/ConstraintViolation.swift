import PostgresKit
import SQLiteKit

extension Database {
    /// Whether `error` is a unique constraint refusing a row (two requests raced for the same thing): SQLSTATE
    /// 23505 from PostgreSQL, a UNIQUE or PRIMARY KEY constraint failure from SQLite. The domains turn it into a 409.
    public static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "23505" }
        if let error = error as? SQLiteError {
            // With extended result codes SQLite names the constraint; without, its message does.
            return [.constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason)
                || (error.reason == .constraint && error.message.contains("UNIQUE constraint failed"))
        }
        // Wrapped errors: their full description still names the violation.
        let text = String(reflecting: error)
        return text.contains("UNIQUE constraint failed") || text.contains("23505") || text.contains("duplicate key")
    }
}
