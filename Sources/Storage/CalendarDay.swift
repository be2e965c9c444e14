import Foundation

/// Calendar days as `YYYY-MM-DD` text (the form the domains store and compare), in Asia/Shanghai.
public enum CalendarDay {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .current

    /// Today in Shanghai.
    public static func today(_ date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = shanghai
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// `day` moved by `days` (the day itself when it is not a valid `YYYY-MM-DD`).
    public static func shift(_ day: String, days: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              let moved = calendar.date(byAdding: .day, value: days, to: date) else { return day }
        let out = calendar.dateComponents([.year, .month, .day], from: moved)
        return String(format: "%04d-%02d-%02d", out.year ?? 1970, out.month ?? 1, out.day ?? 1)
    }

    /// Days from `start` to `end` (negative when `end` is earlier); 0 when either is not a valid day.
    public static func days(from start: String, to end: String) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        func date(_ day: String) -> Date? {
            let parts = day.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3 else { return nil }
            return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
        }
        guard let from = date(start), let to = date(end) else { return 0 }
        return calendar.dateComponents([.day], from: from, to: to).day ?? 0
    }

    /// Whether `text` is a real calendar day written `YYYY-MM-DD`.
    public static func isValid(_ text: String) -> Bool {
        guard text.count == 10 else { return false }
        return shift(text, days: 0) == text
    }
}
