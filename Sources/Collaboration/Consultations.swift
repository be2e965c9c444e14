public import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// A consultation (会诊): a family doctor or a hospital's clinician asks a hospital for a remote consultation
/// (远程会诊) or a multidisciplinary team (多学科会诊, MDT) about a resident, with materials from the record; the
/// hospital schedules it with its participants and writes the conclusion, which goes into the record (a FHIR
/// ClinicalImpression) and to the requester's worklist.
public struct Consultation: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    /// `remote` or `mdt`.
    public var kind: String
    public var patient: String
    public var requesterAccount: String
    public var requesterPractitioner: String?
    public var requesterInstitution: String
    public var targetInstitution: String
    public var question: String
    /// The specialties asked for (e.g. 心内科, 内分泌科).
    public var specialties: [String]
    /// References into the record (`Observation/…`, `Condition/…`, …), all the patient's.
    public var materials: [String]
    /// One of ``Consultations/statuses``.
    public var status: String
    public var scheduledAt: String?
    public var participants: [ConsultationParticipant]
    public var conclusion: String?
    public var declineReason: String?
    /// The FHIR resources: the request (ServiceRequest, which also gives the hospital's clinicians access to the
    /// record while it is active) and the conclusion (ClinicalImpression).
    public var serviceRequest: String
    public var clinicalImpression: String?
    public var requestedAt: String
    public var concludedAt: String?
    /// When the requester read the conclusion (their worklist shows it until then).
    public var acknowledgedAt: String?
}

/// A participant of a consultation: a named expert and their specialty.
public struct ConsultationParticipant: Sendable, Codable, Equatable {
    public var name: String
    public var specialty: String

    public init(name: String, specialty: String) {
        self.name = name
        self.specialty = specialty
    }
}

/// What a requester sends.
public struct ConsultationForm: Sendable, Codable, Equatable {
    public var kind: String
    public var patient: String
    public var targetInstitution: String
    public var question: String
    public var specialties: [String]
    public var materials: [String]?

    public init(kind: String, patient: String, targetInstitution: String, question: String, specialties: [String], materials: [String]? = nil) {
        self.kind = kind
        self.patient = patient
        self.targetInstitution = targetInstitution
        self.question = question
        self.specialties = specialties
        self.materials = materials
    }
}

/// 远程会诊与多学科会诊 (Collaboration target).
public struct Consultations: Sendable {
    public let store: FHIRStore
    public var database: Database { store.database }

    public init(store: FHIRStore) { self.store = store }

    public static let kinds = ["remote": "远程会诊", "mdt": "多学科会诊"]
    public static let statuses = ["requested": "待安排", "scheduled": "已安排", "completed": "已出具意见", "declined": "已拒绝", "cancelled": "已撤销"]
    /// The record's types a consultation may carry as materials.
    public static let materialTypes = ["Observation", "Condition", "DiagnosticReport", "ImagingStudy", "MedicationRequest", "Encounter", "Immunization", "ClinicalImpression"]
    public static let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child", "mental-health"]

