import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// An enrolment in a chronic programme with its schedule (慢病登记管理).
public struct Enrolment: Sendable, Codable, Equatable {
    public var patient: String
    public var programme: String
    /// `confirmed`, `suspected` (from readings, for the doctor to confirm) or `dismissed`.
    public var status: String
    public var since: String
    public var lastFollowUp: String?
    public var nextDue: String?
    public var followUpsInYear: Int
    /// Whether the latest reading is controlled; nil before any reading.
    public var controlled: Bool?
    /// Latest readings in a row not controlled (0–2); 2 suggests a referral (全专结合 escalation).
    public var uncontrolledStreak: Int
}

/// Rates of a chronic programme for one area (by 街道, CHC or the district).
public struct ChronicRates: Sendable, Codable, Equatable {
    public var key: String
    public var label: String
    /// Confirmed enrolments (登记管理人数).
    public var registered: Int
    /// With at least four follow-ups in the year (规范管理).
    public var managed: Int
    /// Latest reading controlled (控制).
    public var controlled: Int
    /// Next follow-up overdue on the day.
    public var overdue: Int
    /// Percent, rounded down.
    public var managedPercent: Int
    public var controlledPercent: Int
    public var timelyPercent: Int
}

/// Chronic disease management: follow-ups, the worklist, confirmation of suspected cases, rates.
public struct ChronicService: Sendable {
    /// The FHIR store.
    public let store: FHIRStore
    /// The database.
    public var database: Database { store.database }

    public init(store: FHIRStore) {
        self.store = store
    }

