import FHIR
import Foundation
import SQLKit
import Storage

/// The specialist's part of a shared plan (全专结合): control targets, the medication plan and the next
/// specialist review, posted by a hospital clinician for a resident the community manages.
public struct CoManagementPlan: Sendable, Codable, Equatable {
    public var patient: String
    public var programme: String
    /// Individual control targets (控制目标), e.g. 130/80 mmHg for a resident with diabetes.
    public var targetSystolic: Int?
    public var targetDiastolic: Int?
    public var targetGlucose: Double?
    /// The medication plan (用药方案) the community continues.
    public var medication: String
    /// The next specialist review (专科复诊), YYYY-MM-DD, today or later.
    public var reviewOn: String
    public var note: String?

    public init(patient: String, programme: String, targetSystolic: Int? = nil, targetDiastolic: Int? = nil, targetGlucose: Double? = nil,
                medication: String, reviewOn: String, note: String? = nil) {
        self.patient = patient
        self.programme = programme
        self.targetSystolic = targetSystolic
        self.targetDiastolic = targetDiastolic
        self.targetGlucose = targetGlucose
        self.medication = medication
        self.reviewOn = reviewOn
        self.note = note
    }

    /// The problems with the plan, empty when it can be stored.
    public func problems(today: String) -> [OutcomeIssue] {
        var issues: [OutcomeIssue] = []
        func add(_ field: String, _ text: String) { issues.append(OutcomeIssue(code: "value", diagnostics: text, expression: field)) }
        if !["hypertension", "type2-diabetes"].contains(programme) { add("programme", "programme 须为 hypertension 或 type2-diabetes") }
        if let s = targetSystolic, !(100...160).contains(s) { add("targetSystolic", "收缩压目标 \(s) mmHg 不在 100–160 之间") }
        if let d = targetDiastolic, !(60...100).contains(d) { add("targetDiastolic", "舒张压目标 \(d) mmHg 不在 60–100 之间") }
        if (targetSystolic == nil) != (targetDiastolic == nil) { add("targetSystolic", "血压目标须同时填写收缩压和舒张压") }
        if let g = targetGlucose, !(4.0...10.0).contains(g) { add("targetGlucose", "空腹血糖目标 \(g) mmol/L 不在 4.0–10.0 之间") }
        if medication.trimmingCharacters(in: .whitespaces).isEmpty { add("medication", "请填写用药方案") }
        if medication.count > 500 || (note?.count ?? 0) > 500 { add("medication", "内容不超过 500 字") }
        if !CalendarDay.isValid(reviewOn) { add("reviewOn", "专科复诊日期须为 YYYY-MM-DD") } else if reviewOn < today { add("reviewOn", "专科复诊日期 \(reviewOn) 已过") }
        return issues
    }
}

/// A resident's shared plan as the API shows it.
public struct CoManagementSummary: Sendable, Codable, Equatable {
    public var patient: String
    public var programme: String
    /// The FHIR CarePlan holding both parts.
    public var carePlan: String
    public var specialist: String
    public var organization: String
    /// Community follow-ups recorded on the plan (CarePlan.activity.outcomeReference).
    public var followUps: Int
}

/// The shared CarePlan: one FHIR CarePlan per resident and programme, the specialist's review as one
/// activity and the community's follow-ups as the other, each follow-up Encounter added to it as an outcome.
enum CoManagement {
    static let programmeSystem = "https://weijian.health/CodeSystem/chronic-programme"
    /// The code system of the plan's two activities: `specialist-review` (专科复诊) and `community-follow-up` (社区随访).
    static let activitySystem = "https://weijian.health/CodeSystem/co-management-activity"

    static func activityCode(_ code: String, _ text: String) -> JSONValue {
        .object(["coding": .array([.object(["system": .string(activitySystem), "code": .string(code), "display": .string(text)])]), "text": .string(text)])
    }

    /// Whether an activity is the community's follow-ups.
    static func isCommunity(_ activity: JSONValue) -> Bool {
        activity["detail"]?["code"]?["coding"]?.arrayValue?.contains { $0["system"]?.stringValue == activitySystem && $0["code"]?.stringValue == "community-follow-up" } == true
    }

