public import Storage

/// The Portal target's tables: online return visits and their prescriptions, the pre-review rules, the home
/// services (nursing orders, hospice and family sickbed requests), payments, health-education articles and ratings.
public enum PortalMigrations {
    public static let all: [Migration] = [
        Migration(id: "1200_portal_visit") { _ in
            [
                """
                CREATE TABLE portal_visit (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, institution TEXT NOT NULL, condition_ref TEXT NOT NULL, condition_text TEXT NOT NULL,
                    description TEXT NOT NULL, status TEXT NOT NULL, requested_at TEXT NOT NULL, accepted_at TEXT, clinician_account TEXT, clinician_practitioner TEXT,
                    decline_reason TEXT, note TEXT, note_at TEXT, completed_at TEXT, fee_fen BIGINT NOT NULL, paid_at TEXT, payment_id TEXT)
                """,
                "CREATE INDEX portal_visit_patient ON portal_visit (patient_id, requested_at)",
                "CREATE INDEX portal_visit_institution ON portal_visit (institution, status, requested_at)",
                """
                CREATE TABLE portal_prescription (id TEXT PRIMARY KEY, visit_id TEXT NOT NULL REFERENCES portal_visit (id), patient_id TEXT NOT NULL, items TEXT NOT NULL,
                    status TEXT NOT NULL, reasons TEXT NOT NULL, medication_requests TEXT NOT NULL, prescriber_account TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX portal_prescription_visit ON portal_prescription (visit_id, created_at)",
            ]
        },
        // 处方前置审核: the rules as data. `max-dose` (the catalogue's maximum daily dose), `duplicate` (two drugs whose
        // ATC codes share their first `parameter` characters), `interaction` (a pair of ATC codes or code prefixes).
        Migration(id: "1201_portal_prereview_rule") { _ in
            [
                """
                CREATE TABLE portal_prereview_rule (id TEXT PRIMARY KEY, kind TEXT NOT NULL, parameter TEXT, atc_a TEXT, atc_b TEXT, reason TEXT NOT NULL, enabled BIGINT NOT NULL)
                """,
                "INSERT INTO portal_prereview_rule (id, kind, parameter, atc_a, atc_b, reason, enabled) VALUES ('max-dose', 'max-dose', NULL, NULL, NULL, '超过说明书成人最大日剂量', 1)",
                "INSERT INTO portal_prereview_rule (id, kind, parameter, atc_a, atc_b, reason, enabled) VALUES ('duplicate', 'duplicate', '5', NULL, NULL, '同类药物（ATC 前五位相同）重复用药', 1)",
                """
                INSERT INTO portal_prereview_rule (id, kind, parameter, atc_a, atc_b, reason, enabled) VALUES
                    ('ix-clarithromycin-statin', 'interaction', NULL, 'J01FA09', 'C10AA', '克拉霉素抑制 CYP3A4，合用他汀类（如阿托伐他汀）使其血药浓度升高，横纹肌溶解风险增加', 1),
                    ('ix-clarithromycin-nifedipine', 'interaction', NULL, 'J01FA09', 'C08CA05', '克拉霉素抑制 CYP3A4，合用硝苯地平可致严重低血压和水肿', 1),
                    ('ix-acei-arb', 'interaction', NULL, 'C09A', 'C09CA', '血管紧张素转换酶抑制剂与血管紧张素受体拮抗剂联用，高钾血症和肾功能损害风险增加', 1)
                """,
            ]
        },
        Migration(id: "1202_portal_order") { _ in
            [
                """
                CREATE TABLE portal_order (id TEXT PRIMARY KEY, kind TEXT NOT NULL, patient_id TEXT NOT NULL, institution TEXT NOT NULL, status TEXT NOT NULL, item TEXT,
                    address TEXT, scheduled_at TEXT, description TEXT NOT NULL, detail TEXT NOT NULL, fee_fen BIGINT NOT NULL, paid_at TEXT, payment_id TEXT,
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """,
                "CREATE INDEX portal_order_patient ON portal_order (patient_id, kind, created_at)",
                "CREATE INDEX portal_order_institution ON portal_order (institution, kind, status, created_at)",
            ]
        },
        Migration(id: "1203_portal_payment") { _ in
            [
                """
                CREATE TABLE portal_payment (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, item_kind TEXT NOT NULL, item_id TEXT NOT NULL, description TEXT NOT NULL,
                    amount_fen BIGINT NOT NULL, idempotency_key TEXT NOT NULL, status TEXT NOT NULL, provider TEXT NOT NULL, provider_reference TEXT, failure TEXT,
                    created_at TEXT NOT NULL, settled_at TEXT)
                """,
                // The same key from the same resident is the same payment, whoever asks twice and however fast.
                "CREATE UNIQUE INDEX portal_payment_key ON portal_payment (patient_id, idempotency_key)",
                // An item is paid at most once.
                "CREATE UNIQUE INDEX portal_payment_paid ON portal_payment (item_kind, item_id) WHERE status IN ('pending', 'succeeded')",
            ]
        },
        Migration(id: "1204_portal_article") { _ in
            [
                """
                CREATE TABLE portal_article (id TEXT PRIMARY KEY, title TEXT NOT NULL, summary TEXT NOT NULL, body TEXT NOT NULL, conditions TEXT NOT NULL,
                    min_age BIGINT, max_age BIGINT, sex TEXT, published_at TEXT NOT NULL)
                """,
            ]
        },
        Migration(id: "1205_portal_rating") { _ in
            [
                """
                CREATE TABLE portal_rating (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, service_kind TEXT NOT NULL, service_id TEXT NOT NULL, institution TEXT NOT NULL,
                    score BIGINT NOT NULL, comment TEXT NOT NULL, complaint BIGINT NOT NULL, case_id TEXT, created_at TEXT NOT NULL, UNIQUE (service_kind, service_id))
                """,
                "CREATE INDEX portal_rating_forward ON portal_rating (complaint, case_id)",
            ]
        },
    ]
}