    /// Records a follow-up: the readings and measurements as an Encounter and Observations in the record
    /// (the hook turns them into readings and recomputes the schedule), the form's details in
    /// `chronic_followup`; all in one transaction. Returns the enrolment after it.
    public func recordFollowUp(_ form: FollowUpForm, practitioner: String, organization: String, actor: String, today: String = CalendarDay.today()) async throws -> Enrolment {
        let problems = form.problems(today: today, checks: try await checkNames())
        guard problems.isEmpty else { throw FHIRError.unprocessable(problems) }
        return try await store.write { writer in
            guard FHIRID.isValid(form.patient), try await writer.read(type: "Patient", id: form.patient) != nil else {
                throw FHIRError.notFound("居民 Patient/\(form.patient) 不存在")
            }
            guard let row = try await writer.sql.raw("""
                SELECT status FROM chronic_enrolment WHERE patient_id = \(bind: form.patient) AND programme = \(bind: form.programme)
                """).first(), try row.decode(column: "status", as: String.self) != "dismissed" else {
                throw FHIRError.conflict("该居民未登记于 \(form.programme) 管理，不能登记随访 (not enrolled in this programme)")
            }
            let id = RecordID.make("fu")
            let time = form.date + "T10:00:00+08:00"
            let subject: JSONValue = .object(["reference": .string("Patient/\(form.patient)")])
            let encounterID = "\(id)-visit"
            _ = try await writer.create(.object([
                "resourceType": .string("Encounter"), "status": .string("finished"),
                "class": .object(["system": .string("http://terminology.hl7.org/CodeSystem/v3-ActCode"), "code": .string("AMB"), "display": .string("门诊")]),
                "type": .array([.object(["text": .string("慢病随访")])]),
                "subject": subject,
                "participant": .array([.object(["individual": .object(["reference": .string("Practitioner/\(practitioner)")])])]),
                "period": .object(["start": .string(time), "end": .string(time)]),
                "serviceProvider": .object(["reference": .string("Organization/\(organization)")]),
            ]), id: encounterID)
            func observation(_ suffix: String, code: String, display: String, value: JSONValue?, components: [JSONValue]? = nil) -> JSONValue {
                var resource: [String: JSONValue] = [
                    "resourceType": .string("Observation"), "status": .string("final"),
                    "category": .array([.object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/observation-category"), "code": .string("vital-signs")])])])]),
                    "code": .object(["coding": .array([.object(["system": .string("http://loinc.org"), "code": .string(code)])]), "text": .string(display)]),
                    "subject": subject, "encounter": .object(["reference": .string("Encounter/\(encounterID)")]), "effectiveDateTime": .string(time),
                ]
                if let value { resource["valueQuantity"] = value }
                if let components { resource["component"] = .array(components) }
                return .object(resource)
            }
            func quantity(_ value: Double, _ unit: String) -> JSONValue {
                .object(["value": value == value.rounded() ? .integer(Int64(value)) : .decimal(value), "unit": .string(unit), "system": .string("http://unitsofmeasure.org"), "code": .string(unit)])
            }
            if let systolic = form.systolic, let diastolic = form.diastolic {
                _ = try await writer.create(observation("bp", code: "85354-9", display: "血压", value: nil, components: [
                    .object(["code": .object(["coding": .array([.object(["system": .string("http://loinc.org"), "code": .string("8480-6")])]), "text": .string("收缩压")]), "valueQuantity": quantity(Double(systolic), "mm[Hg]")]),
                    .object(["code": .object(["coding": .array([.object(["system": .string("http://loinc.org"), "code": .string("8462-4")])]), "text": .string("舒张压")]), "valueQuantity": quantity(Double(diastolic), "mm[Hg]")]),
                ]))
            }
            if let glucose = form.fastingGlucose {
                _ = try await writer.create(observation("fpg", code: "1558-6", display: "空腹血糖", value: quantity(glucose, "mmol/L")))
            }
            if let weight = form.weight { _ = try await writer.create(observation("weight", code: "29463-7", display: "体重", value: quantity(weight, "kg"))) }
            if let bmi = form.bmi { _ = try await writer.create(observation("bmi", code: "39156-5", display: "体重指数", value: quantity(bmi, "kg/m2"))) }
            // 年度体检、并发症筛查 done at this visit: completed Procedures (the hook marks the checks done).
            let checkNames = try await ChronicCheck.all(sql: writer.sql)
            for check in Set(form.checks ?? []).sorted() {
                _ = try await writer.create(.object([
                    "resourceType": .string("Procedure"), "status": .string("completed"),
                    "code": .object(["coding": .array([.object(["system": .string(ChronicCheck.system), "code": .string(check), "display": .string(checkNames[check]?.name ?? check)])]),
                                     "text": .string(checkNames[check]?.name ?? check)]),
                    "subject": subject, "encounter": .object(["reference": .string("Encounter/\(encounterID)")]), "performedDateTime": .string(time),
                ]))
            }
            // The readings reach the hook when the writer flushes; flush now so the schedule below is current.
            try await writer.flush()
            try await writer.sql.raw("""
                INSERT INTO chronic_followup (id, patient_id, programme, taken_on, systolic, diastolic, fpg, weight, height, bmi, medication, adherence, lifestyle, recorded_by, encounter_id)
                VALUES (\(bind: id), \(bind: form.patient), \(bind: form.programme), \(bind: form.date), \(bind: form.systolic), \(bind: form.diastolic),
                    \(bind: form.fastingGlucose), \(bind: form.weight), \(bind: form.height), \(bind: form.bmi), \(bind: form.medication ?? ""),
                    \(bind: form.adherence ?? ""), \(bind: form.lifestyle ?? ""), \(bind: actor), \(bind: encounterID))
                """).run()
            try await ChronicSchedule.recompute(sql: writer.sql, engine: database.engine, day: today, patient: form.patient)
            try await CoManagement.recordFollowUp(writer: writer, patient: form.patient, programme: form.programme, encounter: encounterID)
            guard let enrolment = try await Self.enrolments(sql: writer.sql, patients: [form.patient]).first(where: { $0.programme == form.programme }) else {
                throw FHIRError(status: 500, code: "exception", "the enrolment disappeared")
            }
            return enrolment
        }
    }

    /// Confirms (确诊) or dismisses (排除) a suspected enrolment.
    public func decide(patient: String, programme: String, confirm: Bool) async throws -> Enrolment {
        try await store.write { writer in
            guard let row = try await writer.sql.raw("SELECT status FROM chronic_enrolment WHERE patient_id = \(bind: patient) AND programme = \(bind: programme)").first() else {
                throw FHIRError.notFound("没有该居民的 \(programme) 登记")
            }
            guard try row.decode(column: "status", as: String.self) == "suspected" else { throw FHIRError.conflict("只有疑似登记需要确认或排除") }
            try await writer.sql.raw("""
                UPDATE chronic_enrolment SET status = \(bind: confirm ? "confirmed" : "dismissed") WHERE patient_id = \(bind: patient) AND programme = \(bind: programme)
                """).run()
            guard let enrolment = try await Self.enrolments(sql: writer.sql, patients: [patient]).first(where: { $0.programme == programme }) else {
                throw FHIRError(status: 500, code: "exception", "the enrolment disappeared")
            }
            return enrolment
        }
    }

    /// The enrolments of the given residents.
    public func enrolments(patients: [String]) async throws -> [Enrolment] {
        try await database.read { try await Self.enrolments(sql: $0, patients: patients) }
    }

    static func enrolments(sql: any SQLDatabase, patients: [String]) async throws -> [Enrolment] {
        var found: [Enrolment] = []
        for slice in patients.chunked(500) {
            let chunk = Array(slice)
            for row in try await sql.raw("SELECT * FROM chronic_enrolment WHERE patient_id IN (\(binds: chunk)) ORDER BY patient_id, programme").all() {
                found.append(Enrolment(
                    patient: try row.decode(column: "patient_id", as: String.self), programme: try row.decode(column: "programme", as: String.self),
                    status: try row.decode(column: "status", as: String.self), since: try row.decode(column: "since", as: String.self),
                    lastFollowUp: try row.decode(column: "last_follow_up", as: String?.self), nextDue: try row.decode(column: "next_due", as: String?.self),
                    followUpsInYear: try row.decode(column: "follow_ups_year", as: Int.self),
                    controlled: try row.decode(column: "controlled", as: Int?.self).map { $0 != 0 },
                    uncontrolledStreak: try row.decode(column: "uncontrolled_streak", as: Int.self)
                ))
            }
        }
        return found
    }

    /// Recomputes every schedule and control status as of `day` (the nightly run; `weijian bench chronic`).
    public func recomputeAll(on day: String = CalendarDay.today()) async throws {
        try await database.write { sql in try await ChronicSchedule.recomputeAll(sql: sql, engine: database.engine, day: day) }
    }

    /// Registered, managed, controlled and overdue residents of a programme in a district, by 街道, CHC or
    /// family doctor (or the whole district), over the Registry's resident directory; `organization` narrows
    /// to one CHC's residents.
    public func rates(district: String, programme: String, by: String, organization: String? = nil, on day: String = CalendarDay.today()) async throws -> [ChronicRates] {
        let column: String
        switch by {
        case "subdistrict": column = "d.subdistrict"
        case "organization": column = "d.organization_id"
        case "practitioner": column = "d.practitioner_id"
        case "district": column = "d.district"
        case "sex": column = "d.gender"
        case "age": column = AgeGroup.birthYear("d")
        default: throw FHIRError.badRequest("by 须为 subdistrict、organization、practitioner、district、sex 或 age")
        }
        guard CalendarDay.isValid(day) else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        var rates = try await database.read { sql in
            guard try await sql.raw("SELECT code FROM chronic_programme WHERE code = \(bind: programme) AND reading IS NOT NULL").first() != nil else {
                throw FHIRError.notFound("没有随访管理项目 '\(programme)'（可选 hypertension、type2-diabetes）")
            }
            let only: SQLQueryString = organization.map { "AND d.organization_id = \(bind: $0)" } ?? ""
            let rows = try await sql.raw("""
                SELECT \(unsafeRaw: column) AS k, COUNT(*) AS registered,
                    SUM(CASE WHEN e.follow_ups_year >= 4 THEN 1 ELSE 0 END) AS managed,
                    SUM(CASE WHEN e.controlled = 1 THEN 1 ELSE 0 END) AS controlled,
                    SUM(CASE WHEN e.next_due < \(bind: day) THEN 1 ELSE 0 END) AS overdue
                FROM chronic_enrolment e JOIN registry_resident d ON d.patient_id = e.patient_id
                WHERE e.programme = \(bind: programme) AND e.status = 'confirmed' AND d.active = 1 AND d.district = \(bind: district) \(only)
                GROUP BY \(unsafeRaw: column) ORDER BY \(unsafeRaw: column)
                """).all()
            // Birth years fold into age groups; every other cut is one row per key.
            var counts: [String: (registered: Int, managed: Int, controlled: Int, overdue: Int)] = [:]
            var order: [String] = []
            for row in rows {
                var key = try row.decode(column: "k", as: String?.self) ?? ""
                if by == "age" { key = Int(key).map { AgeGroup.label(birthYear: $0, in: Int(day.prefix(4)) ?? 0) } ?? "" }
                if counts[key] == nil { order.append(key) }
                counts[key, default: (0, 0, 0, 0)].registered += try row.decode(column: "registered", as: Int.self)
                counts[key, default: (0, 0, 0, 0)].managed += try row.decode(column: "managed", as: Int?.self) ?? 0
                counts[key, default: (0, 0, 0, 0)].controlled += try row.decode(column: "controlled", as: Int?.self) ?? 0
                counts[key, default: (0, 0, 0, 0)].overdue += try row.decode(column: "overdue", as: Int?.self) ?? 0
            }
            if by == "age" { order = AgeGroup.groups.map(\.label).filter { counts[$0] != nil } + order.filter { $0.isEmpty } }
            return order.compactMap { key -> ChronicRates? in
                guard let (registered, managed, controlled, overdue) = counts[key] else { return nil }
                let label = switch by {
                case "sex": key == "male" ? "男" : key == "female" ? "女" : "未说明"
                case "age": key.isEmpty ? "未说明" : "\(key) 岁"
                default: Catalog.divisions.first { $0.code == key }?.name ?? Catalog.institutions.first { $0.id == key }?.name ?? key
                }
                func percent(_ part: Int) -> Int { registered == 0 ? 0 : part * 100 / registered }
                return ChronicRates(key: key, label: label, registered: registered, managed: managed, controlled: controlled, overdue: overdue,
                                    managedPercent: percent(managed), controlledPercent: percent(controlled), timelyPercent: percent(registered - overdue))
            }
        }
        if by == "practitioner" {
            // The doctors' names from the directory (Practitioner), not personal data.
            for index in rates.indices where FHIRID.isValid(rates[index].key) {
                if let stored = try await store.read(type: "Practitioner", id: rates[index].key), !stored.deleted,
                   let name = try JSONValue.parse(Data(stored.content.utf8))["name"]?.items.first?["text"]?.stringValue {
                    rates[index].label = name
                }
            }
        }
        return rates
    }
}
