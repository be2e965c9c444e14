import Foundation

/// Timestamps on the wire and in the database: ISO 8601 with an explicit offset.
public enum ISO8601Timestamp {
    /// Asia/Shanghai, the platform's civil time zone (UTC+08:00, no daylight saving).
    public static let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt

    /// The current instant formatted with millisecond precision and the Shanghai offset.
    public static func now() -> String { format(Date()) }

    /// Formats an instant as `2026-11-23T16:20:00.123+08:00`.
    public static func format(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(timeZone: shanghai)
                .year().month().day().dateSeparator(.dash)
                .time(includingFractionalSeconds: true).timeSeparator(.colon)
                .timeZone(separator: .colon)
        )
    }
}
