import FHIR
import Foundation
import Registry
import SQLKit
import Storage

extension ReferralService {
    // MARK: the referral loop

    /// Sends a referral (转诊申请): up from a family doctor to a hospital department, or down from a hospital
    /// to a CHC with a care plan. Written as ServiceRequest and Task (and CarePlan for down). Refuses, changing
    /// nothing: 404 for an unknown resident, 422 for a receiver or department that cannot take it, a record link
    /// that is not the resident's, an empty reason; 409 when the same referral is still open (重复转诊).
    public func send(_ request: ReferralRequest, by actor: ReferralActor, now: Date = Date()) async throws -> Referral {
        let direction = request.direction ?? "up"
        guard direction == "up" || direction == "down" else { throw Self.invalid("direction 应为 up（上转）或 down（下转）", "direction") }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 2000 else { throw Self.invalid("请填写转诊原因（不超过2000字）", "reason") }
        guard let receiver = Catalog.institutions.first(where: { $0.id == request.toOrganization }) else {
            throw Self.invalid("接收机构 '\(request.toOrganization)' 不在医疗机构名录中", "toOrganization")
        }
        var department = ""
        if direction == "up" {
            guard Self.hospitalTypes.contains(receiver.type) else { throw Self.invalid("\(receiver.name) 不是医院，上转须转往医院科室", "toOrganization") }
            department = request.department ?? ""
            guard Department.all.contains(where: { $0.code == department }) else {
                throw Self.invalid("请选择接收科室；可选：\(Department.all.map(\.code).joined(separator: ", "))", "department")
            }
        } else {
            guard receiver.type == "chc" else { throw Self.invalid("\(receiver.name) 不是社区卫生服务中心，下转须转往社区", "toOrganization") }
            guard let plan = request.carePlan?.trimmingCharacters(in: .whitespacesAndNewlines), !plan.isEmpty else {
                throw Self.invalid("下转须附康复/随访方案 (carePlan)", "carePlan")
            }
        }
        if let code = request.diagnosisCode, !Self.isICD10(code) {
            throw Self.invalid("诊断编码 '\(code)' 不是 ICD-10 编码（如 I10、E11.9）", "diagnosisCode")
        }
        guard request.toOrganization != actor.organization else { throw Self.invalid("不能转诊给本机构", "toOrganization") }
        let records = request.records ?? []
        guard records.count <= 20 else { throw Self.invalid("至多附20条档案记录", "records") }
        do {
            return try await store.write { writer in
                guard FHIRID.isValid(request.patient), let patient = try await writer.read(type: "Patient", id: request.patient) else {
                    throw FHIRError.notFound("居民 Patient/\(request.patient) 不存在 (unknown resident)")
                }
                for link in records {
                    let parts = link.split(separator: "/").map(String.init)
                    guard parts.count == 2, ["Observation", "Condition", "DiagnosticReport", "Encounter", "MedicationRequest", "Immunization"].contains(parts[0]),
                          FHIRID.isValid(parts[1]), let resource = try await writer.read(type: parts[0], id: parts[1]),
                          (resource["subject"] ?? resource["patient"])?["reference"]?.stringValue == "Patient/\(request.patient)" else {
                        throw Self.invalid("档案记录 '\(link)' 不存在或不属于该居民", "records")
                    }
                }
                let doctor = direction == "up" ? actor.practitioner : (patient["generalPractitioner"]?.items ?? [])
                    .compactMap { $0["reference"]?.stringValue }.first { $0.hasPrefix("Practitioner/") }.map { String($0.dropFirst("Practitioner/".count)) }
                let referral = Referral(
                    id: Self.newID("r"), direction: direction, patient: request.patient, fromOrganization: actor.organization, fromPractitioner: actor.practitioner,
                    toOrganization: request.toOrganization, department: department, reason: reason, diagnosisCode: request.diagnosisCode,
                    diagnosisText: request.diagnosisText, records: records, carePlan: direction == "down" ? request.carePlan : nil, familyDoctor: doctor,
                    status: "requested", requestedAt: ISO8601Timestamp.format(now)
                )
                let district = Catalog.institutions.first { $0.id == actor.organization }?.district ?? receiver.district
                try await writer.sql.raw("""
                    INSERT INTO referral_request (id, direction, patient_id, from_organization, from_practitioner, to_organization, department, reason,
                        diagnosis_code, diagnosis_text, record_links, care_plan, family_doctor, district, status, requested_at, requested_ms)
                    VALUES (\(bind: referral.id), \(bind: direction), \(bind: referral.patient), \(bind: referral.fromOrganization), \(bind: referral.fromPractitioner),
                        \(bind: referral.toOrganization), \(bind: department), \(bind: reason), \(bind: referral.diagnosisCode), \(bind: referral.diagnosisText),
                        \(bind: records.joined(separator: "\n")), \(bind: referral.carePlan), \(bind: doctor), \(bind: district), 'requested',
                        \(bind: referral.requestedAt), \(bind: SlotTime.millis(now)))
                    """).run()
                if referral.carePlan != nil { _ = try await writer.create(ReferralResources.carePlan(referral), id: referral.carePlanID) }
                _ = try await writer.create(ReferralResources.serviceRequest(referral), id: referral.serviceRequestID)
                _ = try await writer.create(ReferralResources.task(referral, lastModified: referral.requestedAt), id: referral.taskID)
                return referral
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("该居民已有一份转往\(receiver.name)\(department.isEmpty ? "" : Department.name(department))的转诊尚未完成，不能重复转诊 (double referral)")
        }
    }

    /// The receiving institution accepts (接收); with `slot`, it books the appointment at once (from the
    /// reserved pool if need be: referred residents come first).
    public func accept(_ id: String, by actor: ReferralActor, slot: String? = nil, now: Date = Date()) async throws -> Referral {
        try await bookingConflicts {
            try await store.write { writer in
                var referral = try await receiving(id, actor: actor, sql: writer.sql)
                referral = try await transition(referral, from: ["requested"], now: now, writer: writer) {
                    $0.status = "accepted"
                    $0.decidedAt = ISO8601Timestamp.format(now)
                    $0.decidedBy = actor.practitioner
                }
                guard let slot else { return referral }
                return try await bookReferral(referral, slot: slot, actor: actor.account, now: now, writer: writer)
            }
        }
    }

    /// The receiving institution declines (拒绝) with a reason the family doctor will read.
    public func decline(_ id: String, reason: String, by actor: ReferralActor, now: Date = Date()) async throws -> Referral {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw Self.invalid("拒绝转诊须说明原因", "reason") }
        return try await store.write { writer in
            let referral = try await receiving(id, actor: actor, sql: writer.sql)
            return try await transition(referral, from: ["requested"], now: now, writer: writer) {
                $0.status = "declined"
                $0.decidedAt = ISO8601Timestamp.format(now)
                $0.decidedBy = actor.practitioner
                $0.declineReason = reason
            }
        }
    }

