import FHIR
import Foundation
import Registry
import SQLKit
public import Storage

/// Family-doctor contracting (家庭医生签约服务): signing, renewal, termination, transfer, the waiting list
/// and the doctors' places. Every change writes the contract tables and the FHIR record (EpisodeOfCare,
/// CareTeam, the Patient's `generalPractitioner`) in one transaction, so the access rules that follow the
/// panel and an outside FHIR client see the same facts.
///
/// Callers decide who may act for whom (the routes check roles, panels and household consent).
public struct ContractingService: Sendable {
    /// Places a family doctor has unless the CHC manager sets another number.
    public static let defaultCapacity = 500
    /// The FHIR store (and through it the database).
    public let store: FHIRStore
    /// The database.
    public var database: Database { store.database }

    /// Creates the service over the platform's store.
    public init(store: FHIRStore) {
        self.store = store
    }

    /// A YYYY-MM-DD day moved by `days` (the day itself when it is not such a day).
    public static func shift(_ day: String, days: Int) -> String { CalendarDay.shift(day, days: days) }

    /// Today in Shanghai, YYYY-MM-DD.
    public static func today(_ date: Date = Date()) -> String { CalendarDay.today(date) }

    // MARK: signing

    /// Signs every request in one transaction (a household signs together or not at all). Throws
    /// ``ContractFull`` when a doctor has no place, and FHIRError 404/409/422 for bad requests.
    public func sign(_ requests: [SignRequest], channel: String, actor: String, on day: String = today()) async throws -> [Contract] {
        guard !requests.isEmpty else { throw FHIRError.badRequest("没有要签约的居民 (no resident to sign)") }
        guard Set(requests.map(\.patient)).count == requests.count else { throw FHIRError.badRequest("同一居民在一次签约中出现两次 (a resident appears twice)") }
        do {
            return try await store.write { writer in
                var signed: [Contract] = []
                for request in requests {
                    signed.append(try await sign(request, channel: channel, actor: actor, day: day, previous: nil, writer: writer))
                }
                return signed
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("该居民刚刚已签约 (the resident has just been signed by another request)")
        }
    }

    /// Puts a resident on a doctor's waiting list; returns their place in it (1 = next).
    public func joinWaitlist(patient: String, practitioner: String, on day: String = today()) async throws -> Int {
        try await store.write { writer in
            guard try await writer.read(type: "Patient", id: patient) != nil else { throw FHIRError.notFound("居民 Patient/\(patient) 不存在") }
            _ = try await doctor(practitioner, sql: writer.sql)
            if try await activeContract(patient: patient, sql: writer.sql) != nil {
                throw FHIRError.conflict("该居民已有有效签约，不能候补 (the resident already has an active contract)")
            }
            try await writer.sql.raw("""
                INSERT INTO contract_waitlist (patient_id, practitioner_id, requested_at, status) VALUES (\(bind: patient), \(bind: practitioner), \(bind: ISO8601Timestamp.now()), 'waiting')
                ON CONFLICT DO NOTHING
                """).run()
            let row = try await writer.sql.raw("""
                SELECT COUNT(*) AS n FROM contract_waitlist w WHERE w.practitioner_id = \(bind: practitioner) AND w.status = 'waiting'
                AND w.id <= (SELECT id FROM contract_waitlist WHERE patient_id = \(bind: patient) AND practitioner_id = \(bind: practitioner) AND status = 'waiting')
                """).first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    private func sign(_ request: SignRequest, channel: String, actor: String, day: String, previous: String?, writer: FHIRWriter) async throws -> Contract {
        let sql = writer.sql
        guard FHIRID.isValid(request.patient), var patient = try await writer.read(type: "Patient", id: request.patient) else {
            throw FHIRError.notFound("居民 Patient/\(request.patient) 不存在 (no such resident)")
        }
        guard patient["active"] != .bool(false) else { throw FHIRError.conflict("居民档案 Patient/\(request.patient) 已停用（合并或注销）") }
        let (doctor, district) = try await doctor(request.practitioner, sql: sql)
        if let existing = try await activeContract(patient: request.patient, sql: sql), existing.endDate < day {
            // A contract past its last day without renewal ends now (到期未续约), freeing the resident and the place.
            _ = try await end(existing.id, status: "expired", reason: "到期未续约", day: existing.endDate.shiftedDays(1), writer: writer)
        }
        if let existing = try await activeContract(patient: request.patient, sql: sql) {
            throw FHIRError.conflict("该居民已与家庭医生 Practitioner/\(existing.practitioner) 签约（\(existing.startDate) 起，合同 \(existing.id)）；请办理转签或先解约 (already contracted: transfer or terminate first)")
        }
        let package = request.package ?? "basic"
        guard Contract.packages[package] != nil else {
            throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "未知的服务包 '\(package)'；可选：\(Contract.packages.keys.sorted().joined(separator: ", "))")])
        }
        try Self.checkHospitals(districtHospital: request.districtHospital, cityHospital: request.cityHospital, district: district)
        // The place: one statement that only succeeds while a place is free, so concurrent signings cannot overbook.
        let taken = try await sql.raw("""
            UPDATE contract_doctor SET active_count = active_count + 1
            WHERE practitioner_id = \(bind: request.practitioner) AND active_count < capacity RETURNING active_count
            """).first()
        guard taken != nil else {
            let waiting = try await sql.raw("SELECT COUNT(*) AS n FROM contract_waitlist WHERE practitioner_id = \(bind: request.practitioner) AND status = 'waiting'").first()
            throw ContractFull(practitioner: request.practitioner, waiting: try waiting?.decode(column: "n", as: Int.self) ?? 0)
        }
        let subdistrict = PatientExtensions.subdistricts(of: patient).first
        let contract = Contract(
            id: Self.newID(), patient: request.patient, practitioner: request.practitioner, organization: doctor.organization,
            district: district, subdistrict: subdistrict, districtHospital: request.districtHospital, cityHospital: request.cityHospital,
            package: package, status: "active", startDate: day, endDate: KeyGroup.shifted(day, years: 1).dayBefore,
            channel: channel, endedOn: nil, endReason: nil, previous: previous
        )
        try await sql.raw("""
            INSERT INTO contract_agreement (id, patient_id, practitioner_id, organization_id, district, subdistrict, district_hospital, city_hospital,
                package, status, start_date, end_date, channel, signed_by, signed_at, previous_id)
            VALUES (\(bind: contract.id), \(bind: contract.patient), \(bind: contract.practitioner), \(bind: contract.organization), \(bind: contract.district),
                \(bind: contract.subdistrict), \(bind: contract.districtHospital), \(bind: contract.cityHospital), \(bind: contract.package), 'active',
                \(bind: contract.startDate), \(bind: contract.endDate), \(bind: channel), \(bind: actor), \(bind: ISO8601Timestamp.now()), \(bind: previous))
            """).run()
        try await sql.raw("UPDATE contract_waitlist SET status = 'signed', contract_id = \(bind: contract.id) WHERE patient_id = \(bind: contract.patient) AND status = 'waiting'").run()
        // The record: the panel (generalPractitioner), the episode and the team.
        patient["generalPractitioner"] = .array([
            .object(["reference": .string("Practitioner/\(contract.practitioner)")]),
            .object(["reference": .string("Organization/\(contract.organization)")]),
        ])
        patient["meta"] = nil
        _ = try await writer.update(patient, type: "Patient", id: contract.patient, ifMatch: nil)
        _ = try await writer.update(ContractResources.careTeam(contract, active: true), type: "CareTeam", id: Contract.careTeamID(contract.id), ifMatch: nil)
        _ = try await writer.update(ContractResources.episode(contract), type: "EpisodeOfCare", id: Contract.episodeID(contract.id), ifMatch: nil)
        return contract
    }

