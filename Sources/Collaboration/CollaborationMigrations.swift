public import Storage

/// The Collaboration target's tables: consultations, time-critical cases, ambulance stations, ambulances, calls and
/// pre-arrival notices.
public enum CollaborationMigrations {
    public static let all: [Migration] = [
        Migration(id: "1100_collab_consultation") { _ in
            [
                """
                CREATE TABLE collab_consultation (id TEXT PRIMARY KEY, district TEXT NOT NULL, kind TEXT NOT NULL, patient_id TEXT NOT NULL, requester_account TEXT NOT NULL,
                    requester_practitioner TEXT, requester_institution TEXT NOT NULL, target_institution TEXT NOT NULL, question TEXT NOT NULL, specialties TEXT NOT NULL,
                    materials TEXT NOT NULL, status TEXT NOT NULL, scheduled_at TEXT, participants TEXT NOT NULL, conclusion TEXT, concluded_at TEXT, concluded_by TEXT,
                    decline_reason TEXT, service_request TEXT NOT NULL, clinical_impression TEXT, requested_at TEXT NOT NULL, acknowledged_at TEXT)
                """,
                "CREATE INDEX collab_consultation_target ON collab_consultation (target_institution, requested_at)",
                "CREATE INDEX collab_consultation_requester ON collab_consultation (requester_account, requested_at)",
            ]
        },
        Migration(id: "1101_collab_critical_case") { _ in
            [
                """
                CREATE TABLE collab_critical_case (id TEXT PRIMARY KEY, district TEXT NOT NULL, hospital TEXT NOT NULL, centre TEXT NOT NULL, patient_id TEXT, call_id TEXT,
                    times TEXT NOT NULL, door_ms BIGINT, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL)
                """,
                "CREATE INDEX collab_critical_case_hospital ON collab_critical_case (hospital, recorded_at)",
                "CREATE INDEX collab_critical_case_door ON collab_critical_case (district, door_ms)",
            ]
        },
        Migration(id: "1102_collab_emergency") { _ in
            [
                """
                CREATE TABLE collab_station (id TEXT PRIMARY KEY, district TEXT NOT NULL, name TEXT NOT NULL, subdistrict TEXT NOT NULL,
                    longitude DOUBLE PRECISION NOT NULL, latitude DOUBLE PRECISION NOT NULL)
                """,
                "CREATE TABLE collab_ambulance (id TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES collab_station (id), plate TEXT NOT NULL UNIQUE)",
                """
                CREATE TABLE collab_call (id TEXT PRIMARY KEY, district TEXT NOT NULL, subdistrict TEXT NOT NULL, address TEXT NOT NULL, longitude DOUBLE PRECISION,
                    latitude DOUBLE PRECISION, category TEXT NOT NULL, status TEXT NOT NULL, received_at TEXT NOT NULL, received_ms BIGINT NOT NULL, received_by TEXT NOT NULL,
                    ambulance_id TEXT REFERENCES collab_ambulance (id), dispatched_at TEXT, dispatched_ms BIGINT, on_scene_at TEXT, on_scene_ms BIGINT,
                    leaving_at TEXT, leaving_ms BIGINT, at_hospital_at TEXT, at_hospital_ms BIGINT, hospital TEXT)
                """,
                "CREATE INDEX collab_call_district ON collab_call (district, received_ms)",
                // An ambulance is on one call at a time: the database refuses a second active one.
                "CREATE UNIQUE INDEX collab_call_active_ambulance ON collab_call (ambulance_id) WHERE status IN ('dispatched', 'on-scene', 'leaving')",
                """
                CREATE TABLE collab_prearrival (call_id TEXT NOT NULL REFERENCES collab_call (id), hospital TEXT NOT NULL, category TEXT NOT NULL, left_scene_at TEXT NOT NULL,
                    acknowledged_at TEXT, critical_case TEXT, PRIMARY KEY (call_id, hospital))
                """,
            ]
        },
    ]
}