    /// Books the appointment of an accepted referral (the receiver or the sender may): the slot must be of the
    /// referral's hospital and department.
    public func bookAppointment(_ id: String, slot: String, actor: String, now: Date = Date()) async throws -> Referral {
        try await bookingConflicts {
            try await store.write { writer in
                let referral = try await referral(id, sql: writer.sql)
                return try await bookReferral(referral, slot: slot, actor: actor, now: now, writer: writer)
            }
        }
    }

    /// The resident came (就诊): the appointment, if any, is fulfilled.
    public func recordVisit(_ id: String, by actor: ReferralActor, now: Date = Date()) async throws -> Referral {
        try await store.write { writer in
            let referral = try await receiving(id, actor: actor, sql: writer.sql)
            if let appointmentID = referral.appointment {
                let appointment = try await appointment(appointmentID, sql: writer.sql)
                if appointment.status == "booked" {
                    _ = try await setStatus(appointment, "fulfilled", times: try await slotTimes(appointment.slot, sql: writer.sql), now: now, writer: writer)
                }
            }
            return try await transition(referral, from: ["accepted", "booked"], now: now, writer: writer) {
                $0.status = "visited"
                $0.visitedAt = ISO8601Timestamp.format(now)
            }
        }
    }

    /// Closes the loop (反馈): the discharge summary or feedback goes back to the resident's family doctor as a
    /// Communication and a Task in their worklist.
    public func complete(_ id: String, summary: String, by actor: ReferralActor, now: Date = Date()) async throws -> Referral {
        let summary = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !summary.isEmpty, summary.count <= 5000 else { throw Self.invalid("请填写出院小结/反馈意见（不超过5000字）", "summary") }
        return try await store.write { writer in
            let referral = try await receiving(id, actor: actor, sql: writer.sql)
            let sent = ISO8601Timestamp.format(now)
            let done = try await transition(referral, from: ["visited"], now: now, writer: writer) {
                $0.status = "completed"
                $0.summary = summary
                $0.completedAt = sent
            }
            _ = try await writer.create(ReferralResources.summary(done, sender: actor.practitioner, sent: sent), id: done.summaryID)
            if let doctor = done.familyDoctor {
                _ = try await writer.create(ReferralResources.feedbackTask(done, doctor: doctor, sent: sent), id: done.feedbackTaskID)
            }
            return done
        }
    }

