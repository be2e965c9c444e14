public import Foundation
public import NIOCore

/// Small helpers the HTTP tests share: a time as the platform writes it, a JSON answer decoded.
public enum TestValues {
    /// `date` as an ISO 8601 dateTime in Shanghai time (`2026-11-24T15:30:00+08:00`).
    public static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        return formatter.string(from: date)
    }

    /// A response body decoded as JSON.
    public static func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: buffer))
    }
}
