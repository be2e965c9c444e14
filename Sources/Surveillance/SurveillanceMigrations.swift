import Storage

/// The Surveillance target's tables: the notifiable disease list (as data), case report cards and their history.
public enum SurveillanceMigrations {
    /// The migrations of the Surveillance target, in order.
    public static let all: [Migration] = [
        Migration(id: "0700_surveillance") { _ in
            var statements = [
                // 法定传染病: code, Chinese name, class (A 甲类, B 乙类, B-A 乙类甲管, C 丙类, other 其他监测), the ICD-10
                // prefixes that mean it (the longest matching prefix wins), and the reporting deadline in hours.
                """
                CREATE TABLE surveillance_disease (code TEXT PRIMARY KEY, name TEXT NOT NULL, class TEXT NOT NULL, icd_prefixes TEXT NOT NULL,
                    deadline_hours INTEGER NOT NULL)
                """,
                // 传染病报告卡: one per diagnosis (its source: Condition/<id>, Encounter/<id>, or a card entered by hand).
                """
                CREATE TABLE surveillance_report (id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, patient_id TEXT NOT NULL, disease TEXT NOT NULL,
                    icd10 TEXT NOT NULL, subdistrict TEXT, district TEXT, onset_date TEXT, diagnosed_at TEXT NOT NULL, certainty TEXT NOT NULL,
                    reporter TEXT, encounter_id TEXT, reported_at TEXT NOT NULL, deadline_at TEXT NOT NULL, late SMALLINT NOT NULL,
                    status TEXT NOT NULL, duplicate_of TEXT, revision INTEGER NOT NULL)
                """,
                "CREATE INDEX surveillance_report_district ON surveillance_report (district, status, reported_at)",
                "CREATE INDEX surveillance_report_patient ON surveillance_report (patient_id, disease, diagnosed_at)",
                // Each change to a card: created, updated from the record, verified, corrected (订正), rejected, marked duplicate.
                """
                CREATE TABLE surveillance_report_history (report_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
                    action TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (report_id, seq))
                """,
            ]
            statements += NotifiableDisease.statutoryList.map { disease in
                "INSERT INTO surveillance_disease VALUES ('\(disease.code)', '\(disease.name)', '\(disease.diseaseClass)', '\(disease.icdPrefixes.joined(separator: ","))', \(disease.deadlineHours))"
            }
            return statements
        },
        Migration(id: "0701_surveillance_signals") { _ in
            [
                // Each disease's cluster threshold (≥ cases within days in one 街道), as data.
                "ALTER TABLE surveillance_disease ADD COLUMN cluster_cases INTEGER NOT NULL DEFAULT 3",
                "ALTER TABLE surveillance_disease ADD COLUMN cluster_days INTEGER NOT NULL DEFAULT 7",
                "UPDATE surveillance_disease SET cluster_cases = 5 WHERE code IN ('influenza', 'infectious-diarrhea', 'hfmd')",
                // 预警信号: one per disease, 街道, detector and day; its lifecycle time stamps.
                """
                CREATE TABLE surveillance_signal (id TEXT PRIMARY KEY, disease TEXT NOT NULL, subdistrict TEXT NOT NULL, district TEXT NOT NULL,
                    detector TEXT NOT NULL, signal_day TEXT NOT NULL, cases INTEGER NOT NULL, detail TEXT NOT NULL, status TEXT NOT NULL,
                    generated_at TEXT NOT NULL, verified_at TEXT, verified_by TEXT, verdict TEXT, responded_at TEXT, response TEXT, closed_at TEXT,
                    CONSTRAINT surveillance_signal_once UNIQUE (disease, subdistrict, detector, signal_day))
                """,
                "CREATE INDEX surveillance_signal_district ON surveillance_signal (district, status, generated_at)",
            ]
        },
        Migration(id: "0702_surveillance_immunization") { _ in
            [
                // 预防接种: one row per completed Immunization in the record (the schedule is `Vaccination.schedule`).
                """
                CREATE TABLE surveillance_immunization (source TEXT PRIMARY KEY, patient_id TEXT NOT NULL, vaccine TEXT NOT NULL, dose INTEGER NOT NULL,
                    given_on TEXT NOT NULL, lot TEXT)
                """,
                "CREATE INDEX surveillance_immunization_patient ON surveillance_immunization (patient_id, vaccine, dose)",
                "CREATE INDEX surveillance_immunization_lot ON surveillance_immunization (lot)",
            ]
        },
        Migration(id: "0703_surveillance_streams") { _ in
            [
                // 多渠道监测: the signal streams beside case reports, as data. `count` streams take daily counts per
                // reporting site (a sentinel clinic, a school, a pharmacy, a laboratory); `item` streams take
                // single reports (a tip-off, a media item).
                "CREATE TABLE surveillance_stream (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL)",
                """
                INSERT INTO surveillance_stream VALUES ('fever-clinic', '发热门诊就诊人次', 'count', '人次'), ('ili', '流感样病例', 'count', '例'),
                    ('diarrhoea-clinic', '肠道门诊就诊人次', 'count', '人次'), ('lab-positive', '病原学检测阳性', 'count', '份'),
                    ('school-absence', '学校及托幼机构因病缺勤', 'count', '人'), ('pharmacy-antipyretic', '药店退热止泻药销售', 'count', '盒'),
                    ('tip-off', '群众举报线索', 'item', '条'), ('media', '媒体舆情', 'item', '条')
                """,
                """
                CREATE TABLE surveillance_stream_count (stream TEXT NOT NULL, site TEXT NOT NULL, subdistrict TEXT NOT NULL, district TEXT NOT NULL,
                    day TEXT NOT NULL, count INTEGER NOT NULL, reported_by TEXT NOT NULL, PRIMARY KEY (stream, site, day))
                """,
                "CREATE INDEX surveillance_stream_count_area ON surveillance_stream_count (district, stream, day)",
                """
                CREATE TABLE surveillance_stream_item (id TEXT PRIMARY KEY, stream TEXT NOT NULL, subdistrict TEXT NOT NULL, district TEXT NOT NULL,
                    day TEXT NOT NULL, text TEXT NOT NULL, reported_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX surveillance_stream_item_area ON surveillance_stream_item (district, stream, day)",
            ]
        },
        Migration(id: "0704_surveillance_emergency") { _ in
            [
                // 应急指挥: incidents (one per signal at most), their tasks for the response teams, their log.
                """
                CREATE TABLE surveillance_incident (id TEXT PRIMARY KEY, district TEXT NOT NULL, title TEXT NOT NULL, level INTEGER NOT NULL,
                    disease TEXT, subdistrict TEXT, signal_id TEXT UNIQUE, status TEXT NOT NULL, opened_at TEXT NOT NULL, opened_by TEXT NOT NULL,
                    closed_at TEXT, summary TEXT)
                """,
                "CREATE INDEX surveillance_incident_district ON surveillance_incident (district, status, opened_at)",
                """
                CREATE TABLE surveillance_incident_task (id TEXT PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES surveillance_incident (id), team TEXT NOT NULL,
                    title TEXT NOT NULL, assignee TEXT, due TEXT, status TEXT NOT NULL, note TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """,
                "CREATE INDEX surveillance_incident_task_incident ON surveillance_incident_task (incident_id)",
                """
                CREATE TABLE surveillance_incident_log (incident_id TEXT NOT NULL REFERENCES surveillance_incident (id), seq INTEGER NOT NULL, at TEXT NOT NULL,
                    actor TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (incident_id, seq))
                """,
                // What each institution has at hand, one row per kind (beds, ICU beds, fever clinics, stockpiles).
                """
                CREATE TABLE surveillance_resource (organization TEXT NOT NULL, kind TEXT NOT NULL, district TEXT NOT NULL, total INTEGER NOT NULL,
                    available INTEGER NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (organization, kind))
                """,
                "CREATE INDEX surveillance_resource_district ON surveillance_resource (district)",
            ]
        },
        Migration(id: "0705_surveillance_vector") { _ in
            [
                // 病媒生物监测: monitoring sites per 街道 and their Aedes surveys (Breteau or ovitrap index), graded.
                "CREATE TABLE surveillance_vector_site (id TEXT PRIMARY KEY, district TEXT NOT NULL, subdistrict TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL)",
                "CREATE INDEX surveillance_vector_site_district ON surveillance_vector_site (district, subdistrict)",
                """
                CREATE TABLE surveillance_vector_report (site_id TEXT NOT NULL REFERENCES surveillance_vector_site (id), day TEXT NOT NULL, method TEXT NOT NULL,
                    district TEXT NOT NULL, subdistrict TEXT NOT NULL, examined INTEGER NOT NULL, positive INTEGER NOT NULL, index_value DOUBLE PRECISION NOT NULL,
                    level INTEGER NOT NULL, reported_by TEXT NOT NULL, reported_at TEXT NOT NULL, PRIMARY KEY (site_id, day, method))
                """,
                "CREATE INDEX surveillance_vector_report_area ON surveillance_vector_report (district, day)",
                // Its signals name it as a stream, so that the worklist and signal pages can name them.
                "INSERT INTO surveillance_stream VALUES ('mosquito', '蚊媒密度（伊蚊）', 'vector', '指数')",
            ]
        },
        Migration(id: "0706_surveillance_vaccination_appointments") { _ in
            [
                // 接种门诊预约: half-day sessions of a CHC's vaccination clinic with their places, and the appointments.
                """
                CREATE TABLE surveillance_vaccination_session (id TEXT PRIMARY KEY, organization TEXT NOT NULL, district TEXT NOT NULL, day TEXT NOT NULL,
                    period TEXT NOT NULL, capacity INTEGER NOT NULL, booked INTEGER NOT NULL, created_by TEXT NOT NULL,
                    CONSTRAINT surveillance_vaccination_session_once UNIQUE (organization, day, period), CHECK (booked >= 0 AND booked <= capacity))
                """,
                "CREATE INDEX surveillance_vaccination_session_day ON surveillance_vaccination_session (district, day)",
                """
                CREATE TABLE surveillance_vaccination_appointment (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES surveillance_vaccination_session (id),
                    patient_id TEXT NOT NULL, vaccine TEXT NOT NULL, dose INTEGER NOT NULL, status TEXT NOT NULL, booked_by TEXT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE INDEX surveillance_vaccination_appointment_patient ON surveillance_vaccination_appointment (patient_id, vaccine, dose, status)",
                "CREATE INDEX surveillance_vaccination_appointment_session ON surveillance_vaccination_appointment (session_id)",
            ]
        },
    ]
}
