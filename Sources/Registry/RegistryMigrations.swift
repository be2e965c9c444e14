import Storage

/// The registry's tables: divisions, institutions with catchments, and the master patient index.
public enum RegistryMigrations {
    /// The migrations of the Registry target, in order.
    public static let all: [Migration] = [
        Migration(id: "0200_registry") { sql in
            [
                """
                CREATE TABLE registry_division (code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL,
                    parent_code TEXT, population BIGINT, area_km2 \(sql.double))
                """,
                "CREATE INDEX registry_division_parent ON registry_division (parent_code)",
                """
                CREATE TABLE registry_institution (id TEXT PRIMARY KEY, name TEXT NOT NULL, short_name TEXT, type TEXT NOT NULL,
                    level TEXT, district_code TEXT NOT NULL REFERENCES registry_division (code), parent_id TEXT, roles TEXT NOT NULL, source TEXT)
                """,
                "CREATE INDEX registry_institution_district ON registry_institution (district_code, type)",
                """
                CREATE TABLE registry_catchment (institution_id TEXT NOT NULL REFERENCES registry_institution (id),
                    division_code TEXT NOT NULL REFERENCES registry_division (code), PRIMARY KEY (institution_id, division_code))
                """,
                """
                CREATE TABLE mpi_person (patient_id TEXT PRIMARY KEY, id_number TEXT, full_name TEXT, birth_date TEXT,
                    gender TEXT, phone TEXT, active SMALLINT NOT NULL, merged_into TEXT)
                """,
                "CREATE INDEX mpi_person_id_number ON mpi_person (id_number)",
                "CREATE INDEX mpi_person_name_birth ON mpi_person (full_name, birth_date)",
                "CREATE INDEX mpi_person_phone ON mpi_person (phone)",
                """
                CREATE TABLE mpi_merge_event (id \(sql.autoIncrementPrimaryKey), source_id TEXT NOT NULL, target_id TEXT NOT NULL,
                    merged_at TEXT NOT NULL, reason TEXT, source_before TEXT NOT NULL, target_before TEXT NOT NULL, undone_at TEXT)
                """,
            ]
        },
        // Field protection: the index keeps keyed hashes of ID numbers and phones, never the values
        // (the hashes are filled in by the re-sealing that runs when the platform opens).
        Migration(id: "0201_mpi_hashes") { _ in
            [
                "ALTER TABLE mpi_person RENAME COLUMN id_number TO id_number_hash",
                "ALTER TABLE mpi_person RENAME COLUMN phone TO phone_hash",
            ]
        },
        // The resident directory (居民名录) the domains count over; kept by the `ResidentDirectory` hook.
        Migration(id: "0202_resident_directory") { _ in
            [
                """
                CREATE TABLE registry_resident (patient_id TEXT PRIMARY KEY, district TEXT, subdistrict TEXT, organization_id TEXT,
                    birth_date TEXT, gender TEXT, household TEXT, active SMALLINT NOT NULL)
                """,
                "CREATE INDEX registry_resident_subdistrict ON registry_resident (district, subdistrict)",
                "CREATE INDEX registry_resident_organization ON registry_resident (organization_id)",
            ]
        },
        // The family doctor (the first Practitioner of Patient.generalPractitioner), for breakdowns by doctor;
        // filled from the stored Patients for databases that predate it.
        Migration(id: "0203_resident_practitioner") { sql in
            let first: (Int) -> String = { index in
                switch sql.engine {
                case .sqlite: "json_extract(r.content, '$.generalPractitioner[\(index)].reference')"
                case .postgres: "(CAST(r.content AS jsonb)->'generalPractitioner'->\(index)->>'reference')"
                }
            }
            let pick = "CASE WHEN \(first(0)) LIKE 'Practitioner/%' THEN substr(\(first(0)), 14) WHEN \(first(1)) LIKE 'Practitioner/%' THEN substr(\(first(1)), 14) END"
            return [
                "ALTER TABLE registry_resident ADD COLUMN practitioner_id TEXT",
                """
                UPDATE registry_resident SET practitioner_id = (SELECT \(pick) FROM fhir_resource r
                    WHERE r.res_type = 'Patient' AND r.res_id = registry_resident.patient_id AND r.deleted = 0)
                """,
                "CREATE INDEX registry_resident_practitioner ON registry_resident (practitioner_id)",
            ]
        },
        // Geography for the 15-minute health service circle (see `RegistryService+Geography`): a district's
        // 街道 boundaries (GeoJSON geometry text), service points and residential sites (in the order loaded),
        // replaced as a whole.
        Migration(id: "0204_registry_geography") { sql in
            [
                """
                CREATE TABLE registry_geo_load (district TEXT PRIMARY KEY, loaded_at TEXT NOT NULL, loaded_by TEXT NOT NULL,
                    synthetic SMALLINT NOT NULL, source TEXT)
                """,
                """
                CREATE TABLE registry_geo_subdistrict (code TEXT PRIMARY KEY, district TEXT NOT NULL, geometry TEXT NOT NULL,
                    area_m2 \(sql.double) NOT NULL)
                """,
                "CREATE INDEX registry_geo_subdistrict_district ON registry_geo_subdistrict (district)",
                """
                CREATE TABLE registry_geo_service_point (district TEXT NOT NULL, id TEXT NOT NULL, ordinal INTEGER NOT NULL, institution_id TEXT NOT NULL,
                    type TEXT NOT NULL, name TEXT, longitude \(sql.double) NOT NULL, latitude \(sql.double) NOT NULL, PRIMARY KEY (district, id))
                """,
                """
                CREATE TABLE registry_geo_site (district TEXT NOT NULL, id TEXT NOT NULL, ordinal INTEGER NOT NULL, subdistrict TEXT NOT NULL, name TEXT,
                    residents BIGINT NOT NULL, longitude \(sql.double) NOT NULL, latitude \(sql.double) NOT NULL, PRIMARY KEY (district, id))
                """,
            ]
        },
        // The visit register (``VisitRegister``): one row per Encounter, filled from the stored Encounters for
        // databases that predate it.
        Migration(id: "0205_registry_visit") { sql in
            let field: (String) -> String = { path in
                switch sql.engine {
                case .sqlite: "json_extract(r.content, '$.\(path)')"
                case .postgres: "(CAST(r.content AS jsonb)#>>'{\(path.replacingOccurrences(of: ".", with: ","))}')"
                }
            }
            let subject = field("subject.reference"), provider = field("serviceProvider.reference"), start = field("period.start")
            return [
                """
                CREATE TABLE registry_visit (encounter_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, organization_id TEXT NOT NULL, community SMALLINT NOT NULL,
                    visit_class TEXT NOT NULL, day TEXT NOT NULL)
                """,
                "CREATE INDEX registry_visit_patient ON registry_visit (patient_id, day)",
                "CREATE INDEX registry_visit_day ON registry_visit (day)",
                """
                INSERT INTO registry_visit (encounter_id, patient_id, organization_id, community, visit_class, day)
                SELECT r.res_id, substr(\(subject), 9), substr(\(provider), 14),
                    CASE WHEN i.type IN ('chc', 'chc-branch', 'station', 'village-clinic') THEN 1 ELSE 0 END,
                    COALESCE(\(field("class.code")), 'AMB'), substr(\(start), 1, 10)
                FROM fhir_resource r LEFT JOIN registry_institution i ON i.id = substr(\(provider), 14)
                WHERE r.res_type = 'Encounter' AND r.deleted = 0 AND \(subject) LIKE 'Patient/%' AND \(provider) LIKE 'Organization/%'
                    AND length(\(start)) >= 10 AND COALESCE(\(field("status")), '') NOT IN ('planned', 'cancelled', 'entered-in-error')
                """,
            ]
        },
        // The household members of a resident (the portal's 家庭成员).
        Migration(id: "0206_resident_household") { _ in
            ["CREATE INDEX registry_resident_household ON registry_resident (household)"]
        },
        // Return visits (复诊) in the visit register: an Encounter the EMR typed as a follow-up visit (SNOMED CT
        // 185389009, ``VisitRegister/followUpCode``), filled for the stored Encounters from their `type` index rows.
        Migration(id: "0207_registry_visit_follow_up") { _ in
            [
                "ALTER TABLE registry_visit ADD COLUMN follow_up SMALLINT NOT NULL DEFAULT 0",
                """
                UPDATE registry_visit SET follow_up = 1 WHERE encounter_id IN (
                    SELECT r.res_id FROM fhir_resource r JOIN fhir_idx_token t ON t.res_key = r.res_key JOIN fhir_search_param p ON p.param_key = t.param_key
                    WHERE r.res_type = 'Encounter' AND r.deleted = 0 AND p.res_type = 'Encounter' AND p.name = 'type'
                        AND t.code = '\(VisitRegister.followUpCode)' AND t.system = '\(VisitRegister.followUpSystem)')
                """,
            ]
        },
    ]
}
