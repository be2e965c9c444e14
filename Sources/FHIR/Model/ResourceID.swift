import Foundation

/// Server-assigned logical ids: time-ordered UUIDs (the RFC 9562 version 7 layout: 48 bits of
/// Unix milliseconds, then random bits).
///
/// Ids that grow with time keep the database's primary keys and per-resource indexes append-only,
/// so a transaction touches a few B-tree pages instead of one random page per index row.
public enum ResourceID {
    /// A new id, e.g. `019a9f3c-5d2e-7b41-9a0c-3f6e2d1c8b7a`.
    public static func make(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let randomA = generator.next() as UInt64
        let randomB = generator.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: randomA & 0x0F)
        bytes[7] = UInt8(truncatingIfNeeded: randomA >> 8)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: (randomA >> 16) & 0x3F)
        for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: randomB >> (8 * (index - 9))) }
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
