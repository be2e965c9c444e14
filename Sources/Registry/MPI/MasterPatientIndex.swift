import FHIR
import Foundation
import SQLKit
import Storage

/// The master patient index (主索引): one person, one record, across institutions.
///
/// As a FHIR write hook it checks resident ID numbers (GB 11643) on every Patient written,
/// refuses a second active record for the same number, and keeps `mpi_person` in step. With field
/// protection, `mpi_person` holds keyed hashes of the ID number and phone, never the values.
public struct MasterPatientIndex: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Patient"]
    /// Keyed hashing of ID numbers and phones, when the store protects them.
    let protection: (any FieldProtection)?

    /// Creates the index hook.
    public init(protection: (any FieldProtection)? = nil) {
        self.protection = protection
    }

    /// The value `mpi_person` stores for an ID number or phone: its keyed hash when protected.
    static func stored(_ value: String?, _ protection: (any FieldProtection)?) -> String? {
        guard let value else { return nil }
        return protection?.keyedHash(value) ?? value
    }

    /// The facts of a Patient the index matches on.
    public struct Demographics: Sendable, Equatable {
        public var idNumbers: [String]
        public var fullName: String?
        public var birthDate: String?
        public var gender: String?
        public var phone: String?
        public var active: Bool
    }

    /// Reads the matching facts from a Patient, validating every resident ID number.
    public static func demographics(of patient: JSONValue) throws -> Demographics {
        var numbers: [String] = []
        for (index, identifier) in (patient["identifier"]?.arrayValue ?? []).enumerated()
        where identifier["system"]?.stringValue == ResidentIDNumber.system {
            guard let text = identifier["value"]?.stringValue else { continue }
            let number: ResidentIDNumber
            do {
                number = try ResidentIDNumber(text)
            } catch {
                throw FHIRError.unprocessable([OutcomeIssue(
                    code: "value",
                    diagnostics: "Resident ID number \(ResidentIDNumber.masked(text)) is not valid: \(error.description)（身份证号码校验失败）",
                    expression: "Patient.identifier[\(index)].value"
                )])
            }
            // The number carries the birth date and sex: the record must agree with it.
            if let birthDate = patient["birthDate"]?.stringValue, birthDate != number.birthDate {
                throw FHIRError.unprocessable([OutcomeIssue(
                    code: "invariant",
                    diagnostics: "Patient.birthDate \(birthDate) does not match the birth date in resident ID number \(ResidentIDNumber.masked(text))（出生日期与身份证号码不符）",
                    expression: "Patient.birthDate"
                )])
            }
            if let gender = patient["gender"]?.stringValue, gender == "male" || gender == "female", gender != number.gender {
                throw FHIRError.unprocessable([OutcomeIssue(
                    code: "invariant",
                    diagnostics: "Patient.gender \(gender) does not match the sex digit of resident ID number \(ResidentIDNumber.masked(text))（性别与身份证号码不符）",
                    expression: "Patient.gender"
                )])
            }
            numbers.append(number.value)
        }
        let name = patient["name"]?.arrayValue?.first
        let fullName = name?["text"]?.stringValue
            ?? name.map { ($0["family"]?.stringValue ?? "") + ($0["given"]?.arrayValue?.compactMap(\.stringValue).joined() ?? "") }
        let phone = patient["telecom"]?.arrayValue?.first { $0["system"]?.stringValue == "phone" }?["value"]?.stringValue
        return Demographics(
            idNumbers: numbers,
            fullName: fullName.flatMap { $0.isEmpty ? nil : $0 },
            birthDate: patient["birthDate"]?.stringValue,
            gender: patient["gender"]?.stringValue,
            phone: phone.map(Self.normalizePhone),
            active: patient["active"] != .bool(false)
        )
    }

    static func normalizePhone(_ text: String) -> String {
        String(text.filter(\.isNumber).suffix(11))
    }

    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {
        guard let resource else {
            try await sql.raw("UPDATE mpi_person SET active = 0 WHERE patient_id = \(bind: id)").run()
            return
        }
        let facts = try Self.demographics(of: resource)
        // One statement when nothing conflicts: the row is written only if no other active record
        // holds one of the numbers; when it was not, the conflicting record is looked up for the message.
        let checked = facts.active && !facts.idNumbers.isEmpty
        let numbers = facts.idNumbers.compactMap { Self.stored($0, protection) }
        var statement = SQLQueryString("""
            INSERT INTO mpi_person (patient_id, id_number_hash, full_name, birth_date, gender, phone_hash, active)
            SELECT \(bind: id), \(bind: Self.stored(facts.idNumbers.first, protection)), \(bind: facts.fullName), \(bind: facts.birthDate), \(bind: facts.gender),
                   \(bind: Self.stored(facts.phone, protection)), \(unsafeRaw: facts.active ? "1" : "0")
            """)
        if checked {
            statement.appendInterpolation(SQLQueryString("""
                 WHERE NOT EXISTS (SELECT 1 FROM mpi_person WHERE id_number_hash IN (\(binds: numbers)) AND active = 1 AND patient_id <> \(bind: id))
                """))
        } else {
            statement.appendLiteral(" WHERE 1 = 1")
        }
        statement.appendLiteral("""
             ON CONFLICT (patient_id) DO UPDATE SET id_number_hash = excluded.id_number_hash, full_name = excluded.full_name,
                birth_date = excluded.birth_date, gender = excluded.gender, phone_hash = excluded.phone_hash, active = excluded.active
            RETURNING patient_id
            """)
        if try await sql.raw(statement).first() != nil { return }
        for number in facts.idNumbers {
            if let row = try await sql.raw("""
                SELECT patient_id FROM mpi_person WHERE id_number_hash = \(bind: Self.stored(number, protection)) AND active = 1 AND patient_id <> \(bind: id)
                """).first() {
                let existing = try row.decode(column: "patient_id", as: String.self)
                throw FHIRError.conflict(
                    "A Patient with resident ID number \(ResidentIDNumber.masked(number)) already exists: Patient/\(existing). "
                        + "Update that record, or create with If-None-Exist: identifier=\(ResidentIDNumber.system)|<number>（一人一档：该身份证号已建档）"
                )
            }
        }
        throw FHIRError(status: 500, code: "exception", "Patient/\(id) was not recorded in the master patient index")
    }
}

