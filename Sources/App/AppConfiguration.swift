import Foundation
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

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, maxBodyBytes: Int = 16 * 1024 * 1024, publicBaseURL: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.maxBodyBytes = maxBodyBytes
        self.publicBaseURL = publicBaseURL
    }

    /// A setting from the environment is malformed.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `DATABASE_URL`, `WEIJIAN_MAX_BODY_BYTES` and `WEIJIAN_BASE_URL`, failing clearly on bad values.
    public static func fromEnvironment(host: String, port: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var configuration = AppConfiguration(host: host, port: port, database: try DatabaseConfiguration.fromEnvironment(environment))
        if let text = environment["WEIJIAN_MAX_BODY_BYTES"] {
            guard let bytes = Int(text), bytes >= 1024 else {
                throw InvalidSetting(description: "WEIJIAN_MAX_BODY_BYTES must be a whole number of bytes ≥ 1024, not '\(text)'")
            }
            configuration.maxBodyBytes = bytes
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