    /// The district hospital must be a hospital of the doctor's district, the city hospital a tertiary (三级)
    /// hospital in Shanghai, and not the same one.
    static func checkHospitals(districtHospital: String?, cityHospital: String?, district: String) throws {
        let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child"]
        if let districtHospital {
            guard let hospital = Catalog.institutions.first(where: { $0.id == districtHospital }), hospitalTypes.contains(hospital.type) else {
                throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "区级医院 '\(districtHospital)' 不在医疗机构名录中 (not a known hospital)")])
            }
            guard hospital.district == district else {
                throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "\(hospital.name) 不在本区 (\(district))，“1+1+1”中的区级医院须为本区医院")])
            }
        }
        if let cityHospital {
            guard let hospital = Catalog.institutions.first(where: { $0.id == cityHospital }), hospitalTypes.contains(hospital.type), hospital.level == "tertiary" else {
                throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "市级医院 '\(cityHospital)' 须为名录中的三级医院 (must be a tertiary hospital)")])
            }
            if cityHospital == districtHospital {
                throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "区级医院与市级医院须为两家不同的医院")])
            }
        }
    }

    // MARK: changes

    /// Extends an active contract by a year from its end (续约). An ended contract cannot be renewed.
    public func renew(_ id: String, actor: String) async throws -> Contract {
        try await store.write { writer in
            var contract = try await contract(id, sql: writer.sql)
            guard contract.status == "active" else {
                throw FHIRError.conflict("合同 \(id) 已\(Self.statusLabel(contract.status))（\(contract.endedOn ?? contract.endDate)），不能续约；请重新签约 (an ended contract cannot be renewed)")
            }
            contract.endDate = KeyGroup.shifted(contract.endDate, years: 1)
            try await writer.sql.raw("UPDATE contract_agreement SET end_date = \(bind: contract.endDate) WHERE id = \(bind: id)").run()
            _ = try await writer.update(ContractResources.episode(contract), type: "EpisodeOfCare", id: Contract.episodeID(id), ifMatch: nil)
            return contract
        }
    }

    /// Ends every contract whose last day is before `day` and was not renewed (到期未续约); the places go to
    /// the waiting lists. Returns how many ended. The server runs it at start and every hour.
    @discardableResult
    public func expireDue(on day: String = today()) async throws -> Int {
        let due = try await database.read { sql in
            try await sql.raw("SELECT id FROM contract_agreement WHERE status = 'active' AND end_date < \(bind: day) ORDER BY id LIMIT 1000").all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
        for id in due {
            try await store.write { writer in
                let contract = try await contract(id, sql: writer.sql)
                guard contract.status == "active", contract.endDate < day else { return }
                let ended = try await end(id, status: "expired", reason: "到期未续约", day: contract.endDate.shiftedDays(1), writer: writer)
                try await fillFromWaitlist(practitioner: ended.practitioner, actor: "expiry", day: day, writer: writer)
            }
        }
        return due.count
    }

    /// Ends an active contract (解约) with a reason; the freed place goes to the first resident waiting.
    public func terminate(_ id: String, reason: String, actor: String, on day: String = today()) async throws -> Contract {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw FHIRError.badRequest("解约须说明原因 (a reason is required)") }
        return try await store.write { writer in
            let ended = try await end(id, status: "terminated", reason: reason, day: day, writer: writer)
            try await fillFromWaitlist(practitioner: ended.practitioner, actor: actor, day: day, writer: writer)
            return ended
        }
    }

    /// Moves an active contract to another family doctor (转签, e.g. when a doctor leaves): the old one ends
    /// as `transferred`, a new one starts with the new doctor, and the freed place goes to the waiting list.
    public func transfer(_ id: String, to practitioner: String, reason: String, actor: String, on day: String = today()) async throws -> Contract {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw FHIRError.badRequest("转签须说明原因 (a reason is required)") }
        do {
            return try await store.write { writer in
                let old = try await contract(id, sql: writer.sql)
                guard old.practitioner != practitioner else { throw FHIRError.conflict("已是该医生的签约居民 (already with this doctor)") }
                _ = try await doctor(practitioner, sql: writer.sql)
                let ended = try await end(id, status: "transferred", reason: reason, day: day, writer: writer)
                let next = try await sign(
                    SignRequest(patient: ended.patient, practitioner: practitioner, districtHospital: ended.districtHospital, cityHospital: ended.cityHospital, package: ended.package),
                    channel: "transfer", actor: actor, day: day, previous: ended.id, writer: writer
                )
                try await fillFromWaitlist(practitioner: ended.practitioner, actor: actor, day: day, writer: writer)
                return next
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("该居民的签约刚被另一请求改变 (changed by another request meanwhile)")
        }
    }

    /// Moves every contract in force of a doctor who leaves to another doctor (整体转签), all or none: 409
    /// when the new doctor has too few places. Returns the new contracts.
    public func transferPanel(from leaving: String, to practitioner: String, reason: String, actor: String, on day: String = today()) async throws -> [Contract] {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw FHIRError.badRequest("转签须说明原因 (a reason is required)") }
        guard leaving != practitioner else { throw FHIRError.badRequest("转出与转入须为两位不同的医生") }
        do {
            return try await store.write { writer in
                _ = try await doctor(leaving, sql: writer.sql)
                let target = try await doctor(practitioner, sql: writer.sql).places
                let ids = try await writer.sql.raw("SELECT id FROM contract_agreement WHERE practitioner_id = \(bind: leaving) AND status = 'active' ORDER BY id")
                    .all().map { try $0.decode(column: "id", as: String.self) }
                guard target.free >= ids.count else {
                    throw FHIRError.conflict("医生 Practitioner/\(practitioner) 只剩 \(target.free) 个名额，不足以接收 \(ids.count) 名签约居民；请先调整容量")
                }
                var moved: [Contract] = []
                for id in ids {
                    let ended = try await end(id, status: "transferred", reason: reason, day: day, writer: writer)
                    moved.append(try await sign(
                        SignRequest(patient: ended.patient, practitioner: practitioner, districtHospital: ended.districtHospital, cityHospital: ended.cityHospital, package: ended.package),
                        channel: "transfer", actor: actor, day: day, previous: ended.id, writer: writer
                    ))
                }
                return moved
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("签约刚被另一请求改变，请重试 (changed by another request meanwhile)")
        }
    }

    /// Sets a doctor's number of places (the CHC manager's decision); not below those already signed.
    public func setCapacity(practitioner: String, capacity: Int) async throws -> DoctorPlaces {
        guard (0...5000).contains(capacity) else { throw FHIRError.badRequest("签约容量须在 0 到 5000 之间") }
        return try await store.write { writer in
            let doctor = try await doctor(practitioner, sql: writer.sql).places
            guard capacity >= doctor.signed else {
                throw FHIRError.conflict("容量 \(capacity) 少于已签约的 \(doctor.signed) 人 (below the residents already signed)")
            }
            try await writer.sql.raw("UPDATE contract_doctor SET capacity = \(bind: capacity) WHERE practitioner_id = \(bind: practitioner)").run()
            var changed = doctor
            changed.capacity = capacity
            for _ in 0..<max(0, capacity - doctor.capacity) {
                guard try await fillFromWaitlist(practitioner: practitioner, actor: "capacity", day: Self.today(), writer: writer) else { break }
                changed.signed += 1
                changed.waiting -= 1
            }
            return changed
        }
    }

    private func end(_ id: String, status: String, reason: String, day: String, writer: FHIRWriter) async throws -> Contract {
        var contract = try await contract(id, sql: writer.sql)
        guard contract.status == "active" else {
            throw FHIRError.conflict("合同 \(id) 已\(Self.statusLabel(contract.status))，不能再次变更 (the contract has already ended)")
        }
        contract.status = status
        contract.endedOn = day
        contract.endReason = reason
        try await writer.sql.raw("""
            UPDATE contract_agreement SET status = \(bind: status), ended_on = \(bind: day), end_reason = \(bind: reason) WHERE id = \(bind: id) AND status = 'active'
            """).run()
        try await writer.sql.raw("UPDATE contract_doctor SET active_count = active_count - 1 WHERE practitioner_id = \(bind: contract.practitioner)").run()
        if var patient = try await writer.read(type: "Patient", id: contract.patient) {
            let removed: Set<String> = ["Practitioner/\(contract.practitioner)", "Organization/\(contract.organization)"]
            let remaining = (patient["generalPractitioner"]?.arrayValue ?? []).filter { !removed.contains($0["reference"]?.stringValue ?? "") }
            patient["generalPractitioner"] = remaining.isEmpty ? nil : .array(remaining)
            patient["meta"] = nil
            _ = try await writer.update(patient, type: "Patient", id: contract.patient, ifMatch: nil)
        }
        _ = try await writer.update(ContractResources.careTeam(contract, active: false), type: "CareTeam", id: Contract.careTeamID(id), ifMatch: nil)
        _ = try await writer.update(ContractResources.episode(contract), type: "EpisodeOfCare", id: Contract.episodeID(id), ifMatch: nil)
        return contract
    }

    /// Signs the first resident waiting for `practitioner` if a place is free; those who meanwhile signed
    /// elsewhere or left are passed over. Returns whether someone was signed.
    @discardableResult
    private func fillFromWaitlist(practitioner: String, actor: String, day: String, writer: FHIRWriter) async throws -> Bool {
        while let row = try await writer.sql.raw("""
            SELECT id, patient_id FROM contract_waitlist WHERE practitioner_id = \(bind: practitioner) AND status = 'waiting' ORDER BY id LIMIT 1
            """).first() {
            let entry = try row.decode(column: "id", as: Int64.self)
            let patient = try row.decode(column: "patient_id", as: String.self)
            let record = try await writer.read(type: "Patient", id: patient)
            let contracted = try await activeContract(patient: patient, sql: writer.sql) != nil
            guard let record, record["active"] != .bool(false), !contracted else {
                try await writer.sql.raw("UPDATE contract_waitlist SET status = 'lapsed' WHERE id = \(bind: entry)").run()
                continue
            }
            do {
                _ = try await sign(SignRequest(patient: patient, practitioner: practitioner), channel: "waitlist", actor: actor, day: day, previous: nil, writer: writer)
                return true
            } catch is ContractFull {
                return false
            }
        }
        return false
    }

    // MARK: reading

    /// A contract by number.
    public func contract(_ id: String) async throws -> Contract {
        try await database.read { try await contract(id, sql: $0) }
    }

    /// A resident's contracts, newest first.
    public func contracts(patient: String) async throws -> [Contract] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM contract_agreement WHERE patient_id = \(bind: patient) ORDER BY signed_at DESC, id DESC").all().map(Self.decode)
        }
    }

    /// A doctor's places.
    public func places(practitioner: String) async throws -> DoctorPlaces {
        try await database.read { try await doctor(practitioner, sql: $0).places }
    }

    /// The family doctors of a CHC with their free places.
    public func doctors(organization: String) async throws -> [DoctorPlaces] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT d.practitioner_id, d.organization_id, d.district, d.capacity, d.active_count,
                    (SELECT COUNT(*) FROM contract_waitlist w WHERE w.practitioner_id = d.practitioner_id AND w.status = 'waiting') AS waiting
                FROM contract_doctor d WHERE d.organization_id = \(bind: organization) ORDER BY d.practitioner_id
                """).all().map { try Self.decodeDoctor($0).places }
        }
    }

    func contract(_ id: String, sql: any SQLDatabase) async throws -> Contract {
        guard let row = try await sql.raw("SELECT * FROM contract_agreement WHERE id = \(bind: id)").first() else {
            throw FHIRError.notFound("签约合同 \(id) 不存在 (no such contract)")
        }
        return try Self.decode(row)
    }

    func activeContract(patient: String, sql: any SQLDatabase) async throws -> Contract? {
        try await sql.raw("SELECT * FROM contract_agreement WHERE patient_id = \(bind: patient) AND status = 'active'").first().map(Self.decode)
    }

    func doctor(_ practitioner: String, sql: any SQLDatabase) async throws -> (places: DoctorPlaces, district: String) {
        guard let row = try await sql.raw("""
            SELECT practitioner_id, organization_id, district, capacity, active_count,
                (SELECT COUNT(*) FROM contract_waitlist w WHERE w.practitioner_id = d.practitioner_id AND w.status = 'waiting') AS waiting
            FROM contract_doctor d WHERE practitioner_id = \(bind: practitioner)
            """).first() else {
            throw FHIRError.notFound("未知的家庭医生 Practitioner/\(practitioner)：不在任何社区卫生服务中心的家庭医生名单中 (unknown family doctor)")
        }
        return try Self.decodeDoctor(row)
    }

    static func decodeDoctor(_ row: any SQLRow) throws -> (places: DoctorPlaces, district: String) {
        let places = DoctorPlaces(
            practitioner: try row.decode(column: "practitioner_id", as: String.self), organization: try row.decode(column: "organization_id", as: String.self),
            capacity: try row.decode(column: "capacity", as: Int.self), signed: try row.decode(column: "active_count", as: Int.self),
            waiting: try row.decode(column: "waiting", as: Int.self)
        )
        return (places, try row.decode(column: "district", as: String.self))
    }

    static func decode(_ row: any SQLRow) throws -> Contract {
        Contract(
            id: try row.decode(column: "id", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
            practitioner: try row.decode(column: "practitioner_id", as: String.self), organization: try row.decode(column: "organization_id", as: String.self),
            district: try row.decode(column: "district", as: String.self), subdistrict: try row.decode(column: "subdistrict", as: String?.self),
            districtHospital: try row.decode(column: "district_hospital", as: String?.self), cityHospital: try row.decode(column: "city_hospital", as: String?.self),
            package: try row.decode(column: "package", as: String.self), status: try row.decode(column: "status", as: String.self),
            startDate: try row.decode(column: "start_date", as: String.self), endDate: try row.decode(column: "end_date", as: String.self),
            channel: try row.decode(column: "channel", as: String.self), endedOn: try row.decode(column: "ended_on", as: String?.self),
            endReason: try row.decode(column: "end_reason", as: String?.self), previous: try row.decode(column: "previous_id", as: String?.self)
        )
    }

    static func statusLabel(_ status: String) -> String {
        switch status {
        case "terminated": "解约"
        case "transferred": "转签"
        case "expired": "到期终止"
        default: status
        }
    }

    static func newID() -> String {
        RecordID.make("c")
    }

}

extension String {
    /// The day before a YYYY-MM-DD day.
    var dayBefore: String { CalendarDay.shift(self, days: -1) }

    /// A YYYY-MM-DD day moved by `days`.
    func shiftedDays(_ days: Int) -> String { CalendarDay.shift(self, days: days) }
}
