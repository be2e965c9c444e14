import FHIR
import Foundation
import Registry

/// How the Referral target shows in FHIR: Schedule and Slot for the published sessions, Appointment for a
/// booking, ServiceRequest and Task for a referral, Communication for the discharge summary sent back, and
/// CarePlan for a down-referral's care plan.
enum ReferralResources {
    static let departmentSystem = "https://weijian.health/CodeSystem/department"
    static let poolSystem = "https://weijian.health/CodeSystem/slot-pool"
    static let referralSystem = "https://weijian.health/sid/referral"

    static func reference(_ text: String) -> JSONValue { .object(["reference": .string(text)]) }
    static func text(_ text: String) -> JSONValue { .object(["text": .string(text)]) }
    static func department(_ code: String) -> JSONValue {
        .object(["coding": .array([.object(["system": .string(departmentSystem), "code": .string(code), "display": .string(Department.name(code))])]),
                 "text": .string(Department.name(code))])
    }

    /// A hospital department as a participant: by identifier and display (R4 allows no Organization there).
    static func departmentActor(_ organization: String, _ code: String) -> JSONValue {
        let hospital = Catalog.institutions.first { $0.id == organization }?.name ?? organization
        return .object(["identifier": .object(["system": .string(departmentSystem), "value": .string("\(organization)/\(code)")]),
                        "display": .string("\(hospital) \(Department.name(code))")])
    }

    static func schedule(id: String, plan: SchedulePlan, service: ScheduleService) -> JSONValue {
        // Schedule.actor cannot name an Organization: the department is named by display and identifier.
        var actors: [JSONValue] = [departmentActor(plan.organization, plan.department)]
        if let practitioner = plan.practitioner { actors.append(reference("Practitioner/\(practitioner)")) }
        return .object([
            "resourceType": .string("Schedule"), "id": .string(id), "active": .bool(true),
            "serviceType": .array([text(service == .inpatient ? "住院床位" : "门诊")]),
            "specialty": .array([department(plan.department)]),
            "actor": .array(actors),
            "planningHorizon": .object(["start": .string(plan.day), "end": .string(plan.day)]),
            "comment": .string(service == .inpatient ? "住院床位（家庭医生预留）" : "分时段预约"),
        ])
    }

    static func slot(id: String, schedule: String, department code: String, startMillis: Int64, endMillis: Int64, pool: String, busy: Bool) -> JSONValue {
        .object([
            "resourceType": .string("Slot"), "id": .string(id),
            "schedule": reference("Schedule/\(schedule)"),
            "specialty": .array([department(code)]),
            "serviceCategory": .array([.object(["coding": .array([.object(["system": .string(poolSystem), "code": .string(pool),
                                                                           "display": .string(pool == "reserved" ? "社区预留" : "公众号源")])])])]),
            "status": .string(busy ? "busy" : "free"),
            "start": .string(SlotTime.text(startMillis)), "end": .string(SlotTime.text(endMillis)),
        ])
    }

    static func appointment(_ appointment: Appointment, startMillis: Int64, endMillis: Int64, referral: Referral?) -> JSONValue {
        let status = ["booked": "booked", "cancelled": "cancelled", "rescheduled": "cancelled", "fulfilled": "fulfilled", "noshow": "noshow"][appointment.status] ?? "booked"
        var resource: [String: JSONValue] = [
            "resourceType": .string("Appointment"), "id": .string(appointment.id), "status": .string(status),
            "specialty": .array([department(appointment.department)]),
            "slot": .array([reference("Slot/\(appointment.slot)")]),
            "start": .string(SlotTime.text(startMillis)), "end": .string(SlotTime.text(endMillis)),
            "participant": .array([
                .object(["actor": reference("Patient/\(appointment.patient)"), "status": .string("accepted")]),
                .object(["actor": departmentActor(appointment.organization, appointment.department), "status": .string("accepted")]),
            ]),
            "comment": .string(["family-doctor": "家庭医生预约", "resident": "居民自助预约", "referral": "转诊预约", "waitlist": "候补预约"][appointment.channel] ?? appointment.channel),
        ]
        if appointment.status == "rescheduled" { resource["cancelationReason"] = text("改约") }
        if let referral { resource["basedOn"] = .array([reference("ServiceRequest/\(referral.serviceRequestID)")]) }
        return .object(resource)
    }