    /// Adds a follow-up Encounter to the resident's shared plan, if there is one.
    static func recordFollowUp(writer: FHIRWriter, patient: String, programme: String, encounter: String) async throws {
        guard let row = try await writer.sql.raw("""
            SELECT careplan_id FROM chronic_careplan WHERE patient_id = \(bind: patient) AND programme = \(bind: programme)
            """).first() else { return }
        let id = try row.decode(column: "careplan_id", as: String.self)
        guard let plan = try await writer.read(type: "CarePlan", id: id), case .object(var fields) = plan else { return }
        var activities = fields["activity"]?.arrayValue ?? []
        for index in activities.indices where isCommunity(activities[index]) {
            guard case .object(var activity) = activities[index] else { continue }
            activity["outcomeReference"] = .array((activity["outcomeReference"]?.arrayValue ?? []) + [.object(["reference": .string("Encounter/\(encounter)")])])
            activities[index] = .object(activity)
        }
        fields["activity"] = .array(activities)
        _ = try await writer.update(.object(fields), type: "CarePlan", id: id, ifMatch: nil)
    }

    static func followUps(in plan: JSONValue) -> Int {
        (plan["activity"]?.arrayValue ?? []).filter(isCommunity).reduce(0) { $0 + ($1["outcomeReference"]?.arrayValue?.count ?? 0) }
    }
}

