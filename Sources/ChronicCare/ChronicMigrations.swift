import Storage

/// The ChronicCare target's tables: programmes (as data), enrolments with their follow-up schedule and
/// control status, readings taken from the record, and follow-up forms.
public enum ChronicMigrations {
    /// The migrations of the ChronicCare target, in order.
    public static let all: [Migration] = [
        Migration(id: "0500_chronic") { sql in
            [
                // 慢病管理项目: registries (hypertension, type 2 diabetes) and screening programmes, with the ICD-10
                // prefixes that enrol, the reading that counts as a follow-up, and the follow-up and check intervals.
                """
                CREATE TABLE chronic_programme (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, icd_prefixes TEXT NOT NULL,
                    reading TEXT, follow_up_days INTEGER NOT NULL, check_days INTEGER NOT NULL)
                """,
                "INSERT INTO chronic_programme VALUES ('hypertension', '高血压', 'registry', 'I10,I11,I12,I13,I15', 'bp', 90, 365)",
                "INSERT INTO chronic_programme VALUES ('type2-diabetes', '2型糖尿病', 'registry', 'E11', 'fpg', 90, 365)",
                "INSERT INTO chronic_programme VALUES ('copd', '慢阻肺', 'screening', 'J44', NULL, 365, 365)",
                "INSERT INTO chronic_programme VALUES ('stroke', '脑卒中', 'screening', 'I63,I64,I69', NULL, 365, 365)",
                "INSERT INTO chronic_programme VALUES ('cancer', '癌症', 'screening', 'C', NULL, 365, 365)",
                // 登记管理: one row per resident and programme; the schedule and control columns are derived from the
                // readings (`recompute`), never typed in.
                """
                CREATE TABLE chronic_enrolment (patient_id TEXT NOT NULL, programme TEXT NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL,
                    since TEXT NOT NULL, last_follow_up TEXT, next_due TEXT, follow_ups_year INTEGER NOT NULL, controlled SMALLINT,
                    uncontrolled_streak INTEGER NOT NULL, PRIMARY KEY (patient_id, programme))
                """,
                "CREATE INDEX chronic_enrolment_due ON chronic_enrolment (programme, status, next_due)",
                // Readings from the record (blood pressure, fasting glucose), one per Observation.
                """
                CREATE TABLE chronic_reading (source TEXT PRIMARY KEY, patient_id TEXT NOT NULL, kind TEXT NOT NULL, taken_on TEXT NOT NULL,
                    value1 \(sql.double) NOT NULL, value2 \(sql.double))
                """,
                "CREATE INDEX chronic_reading_patient ON chronic_reading (patient_id, kind, taken_on)",
                // 随访记录: the follow-up form's details beyond the readings (the readings are Observations).
                """
                CREATE TABLE chronic_followup (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, programme TEXT NOT NULL, taken_on TEXT NOT NULL,
                    systolic INTEGER, diastolic INTEGER, fpg \(sql.double), weight \(sql.double), height \(sql.double), bmi \(sql.double),
                    medication TEXT NOT NULL, adherence TEXT NOT NULL, lifestyle TEXT NOT NULL, recorded_by TEXT NOT NULL, encounter_id TEXT NOT NULL)
                """,
                "CREATE INDEX chronic_followup_patient ON chronic_followup (patient_id, programme, taken_on)",
            ]
        },
        Migration(id: "0501_chronic_checks_screening_careplans") { _ in
            [
                // 定期检查: the yearly health check and complication screenings (并发症筛查) as data: each with its
                // interval and the codes (system|code) of a Procedure that counts as done.
                "CREATE TABLE chronic_check (code TEXT PRIMARY KEY, name TEXT NOT NULL, interval_days INTEGER NOT NULL, codes TEXT NOT NULL)",
                "CREATE TABLE chronic_check_programme (check_code TEXT NOT NULL, programme TEXT NOT NULL, PRIMARY KEY (check_code, programme))",
                "INSERT INTO chronic_check VALUES ('annual-check', '年度健康体检', 365, '\(ChronicCheck.system)|annual-check')",
                "INSERT INTO chronic_check VALUES ('kidney', '肾功能及尿微量白蛋白', 365, '\(ChronicCheck.system)|kidney,http://snomed.info/sct|271075006')",
                "INSERT INTO chronic_check VALUES ('retinopathy', '眼底检查（视网膜病变筛查）', 365, '\(ChronicCheck.system)|retinopathy,http://snomed.info/sct|134395001')",
                "INSERT INTO chronic_check VALUES ('foot', '足部检查', 365, '\(ChronicCheck.system)|foot,http://snomed.info/sct|401191002')",
                "INSERT INTO chronic_check_programme VALUES ('annual-check', 'hypertension'), ('annual-check', 'type2-diabetes'), ('kidney', 'hypertension'), ('kidney', 'type2-diabetes'), ('retinopathy', 'type2-diabetes'), ('foot', 'type2-diabetes')",
                // Checks done, one row per Procedure in the record.
                "CREATE TABLE chronic_check_done (source TEXT PRIMARY KEY, patient_id TEXT NOT NULL, check_code TEXT NOT NULL, done_on TEXT NOT NULL)",
                "CREATE INDEX chronic_check_done_patient ON chronic_check_done (patient_id, check_code, done_on)",
                // 风险筛查: the latest score of each resident and kind; `status` open (high risk, on the family
                // doctor's worklist), closed (assessed), low (below the threshold).
                """
                CREATE TABLE chronic_screening (patient_id TEXT NOT NULL, kind TEXT NOT NULL, screened_on TEXT NOT NULL, points INTEGER NOT NULL,
                    missing TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT, closed_on TEXT, assessment_id TEXT NOT NULL, PRIMARY KEY (patient_id, kind))
                """,
                "CREATE INDEX chronic_screening_status ON chronic_screening (kind, status)",
                // 全专结合: the shared CarePlan of a resident and programme, and the referrals suggested on escalation.
                """
                CREATE TABLE chronic_careplan (patient_id TEXT NOT NULL, programme TEXT NOT NULL, careplan_id TEXT NOT NULL, specialist TEXT NOT NULL,
                    organization TEXT NOT NULL, created_on TEXT NOT NULL, PRIMARY KEY (patient_id, programme))
                """,
                """
                CREATE TABLE chronic_referral_suggestion (service_request_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, programme TEXT NOT NULL,
                    suggested_on TEXT NOT NULL, suggested_by TEXT NOT NULL)
                """,
                "CREATE INDEX chronic_referral_suggestion_patient ON chronic_referral_suggestion (patient_id, programme, suggested_on)",
            ]
        },
    ]
}