/// A candidate record for a person, with how strongly it matches and why.
public struct MatchCandidate: Sendable, Equatable, Codable {
    /// `Patient/<id>`.
    public var patient: String
    /// 0–1: 1.0 for the same ID number; 0.95 name + birth date + phone; 0.8 name + birth date; 0.6 phone + birth date.
    public var score: Double
    /// Which facts agreed.
    public var matchedOn: [String]

    /// Creates a candidate.
    public init(patient: String, score: Double, matchedOn: [String]) {
        self.patient = patient
        self.score = score
        self.matchedOn = matchedOn
    }
}

extension MasterPatientIndex {
    /// Finds existing records for a person: by ID number first, then by name + birth date (+ phone).
    /// `protection` is the store's (``FHIRStore/protection``): the index holds keyed hashes under it.
    public static func match(idNumber: String?, name: String?, birthDate: String?, phone: String?, database: Database,
                             protection: (any FieldProtection)?) async throws -> [MatchCandidate] {
        try await database.read { sql in
            if let idNumber {
                let number: String
                do { number = try ResidentIDNumber(idNumber).value } catch {
                    throw FHIRError.badRequest("Resident ID number \(ResidentIDNumber.masked(idNumber)) is not valid: \(String(describing: error))")
                }
                let rows = try await sql.raw("SELECT patient_id FROM mpi_person WHERE id_number_hash = \(bind: stored(number, protection)) AND active = 1").all()
                if !rows.isEmpty {
                    return try rows.map { MatchCandidate(patient: "Patient/" + (try $0.decode(column: "patient_id", as: String.self)), score: 1.0, matchedOn: ["idNumber"]) }
                }
            }
            guard let birthDate else { return [] }
            let phoneDigits = stored(phone.map(normalizePhone), protection)
            var candidates: [String: MatchCandidate] = [:]
            if let name {
                let rows = try await sql.raw("""
                    SELECT patient_id, phone_hash FROM mpi_person WHERE full_name = \(bind: name) AND birth_date = \(bind: birthDate) AND active = 1
                    """).all()
                for row in rows {
                    let id = try row.decode(column: "patient_id", as: String.self)
                    let storedPhone = try row.decode(column: "phone_hash", as: String?.self)
                    let samePhone = phoneDigits != nil && storedPhone == phoneDigits
                    candidates[id] = MatchCandidate(patient: "Patient/\(id)", score: samePhone ? 0.95 : 0.8, matchedOn: samePhone ? ["name", "birthDate", "phone"] : ["name", "birthDate"])
                }
            }
            if let phoneDigits {
                let rows = try await sql.raw("""
                    SELECT patient_id FROM mpi_person WHERE phone_hash = \(bind: phoneDigits) AND birth_date = \(bind: birthDate) AND active = 1
                    """).all()
                for row in rows {
                    let id = try row.decode(column: "patient_id", as: String.self)
                    if candidates[id] == nil {
                        candidates[id] = MatchCandidate(patient: "Patient/\(id)", score: 0.6, matchedOn: ["phone", "birthDate"])
                    }
                }
            }
            return candidates.values.sorted { ($0.score, $1.patient) > ($1.score, $0.patient) }
        }
    }
}

