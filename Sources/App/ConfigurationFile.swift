import Foundation

/// The configuration file (`weijian serve --config FILE`, or `WEIJIAN_CONFIG=FILE` for every command): a JSON
/// object whose keys are the names of the environment variables below, with string, number or true/false
/// values. A variable set in the environment wins over the file. An unknown key, a value of the wrong kind or
/// a file that is not a JSON object stops the command at start-up with a message naming the file and the key;
/// the values themselves are then checked where each is read (``AppConfiguration/fromEnvironment(host:port:environment:)``).
public enum ConfigurationFile {
    /// Every setting the server and the command line read, by variable name (docs/configuration.md describes
    /// each, with its default; a test keeps the two in step).
    public static let settings: [String] = [
        "DATABASE_URL", "DATABASE_REPLICA_URL", "WEIJIAN_HOST", "WEIJIAN_PORT",
        "WEIJIAN_KEY_FILE", "WEIJIAN_BASE_URL", "WEIJIAN_MAX_BODY_BYTES", "WEIJIAN_BCRYPT_COST",
        "WEIJIAN_COOKIE_SECURE", "WEIJIAN_TOKEN_SECONDS", "WEIJIAN_LOGIN_LOCK_AFTER", "WEIJIAN_WRITE_BURST",
        "WEIJIAN_SQLITE_CACHE_MIB", "WEIJIAN_SQLITE_MMAP_MIB",
        "WEIJIAN_SIGNAL_WEBHOOK", "WEIJIAN_HOURLY_JOBS", "WEIJIAN_RATE_LIMITS", "WEIJIAN_TRUSTED_PROXIES", "WEIJIAN_LOG_FORMAT", "LOG_LEVEL",
    ]

    /// The file is unusable; says which file and what to change.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The settings in the file at `path`, as strings by variable name.
    public static func load(path: String) throws -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(description: "cannot read the configuration file \(path): \((error as NSError).localizedDescription)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw Invalid(description: "the configuration file \(path) is not JSON: \((error as NSError).localizedDescription)")
        }
        guard let members = object as? [String: Any] else {
            throw Invalid(description: "the configuration file \(path) must be a JSON object of settings, e.g. {\"DATABASE_URL\": \"postgres://…\"}")
        }
        let known = Set(settings)
        var values: [String: String] = [:]
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard known.contains(key) else {
                throw Invalid(description: "unknown setting \"\(key)\" in \(path); the settings are: \(settings.joined(separator: ", "))")
            }
            switch value {
            case let text as String: values[key] = text
            // true/false arrive as NSNumber of Objective-C type "c".
            case let number as NSNumber where String(cString: number.objCType) == "c": values[key] = number.boolValue ? "1" : "0"
            case let number as NSNumber: values[key] = number.stringValue
            default: throw Invalid(description: "setting \"\(key)\" in \(path) must be a string, a number or true/false")
            }
        }
        return values
    }

    /// The environment with the configuration file's settings beneath it: the file named by `path`, else by
    /// `WEIJIAN_CONFIG`; without either, the environment as it is.
    public static func environment(path: String? = nil, _ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        guard let file = path ?? environment["WEIJIAN_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) else { return environment }
        return try load(path: file).merging(environment) { _, fromEnvironment in fromEnvironment }
    }
}
