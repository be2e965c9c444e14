import Storage

/// The Referral target's tables (`referral_*`): schedules and their time-sliced slots with the reserved share
/// for CHCs, appointments, the waiting list, referrals up and down, and result mutual recognition.
public enum ReferralMigrations {
    /// The migrations of the Referral target, in order (ids 0600–0699).
    public static let all: [Migration] = [
        Migration(id: "0600_referral") { sql in
            [
                // 排班: one department's (or named expert's) session on one day; outpatient slots or inpatient beds.
                """
                CREATE TABLE referral_schedule (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, department TEXT NOT NULL,
                    practitioner_id TEXT, service TEXT NOT NULL, day TEXT NOT NULL, reserved_percent INTEGER NOT NULL,
                    release_hours INTEGER NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX referral_schedule_day ON referral_schedule (organization_id, department, day)",
                // 分时段号源: a slot is free or booked; a reserved one (社区预留) is open to the public only from release_ms.
                // Booking is one conditional UPDATE … WHERE status = 'free', so a slot is taken once on either engine.
                """
                CREATE TABLE referral_slot (id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL REFERENCES referral_schedule (id),
                    organization_id TEXT NOT NULL, department TEXT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
                    pool TEXT NOT NULL, release_ms BIGINT NOT NULL, status TEXT NOT NULL, appointment_id TEXT)
                """,
                "CREATE INDEX referral_slot_schedule ON referral_slot (schedule_id, start_ms)",
                "CREATE INDEX referral_slot_open ON referral_slot (organization_id, department, status, start_ms)",
                // 预约: at most one live appointment per slot (the partial unique index is the database's own guard),
                // and one per resident per schedule.
                """
                CREATE TABLE referral_appointment (id TEXT PRIMARY KEY, slot_id TEXT NOT NULL REFERENCES referral_slot (id),
                    schedule_id TEXT NOT NULL, patient_id TEXT NOT NULL, channel TEXT NOT NULL, referral_id TEXT, status TEXT NOT NULL,
                    booked_by TEXT NOT NULL, booked_at TEXT NOT NULL, changed_at TEXT)
                """,
                "CREATE UNIQUE INDEX referral_appointment_one_per_slot ON referral_appointment (slot_id) WHERE status IN ('booked', 'fulfilled', 'noshow')",
                "CREATE UNIQUE INDEX referral_appointment_one_per_schedule ON referral_appointment (patient_id, schedule_id) WHERE status = 'booked'",
                "CREATE INDEX referral_appointment_patient ON referral_appointment (patient_id, status)",
                // 候补: residents waiting for a freed slot of a schedule; referred residents first (priority 1).
                """
                CREATE TABLE referral_waitlist (id \(sql.autoIncrementPrimaryKey), schedule_id TEXT NOT NULL, patient_id TEXT NOT NULL,
                    priority INTEGER NOT NULL, may_reserved INTEGER NOT NULL, referral_id TEXT, requested_by TEXT NOT NULL,
                    requested_at TEXT NOT NULL, status TEXT NOT NULL, appointment_id TEXT)
                """,
                "CREATE UNIQUE INDEX referral_waitlist_one ON referral_waitlist (schedule_id, patient_id) WHERE status = 'waiting'",
                "CREATE INDEX referral_waitlist_queue ON referral_waitlist (schedule_id, status, priority, id)",
                // 双向转诊: one open referral per resident, receiver, department and direction.
                """
                CREATE TABLE referral_request (id TEXT PRIMARY KEY, direction TEXT NOT NULL, patient_id TEXT NOT NULL,
                    from_organization TEXT NOT NULL, from_practitioner TEXT NOT NULL, to_organization TEXT NOT NULL, department TEXT NOT NULL,
                    reason TEXT NOT NULL, diagnosis_code TEXT, diagnosis_text TEXT, record_links TEXT NOT NULL, care_plan TEXT,
                    family_doctor TEXT, district TEXT NOT NULL, status TEXT NOT NULL, requested_at TEXT NOT NULL, requested_ms BIGINT NOT NULL,
                    decided_at TEXT, decided_ms BIGINT, decided_by TEXT, decline_reason TEXT, appointment_id TEXT,
                    visited_at TEXT, summary TEXT, completed_at TEXT, completed_ms BIGINT)
                """,
                "CREATE UNIQUE INDEX referral_request_one_open ON referral_request (patient_id, to_organization, department, direction) WHERE status IN ('requested', 'accepted', 'booked', 'visited')",
                "CREATE INDEX referral_request_to ON referral_request (to_organization, status)",
                "CREATE INDEX referral_request_from ON referral_request (from_practitioner, status)",
                "CREATE INDEX referral_request_district ON referral_request (district, requested_ms)",
            ]
        },
        // 检查检验结果互认: which tests are recognised for how many days, and each order's outcome (for the rate).
        Migration(id: "0601_result_recognition") { _ in
            [
                """
                CREATE TABLE referral_recognition_rule (code_system TEXT NOT NULL, code TEXT NOT NULL, label TEXT NOT NULL,
                    window_days INTEGER NOT NULL, PRIMARY KEY (code_system, code))
                """,
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '58410-2', '血常规', 7)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '24325-3', '肝功能', 14)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '24362-6', '肾功能', 14)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '57698-3', '血脂', 30)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '4548-4', '糖化血红蛋白', 90)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '1558-6', '空腹血糖', 7)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '24627-2', '胸部CT', 30)",
                "INSERT INTO referral_recognition_rule VALUES ('http://loinc.org', '30746-2', '胸部X线', 30)",
                """
                CREATE TABLE referral_test_order (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, code_system TEXT NOT NULL, code TEXT NOT NULL,
                    organization_id TEXT NOT NULL, district TEXT NOT NULL, ordered_by TEXT NOT NULL, ordered_at TEXT NOT NULL, ordered_ms BIGINT NOT NULL,
                    outcome TEXT NOT NULL, earlier_result TEXT, reason TEXT)
                """,
                "CREATE INDEX referral_test_order_district ON referral_test_order (district, ordered_ms)",
            ]
        },
    ]
}
