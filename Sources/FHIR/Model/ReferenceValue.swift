/// A literal reference `Type/id` (optionally `Type/id/_history/v`, or an absolute URL ending so).
public struct ReferenceValue: Sendable, Hashable {
    /// The target resource type.
    public var type: String
    /// The target logical id.
    public var id: String
    /// The version, for a versioned reference.
    public var version: String?

    /// Creates a reference.
    public init(type: String, id: String, version: String? = nil) {
        self.type = type
        self.id = id
        self.version = version
    }

    /// Parses a reference string; nil for `#contained`, `urn:` and other non-literal forms.
    public init?(_ text: String) {
        if text.hasPrefix("#") || text.hasPrefix("urn:") { return nil }
        // Fast path for the common relative form `Type/id` (ASCII letters, one slash).
        let utf8 = text.utf8
        if let slash = utf8.firstIndex(of: 0x2F), utf8.lastIndex(of: 0x2F) == slash {
            let typeBytes = utf8[utf8.startIndex..<slash]
            guard let first = typeBytes.first, first >= 0x41, first <= 0x5A,
                  typeBytes.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else { return nil }
            let id = String(text[text.index(after: slash)...])
            guard FHIRID.isValid(id) else { return nil }
            self.type = String(text[..<slash])
            self.id = id
            self.version = nil
            return
        }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var version: String?
        if parts.count >= 4, parts[parts.count - 2] == "_history" {
            version = parts.removeLast()
            parts.removeLast()
        }
        guard parts.count >= 2 else { return nil }
        let type = parts[parts.count - 2]
        let id = parts[parts.count - 1]
        guard let first = type.first, first.isUppercase, type.allSatisfy({ $0.isLetter }), FHIRID.isValid(id) else { return nil }
        // A relative reference has exactly two parts; an absolute one must be a URL.
        if parts.count > 2 && !Self.isAbsolute(text) { return nil }
        self.type = type
        self.id = id
        self.version = version
    }

    /// `Type/id`.
    public var relative: String { "\(type)/\(id)" }

    /// True when `text` contains `://` (an absolute URL); a byte scan, not Foundation's string search.
    static func isAbsolute(_ text: String) -> Bool {
        var state = 0
        for byte in text.utf8 {
            switch (state, byte) {
            case (_, 0x3A): state = 1
            case (1, 0x2F): state = 2
            case (2, 0x2F): return true
            default: state = 0
            }
        }
        return false
    }
}
