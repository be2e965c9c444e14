public import FHIR
import Foundation
public import Registry
import SQLKit
public import Storage

/// An online return visit (互联网+复诊): a resident asks a family doctor's CHC or a hospital to follow up a condition
/// already diagnosed; a clinician there accepts (or declines with a reason), writes the consultation note and
/// issues an e-prescription, each checked by ``PreReview`` before it is written as FHIR MedicationRequests.
public struct ReturnVisit: Sendable, Codable, Equatable {
    public var id: String
    public var patient: String
    public var institution: String
    /// `Condition/<id>` of the resident's record.
    public var condition: String
    public var conditionText: String
    public var description: String
    /// One of ``ReturnVisits/statuses``.
    public var status: String
    public var requestedAt: String
    public var acceptedAt: String?
    public var clinicianAccount: String?
    public var declineReason: String?
    public var note: String?
    public var noteAt: String?
    public var completedAt: String?
    /// The consultation fee in 分.
    public var feeFen: Int
    public var paidAt: String?
}

/// An e-prescription of a visit, issued or refused by the pre-review (then kept with its reasons).
public struct Prescription: Sendable, Codable, Equatable {
    public var id: String
    public var visit: String
    public var patient: String
    public var items: [PrescriptionItem]
    /// `issued` or `rejected`.
    public var status: String
    public var reasons: [String]
    /// `MedicationRequest/<id>` written for an issued one.
    public var medicationRequests: [String]
    public var createdAt: String
}

/// What a resident sends to ask for a return visit.
public struct VisitRequestForm: Sendable, Codable, Equatable {
    /// `Condition/<id>` (or the bare id) of the diagnosis to follow up.
    public var condition: String
    /// The CHC or hospital asked; the resident's CHC when absent.
    public var institution: String?
    public var description: String

    public init(condition: String, institution: String? = nil, description: String) {
        self.condition = condition
        self.institution = institution
        self.description = description
    }
}

/// 互联网+复诊 (Portal target).
public struct ReturnVisits: Sendable {
    public let store: FHIRStore
    public var database: Database { store.database }

    public init(store: FHIRStore) { self.store = store }

    public static let statuses = ["requested": "待接诊", "accepted": "已接诊", "completed": "已完成", "declined": "已拒绝", "cancelled": "已取消"]
    public static let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child", "mental-health"]
    /// 诊查费 in 分: a community health centre's, a hospital's.
    public static let fees = ["chc": 1000, "hospital": 2500]
    static let finishedConditions: Set<String> = ["resolved", "inactive", "remission"]

    /// The institutions a resident may ask: their CHC, and the hospitals of the catalogue in its district.
    public static func choices(chc: String?) -> [Institution] {
        let district = chc.flatMap { id in Catalog.institutions.first { $0.id == id }?.district }
        return Catalog.institutions.filter { $0.id == chc } + Catalog.institutions.filter { hospitalTypes.contains($0.type) && (district == nil || $0.district == district) }
    }