extension MasterPatientIndex {
    /// Brings the index's own copies under field protection: ID numbers and phones still stored readable
    /// (from before protection) become keyed hashes, and the Patient versions kept by merges are sealed
    /// again under the current key where they need it. Returns the number of rows changed (or, with
    /// `dryRun`, that would change).
    public static func resealProtectedValues(database: Database, protection: any FieldProtection, batchSize: Int = 500, dryRun: Bool = false) async throws -> Int {
        var changed = 0
        while true {
            let count = try await database.write { sql -> Int in
                let rows = try await sql.raw("""
                    SELECT patient_id, id_number_hash, phone_hash FROM mpi_person
                    WHERE id_number_hash NOT LIKE '#%' OR phone_hash NOT LIKE '#%' LIMIT \(literal: batchSize)
                    """).all()
                if dryRun { return rows.count }
                for row in rows {
                    func hashed(_ column: String) throws -> String? {
                        guard let value = try row.decode(column: column, as: String?.self) else { return nil }
                        return value.hasPrefix("#") ? value : protection.keyedHash(value)
                    }
                    try await sql.raw("""
                        UPDATE mpi_person SET id_number_hash = \(bind: try hashed("id_number_hash")), phone_hash = \(bind: try hashed("phone_hash"))
                        WHERE patient_id = \(bind: try row.decode(column: "patient_id", as: String.self))
                        """).run()
                }
                return rows.count
            }
            changed += count
            if count < batchSize || dryRun { break }
        }
        var after: Int64 = 0
        while true {
            let (count, last) = try await database.write { sql -> (Int, Int64?) in
                let rows = try await sql.raw("""
                    SELECT id, source_before, target_before FROM mpi_merge_event WHERE id > \(bind: after) ORDER BY id LIMIT \(literal: batchSize)
                    """).all()
                var count = 0
                for row in rows {
                    let source = try protection.resealed(try row.decode(column: "source_before", as: String.self), type: "Patient")
                    let target = try protection.resealed(try row.decode(column: "target_before", as: String.self), type: "Patient")
                    guard source != nil || target != nil else { continue }
                    count += 1
                    if dryRun { continue }
                    try await sql.raw("""
                        UPDATE mpi_merge_event SET source_before = COALESCE(\(bind: source), source_before), target_before = COALESCE(\(bind: target), target_before)
                        WHERE id = \(bind: try row.decode(column: "id", as: Int64.self))
                        """).run()
                }
                return (count, try rows.last?.decode(column: "id", as: Int64.self))
            }
            changed += count
            guard let last else { break }
            after = last
        }
        return changed
    }
}
