import Foundation

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

    /// Days from 1970-01-01 to a civil date (proleptic Gregorian), by H. Hinnant's algorithm.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`; nil if malformed or not a real date.
    /// Without an offset the value is civil time in Asia/Shanghai (UTC+08:00, no daylight saving since 1991).
    public static func parse(_ text: String) -> FHIRDateRange? {
        var text = text
        return text.withUTF8 { bytes in parse(bytes) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> FHIRDateRange? {
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 4, let year = number(0, 4) else { return nil }
        var month = 1
        var day = 1
        var index = 4
        enum Unit { case year, month, day, minute, second, fraction }
        var unit = Unit.year
        if bytes.count > index {
            guard bytes[index] == 0x2D, let value = number(index + 1, 2), (1...12).contains(value) else { return nil }
            month = value
            unit = .month
            index += 3
        }
        if bytes.count > index {
            guard bytes[index] == 0x2D, let value = number(index + 1, 2), value >= 1, value <= daysInMonth(year, month) else { return nil }
            day = value
            unit = .day
            index += 3
        }
        var seconds = 0
        var millis = 0
        var offsetSeconds = 8 * 3600
        if bytes.count > index {
            guard unit == .day, bytes[index] == 0x54, bytes.count >= index + 6, bytes[index + 3] == 0x3A,
                  let hour = number(index + 1, 2), let minute = number(index + 4, 2), hour < 24, minute < 60 else { return nil }
            seconds = hour * 3600 + minute * 60
            unit = .minute
            index += 6
            if bytes.count > index, bytes[index] == 0x3A {
                guard let second = number(index + 1, 2), second <= 60 else { return nil }
                seconds += min(second, 59)
                unit = .second
                index += 3
                if bytes.count > index, bytes[index] == 0x2E {
                    index += 1
                    var digits = 0
                    while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                        if digits < 3 { millis = millis * 10 + Int(bytes[index] - 0x30) }
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return nil }
                    var scale = digits
                    while scale < 3 { millis *= 10; scale += 1 }
                    unit = .fraction
                }
            }
            if bytes.count > index {
                if bytes[index] == 0x5A, bytes.count == index + 1 {
                    offsetSeconds = 0
                } else if bytes[index] == 0x2B || bytes[index] == 0x2D, bytes.count == index + 6, bytes[index + 3] == 0x3A,
                          let hours = number(index + 1, 2), let minutes = number(index + 4, 2), hours <= 14, minutes < 60 {
                    offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2D ? -1 : 1)
                } else {
                    return nil
                }
            }
        }
        let days = Int64(daysFromCivil(year, month, day))
        let low = (days * 86_400 + Int64(seconds) - Int64(offsetSeconds)) * 1000 + Int64(millis)
        let high: Int64
        switch unit {
        case .year:
            high = (Int64(daysFromCivil(year + 1, 1, 1)) * 86_400 - Int64(offsetSeconds)) * 1000
        case .month:
            let next = month == 12 ? (year + 1, 1) : (year, month + 1)
            high = (Int64(daysFromCivil(next.0, next.1, 1)) * 86_400 - Int64(offsetSeconds)) * 1000
        case .day: high = low + 86_400_000
        case .minute: high = low + 60_000
        case .second: high = low + 1000
        case .fraction: high = low + 1
        }
        return FHIRDateRange(low: low, high: high)
    }
}

extension FHIRDateRange {
    /// A moment entered by a person, as milliseconds: refused (422, naming `field`) when `text` is not a FHIR
    /// dateTime with a time, or lies in the future beyond five minutes of clock skew. `label` names it in the
    /// message (时间, 采样时间).
    public static func pastMillis(_ text: String, field: String, label: String = "时间", now: Date) throws -> Int64 {
        func invalid(_ message: String) -> FHIRError { FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: message, expression: field)]) }
        guard text.count > 10, let range = parse(text) else { throw invalid("\(label)须为 YYYY-MM-DDThh:mm:ss+08:00") }
        guard range.low <= Int64((now.timeIntervalSince1970 + 300) * 1000) else { throw invalid("\(label)晚于现在") }
        return range.low
    }
}