    static func serviceRequest(_ referral: Referral) -> JSONValue {
        let status: String = switch referral.status {
        case "completed": "completed"
        case "declined", "cancelled": "revoked"
        default: "active"
        }
        var resource: [String: JSONValue] = [
            "resourceType": .string("ServiceRequest"), "id": .string(referral.serviceRequestID),
            "identifier": .array([.object(["system": .string(referralSystem), "value": .string(referral.id)])]),
            "status": .string(status), "intent": .string("order"),
            "category": .array([.object(["coding": .array([.object(["system": .string("http://snomed.info/sct"), "code": .string("3457005"), "display": .string("Patient referral")])]),
                                         "text": .string("转诊")])]),
            "code": text(referral.direction == "up" ? "上转：\(Department.name(referral.department))" : "下转：社区康复与随访"),
            "subject": reference("Patient/\(referral.patient)"),
            "authoredOn": .string(referral.requestedAt),
            "requester": reference("Practitioner/\(referral.fromPractitioner)"),
            "performer": .array([reference("Organization/\(referral.toOrganization)")]),
            "note": .array([.object(["text": .string(referral.reason)])]),
        ]
        if let code = referral.diagnosisCode {
            resource["reasonCode"] = .array([.object(["coding": .array([.object(["system": .string("http://hl7.org/fhir/sid/icd-10"), "code": .string(code)])]),
                                                      "text": .string(referral.diagnosisText ?? code)])])
        } else if let text = referral.diagnosisText {
            resource["reasonCode"] = .array([Self.text(text)])
        }
        if !referral.records.isEmpty { resource["supportingInfo"] = .array(referral.records.map(reference)) }
        if referral.carePlan != nil { resource["basedOn"] = .array([reference("CarePlan/\(referral.carePlanID)")]) }
        return .object(resource)
    }

    static func task(_ referral: Referral, lastModified: String) -> JSONValue {
        let status: String = switch referral.status {
        case "requested": "requested"
        case "accepted": "accepted"
        case "booked", "visited": "in-progress"
        case "completed": "completed"
        case "declined": "rejected"
        default: "cancelled"
        }
        var resource: [String: JSONValue] = [
            "resourceType": .string("Task"), "id": .string(referral.taskID), "status": .string(status), "intent": .string("order"),
            "businessStatus": text(Referral.label(referral.status)),
            "code": text(referral.direction == "up" ? "转诊接收（上转）" : "转诊接收（下转）"),
            "focus": reference("ServiceRequest/\(referral.serviceRequestID)"),
            "for": reference("Patient/\(referral.patient)"),
            "authoredOn": .string(referral.requestedAt), "lastModified": .string(lastModified),
            "requester": reference("Practitioner/\(referral.fromPractitioner)"),
            "owner": reference("Organization/\(referral.toOrganization)"),
        ]
        if let reason = referral.declineReason { resource["statusReason"] = text(reason) }
        if let summary = referral.summary {
            resource["output"] = .array([.object(["type": text("出院小结"), "valueString": .string(summary)])])
        }
        return .object(resource)
    }

    /// The discharge summary (出院小结) or down-referral feedback, sent to the family doctor.
    static func summary(_ referral: Referral, sender: String, sent: String) -> JSONValue {
        var resource: [String: JSONValue] = [
            "resourceType": .string("Communication"), "id": .string(referral.summaryID), "status": .string("completed"),
            "category": .array([text(referral.direction == "up" ? "出院小结" : "下转反馈")]),
            "subject": reference("Patient/\(referral.patient)"),
            "basedOn": .array([reference("ServiceRequest/\(referral.serviceRequestID)")]),
            "sent": .string(sent), "sender": reference("Practitioner/\(sender)"),
            "payload": .array([.object(["contentString": .string(referral.summary ?? "")])]),
        ]
        if let doctor = referral.familyDoctor { resource["recipient"] = .array([reference("Practitioner/\(doctor)")]) }
        return .object(resource)
    }

    /// The task in the family doctor's worklist: read the feedback (转诊反馈).
    static func feedbackTask(_ referral: Referral, doctor: String, sent: String) -> JSONValue {
        let heading = referral.direction == "up" ? "转诊反馈：\(Department.name(referral.department))出院小结" : "下转反馈"
        return .object([
            "resourceType": .string("Task"), "id": .string(referral.feedbackTaskID), "status": .string("requested"), "intent": .string("order"),
            "code": text(heading), "description": .string(referral.summary ?? ""),
            "focus": reference("Communication/\(referral.summaryID)"),
            "basedOn": .array([reference("ServiceRequest/\(referral.serviceRequestID)")]),
            "for": reference("Patient/\(referral.patient)"),
            "authoredOn": .string(sent), "lastModified": .string(sent),
            "owner": reference("Practitioner/\(doctor)"),
        ])
    }

    static func carePlan(_ referral: Referral) -> JSONValue {
        .object([
            "resourceType": .string("CarePlan"), "id": .string(referral.carePlanID), "status": .string("active"), "intent": .string("plan"),
            "title": .string("下转社区康复方案"), "description": .string(referral.carePlan ?? ""),
            "subject": reference("Patient/\(referral.patient)"),
            "created": .string(referral.requestedAt),
            "author": reference("Practitioner/\(referral.fromPractitioner)"),
        ])
    }
}