    /// A resident asks for a return visit. 422 for a condition that is not in their record (or is resolved), an
    /// institution that is neither their CHC nor a hospital, or no description.
    public func request(_ form: VisitRequestForm, patient: String, now: Date = Date()) async throws -> ReturnVisit {
        let description = try PortalInput.required(form.description, field: "description", label: "病情描述（近况、用药、需求）", max: 1000)
        let conditionID = form.condition.hasPrefix("Condition/") ? String(form.condition.dropFirst("Condition/".count)) : form.condition
        let id = RecordID.make("rv")
        let at = ISO8601Timestamp.format(now)
        return try await store.write { writer in
            let resident = try await PortalInput.patient(patient, writer: writer)
            let chc = try? PortalInput.chc(of: resident)
            guard FHIRID.isValid(conditionID), let condition = try await writer.read(type: "Condition", id: conditionID),
                  condition["subject"]?["reference"]?.stringValue == "Patient/\(patient)" else {
                throw PortalInput.invalid("复诊须针对健康档案中已有的诊断，请从列表中选择", "condition")
            }
            if let clinical = condition["clinicalStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue, Self.finishedConditions.contains(clinical) {
                throw PortalInput.invalid("该诊断已痊愈或不再活动，不能申请复诊；新发疾病请到医疗机构就诊", "condition")
            }
            let institution = form.institution.flatMap { $0.isEmpty ? nil : $0 } ?? chc
            guard let institution, let place = Self.choices(chc: chc).first(where: { $0.id == institution }) else {
                throw PortalInput.invalid("请选择签约的社区卫生服务中心或本区医院", "institution")
            }
            let fee = Self.hospitalTypes.contains(place.type) ? Self.fees["hospital"] ?? 0 : Self.fees["chc"] ?? 0
            let text = condition["code"]?["text"]?.stringValue ?? condition["code"]?["coding"]?.arrayValue?.first?["display"]?.stringValue
                ?? condition["code"]?["coding"]?.arrayValue?.first?["code"]?.stringValue ?? "诊断"
            try await writer.sql.raw("""
                INSERT INTO portal_visit (id, patient_id, institution, condition_ref, condition_text, description, status, requested_at, fee_fen)
                VALUES (\(bind: id), \(bind: patient), \(bind: institution), \(bind: "Condition/\(conditionID)"), \(bind: text), \(bind: description), 'requested',
                    \(bind: at), \(bind: fee))
                """).run()
            return try await Self.visit(id, sql: writer.sql)
        }
    }

    /// The clinician accepts a requested visit. 404 unless it is addressed to their institution; 409 unless requested.
    public func accept(_ id: String, by actor: StaffActor, now: Date = Date()) async throws -> ReturnVisit {
        try await step(id, actor: actor, from: ["requested"], verb: "接诊") { sql, _ in
            try await sql.raw("""
                UPDATE portal_visit SET status = 'accepted', accepted_at = \(bind: ISO8601Timestamp.format(now)), clinician_account = \(bind: actor.account),
                    clinician_practitioner = \(bind: actor.practitioner) WHERE id = \(bind: id)
                """).run()
        }
    }

    /// The clinician declines a requested visit, with a reason the resident reads.
    public func decline(_ id: String, reason: String, by actor: StaffActor) async throws -> ReturnVisit {
        let reason = try PortalInput.required(reason, field: "reason", label: "拒绝原因", max: 500)
        return try await step(id, actor: actor, from: ["requested"], verb: "拒绝") { sql, _ in
            try await sql.raw("UPDATE portal_visit SET status = 'declined', decline_reason = \(bind: reason) WHERE id = \(bind: id)").run()
        }
    }

    /// The clinician writes (or rewrites) the consultation note of an accepted visit.
    public func writeNote(_ id: String, note: String, by actor: StaffActor, now: Date = Date()) async throws -> ReturnVisit {
        let note = try PortalInput.required(note, field: "note", label: "诊疗记录", max: 4000)
        return try await step(id, actor: actor, from: ["accepted"], verb: "书写诊疗记录") { sql, _ in
            try await sql.raw("UPDATE portal_visit SET note = \(bind: note), note_at = \(bind: ISO8601Timestamp.format(now)) WHERE id = \(bind: id)").run()
        }
    }

    /// The clinician completes an accepted visit that needs no prescription (the note is required).
    public func complete(_ id: String, by actor: StaffActor, now: Date = Date()) async throws -> ReturnVisit {
        try await step(id, actor: actor, from: ["accepted"], verb: "结束") { sql, visit in
            guard visit.note != nil else { throw FHIRError.conflict("请先书写诊疗记录") }
            try await sql.raw("UPDATE portal_visit SET status = 'completed', completed_at = \(bind: ISO8601Timestamp.format(now)) WHERE id = \(bind: id)").run()
        }
    }

    /// The resident withdraws a visit not yet accepted. 404 unless it is theirs.
    public func cancel(_ id: String, patient: String) async throws -> ReturnVisit {
        try await database.write { sql in
            let visit = try await Self.visit(id, sql: sql)
            guard visit.patient == patient else { throw FHIRError.notFound("没有复诊申请 \(id)") }
            guard visit.status == "requested" else { throw FHIRError.conflict("复诊\(Self.statuses[visit.status] ?? visit.status)，不能取消") }
            try await Self.hold(visit, sql: sql)
            try await sql.raw("UPDATE portal_visit SET status = 'cancelled' WHERE id = \(bind: id)").run()
            return try await Self.visit(id, sql: sql)
        }
    }