    /// The sender withdraws a referral not yet seen to (撤回).
    public func withdraw(_ id: String, by actor: ReferralActor, now: Date = Date()) async throws -> Referral {
        try await store.write { writer in
            let referral = try await referral(id, sql: writer.sql)
            guard referral.fromOrganization == actor.organization else { throw FHIRError(status: 403, code: "forbidden", "只有转出机构可以撤回转诊") }
            return try await transition(referral, from: ["requested", "accepted"], now: now, writer: writer) { $0.status = "cancelled" }
        }
    }

    // MARK: reading

    /// A referral by id.
    public func referral(_ id: String) async throws -> Referral {
        try await database.read { try await referral(id, sql: $0) }
    }

    /// Referrals received by an institution (the hospital's or CHC's inbox), open ones first, newest first.
    public func inbox(organization: String, limit: Int = 200) async throws -> [Referral] {
        try await list("to_organization = \(bind: organization)", limit: limit)
    }

    /// A family doctor's referrals: those they sent and those whose feedback comes to them.
    public func worklist(practitioner: String, limit: Int = 200) async throws -> [Referral] {
        try await list("(from_practitioner = \(bind: practitioner) OR family_doctor = \(bind: practitioner))", limit: limit)
    }

    /// A resident's referrals, newest first.
    public func referrals(patient: String) async throws -> [Referral] {
        try await list("patient_id = \(bind: patient)", limit: 100)
    }