extension ChronicService {
    /// Writes (or revises) the shared plan of a resident and programme: the specialist's targets, medication
    /// and review, and the community's follow-up every programme interval by the resident's family doctor.
    /// The resident must be a confirmed enrolment. Earlier community follow-ups stay on the revised plan.
    public func coManage(_ plan: CoManagementPlan, specialist: String, organization: String, today: String = CalendarDay.today()) async throws -> CoManagementSummary {
        let problems = plan.problems(today: today)
        guard problems.isEmpty else { throw FHIRError.unprocessable(problems) }
        return try await store.write { writer in
            guard FHIRID.isValid(plan.patient), let resident = try await writer.read(type: "Patient", id: plan.patient) else {
                throw FHIRError.notFound("居民 Patient/\(plan.patient) 不存在")
            }
            guard let programme = try await writer.sql.raw("""
                SELECT p.name, p.follow_up_days FROM chronic_enrolment e JOIN chronic_programme p ON p.code = e.programme
                WHERE e.patient_id = \(bind: plan.patient) AND e.programme = \(bind: plan.programme) AND e.status = 'confirmed'
                """).first() else {
                throw FHIRError.conflict("该居民未确诊登记于 \(plan.programme) 管理：请先由家庭医生确认登记")
            }
            let name = try programme.decode(column: "name", as: String.self)
            let interval = try programme.decode(column: "follow_up_days", as: Int.self)
            let familyDoctor = (resident["generalPractitioner"]?.arrayValue ?? []).compactMap { $0["reference"]?.stringValue }.first { $0.hasPrefix("Practitioner/") }
            let existing = try await writer.sql.raw("""
                SELECT careplan_id FROM chronic_careplan WHERE patient_id = \(bind: plan.patient) AND programme = \(bind: plan.programme)
                """).first().map { try $0.decode(column: "careplan_id", as: String.self) }
            let id = existing ?? (RecordID.make("cp"))
            var earlier: JSONValue?
            if let existing { earlier = try await writer.read(type: "CarePlan", id: existing) }
            let outcomes = (earlier?["activity"]?.arrayValue ?? []).first(where: CoManagement.isCommunity)?["outcomeReference"]
            var targets: [String] = []
            if let s = plan.targetSystolic, let d = plan.targetDiastolic { targets.append("血压 < \(s)/\(d) mmHg") }
            if let g = plan.targetGlucose { targets.append("空腹血糖 < \(g) mmol/L") }
            let specialistReference: JSONValue = .object(["reference": .string("Practitioner/\(specialist)")])
            var community: [String: JSONValue] = [
                "kind": .string("Appointment"), "code": CoManagement.activityCode("community-follow-up", "社区随访"), "status": .string("in-progress"),
                "scheduledTiming": .object(["repeat": .object(["frequency": .integer(1), "period": .integer(Int64(interval)), "periodUnit": .string("d")])]),
                "description": .string("家庭医生每 \(interval) 天随访，按专科用药方案执行：\(plan.medication)"),
            ]
            if let familyDoctor { community["performer"] = .array([.object(["reference": .string(familyDoctor)])]) }
            var communityActivity: [String: JSONValue] = ["detail": .object(community)]
            if let outcomes { communityActivity["outcomeReference"] = outcomes }
            var contributors = [specialistReference]
            if let familyDoctor { contributors.append(.object(["reference": .string(familyDoctor)])) }
            var resource: [String: JSONValue] = [
                "resourceType": .string("CarePlan"), "id": .string(id), "status": .string("active"), "intent": .string("plan"),
                "category": .array([.object(["coding": .array([.object(["system": .string(CoManagement.programmeSystem), "code": .string(plan.programme), "display": .string(name)])])])]),
                "title": .string("\(name)全专结合管理计划"),
                "description": .string(targets.isEmpty ? "用药方案：\(plan.medication)" : "控制目标：" + targets.joined(separator: "，") + "；用药方案：\(plan.medication)"),
                "subject": .object(["reference": .string("Patient/\(plan.patient)")]),
                "period": .object(["start": .string(earlier?["period"]?["start"]?.stringValue ?? today)]),
                "created": .string(earlier?["created"]?.stringValue ?? ISO8601Timestamp.now()),
                "author": specialistReference, "contributor": .array(contributors),
                "activity": .array([
                    .object(["detail": .object([
                        "kind": .string("Appointment"), "code": CoManagement.activityCode("specialist-review", "专科复诊"), "status": .string("scheduled"),
                        "scheduledPeriod": .object(["start": .string(plan.reviewOn)]),
                        "performer": .array([specialistReference, .object(["reference": .string("Organization/\(organization)")])]),
                        "description": .string("专科复诊，调整用药"),
                    ])]),
                    .object(communityActivity),
                ]),
            ]
            if let note = plan.note, !note.isEmpty { resource["note"] = .array([.object(["text": .string(note)])]) }
            _ = try await writer.update(.object(resource), type: "CarePlan", id: id, ifMatch: nil)
            try await writer.sql.raw("""
                INSERT INTO chronic_careplan (patient_id, programme, careplan_id, specialist, organization, created_on)
                VALUES (\(bind: plan.patient), \(bind: plan.programme), \(bind: id), \(bind: specialist), \(bind: organization), \(bind: today))
                ON CONFLICT (patient_id, programme) DO UPDATE SET specialist = excluded.specialist, organization = excluded.organization
                """).run()
            return CoManagementSummary(patient: plan.patient, programme: plan.programme, carePlan: id, specialist: specialist, organization: organization,
                                       followUps: outcomes?.arrayValue?.count ?? 0)
        }
    }

    /// The shared plans of the given residents.
    public func coManagement(patients: [String]) async throws -> [CoManagementSummary] {
        var plans: [CoManagementSummary] = []
        for patient in patients {
            let rows = try await database.read { sql in
                try await sql.raw("SELECT * FROM chronic_careplan WHERE patient_id = \(bind: patient) ORDER BY programme").all().map {
                    (programme: try $0.decode(column: "programme", as: String.self), id: try $0.decode(column: "careplan_id", as: String.self),
                     specialist: try $0.decode(column: "specialist", as: String.self), organization: try $0.decode(column: "organization", as: String.self))
                }
            }
            for row in rows {
                let plan = try await store.read(type: "CarePlan", id: row.id).map { try JSONValue.parse(Data($0.content.utf8)) }
                plans.append(CoManagementSummary(patient: patient, programme: row.programme, carePlan: row.id, specialist: row.specialist,
                                                 organization: row.organization, followUps: plan.map(CoManagement.followUps) ?? 0))
            }
        }
        return plans
    }

