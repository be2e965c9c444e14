import Foundation
import Storage

/// The span of time a FHIR date, dateTime or instant stands for, in epoch milliseconds.
///
/// A partial value covers its whole period: `2024` is all of 2024, `2024-05-01` the whole day
/// (in Asia/Shanghai when no offset is given). `high` is exclusive.
public struct FHIRDateRange: Sendable, Equatable {
    /// The first millisecond of the span.
    public var low: Int64
    /// The millisecond after the span.
    public var high: Int64

    /// Creates a span.
    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ISO8601Timestamp.shanghai
        return calendar
    }()

    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`; nil if malformed or not a real date.
    public static func parse(_ text: String) -> FHIRDateRange? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4) else { return nil }
        var components = DateComponents(year: year, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        var unit: Calendar.Component = .year
        var index = 4
        if bytes.count > index {
            guard bytes[index] == 0x2D, let month = number(index + 1, 2), (1...12).contains(month) else { return nil }
            components.month = month
            unit = .month
            index += 3
        }
        if bytes.count > index {
            guard bytes[index] == 0x2D, let day = number(index + 1, 2), (1...31).contains(day) else { return nil }
            components.day = day
            unit = .day
            index += 3
        }
        var timeZone = ISO8601Timestamp.shanghai
        var fractionMillis = 0
        var hasFraction = false
        if bytes.count > index {
            guard bytes[index] == 0x54, let hour = number(index + 1, 2), bytes.count > index + 5, bytes[index + 3] == 0x3A,
                  let minute = number(index + 4, 2), hour < 24, minute < 60 else { return nil }
            components.hour = hour
            components.minute = minute
            unit = .minute
            index += 6
            if bytes.count > index, bytes[index] == 0x3A {
                guard let second = number(index + 1, 2), second <= 60 else { return nil }
                components.second = min(second, 59)
                unit = .second
                index += 3
                if bytes.count > index, bytes[index] == 0x2E {
                    index += 1
                    var digits = 0
                    var millis = 0
                    while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                        if digits < 3 { millis = millis * 10 + Int(bytes[index] - 0x30) }
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<3 where digits < 3 { millis *= 10 }
                    fractionMillis = millis
                    hasFraction = true
                }
            }
            if bytes.count > index {
                if bytes[index] == 0x5A, bytes.count == index + 1 {
                    timeZone = .gmt
                } else if bytes[index] == 0x2B || bytes[index] == 0x2D, bytes.count == index + 6, bytes[index + 3] == 0x3A,
                          let hours = number(index + 1, 2), let minutes = number(index + 4, 2) {
                    let seconds = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2D ? -1 : 1)
                    guard let zone = TimeZone(secondsFromGMT: seconds) else { return nil }
                    timeZone = zone
                } else {
                    return nil
                }
            }
        }
        var calendar = calendar
        calendar.timeZone = timeZone
        guard let start = calendar.date(from: components) else { return nil }
        // Reject dates that do not exist (2023-02-30): the calendar would roll them over.
        let check = calendar.dateComponents([.year, .month, .day], from: start)
        guard check.year == components.year, check.month == components.month, check.day == components.day else { return nil }
        let low = Int64((start.timeIntervalSince1970 * 1000).rounded()) + Int64(fractionMillis)
        let high: Int64
        if hasFraction {
            high = low + 1
        } else {
            guard let end = calendar.date(byAdding: unit, value: 1, to: start) else { return nil }
            high = Int64((end.timeIntervalSince1970 * 1000).rounded())
        }
        return FHIRDateRange(low: low, high: high)
    }
}