    func step(_ id: String, actor: StaffActor, from: Set<String>, verb: String, _ body: (any SQLDatabase, ReturnVisit) async throws -> Void) async throws -> ReturnVisit {
        try await database.write { sql in
            let visit = try await Self.addressed(id, to: actor, sql: sql)
            guard from.contains(visit.status) else { throw FHIRError.conflict("复诊\(Self.statuses[visit.status] ?? visit.status)，不能\(verb)") }
            try await Self.hold(visit, sql: sql)
            try await body(sql, try await Self.visit(id, sql: sql))
            return try await Self.visit(id, sql: sql)
        }
    }

    /// The outcome of a prescription: issued (the visit is completed) or refused with the pre-review's reasons.
    public struct PrescriptionOutcome: Sendable, Codable, Equatable {
        public var prescription: Prescription
        public var visit: ReturnVisit
    }

    /// The clinician prescribes for an accepted visit with a note. The pre-review runs first; a refused
    /// prescription is stored with its reasons and nothing is written to the record; an accepted one is written as
    /// one MedicationRequest per drug in the same transaction, and the visit is completed. 422 for an empty
    /// prescription or a drug not in the catalogue, a dose, frequency or duration that makes no sense.
    public func prescribe(_ id: String, items: [PrescriptionItem], by actor: StaffActor, now: Date = Date()) async throws -> PrescriptionOutcome {
        guard !items.isEmpty, items.count <= 5 else { throw PortalInput.invalid("一张处方须有 1 至 5 种药品", "items") }
        for item in items {
            guard Drugs.catalogue.contains(where: { $0.atc == item.atc }) else { throw PortalInput.invalid("药品 \(item.atc) 不在药品目录中", "items") }
            guard item.dose > 0, item.dose <= 100_000, ["mg", "g"].contains(item.unit ?? "mg") else { throw PortalInput.invalid("每次剂量须大于 0，单位 mg 或 g", "items") }
            guard (1...6).contains(item.timesPerDay) else { throw PortalInput.invalid("每日次数须为 1 至 6 次", "items") }
            guard (1...30).contains(item.days) else { throw PortalInput.invalid("用药天数须为 1 至 30 天（长处方不超过 30 天）", "items") }
        }
        // The resident's current drugs, read before the write (the record's active MedicationRequests).
        guard let before = try await find(id), before.institution == actor.institution else { throw FHIRError.notFound("本机构没有复诊申请 \(id)") }
        let active = try await activeDrugs(patient: before.patient)
        let prescriptionID = RecordID.make("rx")
        let at = ISO8601Timestamp.format(now)
        return try await store.write { writer in
            var visit = try await Self.addressed(id, to: actor, sql: writer.sql)
            guard visit.status == "accepted" else { throw FHIRError.conflict("复诊\(Self.statuses[visit.status] ?? visit.status)，不能开具处方") }
            try await Self.hold(visit, sql: writer.sql)
            visit = try await Self.visit(id, sql: writer.sql)
            guard visit.note != nil else { throw FHIRError.conflict("请先书写诊疗记录，再开具处方") }
            let practitioner = try await PortalInput.known(actor.practitioner, writer: writer)
            let requests = items.enumerated().map { index, item in
                Self.medicationRequest(item, id: "\(prescriptionID)-\(index + 1)", visit: visit, prescription: prescriptionID, practitioner: practitioner, at: at)
            }
            let reasons = PreReview.check(items, requests: requests, active: active, rules: try await PreReview.rules(sql: writer.sql))
            var written: [String] = []
            if reasons.isEmpty {
                for request in requests {
                    let stored = try await writer.create(request, id: request["id"]?.stringValue)
                    written.append("MedicationRequest/\(stored.id)")
                }
                try await writer.sql.raw("UPDATE portal_visit SET status = 'completed', completed_at = \(bind: at) WHERE id = \(bind: id)").run()
            }
            try await writer.sql.raw("""
                INSERT INTO portal_prescription (id, visit_id, patient_id, items, status, reasons, medication_requests, prescriber_account, created_at)
                VALUES (\(bind: prescriptionID), \(bind: id), \(bind: visit.patient), \(bind: PortalInput.json(items)), \(bind: reasons.isEmpty ? "issued" : "rejected"),
                    \(bind: PortalInput.json(reasons)), \(bind: PortalInput.json(written)), \(bind: actor.account), \(bind: at))
                """).run()
            let prescription = Prescription(id: prescriptionID, visit: id, patient: visit.patient, items: items, status: reasons.isEmpty ? "issued" : "rejected",
                                            reasons: reasons, medicationRequests: written, createdAt: at)
            return PrescriptionOutcome(prescription: prescription, visit: try await Self.visit(id, sql: writer.sql))
        }
    }