    func list(_ filter: SQLQueryString, limit: Int) async throws -> [Referral] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT * FROM referral_request WHERE ")
            query.appendInterpolation(filter)
            query.appendLiteral(" ORDER BY CASE WHEN status IN ('requested', 'accepted', 'booked', 'visited') THEN 0 ELSE 1 END, requested_ms DESC LIMIT ")
            query.appendInterpolation(literal: String(min(max(limit, 1), 1000)))
            return try await sql.raw(query).all().map(Self.decodeReferral)
        }
    }

    func referral(_ id: String, sql: any SQLDatabase) async throws -> Referral {
        guard let row = try await sql.raw("SELECT * FROM referral_request WHERE id = \(bind: id)").first() else {
            throw FHIRError.notFound("转诊单 \(id) 不存在 (no such referral)")
        }
        return try Self.decodeReferral(row)
    }

    /// The referral, when `actor` belongs to its receiving institution (403 otherwise).
    func receiving(_ id: String, actor: ReferralActor, sql: any SQLDatabase) async throws -> Referral {
        let referral = try await referral(id, sql: sql)
        guard referral.toOrganization == actor.organization else { throw FHIRError(status: 403, code: "forbidden", "只有接收机构可以处理此转诊") }
        return referral
    }

    func bookReferral(_ referral: Referral, slot: String, actor: String, now: Date, writer: FHIRWriter) async throws -> Referral {
        guard referral.status == "accepted" else { throw FHIRError.conflict("转诊单 \(referral.id) \(Referral.label(referral.status))，只有已接收的转诊可以预约") }
        guard let row = try await writer.sql.raw("SELECT organization_id FROM referral_slot WHERE id = \(bind: slot)").first() else {
            throw FHIRError.notFound("号源 \(slot) 不存在 (no such slot)")
        }
        guard try row.decode(column: "organization_id", as: String.self) == referral.toOrganization else {
            throw Self.invalid("号源 \(slot) 不属于接收医院", "slot")
        }
        let appointment = try await book(BookingRequest(slot: slot, patient: referral.patient, channel: .referral, department: referral.department.isEmpty ? nil : referral.department,
                                                        referral: referral.id, actor: actor), now: now, writer: writer)
        return try await transition(referral, from: ["accepted"], now: now, writer: writer) {
            $0.status = "booked"
            $0.appointment = appointment.id
        }
    }

    /// Moves a referral between statuses by id (used when its appointment changes).
    func moveReferral(_ id: String, from: Set<String>, to status: String, appointment: String??, now: Date, writer: FHIRWriter) async throws {
        let referral = try await referral(id, sql: writer.sql)
        guard from.contains(referral.status) else { return }
        _ = try await transition(referral, from: from, now: now, writer: writer) {
            $0.status = status
            if let appointment { $0.appointment = appointment }
        }
    }

    /// Applies `change` to a referral in one of the `from` statuses: the row (only if its status is still
    /// the one read, so of two concurrent changes one wins and the other gets 409), the ServiceRequest and the Task.
    func transition(_ referral: Referral, from: Set<String>, now: Date, writer: FHIRWriter, _ change: (inout Referral) -> Void) async throws -> Referral {
        guard from.contains(referral.status) else {
            throw FHIRError.conflict("转诊单 \(referral.id) \(Referral.label(referral.status))，不能执行此操作 (referral is \(referral.status))")
        }
        var changed = referral
        change(&changed)
        let millis = SlotTime.millis(now)
        let decidedMillis: Int64? = changed.decidedAt == nil ? nil : millis
        let completedMillis: Int64? = changed.completedAt == nil ? nil : millis
        let updated = try await writer.sql.raw("""
            UPDATE referral_request SET status = \(bind: changed.status), decided_at = \(bind: changed.decidedAt), decided_by = \(bind: changed.decidedBy),
                decided_ms = COALESCE(decided_ms, \(bind: decidedMillis)),
                decline_reason = \(bind: changed.declineReason), appointment_id = \(bind: changed.appointment), visited_at = \(bind: changed.visitedAt),
                summary = \(bind: changed.summary), completed_at = \(bind: changed.completedAt), completed_ms = COALESCE(completed_ms, \(bind: completedMillis))
            WHERE id = \(bind: referral.id) AND status = \(bind: referral.status) RETURNING id
            """).first()
        guard updated != nil else { throw FHIRError.conflict("转诊单 \(referral.id) 刚被另一请求改变，请刷新 (changed meanwhile)") }
        _ = try await writer.update(ReferralResources.serviceRequest(changed), type: "ServiceRequest", id: changed.serviceRequestID, ifMatch: nil)
        _ = try await writer.update(ReferralResources.task(changed, lastModified: ISO8601Timestamp.format(now)), type: "Task", id: changed.taskID, ifMatch: nil)
        return changed
    }

    func bookingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("号源刚被他人约走，或该居民已预约此排班 (slot just taken)")
        }
    }

    static func isICD10(_ code: String) -> Bool {
        let scalars = Array(code.unicodeScalars)
        guard (3...8).contains(scalars.count), let first = scalars.first, ("A"..."Z").contains(first) else { return false }
        return scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) || $0 == "." || ("A"..."Z").contains($0) }
    }

    static func decodeReferral(_ row: any SQLRow) throws -> Referral {
        let links = try row.decode(column: "record_links", as: String.self)
        return Referral(
            id: try row.decode(column: "id", as: String.self), direction: try row.decode(column: "direction", as: String.self),
            patient: try row.decode(column: "patient_id", as: String.self), fromOrganization: try row.decode(column: "from_organization", as: String.self),
            fromPractitioner: try row.decode(column: "from_practitioner", as: String.self), toOrganization: try row.decode(column: "to_organization", as: String.self),
            department: try row.decode(column: "department", as: String.self), reason: try row.decode(column: "reason", as: String.self),
            diagnosisCode: try row.decode(column: "diagnosis_code", as: String?.self), diagnosisText: try row.decode(column: "diagnosis_text", as: String?.self),
            records: links.isEmpty ? [] : links.components(separatedBy: "\n"), carePlan: try row.decode(column: "care_plan", as: String?.self),
            familyDoctor: try row.decode(column: "family_doctor", as: String?.self), status: try row.decode(column: "status", as: String.self),
            requestedAt: try row.decode(column: "requested_at", as: String.self), decidedAt: try row.decode(column: "decided_at", as: String?.self),
            decidedBy: try row.decode(column: "decided_by", as: String?.self), declineReason: try row.decode(column: "decline_reason", as: String?.self),
            appointment: try row.decode(column: "appointment_id", as: String?.self), visitedAt: try row.decode(column: "visited_at", as: String?.self),
            summary: try row.decode(column: "summary", as: String?.self), completedAt: try row.decode(column: "completed_at", as: String?.self)
        )
    }
}