    static func invalid(_ text: String, _ field: String) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: field)])
    }

    static func text(_ value: String?, field: String, label: String, max: Int) throws -> String {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw invalid("请填写\(label)", field) }
        guard trimmed.count <= max else { throw invalid("\(label)不超过 \(max) 字", field) }
        return trimmed
    }

    /// Asks for a consultation. 422 for an unknown kind, a target that is not a hospital of the catalogue or is the
    /// requester's own institution, no question or specialty (an MDT needs two), more than 20 materials or one that
    /// is not the patient's; 404 for an unknown resident. The caller has checked the requester may act for them.
    public func request(_ form: ConsultationForm, by actor: StaffActor, now: Date = Date()) async throws -> Consultation {
        guard let kindName = Self.kinds[form.kind] else { throw Self.invalid("kind 须为 remote（远程会诊）或 mdt（多学科会诊）", "kind") }
        guard let target = Catalog.institutions.first(where: { $0.id == form.targetInstitution }), Self.hospitalTypes.contains(target.type) else {
            throw Self.invalid("会诊医院 \(form.targetInstitution) 不在医院名录中", "targetInstitution")
        }
        guard target.id != actor.institution else { throw Self.invalid("不能邀请本机构会诊", "targetInstitution") }
        let question = try Self.text(form.question, field: "question", label: "会诊目的与问题", max: 2000)
        let specialties = form.specialties.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !specialties.isEmpty, specialties.count <= 10, specialties.allSatisfy({ $0.count <= 30 }) else {
            throw Self.invalid("请填写 1 至 10 个会诊专科（每个不超过 30 字）", "specialties")
        }
        guard form.kind != "mdt" || Set(specialties).count >= 2 else { throw Self.invalid("多学科会诊须邀请至少两个不同专科", "specialties") }
        let materials = form.materials ?? []
        guard materials.count <= 20 else { throw Self.invalid("至多附 20 条档案记录", "materials") }
        let district = Catalog.institutions.first { $0.id == actor.institution }?.district ?? target.district
        let id = RecordID.make("cs")
        let requestedAt = ISO8601Timestamp.format(now)
        return try await store.write { writer in
            guard FHIRID.isValid(form.patient), try await writer.read(type: "Patient", id: form.patient) != nil else {
                throw FHIRError.notFound("居民 Patient/\(form.patient) 不存在 (unknown resident)")
            }
            // The requester as a Practitioner when the directory has one (a reference must resolve), else their institution.
            let practitioner = try await Self.known(actor.practitioner, writer: writer)
            for link in materials {
                let parts = link.split(separator: "/").map(String.init)
                guard parts.count == 2, Self.materialTypes.contains(parts[0]), FHIRID.isValid(parts[1]),
                      let resource = try await writer.read(type: parts[0], id: parts[1]),
                      (resource["subject"] ?? resource["patient"])?["reference"]?.stringValue == "Patient/\(form.patient)" else {
                    throw Self.invalid("档案记录 '\(link)' 不存在或不属于该居民", "materials")
                }
            }
            let consultation = Consultation(id: id, district: district, kind: form.kind, patient: form.patient, requesterAccount: actor.account,
                                            requesterPractitioner: practitioner, requesterInstitution: actor.institution, targetInstitution: target.id,
                                            question: question, specialties: specialties, materials: materials, status: "requested", scheduledAt: nil, participants: [],
                                            conclusion: nil, declineReason: nil, serviceRequest: "\(id)-sr", clinicalImpression: nil, requestedAt: requestedAt,
                                            concludedAt: nil, acknowledgedAt: nil)
            try await writer.sql.raw("""
                INSERT INTO collab_consultation (id, district, kind, patient_id, requester_account, requester_practitioner, requester_institution, target_institution,
                    question, specialties, materials, status, participants, service_request, requested_at)
                VALUES (\(bind: id), \(bind: district), \(bind: form.kind), \(bind: form.patient), \(bind: actor.account), \(bind: practitioner),
                    \(bind: actor.institution), \(bind: target.id), \(bind: question), \(bind: Self.json(specialties)), \(bind: Self.json(materials)), 'requested', '[]',
                    \(bind: consultation.serviceRequest), \(bind: requestedAt))
                """).run()
            _ = try await writer.create(Self.serviceRequest(consultation, kindName: kindName, status: "active"), id: consultation.serviceRequest)
            return consultation
        }
    }

    /// The hospital schedules (or reschedules) a requested consultation: a time not in the past and its
    /// participants (an MDT at least two specialties). 404 unless the consultation is addressed to `actor`'s
    /// institution; 409 when it is no longer open.
    public func schedule(_ id: String, at time: String, participants: [ConsultationParticipant], by actor: StaffActor, now: Date = Date()) async throws -> Consultation {
        guard time.count > 10, let range = FHIRDateRange.parse(time) else { throw Self.invalid("会诊时间须为 YYYY-MM-DDThh:mm:ss+08:00", "scheduledAt") }
        guard range.low >= Int64((now.timeIntervalSince1970 - 300) * 1000) else { throw Self.invalid("会诊时间不能早于现在", "scheduledAt") }
        let people = participants.map { ConsultationParticipant(name: $0.name.trimmingCharacters(in: .whitespacesAndNewlines), specialty: $0.specialty.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard !people.isEmpty, people.count <= 20, people.allSatisfy({ !$0.name.isEmpty && $0.name.count <= 50 && !$0.specialty.isEmpty && $0.specialty.count <= 30 }) else {
            throw Self.invalid("请填写 1 至 20 位会诊专家的姓名和专科", "participants")
        }
        return try await store.write { writer in
            let consultation = try await Self.addressed(id, to: actor, sql: writer.sql)
            guard consultation.status == "requested" || consultation.status == "scheduled" else {
                throw FHIRError.conflict("会诊已\(Self.statuses[consultation.status] ?? consultation.status)，不能安排")
            }
            guard consultation.kind != "mdt" || Set(people.map(\.specialty)).count >= 2 else { throw Self.invalid("多学科会诊须有至少两个专科的专家参加", "participants") }
            try await writer.sql.raw("""
                UPDATE collab_consultation SET status = 'scheduled', scheduled_at = \(bind: time), participants = \(bind: Self.json(people)) WHERE id = \(bind: id)
                """).run()
            return try await Self.consultation(id, sql: writer.sql)
        }
    }

    /// The hospital writes the conclusion of a scheduled consultation: it goes into the record as a
    /// ClinicalImpression (with the question, the participants and the materials), the ServiceRequest is
    /// completed, and the requester's worklist shows it.
    public func conclude(_ id: String, conclusion: String, by actor: StaffActor, now: Date = Date()) async throws -> Consultation {
        let conclusion = try Self.text(conclusion, field: "conclusion", label: "会诊意见", max: 4000)
        return try await store.write { writer in
            var consultation = try await Self.addressed(id, to: actor, sql: writer.sql)
            guard consultation.status == "scheduled" else {
                throw FHIRError.conflict(consultation.status == "requested" ? "会诊尚未安排，不能出具意见" : "会诊已\(Self.statuses[consultation.status] ?? consultation.status)")
            }
            consultation.status = "completed"
            consultation.conclusion = conclusion
            consultation.concludedAt = ISO8601Timestamp.format(now)
            consultation.clinicalImpression = "\(id)-ci"
            _ = try await writer.create(Self.clinicalImpression(consultation, assessor: try await Self.known(actor.practitioner, writer: writer)), id: "\(id)-ci")
            _ = try await writer.update(Self.serviceRequest(consultation, kindName: Self.kinds[consultation.kind] ?? "", status: "completed"),
                                        type: "ServiceRequest", id: consultation.serviceRequest, ifMatch: nil)
            try await writer.sql.raw("""
                UPDATE collab_consultation SET status = 'completed', conclusion = \(bind: conclusion), concluded_at = \(bind: consultation.concludedAt),
                    concluded_by = \(bind: actor.account), clinical_impression = \(bind: consultation.clinicalImpression) WHERE id = \(bind: id)
                """).run()
            return consultation
        }
    }

    /// The hospital declines (with a reason), or the requester withdraws: the ServiceRequest is revoked.
    public func close(_ id: String, decline reason: String?, by actor: StaffActor, now: Date = Date()) async throws -> Consultation {
        let declining = reason != nil
        let text = try reason.map { try Self.text($0, field: "reason", label: "拒绝原因", max: 1000) }
        return try await store.write { writer in
            var consultation = declining ? try await Self.addressed(id, to: actor, sql: writer.sql) : try await Self.consultation(id, sql: writer.sql)
            guard declining || consultation.requesterAccount == actor.account else { throw FHIRError.notFound("没有会诊申请 \(id)") }
            guard consultation.status == "requested" || consultation.status == "scheduled" else {
                throw FHIRError.conflict("会诊已\(Self.statuses[consultation.status] ?? consultation.status)")
            }
            consultation.status = declining ? "declined" : "cancelled"
            consultation.declineReason = text
            _ = try await writer.update(Self.serviceRequest(consultation, kindName: Self.kinds[consultation.kind] ?? "", status: "revoked"),
                                        type: "ServiceRequest", id: consultation.serviceRequest, ifMatch: nil)
            try await writer.sql.raw("UPDATE collab_consultation SET status = \(bind: consultation.status), decline_reason = \(bind: text) WHERE id = \(bind: id)").run()
            return consultation
        }
    }

    /// The requester marks a conclusion read (it leaves their worklist).
    public func acknowledge(_ id: String, by actor: StaffActor, now: Date = Date()) async throws -> Consultation {
        try await store.write { writer in
            let consultation = try await Self.consultation(id, sql: writer.sql)
            guard consultation.requesterAccount == actor.account else { throw FHIRError.notFound("没有会诊申请 \(id)") }
            guard consultation.status == "completed" else { throw FHIRError.conflict("会诊尚未出具意见") }
            try await writer.sql.raw("UPDATE collab_consultation SET acknowledged_at = \(bind: ISO8601Timestamp.format(now)) WHERE id = \(bind: id) AND acknowledged_at IS NULL").run()
            return try await Self.consultation(id, sql: writer.sql)
        }
    }

    /// Consultations addressed to an institution (its inbox) or asked by an account (its worklist), newest first.
    public func list(addressedTo institution: String? = nil, requestedBy account: String? = nil, limit: Int = 200) async throws -> [Consultation] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let institution { filter = "\(filter) AND target_institution = \(bind: institution)" }
            if let account { filter = "\(filter) AND requester_account = \(bind: account)" }
            return try await sql.raw("SELECT * FROM collab_consultation WHERE \(filter) ORDER BY requested_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))")
                .all().map(Self.decode)
        }
    }

    /// One consultation, whoever asks (the caller checks who may see it).
    public func find(_ id: String) async throws -> Consultation? {
        try await database.read { sql in try await sql.raw("SELECT * FROM collab_consultation WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    /// The Practitioner id if the directory has it.
    static func known(_ practitioner: String?, writer: FHIRWriter) async throws -> String? {
        guard let practitioner, FHIRID.isValid(practitioner), try await writer.read(type: "Practitioner", id: practitioner) != nil else { return nil }
        return practitioner
    }

    static func addressed(_ id: String, to actor: StaffActor, sql: any SQLDatabase) async throws -> Consultation {
        let consultation = try await consultation(id, sql: sql)
        guard consultation.targetInstitution == actor.institution else { throw FHIRError.notFound("本院没有会诊申请 \(id)") }
        return consultation
    }

    /// The consultation, read inside a step's transaction and held there: the no-op update locks the row (on
    /// PostgreSQL a concurrent step waits, then reads the status this one left), so two steps at once cannot both
    /// pass the status check (two conclusions: one 200, one 409).
    static func consultation(_ id: String, sql: any SQLDatabase) async throws -> Consultation {
        guard let row = try await sql.raw("UPDATE collab_consultation SET status = status WHERE id = \(bind: id) RETURNING *").first() else {
            throw FHIRError.notFound("没有会诊申请 \(id)")
        }
        return try decode(row)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? JSONEncoder().encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
    }

    static func decode(_ row: any SQLRow) throws -> Consultation {
        func list<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: Data(try row.decode(column: column, as: String.self).utf8))
        }
        return Consultation(id: try row.decode(column: "id", as: String.self), district: try row.decode(column: "district", as: String.self),
                            kind: try row.decode(column: "kind", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
                            requesterAccount: try row.decode(column: "requester_account", as: String.self),
                            requesterPractitioner: try row.decode(column: "requester_practitioner", as: String?.self),
                            requesterInstitution: try row.decode(column: "requester_institution", as: String.self),
                            targetInstitution: try row.decode(column: "target_institution", as: String.self), question: try row.decode(column: "question", as: String.self),
                            specialties: try list("specialties", as: [String].self), materials: try list("materials", as: [String].self),
                            status: try row.decode(column: "status", as: String.self), scheduledAt: try row.decode(column: "scheduled_at", as: String?.self),
                            participants: try list("participants", as: [ConsultationParticipant].self), conclusion: try row.decode(column: "conclusion", as: String?.self),
                            declineReason: try row.decode(column: "decline_reason", as: String?.self), serviceRequest: try row.decode(column: "service_request", as: String.self),
                            clinicalImpression: try row.decode(column: "clinical_impression", as: String?.self), requestedAt: try row.decode(column: "requested_at", as: String.self),
                            concludedAt: try row.decode(column: "concluded_at", as: String?.self), acknowledgedAt: try row.decode(column: "acknowledged_at", as: String?.self))
    }

    /// The request in the record: a consultation ServiceRequest (SNOMED CT 11429006 Consultation) whose performer is
    /// the hospital; while active it is what lets the hospital's clinicians read the resident's record.
    static func serviceRequest(_ consultation: Consultation, kindName: String, status: String) -> JSONValue {
        var resource: [String: JSONValue] = [
            "resourceType": .string("ServiceRequest"), "id": .string(consultation.serviceRequest), "status": .string(status), "intent": .string("order"),
            "category": .array([.object(["coding": .array([.object(["system": .string("http://snomed.info/sct"), "code": .string("11429006"), "display": .string("Consultation")])]), "text": .string("会诊")])]),
            "code": .object(["text": .string(kindName)]),
            "subject": .object(["reference": .string("Patient/\(consultation.patient)")]),
            "authoredOn": .string(consultation.requestedAt),
            "performer": .array([.object(["reference": .string("Organization/\(consultation.targetInstitution)")])]),
            "reasonCode": .array([.object(["text": .string(consultation.question)])]),
            "identifier": .array([.object(["system": .string("https://weijian.health/sid/consultation"), "value": .string(consultation.id)])]),
        ]
        if let practitioner = consultation.requesterPractitioner {
            resource["requester"] = .object(["reference": .string("Practitioner/\(practitioner)")])
        } else {
            resource["requester"] = .object(["reference": .string("Organization/\(consultation.requesterInstitution)")])
        }
        if !consultation.materials.isEmpty {
            resource["supportingInfo"] = .array(consultation.materials.map { .object(["reference": .string($0)]) })
        }
        return .object(resource)
    }

    /// The conclusion in the record: a completed ClinicalImpression of the question, with the participants.
    static func clinicalImpression(_ consultation: Consultation, assessor: String?) -> JSONValue {
        var resource: [String: JSONValue] = [
            "resourceType": .string("ClinicalImpression"), "id": .string("\(consultation.id)-ci"), "status": .string("completed"),
            "code": .object(["text": .string(Self.kinds[consultation.kind] ?? "会诊")]),
            "subject": .object(["reference": .string("Patient/\(consultation.patient)")]),
            "date": .string(consultation.concludedAt ?? ISO8601Timestamp.now()),
            "description": .string(consultation.question),
            "summary": .string(consultation.conclusion ?? ""),
            "note": .array([.object(["text": .string("会诊专家：" + consultation.participants.map { "\($0.name)（\($0.specialty)）" }.joined(separator: "、"))])]),
        ]
        if let assessor { resource["assessor"] = .object(["reference": .string("Practitioner/\(assessor)")]) }
        if !consultation.materials.isEmpty {
            resource["supportingInfo"] = .array(consultation.materials.map { .object(["reference": .string($0)]) })
        }
        return .object(resource)
    }
}
