import Foundation
import Hummingbird
import ServiceLifecycle
import SQLKit
import Storage

/// Hummingbird's key-value `PersistDriver`, backed by our database (`access_session`), so that web
/// sessions survive restarts and work the same on SQLite and PostgreSQL.
struct DatabasePersistDriver: PersistDriver {
    let database: Database

    func shutdown() async throws {}

    func run() async throws {
        // Sweep expired rows now and then until shutdown (sleeping is cancelled on graceful shutdown).
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .seconds(600))
                let now = Self.nowMs()
                try? await database.write { try await $0.raw("DELETE FROM access_session WHERE expires_ms IS NOT NULL AND expires_ms < \(bind: now)").run() }
            }
        }
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func expiry(_ expires: Duration?) -> Int64? {
        expires.map { nowMs() + $0.components.seconds * 1000 }
    }

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        let expiry = Self.expiry(expires)
        try await database.write { sql in
            if try await sql.raw("SELECT session_key FROM access_session WHERE session_key = \(bind: key)").first() != nil {
                throw PersistError.duplicate
            }
            try await sql.raw("INSERT INTO access_session (session_key, value, expires_ms) VALUES (\(bind: key), \(bind: text), \(bind: expiry))").run()
        }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        let expiry = Self.expiry(expires)
        try await database.write { sql in
            let updated = try await sql.raw("""
                UPDATE access_session SET value = \(bind: text), expires_ms = COALESCE(\(bind: expiry), expires_ms)
                WHERE session_key = \(bind: key) RETURNING session_key
                """).first()
            if updated == nil {
                try await sql.raw("INSERT INTO access_session (session_key, value, expires_ms) VALUES (\(bind: key), \(bind: text), \(bind: expiry))").run()
            }
        }
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: Object.self)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let row = try await database.read { sql in
            try await sql.raw("SELECT value, expires_ms FROM access_session WHERE session_key = \(bind: key)").first()
        }
        guard let row else { return nil }
        let expires = try row.decode(column: "expires_ms", as: Int64?.self)
        let now = Self.nowMs()
        if let expires, expires < now { return nil }
        let text = try row.decode(column: "value", as: String.self)
        guard let object = try? JSONDecoder().decode(Object.self, from: Data(text.utf8)) else { return nil }
        return (object, expires.map { .milliseconds($0 - now) })
    }

    func remove(key: String) async throws {
        try await database.write { try await $0.raw("DELETE FROM access_session WHERE session_key = \(bind: key)").run() }
    }
}
