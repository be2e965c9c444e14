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
    ]
}
