public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A batch of medical waste (医疗废物) from its collection at an institution, through its hand-over to the
/// transporter (转运), to its disposal (处置), each step with its weight.
public struct WasteBatch: Sendable, Codable, Equatable {
    public var id: String
    public var institution: String
    public var district: String
    /// One of ``MedicalWaste/categories`` (医疗废物分类目录).
    public var category: String
    /// Grams, as weighed at collection.
    public var weightGrams: Int
    public var collectedAt: String
    /// `collected`, `transferred` or `disposed`.
    public var status: String
    public var handovers: [WasteHandover]
}

/// A hand-over of a batch: `transfer` to the transporter, `disposal` at the disposal plant.
public struct WasteHandover: Sendable, Codable, Equatable {
    public var stage: String
    public var weightGrams: Int
    public var at: String
    /// Who took it over (the transporter's or plant's name or licence), as written on the transfer form (转移联单).
    public var handler: String
}

/// An alert on a batch: its weight changed beyond the tolerance between two steps, or a step is overdue.
public struct WasteAlert: Sendable, Codable, Equatable {
    public var id: Int
    public var batch: String
    public var institution: String
    /// `weight-mismatch`, `missing-transfer` or `missing-disposal`.
    public var kind: String
    public var detail: String
    public var raisedAt: String
}

/// What an institution records when it collects a batch.
public struct WasteBatchForm: Sendable, Codable, Equatable {
    public var category: String
    public var weightKg: Double
    public var collectedAt: String

    public init(category: String, weightKg: Double, collectedAt: String) {
        self.category = category
        self.weightKg = weightKg
        self.collectedAt = collectedAt
    }
}

/// The Supervision target's checks of what inspectors and institutions enter (422 with the field at fault).
enum SupervisionInput {
    static func invalid(_ text: String, _ field: String) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: field)])
    }
}

/// 医疗废物追溯 (Supervision target): batches, hand-overs and the alerts they raise.
public struct MedicalWaste: Sendable {
    public let database: Database
    /// The weight change between collection and a later step that raises an alert (5%: scales and evaporation
    /// account for less; a larger loss suggests waste leaving the chain).
    public let tolerance: Double
    /// How long a batch may wait for its next step (48 hours: the rule for temporary storage at an institution).
    public let maximumWaitHours: Int

    public init(database: Database, tolerance: Double = 0.05, maximumWaitHours: Int = 48) {
        self.database = database
        self.tolerance = tolerance
        self.maximumWaitHours = maximumWaitHours
    }

    public static let categories = ["infectious": "感染性废物", "injurious": "损伤性废物", "pathological": "病理性废物",
                                    "pharmaceutical": "药物性废物", "chemical": "化学性废物"]
    public static let stages = ["transfer": "转运交接", "disposal": "处置"]
    public static let alertKinds = ["weight-mismatch": "重量不符", "missing-transfer": "超时未转运", "missing-disposal": "超时未处置"]


    /// Grams from kilograms, refusing what no scale reads: not a number, zero or less, over a tonne.
    static func grams(_ kilograms: Double, field: String) throws -> Int {
        guard kilograms.isFinite, kilograms > 0 else { throw SupervisionInput.invalid("重量须为正数（千克）", field) }
        guard kilograms <= 1000 else { throw SupervisionInput.invalid("单批重量不超过 1000 千克", field) }
        return Int((kilograms * 1000).rounded())
    }


