import Storage

/// The Contracting target's tables: doctors' capacity, contracts, the waiting list, key-group facts (kept by a
/// FHIR write hook), ratings and the plans' targets. Residents are the Registry's `registry_resident`.
public enum ContractingMigrations {
    /// The migrations of the Contracting target, in order.
    public static let all: [Migration] = [
        Migration(id: "0400_contracting") { sql in
            [
                // 家庭医生签约容量: places per doctor; `active_count` moves in the same transaction as a contract.
                """
                CREATE TABLE contract_doctor (practitioner_id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, district TEXT NOT NULL,
                    capacity INTEGER NOT NULL, active_count INTEGER NOT NULL)
                """,
                "CREATE INDEX contract_doctor_organization ON contract_doctor (organization_id)",
                // 签约协议 ("1+1+1"): one active contract per resident (the partial unique index).
                """
                CREATE TABLE contract_agreement (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, practitioner_id TEXT NOT NULL,
                    organization_id TEXT NOT NULL, district TEXT NOT NULL, subdistrict TEXT, district_hospital TEXT, city_hospital TEXT,
                    package TEXT NOT NULL, status TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
                    channel TEXT NOT NULL, signed_by TEXT NOT NULL, signed_at TEXT NOT NULL, ended_on TEXT, end_reason TEXT, previous_id TEXT)
                """,
                "CREATE UNIQUE INDEX contract_agreement_one_active ON contract_agreement (patient_id) WHERE status = 'active'",
                "CREATE INDEX contract_agreement_doctor ON contract_agreement (practitioner_id, status)",
                "CREATE INDEX contract_agreement_organization ON contract_agreement (organization_id, status)",
                // 候补: residents waiting for a place with a doctor, first come first served.
                """
                CREATE TABLE contract_waitlist (id \(sql.autoIncrementPrimaryKey), patient_id TEXT NOT NULL, practitioner_id TEXT NOT NULL,
                    requested_at TEXT NOT NULL, status TEXT NOT NULL, contract_id TEXT)
                """,
                "CREATE UNIQUE INDEX contract_waitlist_one ON contract_waitlist (patient_id, practitioner_id) WHERE status = 'waiting'",
                "CREATE INDEX contract_waitlist_doctor ON contract_waitlist (practitioner_id, status, id)",
                // Key-group facts from the record: a diagnosis (source `Condition/<id>`) or a group the Patient record
                // carries (source `Patient/<id>`). Age groups are computed from the birth date when asked.
                """
                CREATE TABLE contract_group_fact (source TEXT NOT NULL, group_code TEXT NOT NULL, patient_id TEXT NOT NULL,
                    PRIMARY KEY (source, group_code))
                """,
                "CREATE INDEX contract_group_fact_patient ON contract_group_fact (patient_id, group_code)",
                "CREATE INDEX contract_group_fact_group ON contract_group_fact (group_code, patient_id)",
                // 好差评: a resident's rating of the service of their contract.
                """
                CREATE TABLE contract_rating (id \(sql.autoIncrementPrimaryKey), contract_id TEXT NOT NULL, patient_id TEXT NOT NULL,
                    practitioner_id TEXT NOT NULL, stars INTEGER NOT NULL, comment TEXT NOT NULL, rated_at TEXT NOT NULL)
                """,
                "CREATE INDEX contract_rating_doctor ON contract_rating (practitioner_id)",
                // The plans' coverage targets (percent), per district, population (all or key) and year.
                """
                CREATE TABLE contract_target (district TEXT NOT NULL, population TEXT NOT NULL, target_year INTEGER NOT NULL,
                    percent INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (district, population, target_year))
                """,
                "INSERT INTO contract_target VALUES ('310105', 'all', 2025, 48, '000 长宁区“十四五”卫生健康规划：全人群签约覆盖率48%')",
                "INSERT INTO contract_target VALUES ('310105', 'key', 2025, 80, '000 长宁区“十四五”卫生健康规划：重点人群签约覆盖率80%以上')",
                "INSERT INTO contract_target VALUES ('310116', 'all', 2025, 50, '004 金山区“十四五”卫生健康规划：常住居民签约服务覆盖率50%')",
            ]
        },
        // 签约服务费结算规则: the fee per contracted resident per year (in fen), the share paid whatever the
        // quality, and the weights of the quality measures (percent; they add up to 100).
        Migration(id: "0401_contract_settlement") { _ in
            [
                """
                CREATE TABLE contract_settlement_rule (district TEXT PRIMARY KEY, fee_fen INTEGER NOT NULL, fixed_percent INTEGER NOT NULL,
                    weight_follow_up INTEGER NOT NULL, weight_control INTEGER NOT NULL, weight_own_chc INTEGER NOT NULL, weight_rating INTEGER NOT NULL,
                    source TEXT NOT NULL)
                """,
                "INSERT INTO contract_settlement_rule VALUES ('310105', 12000, 60, 30, 30, 20, 20, '000 长宁区规划：签约服务经费投入标准达到120元/人年，与服务质量挂钩')",
            ]
        },
        // 000: 计划生育特殊家庭成员、“四医联动”对象、失能老年人、残疾人应签尽签 — every one of them signed.
        Migration(id: "0402_contract_must_sign_targets") { _ in
            ["special-family", "four-medical-linkage", "disabled-elderly", "disability"].map {
                "INSERT INTO contract_target VALUES ('310105', '\($0)', 2025, 100, '000 长宁区规划：计划生育特殊家庭成员、“四医联动”对象、失能老年人、残疾人应签尽签')"
            }
        },
        Migration(id: "0403_contract_agreement_patient") { _ in
            [
                // Coverage joins every resident to their contracts in force on a day, whatever the status; the
                // partial index (active only) cannot serve that join, which scanned every contract per resident.
                "CREATE INDEX contract_agreement_patient ON contract_agreement (patient_id, start_date)",
            ]
        },
    ]
}
