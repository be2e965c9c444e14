import SQLKit
import Storage
import Testing
import WeijianTesting

@Suite struct ConstraintViolationTests {
    /// A duplicate key is recognised on both engines (whatever the driver's error type says), and other
    /// constraint failures are not taken for one.
    @Test func aDuplicateKeyIsAUniqueViolationAndANullIsNot() async throws {
        try await TestDatabase.withDatabase { database in
            try await database.write { sql in
                try await sql.raw("CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL)").run()
                try await sql.raw("INSERT INTO t VALUES ('a', 'x', 'v')").run()
            }
            for statement in ["INSERT INTO t VALUES ('a', 'y', 'v')", "INSERT INTO t VALUES ('b', 'x', 'v')"] {
                do {
                    try await database.write { try await $0.raw(SQLQueryString(statement)).run() }
                    Issue.record("\(statement) was accepted")
                } catch {
                    #expect(Database.isUniqueViolation(error), "\(statement): \(String(reflecting: error))")
                }
            }
            do {
                try await database.write { try await $0.raw("INSERT INTO t VALUES ('c', 'z', NULL)").run() }
                Issue.record("a NULL was accepted")
            } catch {
                #expect(!Database.isUniqueViolation(error))
            }
        }
    }
}