    /// Records a batch collected at `institution` (an institution of `district` in the catalogue; 422 otherwise).
    public func collect(_ form: WasteBatchForm, institution: String, district: String, actor: String, now: Date = Date()) async throws -> WasteBatch {
        guard Catalog.institutions.contains(where: { $0.id == institution && $0.district == district }) else {
            throw SupervisionInput.invalid("机构 \(institution) 不在本区名录中", "institution")
        }
        guard Self.categories[form.category] != nil else {
            throw SupervisionInput.invalid("类别须为 \(Self.categories.keys.sorted().joined(separator: "、")) 之一（医疗废物分类目录）", "category")
        }
        let weight = try Self.grams(form.weightKg, field: "weightKg")
        let at = try FHIRDateRange.pastMillis(form.collectedAt, field: "collectedAt", now: now)
        let id = RecordID.make("wb")
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO supervision_waste_batch (id, institution_id, district, category, weight_g, collected_at, collected_ms, collected_by, status, created_at)
                VALUES (\(bind: id), \(bind: institution), \(bind: district), \(bind: form.category), \(bind: weight), \(bind: form.collectedAt), \(bind: at), \(bind: actor), 'collected', \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return try await batch(id, district: district)
    }

    /// Records a hand-over. 404 for a batch of another district (or another institution, when `institution` is
    /// given); 409 for a step out of order (disposal before transfer, a step twice); 422 for a bad weight or a
    /// time before the previous step. A weight off the collected one by more than the tolerance raises one
    /// `weight-mismatch` alert for the batch, in the same transaction.
    public func handOver(batch id: String, stage: String, weightKg: Double, at: String, handler: String, district: String, institution: String?,
                         actor: String, now: Date = Date()) async throws -> WasteBatch {
        guard let stageName = Self.stages[stage] else { throw SupervisionInput.invalid("stage 须为 transfer（转运交接）或 disposal（处置）", "stage") }
        let weight = try Self.grams(weightKg, field: "weightKg")
        let atMillis = try FHIRDateRange.pastMillis(at, field: "at", now: now)
        let handler = handler.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !handler.isEmpty, handler.count <= 100 else { throw SupervisionInput.invalid("请填写接收单位（不超过 100 字）", "handler") }
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM supervision_waste_batch WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("没有医疗废物批次 \(id)")
            }
            let owner = try row.decode(column: "institution_id", as: String.self)
            guard institution == nil || owner == institution else { throw FHIRError.notFound("没有医疗废物批次 \(id)") }
            let status = try row.decode(column: "status", as: String.self)
            let expected = stage == "transfer" ? "collected" : "transferred"
            guard status == expected else {
                throw FHIRError.conflict(stage == "transfer" ? "该批次已交接转运，不能重复交接" : status == "collected" ? "该批次尚未交接转运，不能登记处置" : "该批次已处置")
            }
            let previous = try await sql.raw("SELECT MAX(at_ms) AS m FROM supervision_waste_handover WHERE batch_id = \(bind: id)").first()?.decode(column: "m", as: Int64?.self)
                ?? (try row.decode(column: "collected_ms", as: Int64.self))
            guard atMillis >= previous else { throw SupervisionInput.invalid("\(stageName)时间早于上一环节", "at") }
            try await sql.raw("""
                INSERT INTO supervision_waste_handover (batch_id, stage, weight_g, at, at_ms, handler, recorded_by)
                VALUES (\(bind: id), \(bind: stage), \(bind: weight), \(bind: at), \(bind: atMillis), \(bind: handler), \(bind: actor))
                """).run()
            try await sql.raw("UPDATE supervision_waste_batch SET status = \(bind: stage == "transfer" ? "transferred" : "disposed") WHERE id = \(bind: id)").run()
            let collected = try row.decode(column: "weight_g", as: Int.self)
            let change = Double(weight - collected) / Double(collected)
            if abs(change) > tolerance + 1e-9 {
                let detail = String(format: "%@重量 %.2f 千克，收集时 %.2f 千克（%@%.1f%%，允许 ±%.0f%%）", stageName, Double(weight) / 1000, Double(collected) / 1000,
                                    change < 0 ? "减少 " : "增加 ", abs(change) * 100, tolerance * 100)
                try await raise(batch: id, kind: "weight-mismatch", detail: detail, row: row, sql: sql)
            }
        }
        return try await batch(id, district: district)
    }

    func raise(batch id: String, kind: String, detail: String, row: any SQLRow, sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO supervision_waste_alert (batch_id, institution_id, district, kind, detail, raised_at)
            VALUES (\(bind: id), \(bind: try row.decode(column: "institution_id", as: String.self)), \(bind: try row.decode(column: "district", as: String.self)), \(bind: kind), \(bind: detail), \(bind: ISO8601Timestamp.now()))
            ON CONFLICT (batch_id, kind) DO NOTHING
            """).run()
    }

    /// Raises `missing-transfer` for batches waiting longer than ``maximumWaitHours`` since collection, and
    /// `missing-disposal` for those waiting as long since their transfer; once per batch. Returns the alerts raised.
    @discardableResult
    public func checkOverdue(now: Date = Date()) async throws -> Int {
        let limit = Int64((now.timeIntervalSince1970 - Double(maximumWaitHours) * 3600) * 1000)
        return try await database.write { sql in
            var raised = 0
            for (status, kind, since) in [("collected", "missing-transfer", "b.collected_ms"),
                                          ("transferred", "missing-disposal", "(SELECT MAX(h.at_ms) FROM supervision_waste_handover h WHERE h.batch_id = b.id)")] {
                let rows = try await sql.raw("""
                    SELECT b.* FROM supervision_waste_batch b WHERE b.status = \(bind: status) AND \(unsafeRaw: since) < \(bind: limit)
                        AND NOT EXISTS (SELECT 1 FROM supervision_waste_alert a WHERE a.batch_id = b.id AND a.kind = \(bind: kind))
                    """).all()
                for row in rows {
                    try await raise(batch: try row.decode(column: "id", as: String.self), kind: kind,
                                    detail: "\(status == "collected" ? "收集" : "转运交接")后超过 \(maximumWaitHours) 小时未\(kind == "missing-transfer" ? "转运" : "处置")", row: row, sql: sql)
                    raised += 1
                }
            }
            return raised
        }
    }

    public func batch(_ id: String, district: String) async throws -> WasteBatch {
        guard let batch = try await batches(district: district, id: id).first else { throw FHIRError.notFound("没有医疗废物批次 \(id)") }
        return batch
    }

    /// The district's batches, newest first (one institution's, or one batch).
    public func batches(district: String, institution: String? = nil, id: String? = nil, limit: Int = 200) async throws -> [WasteBatch] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let institution { filter = "\(filter) AND institution_id = \(bind: institution)" }
            if let id { filter = "\(filter) AND id = \(bind: id)" }
            let rows = try await sql.raw("SELECT * FROM supervision_waste_batch WHERE \(filter) ORDER BY collected_ms DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))").all()
            var batches: [WasteBatch] = []
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                let handovers = try await sql.raw("SELECT * FROM supervision_waste_handover WHERE batch_id = \(bind: id) ORDER BY at_ms").all().map {
                    WasteHandover(stage: try $0.decode(column: "stage", as: String.self), weightGrams: try $0.decode(column: "weight_g", as: Int.self),
                                  at: try $0.decode(column: "at", as: String.self), handler: try $0.decode(column: "handler", as: String.self))
                }
                batches.append(WasteBatch(id: id, institution: try row.decode(column: "institution_id", as: String.self), district: try row.decode(column: "district", as: String.self),
                                          category: try row.decode(column: "category", as: String.self), weightGrams: try row.decode(column: "weight_g", as: Int.self),
                                          collectedAt: try row.decode(column: "collected_at", as: String.self), status: try row.decode(column: "status", as: String.self),
                                          handovers: handovers))
            }
            return batches
        }
    }

    /// The district's alerts, newest first.
    public func alerts(district: String) async throws -> [WasteAlert] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM supervision_waste_alert WHERE district = \(bind: district) ORDER BY id DESC LIMIT 500").all().map {
                WasteAlert(id: try $0.decode(column: "id", as: Int.self), batch: try $0.decode(column: "batch_id", as: String.self),
                           institution: try $0.decode(column: "institution_id", as: String.self), kind: try $0.decode(column: "kind", as: String.self),
                           detail: try $0.decode(column: "detail", as: String.self), raisedAt: try $0.decode(column: "raised_at", as: String.self))
            }
        }
    }
}

/// The Supervision target's tables.
public enum SupervisionMigrations {
    public static let all: [Migration] = core + enforcement + approvals
    static let core: [Migration] = [
        Migration(id: "1000_supervision_waste") { sql in
            [
                """
                CREATE TABLE supervision_waste_batch (id TEXT PRIMARY KEY, institution_id TEXT NOT NULL, district TEXT NOT NULL, category TEXT NOT NULL,
                    weight_g INTEGER NOT NULL, collected_at TEXT NOT NULL, collected_ms BIGINT NOT NULL, collected_by TEXT NOT NULL, status TEXT NOT NULL,
                    created_at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_waste_batch_district ON supervision_waste_batch (district, status, collected_ms)",
                """
                CREATE TABLE supervision_waste_handover (batch_id TEXT NOT NULL REFERENCES supervision_waste_batch (id), stage TEXT NOT NULL, weight_g INTEGER NOT NULL,
                    at TEXT NOT NULL, at_ms BIGINT NOT NULL, handler TEXT NOT NULL, recorded_by TEXT NOT NULL, PRIMARY KEY (batch_id, stage))
                """,
                """
                CREATE TABLE supervision_waste_alert (id \(sql.autoIncrementPrimaryKey), batch_id TEXT NOT NULL, institution_id TEXT NOT NULL, district TEXT NOT NULL,
                    kind TEXT NOT NULL, detail TEXT NOT NULL, raised_at TEXT NOT NULL, UNIQUE (batch_id, kind))
                """,
                "CREATE INDEX supervision_waste_alert_district ON supervision_waste_alert (district, id)",
            ]
        },
        Migration(id: "1001_supervision_water") { sql in
            [
                """
                CREATE TABLE supervision_water_site (id TEXT PRIMARY KEY, district TEXT NOT NULL, subdistrict TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                    address TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_water_site_district ON supervision_water_site (district, subdistrict)",
                """
                CREATE TABLE supervision_water_test (id \(sql.autoIncrementPrimaryKey), site_id TEXT NOT NULL REFERENCES supervision_water_site (id), sampled_at TEXT NOT NULL,
                    sampled_ms BIGINT NOT NULL, results TEXT NOT NULL, qualified SMALLINT NOT NULL, tested_by TEXT NOT NULL, recorded_at TEXT NOT NULL)
                """,
                "CREATE INDEX supervision_water_test_site ON supervision_water_test (site_id, sampled_ms)",
            ]
        },
        Migration(id: "1002_supervision_licences") { _ in
            [
                """
                CREATE TABLE supervision_licence (id TEXT PRIMARY KEY, district TEXT NOT NULL, holder_type TEXT NOT NULL, holder_id TEXT NOT NULL, kind TEXT NOT NULL,
                    number TEXT NOT NULL, scope TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
                    UNIQUE (kind, number))
                """,
                "CREATE INDEX supervision_licence_district ON supervision_licence (district, valid_to)",
                "CREATE INDEX supervision_licence_holder ON supervision_licence (holder_id)",
            ]
        },
    ]
}