    /// The drugs of the resident's active MedicationRequests that the catalogue knows.
    public func activeDrugs(patient: String) async throws -> [ActiveDrug] {
        var drugs: [ActiveDrug] = []
        try await store.forEachMatch("MedicationRequest", [("patient", "Patient/\(patient)"), ("status", "active")]) { match in
            guard let resource = try? JSONValue.parse(Data(match.content.utf8)), let drug = Drugs.drug(of: resource) else { return }
            drugs.append(ActiveDrug(atc: drug.atc, name: drug.name, reference: "MedicationRequest/\(match.id)"))
        }
        return drugs
    }

    /// The MedicationRequest an item is written as (its dose and frequency are what the pre-review measures).
    static func medicationRequest(_ item: PrescriptionItem, id: String, visit: ReturnVisit, prescription: String, practitioner: String?, at: String) -> JSONValue {
        let name = Drugs.catalogue.first { $0.atc == item.atc }?.name ?? item.atc
        let unit = item.unit ?? "mg"
        let dose = item.dose.rounded() == item.dose ? String(Int(item.dose)) : String(item.dose)
        return .object([
            "resourceType": .string("MedicationRequest"), "id": .string(id), "status": .string("active"), "intent": .string("order"),
            "identifier": .array([.object(["system": .string("https://weijian.health/sid/e-prescription"), "value": .string(prescription)])]),
            "medicationCodeableConcept": .object(["coding": .array([.object(["system": .string(Drugs.atcSystem), "code": .string(item.atc), "display": .string(name)])]), "text": .string(name)]),
            "subject": .object(["reference": .string("Patient/\(visit.patient)")]),
            "authoredOn": .string(at),
            "requester": .object(["reference": .string(practitioner.map { "Practitioner/\($0)" } ?? "Organization/\(visit.institution)")]),
            "reasonReference": .array([.object(["reference": .string(visit.condition)])]),
            "note": .array([.object(["text": .string("互联网+复诊 \(visit.id)")])]),
            "dosageInstruction": .array([.object([
                "text": .string("每次 \(dose) \(unit)，每日 \(item.timesPerDay) 次，共 \(item.days) 天"),
                "timing": .object(["repeat": .object(["frequency": .integer(Int64(item.timesPerDay)), "period": .decimal(1), "periodUnit": .string("d")])]),
                "doseAndRate": .array([.object(["doseQuantity": .object(["value": .decimal(item.dose), "unit": .string(unit), "system": .string("http://unitsofmeasure.org"), "code": .string(unit)])])]),
            ])]),
            "dispenseRequest": .object(["expectedSupplyDuration": .object(["value": .decimal(Double(item.days)), "unit": .string("天"), "system": .string("http://unitsofmeasure.org"), "code": .string("d")])]),
        ])
    }

    /// A resident's visits, or an institution's, newest first.
    public func list(patient: String? = nil, institution: String? = nil, status: String? = nil, limit: Int = 200) async throws -> [ReturnVisit] {
        try await database.read { sql in
            var filter: SQLQueryString = "1 = 1"
            if let patient { filter = "\(filter) AND patient_id = \(bind: patient)" }
            if let institution { filter = "\(filter) AND institution = \(bind: institution)" }
            if let status { filter = "\(filter) AND status = \(bind: status)" }
            return try await sql.raw("SELECT * FROM portal_visit WHERE \(filter) ORDER BY requested_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))").all().map(Self.decode)
        }
    }

