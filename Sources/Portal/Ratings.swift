import FHIR
import Foundation
import SQLKit
public import Storage

/// A resident's rating of a finished service (评价), 1–5 with a comment; a complaint (投诉) when the score is 1–2 or
/// the resident says so. Complaints go to the health inspectors as supervision reports (the App forwards them,
/// since this target does not know supervision), and the case id comes back here.
public struct Rating: Sendable, Codable, Equatable {
    public var id: String
    public var patient: String
    /// `visit`, `nursing`, `hospice` or `sickbed`.
    public var serviceKind: String
    public var serviceID: String
    public var institution: String
    public var score: Int
    public var comment: String
    public var complaint: Bool
    /// The supervision case the complaint opened, once forwarded (`claimed:<time>` while a forwarder works on it).
    public var caseID: String?
    public var createdAt: String
}

/// 评价与投诉 (Portal target).
public struct Ratings: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The status each kind of service has when it is finished and may be rated.
    public static let finished = ["visit": "completed", "nursing": "completed", "hospice": "referred", "sickbed": "discharged"]
    public static let serviceNames = ["visit": "互联网+复诊", "nursing": "互联网+护理服务", "hospice": "安宁疗护", "sickbed": "家庭病床"]

    /// Rates a finished service of the resident's. 404 for one that is not theirs; 409 for one not finished or
    /// already rated; 422 for a score outside 1–5, or a complaint without a comment.
    public func rate(kind: String, id: String, patient: String, score: Int, comment: String?, complaint: Bool, now: Date = Date()) async throws -> Rating {
        guard let finished = Self.finished[kind] else { throw PortalInput.invalid("评价对象须为 visit、nursing、hospice 或 sickbed", "kind") }
        guard (1...5).contains(score) else { throw PortalInput.invalid("评分须为 1 至 5 星", "score") }
        let isComplaint = complaint || score <= 2
        let text = try PortalInput.text(comment, field: "comment", label: isComplaint ? "投诉或差评的具体情况" : "评价内容", max: 1000, required: isComplaint) ?? ""
        let ratingID = RecordID.make("rt")
        let at = ISO8601Timestamp.format(now)
        return try await database.write { sql in
            let row = kind == "visit"
                ? try await sql.raw("SELECT patient_id, institution, status FROM portal_visit WHERE id = \(bind: id)").first()
                : try await sql.raw("SELECT patient_id, institution, status FROM portal_order WHERE id = \(bind: id) AND kind = \(bind: kind)").first()
            guard let row, try row.decode(column: "patient_id", as: String.self) == patient else { throw FHIRError.notFound("没有该服务记录 \(id)") }
            guard try row.decode(column: "status", as: String.self) == finished else { throw FHIRError.conflict("服务完成后才能评价") }
            let inserted = try await sql.raw("""
                INSERT INTO portal_rating (id, patient_id, service_kind, service_id, institution, score, comment, complaint, created_at)
                VALUES (\(bind: ratingID), \(bind: patient), \(bind: kind), \(bind: id), \(bind: try row.decode(column: "institution", as: String.self)), \(bind: score),
                    \(bind: text), \(bind: isComplaint ? 1 : 0), \(bind: at))
                ON CONFLICT (service_kind, service_id) DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else { throw FHIRError.conflict("该服务已评价") }
            return try await Self.rating(ratingID, sql: sql)
        }
    }

    /// Complaints not yet forwarded to supervision, oldest first.
    public func unforwarded(limit: Int = 100) async throws -> [Rating] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM portal_rating WHERE complaint = 1 AND (case_id IS NULL OR case_id LIKE 'claimed:%') ORDER BY created_at, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))
                """)
                .all().map(Self.decode)
        }
    }

    /// Claims a complaint for forwarding (false when another forwarder has it or it is done), so that two
    /// forwarders running at once never report it twice. A claim not settled within an hour may be taken again.
    public func claim(_ id: String, now: Date = Date()) async throws -> Bool {
        let stale = "claimed:" + ISO8601Timestamp.format(now.addingTimeInterval(-3600))
        return try await database.write { sql in
            try await sql.raw("""
                UPDATE portal_rating SET case_id = \(bind: "claimed:" + ISO8601Timestamp.format(now))
                WHERE id = \(bind: id) AND complaint = 1 AND (case_id IS NULL OR (case_id LIKE 'claimed:%' AND case_id < \(bind: stale))) RETURNING id
                """).first() != nil
        }
    }

    /// Notes the supervision case a claimed complaint opened, or (nil) gives the claim back after a failure.
    public func forwarded(_ id: String, caseID: String?) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE portal_rating SET case_id = \(bind: caseID) WHERE id = \(bind: id) AND case_id LIKE 'claimed:%'").run()
        }
    }

    /// A resident's ratings, or those of one service.
    public func list(patient: String? = nil, kind: String? = nil, service: String? = nil) async throws -> [Rating] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let patient { filter = "\(filter) AND patient_id = \(bind: patient)" }
            if let kind { filter = "\(filter) AND service_kind = \(bind: kind)" }
            if let service { filter = "\(filter) AND service_id = \(bind: service)" }
            return try await sql.raw("SELECT * FROM portal_rating WHERE \(filter) ORDER BY created_at DESC, id").all().map(Self.decode)
        }
    }

    static func rating(_ id: String, sql: any SQLDatabase) async throws -> Rating {
        guard let row = try await sql.raw("SELECT * FROM portal_rating WHERE id = \(bind: id)").first() else { throw FHIRError.notFound("没有评价 \(id)") }
        return try decode(row)
    }

    static func decode(_ row: any SQLRow) throws -> Rating {
        Rating(id: try row.decode(column: "id", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
               serviceKind: try row.decode(column: "service_kind", as: String.self), serviceID: try row.decode(column: "service_id", as: String.self),
               institution: try row.decode(column: "institution", as: String.self), score: try row.decode(column: "score", as: Int.self),
               comment: try row.decode(column: "comment", as: String.self), complaint: try row.decode(column: "complaint", as: Int.self) != 0,
               caseID: try row.decode(column: "case_id", as: String?.self), createdAt: try row.decode(column: "created_at", as: String.self))
    }
}