    /// Suggests a referral for a resident uncontrolled at two follow-ups in a row (the escalation rule of
    /// 全专结合): a FHIR ServiceRequest (category referral, intent `proposal`, status `draft`) for the referral
    /// module to take up, addressed to the specialist's hospital when there is a shared plan. Refused (409)
    /// when the rule does not hold or a referral was suggested within 90 days. Returns the ServiceRequest id.
    public func suggestReferral(patient: String, programme: String, practitioner: String, today: String = CalendarDay.today()) async throws -> String {
        try await store.write { writer in
            guard let row = try await writer.sql.raw("""
                SELECT e.uncontrolled_streak, p.name FROM chronic_enrolment e JOIN chronic_programme p ON p.code = e.programme
                WHERE e.patient_id = \(bind: patient) AND e.programme = \(bind: programme) AND e.status = 'confirmed'
                """).first() else {
                throw FHIRError.notFound("没有该居民的 \(programme) 确诊登记")
            }
            guard try row.decode(column: "uncontrolled_streak", as: Int.self) >= 2 else {
                throw FHIRError.conflict("未达到转诊建议条件：须连续两次随访未控制 (not uncontrolled at two follow-ups in a row)")
            }
            if let earlier = try await writer.sql.raw("""
                SELECT service_request_id, suggested_on FROM chronic_referral_suggestion WHERE patient_id = \(bind: patient) AND programme = \(bind: programme)
                    AND suggested_on >= \(bind: CalendarDay.shift(today, days: -90)) ORDER BY suggested_on DESC
                """).first() {
                throw FHIRError.conflict("已于 \(try earlier.decode(column: "suggested_on", as: String.self)) 建议转诊（ServiceRequest/\(try earlier.decode(column: "service_request_id", as: String.self))）")
            }
            let name = try row.decode(column: "name", as: String.self)
            let plan = try await writer.sql.raw("""
                SELECT careplan_id, organization FROM chronic_careplan WHERE patient_id = \(bind: patient) AND programme = \(bind: programme)
                """).first()
            var resource: [String: JSONValue] = [
                "resourceType": .string("ServiceRequest"), "status": .string("draft"), "intent": .string("proposal"),
                "category": .array([.object(["coding": .array([.object(["system": .string("http://snomed.info/sct"), "code": .string("3457005"), "display": .string("Patient referral")])]),
                                             "text": .string("转诊")])]),
                "code": .object(["text": .string("上转专科（\(name)）")]),
                "subject": .object(["reference": .string("Patient/\(patient)")]),
                "requester": .object(["reference": .string("Practitioner/\(practitioner)")]),
                "authoredOn": .string(ISO8601Timestamp.now()),
                "reasonCode": .array([.object(["text": .string("\(name)连续两次随访未控制，建议专科就诊调整治疗（全专结合）")])]),
            ]
            if let plan {
                resource["basedOn"] = .array([.object(["reference": .string("CarePlan/\(try plan.decode(column: "careplan_id", as: String.self))")])])
                resource["performer"] = .array([.object(["reference": .string("Organization/\(try plan.decode(column: "organization", as: String.self))")])])
            }
            let stored = try await writer.create(.object(resource))
            try await writer.sql.raw("""
                INSERT INTO chronic_referral_suggestion (service_request_id, patient_id, programme, suggested_on, suggested_by)
                VALUES (\(bind: stored.id), \(bind: patient), \(bind: programme), \(bind: today), \(bind: practitioner))
                """).run()
            return stored.id
        }
    }

    /// The referrals suggested for the given residents within 90 days: patient|programme → ServiceRequest id.
    public func referralSuggestions(patients: [String], today: String = CalendarDay.today()) async throws -> [String: String] {
        try await database.read { sql in
            var found: [String: String] = [:]
            for slice in patients.chunked(500) {
                let chunk = Array(slice)
                for row in try await sql.raw("""
                    SELECT patient_id, programme, service_request_id FROM chronic_referral_suggestion
                    WHERE patient_id IN (\(binds: chunk)) AND suggested_on >= \(bind: CalendarDay.shift(today, days: -90)) ORDER BY suggested_on
                    """).all() {
                    found[try row.decode(column: "patient_id", as: String.self) + "|" + row.decode(column: "programme", as: String.self)] =
                        try row.decode(column: "service_request_id", as: String.self)
                }
            }
            return found
        }
    }
}
