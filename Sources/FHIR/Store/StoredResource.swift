/// One version of a resource as stored: its identity, version, time and JSON text.
public struct StoredResource: Sendable, Equatable {
    /// The resource type.
    public var type: String
    /// The logical id.
    public var id: String
    /// The version number (`meta.versionId`).
    public var versionId: Int64
    /// `meta.lastUpdated`, ISO 8601 with offset.
    public var lastUpdated: String
    /// True for the version that records a deletion (it has no content).
    public var deleted: Bool
    /// The resource's JSON text (empty for a deletion).
    public var content: String
    /// How this version came to be: `POST`, `PUT` or `DELETE` (history only).
    public var method: String?

    /// Creates a stored version.
    public init(type: String, id: String, versionId: Int64, lastUpdated: String, deleted: Bool, content: String, method: String? = nil) {
        self.type = type
        self.id = id
        self.versionId = versionId
        self.lastUpdated = lastUpdated
        self.deleted = deleted
        self.content = content
        self.method = method
    }

    /// `Type/id`.
    public var reference: String { "\(type)/\(id)" }

    /// The weak ETag of this version, `W/"3"`.
    public var etag: String { "W/\"\(versionId)\"" }
}
