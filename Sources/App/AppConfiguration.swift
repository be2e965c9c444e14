public import Access
import Foundation
public import Messaging
public import Portal
public import Storage

/// The server's settings, from command-line options and the environment.
public struct AppConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on (0 picks a free one, for tests).
    public var port: Int
    /// Where the data lives.
    public var database: DatabaseConfiguration
    /// The largest request body accepted, in bytes (`WEIJIAN_MAX_BODY_BYTES`); larger bodies get 413.
    public var maxBodyBytes: Int
    /// The public base URL of the server (`WEIJIAN_BASE_URL`), used in links; derived from Host when nil.
    public var publicBaseURL: String?

    /// The keys (token signing, field encryption, blind index); nil: read or create the key file.
    public var secrets: AccessSecrets?
    /// The key file (`WEIJIAN_KEY_FILE`); by default `weijian-keys.json` beside the SQLite file, or in `./data`.
    public var keyFile: String
    /// bcrypt cost (`WEIJIAN_BCRYPT_COST`, 4–15; default 12).
    public var bcryptCost: UInt8
    /// Whether session cookies carry `Secure` (`WEIJIAN_COOKIE_SECURE`, default on; browsers accept it on http://localhost).
    public var secureCookies: Bool
    /// Lifetime of API tokens in seconds (`WEIJIAN_TOKEN_SECONDS`, default 900).
    public var tokenSeconds: Int
    /// Failed logins in a row that lock an account (`WEIJIAN_LOGIN_LOCK_AFTER`, 4–20, default 10).
    public var lockAfter: Int = 10
    /// Writes a principal may make at once (then twice that a minute); an address twice as many (`WEIJIAN_WRITE_BURST`, default 600).
    public var writeBurst: Int = 600
    /// What delivers notifications to residents (an SMS gateway); the demo's prints to the console.
    public var notificationSender: any NotificationSender = ConsoleSender()
    /// The payment channel of 诊间结算 (the portal's fees); the demo's accepts every charge up to ¥5,000.
    public var paymentProvider: any PaymentProvider = DemoPaymentProvider()
    /// Where new early-warning signals are posted as JSON (`WEIJIAN_SIGNAL_WEBHOOK`, an http(s) URL); nil: they
    /// wait in the outbox, marked undeliverable.
    public var signalWebhook: String?
    /// What posts to the webhook.
    public var webhookSender: any NotificationSender = WebhookSender()
    /// Seconds between runs of the notification dispatcher.
    public var notificationSeconds: Int = 30
    /// Whether this process takes part in the hourly jobs (chronic reminders, early-warning detection, indicators,
    /// enforcement rules; `WEIJIAN_HOURLY_JOBS`, default on). With several processes on one database each run is
    /// made by one of them anyway (``JobLease``); off keeps a process to serving requests. Tests that drive the
    /// jobs themselves turn them off so that a run cannot race their setup.
    public var hourlyJobs: Bool = true
    /// Whether the rate limits (sign-in, one-time codes, writes) are counted in the database, shared by every server
    /// process on it (`WEIJIAN_RATE_LIMITS=database`), or in each process's memory (`memory`, the default: exact for
    /// one server; N servers would allow N times each limit).
    public var sharedRateLimits: Bool = false
    /// The load balancers and reverse proxies in front of the server (`WEIJIAN_TRUSTED_PROXIES`: addresses or CIDR
    /// ranges, comma-separated). A request from one of them is taken to come from the address its `X-Forwarded-For`
    /// names (the nearest one that is not itself a trusted proxy): for the rate limits per address and the audit
    /// trail's source. Empty: the peer's address, and `X-Forwarded-For` is ignored (a client could write anything there).
    public var trustedProxies = TrustedProxies()

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, maxBodyBytes: Int = 16 * 1024 * 1024,
                publicBaseURL: String? = nil, secrets: AccessSecrets? = nil, keyFile: String? = nil, bcryptCost: UInt8 = 12,
                secureCookies: Bool = true, tokenSeconds: Int = 900) {
        self.host = host
        self.port = port
        self.database = database
        self.maxBodyBytes = maxBodyBytes
        self.publicBaseURL = publicBaseURL
        self.secrets = secrets
        self.keyFile = keyFile ?? Self.defaultKeyFile(for: database)
        self.bcryptCost = bcryptCost
        self.secureCookies = secureCookies
        self.tokenSeconds = tokenSeconds
    }

    /// `weijian-keys.json` beside the SQLite file, else `./data/weijian-keys.json`.
    public static func defaultKeyFile(for database: DatabaseConfiguration) -> String {
        if case .sqliteFile(let path) = database.location {
            let directory = (path as NSString).deletingLastPathComponent
            return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent("weijian-keys.json")
        }
        return "data/weijian-keys.json"
    }

    /// The keys: given, or from the key file (created on first use).
    public func loadSecrets() throws -> AccessSecrets {
        if let secrets { return secrets }
        return try AccessSecrets.loadOrCreate(path: keyFile)
    }

    /// A setting from the environment is malformed.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `DATABASE_URL` (and `DATABASE_REPLICA_URL`), `WEIJIAN_MAX_BODY_BYTES` and `WEIJIAN_BASE_URL`, failing clearly on bad values.
    public static func fromEnvironment(host: String, port: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var configuration = AppConfiguration(host: host, port: port, database: try DatabaseConfiguration.fromEnvironment(environment))
        if let file = environment["WEIJIAN_KEY_FILE"], !file.isEmpty { configuration.keyFile = file }
        if let text = environment["WEIJIAN_BCRYPT_COST"] {
            guard let cost = UInt8(text), (4...15).contains(cost) else {
                throw InvalidSetting(description: "WEIJIAN_BCRYPT_COST must be a whole number from 4 to 15, not '\(text)'")
            }
            configuration.bcryptCost = cost
        }
        if let text = environment["WEIJIAN_COOKIE_SECURE"] {
            guard ["0", "1", "true", "false"].contains(text) else { throw InvalidSetting(description: "WEIJIAN_COOKIE_SECURE must be 1 or 0") }
            configuration.secureCookies = text == "1" || text == "true"
        }
        if let text = environment["WEIJIAN_HOURLY_JOBS"] {
            guard ["0", "1", "true", "false"].contains(text) else { throw InvalidSetting(description: "WEIJIAN_HOURLY_JOBS must be 1 or 0, not '\(text)'") }
            configuration.hourlyJobs = text == "1" || text == "true"
        }
        if let text = environment["WEIJIAN_RATE_LIMITS"] {
            guard ["memory", "database"].contains(text) else {
                throw InvalidSetting(description: "WEIJIAN_RATE_LIMITS must be memory (each server counts alone) or database (servers on one database share the limits), not '\(text)'")
            }
            configuration.sharedRateLimits = text == "database"
        }
        if let text = environment["WEIJIAN_TRUSTED_PROXIES"] {
            do {
                configuration.trustedProxies = try TrustedProxies(text)
            } catch {
                throw InvalidSetting(description: "WEIJIAN_TRUSTED_PROXIES: \(error)")
            }
        }
        if let text = environment["WEIJIAN_LOGIN_LOCK_AFTER"] {
            guard let count = Int(text), (4...20).contains(count) else {
                throw InvalidSetting(description: "WEIJIAN_LOGIN_LOCK_AFTER must be from 4 to 20, not '\(text)'")
            }
            configuration.lockAfter = count
        }
        if let text = environment["WEIJIAN_SQLITE_CACHE_MIB"] {
            guard let mebibytes = Int(text), (2...4096).contains(mebibytes) else {
                throw InvalidSetting(description: "WEIJIAN_SQLITE_CACHE_MIB must be from 2 to 4096 (MiB per connection), not '\(text)'")
            }
            configuration.database.sqliteCacheMiB = mebibytes
        }
        if let text = environment["WEIJIAN_SQLITE_MMAP_MIB"] {
            guard let mebibytes = Int(text), (0...65_536).contains(mebibytes) else {
                throw InvalidSetting(description: "WEIJIAN_SQLITE_MMAP_MIB must be from 0 to 65536 (MiB of the file mapped per connection), not '\(text)'")
            }
            configuration.database.sqliteMmapMiB = mebibytes
        }
        if let text = environment["WEIJIAN_WRITE_BURST"] {
            guard let count = Int(text), (10...100_000).contains(count) else {
                throw InvalidSetting(description: "WEIJIAN_WRITE_BURST must be from 10 to 100000, not '\(text)'")
            }
            configuration.writeBurst = count
        }
        if let text = environment["WEIJIAN_TOKEN_SECONDS"] {
            guard let seconds = Int(text), (60...86_400).contains(seconds) else {
                throw InvalidSetting(description: "WEIJIAN_TOKEN_SECONDS must be from 60 to 86400, not '\(text)'")
            }
            configuration.tokenSeconds = seconds
        }
        if let text = environment["WEIJIAN_MAX_BODY_BYTES"] {
            guard let bytes = Int(text), bytes >= 1024 else {
                throw InvalidSetting(description: "WEIJIAN_MAX_BODY_BYTES must be a whole number of bytes ≥ 1024, not '\(text)'")
            }
            configuration.maxBodyBytes = bytes
        }
        if let hook = environment["WEIJIAN_SIGNAL_WEBHOOK"], !hook.isEmpty {
            guard let url = URL(string: hook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw InvalidSetting(description: "WEIJIAN_SIGNAL_WEBHOOK must be an http:// or https:// URL, not '\(hook)'")
            }
            configuration.signalWebhook = hook
        }
        if let base = environment["WEIJIAN_BASE_URL"], !base.isEmpty {
            guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
                throw InvalidSetting(description: "WEIJIAN_BASE_URL must start with http:// or https://")
            }
            configuration.publicBaseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return configuration
    }
}