    /// Visits completed at the given institutions on a day (Shanghai time, as stored) in [from, to]: the online
    /// return visits (互联网复诊) the indicator counts.
    public func completedCount(institutions: [String], from: String, to: String) async throws -> Int {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to) else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD") }
        guard !institutions.isEmpty else { return 0 }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT COUNT(*) AS n FROM portal_visit WHERE status = 'completed' AND completed_at >= \(bind: from)
                    AND completed_at < \(bind: CalendarDay.shift(to, days: 1)) AND institution IN (\(binds: institutions))
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// One visit, whoever asks (the caller checks who may see it).
    public func find(_ id: String) async throws -> ReturnVisit? {
        try await database.read { sql in try await sql.raw("SELECT * FROM portal_visit WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    /// A visit's prescriptions, issued and refused, oldest first.
    public func prescriptions(visit: String) async throws -> [Prescription] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM portal_prescription WHERE visit_id = \(bind: visit) ORDER BY created_at, id").all().map { row in
                Prescription(id: try row.decode(column: "id", as: String.self), visit: try row.decode(column: "visit_id", as: String.self),
                             patient: try row.decode(column: "patient_id", as: String.self),
                             items: try PortalInput.decodeJSON(try row.decode(column: "items", as: String.self), as: [PrescriptionItem].self),
                             status: try row.decode(column: "status", as: String.self),
                             reasons: try PortalInput.decodeJSON(try row.decode(column: "reasons", as: String.self), as: [String].self),
                             medicationRequests: try PortalInput.decodeJSON(try row.decode(column: "medication_requests", as: String.self), as: [String].self),
                             createdAt: try row.decode(column: "created_at", as: String.self))
            }
        }
    }

    /// Holds the visit while it still has the status read (on PostgreSQL a row lock: of two concurrent steps, the
    /// second waits and then finds the status changed), else 409.
    static func hold(_ visit: ReturnVisit, sql: any SQLDatabase) async throws {
        let held = try await sql.raw("UPDATE portal_visit SET status = status WHERE id = \(bind: visit.id) AND status = \(bind: visit.status) RETURNING id").first()
        guard held != nil else { throw FHIRError.conflict("复诊已被他人处理，请刷新后重试") }
    }

    static func addressed(_ id: String, to actor: StaffActor, sql: any SQLDatabase) async throws -> ReturnVisit {
        let visit = try await visit(id, sql: sql)
        guard visit.institution == actor.institution else { throw FHIRError.notFound("本机构没有复诊申请 \(id)") }
        return visit
    }

    static func visit(_ id: String, sql: any SQLDatabase) async throws -> ReturnVisit {
        guard let row = try await sql.raw("SELECT * FROM portal_visit WHERE id = \(bind: id)").first() else { throw FHIRError.notFound("没有复诊申请 \(id)") }
        return try decode(row)
    }

    static func decode(_ row: any SQLRow) throws -> ReturnVisit {
        ReturnVisit(id: try row.decode(column: "id", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
                    institution: try row.decode(column: "institution", as: String.self), condition: try row.decode(column: "condition_ref", as: String.self),
                    conditionText: try row.decode(column: "condition_text", as: String.self), description: try row.decode(column: "description", as: String.self),
                    status: try row.decode(column: "status", as: String.self), requestedAt: try row.decode(column: "requested_at", as: String.self),
                    acceptedAt: try row.decode(column: "accepted_at", as: String?.self), clinicianAccount: try row.decode(column: "clinician_account", as: String?.self),
                    declineReason: try row.decode(column: "decline_reason", as: String?.self), note: try row.decode(column: "note", as: String?.self),
                    noteAt: try row.decode(column: "note_at", as: String?.self), completedAt: try row.decode(column: "completed_at", as: String?.self),
                    feeFen: try row.decode(column: "fee_fen", as: Int.self), paidAt: try row.decode(column: "paid_at", as: String?.self))
    }
}
