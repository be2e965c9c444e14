import FHIR
import Foundation
import SQLKit
import Storage

/// A dose of the national immunization programme's schedule (国家免疫规划疫苗儿童免疫程序, 2021 edition).
public struct ScheduledDose: Sendable, Codable, Equatable {
    /// The vaccine's code in `https://weijian.health/CodeSystem/nip-vaccine` (e.g. `HepB`, `MMR`).
    public var vaccine: String
    public var name: String
    public var dose: Int
    /// Age in months at which the dose is due, and after which it counts as overdue (逾期未种).
    public var dueMonths: Int
    public var overdueMonths: Int
}

/// Coverage of one dose in one birth cohort and area (接种率).
public struct VaccinationCoverage: Sendable, Codable, Equatable {
    public var vaccine: String
    public var name: String
    public var dose: Int
    public var key: String
    /// Children of the cohort old enough to be overdue, and of them those with the dose.
    public var eligible: Int
    public var vaccinated: Int
    /// Percent, one decimal.
    public var percent: Double
}

/// A child missing a dose past its overdue age (for the CHC's 补种 list).
public struct OverdueDose: Sendable, Codable, Equatable {
    public var patient: String
    public var vaccine: String
    public var name: String
    public var dose: Int
    public var dueOn: String
}

/// Immunization records (FHIR Immunization) as doses, kept in step by a write hook; coverage by birth
/// cohort and 街道, overdue doses and lot traceability (疫苗批号追溯).
public struct ImmunizationHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Immunization"]
    public let batched = true
    let engine: DatabaseEngine

    /// Creates the hook for the store's engine.
    public init(engine: DatabaseEngine) {
        self.engine = engine
    }

    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        var rows: [String: [RowValue]?] = [:]
        for version in versions {
            let source = "Immunization/\(version.id)"
            guard let resource = version.resource, resource["status"]?.stringValue == "completed",
                  let patient = CaseReportHook.reference(resource["patient"], "Patient"),
                  let vaccine = (resource["vaccineCode"]?["coding"]?.items ?? []).first(where: { $0["system"]?.stringValue == Vaccination.system })?["code"]?.stringValue,
                  let day = resource["occurrenceDateTime"]?.stringValue.map({ String($0.prefix(10)) }), CalendarDay.isValid(day) else {
                rows[source] = .some(nil)
                continue
            }
            let dose = (resource["protocolApplied"]?.items ?? []).first?["doseNumberPositiveInt"]?.doubleValue.map { Int($0) } ?? 1
            rows[source] = [.text(source), .text(patient), .text(vaccine), .int(Int64(dose)), .text(day), .text(resource["lotNumber"]?.stringValue)]
        }
        try await MultiRowInsert.forEachChunk(sql, rows.keys.sorted(), "DELETE FROM surveillance_immunization WHERE source IN {in}")
        var insert = BatchInsert(table: "surveillance_immunization", columns: ["source", "patient_id", "vaccine", "dose", "given_on", "lot"])
        for (_, row) in rows.sorted(by: { $0.key < $1.key }) { if let row { insert.append(row) } }
        try await insert.flush(sql, engine: engine)
        // A dose given fulfils the child's appointment for it (接种门诊预约 → 已接种).
        let patients = Set(rows.values.compactMap { row -> String? in if case .text(let patient)? = row?[1] { return patient } else { return nil } })
        try await MultiRowInsert.forEachChunk(sql, patients.sorted(), """
            UPDATE surveillance_vaccination_appointment SET status = 'attended' WHERE status = 'booked' AND patient_id IN {in}
                AND EXISTS (SELECT 1 FROM surveillance_immunization i WHERE i.patient_id = surveillance_vaccination_appointment.patient_id
                    AND i.vaccine = surveillance_vaccination_appointment.vaccine AND i.dose = surveillance_vaccination_appointment.dose)
            """)
    }
}

/// The schedule and its queries.
public enum Vaccination {
    /// The code system of the programme's vaccines.
    public static let system = "https://weijian.health/CodeSystem/nip-vaccine"

    /// The 2021 schedule (overdue: the dose's due age plus the months the programme allows before 补种).
    public static let schedule: [ScheduledDose] = [
        .init(vaccine: "HepB", name: "乙肝疫苗", dose: 1, dueMonths: 0, overdueMonths: 3),
        .init(vaccine: "HepB", name: "乙肝疫苗", dose: 2, dueMonths: 1, overdueMonths: 3),
        .init(vaccine: "HepB", name: "乙肝疫苗", dose: 3, dueMonths: 6, overdueMonths: 12),
        .init(vaccine: "BCG", name: "卡介苗", dose: 1, dueMonths: 0, overdueMonths: 3),
        .init(vaccine: "IPV", name: "脊灰灭活疫苗", dose: 1, dueMonths: 2, overdueMonths: 4),
        .init(vaccine: "IPV", name: "脊灰灭活疫苗", dose: 2, dueMonths: 3, overdueMonths: 5),
        .init(vaccine: "bOPV", name: "脊灰减毒活疫苗", dose: 1, dueMonths: 4, overdueMonths: 6),
        .init(vaccine: "bOPV", name: "脊灰减毒活疫苗", dose: 2, dueMonths: 48, overdueMonths: 54),
        .init(vaccine: "DTaP", name: "百白破疫苗", dose: 1, dueMonths: 3, overdueMonths: 5),
        .init(vaccine: "DTaP", name: "百白破疫苗", dose: 2, dueMonths: 4, overdueMonths: 6),
        .init(vaccine: "DTaP", name: "百白破疫苗", dose: 3, dueMonths: 5, overdueMonths: 7),
        .init(vaccine: "DTaP", name: "百白破疫苗", dose: 4, dueMonths: 18, overdueMonths: 24),
        .init(vaccine: "DT", name: "白破疫苗", dose: 1, dueMonths: 72, overdueMonths: 84),
        .init(vaccine: "MMR", name: "麻腮风疫苗", dose: 1, dueMonths: 8, overdueMonths: 12),
        .init(vaccine: "MMR", name: "麻腮风疫苗", dose: 2, dueMonths: 18, overdueMonths: 24),
        .init(vaccine: "JE-L", name: "乙脑减毒活疫苗", dose: 1, dueMonths: 8, overdueMonths: 12),
        .init(vaccine: "JE-L", name: "乙脑减毒活疫苗", dose: 2, dueMonths: 24, overdueMonths: 30),
        .init(vaccine: "MPSV-A", name: "A群流脑多糖疫苗", dose: 1, dueMonths: 6, overdueMonths: 9),
        .init(vaccine: "MPSV-A", name: "A群流脑多糖疫苗", dose: 2, dueMonths: 9, overdueMonths: 12),
        .init(vaccine: "MPSV-AC", name: "A群C群流脑多糖疫苗", dose: 1, dueMonths: 36, overdueMonths: 42),
        .init(vaccine: "MPSV-AC", name: "A群C群流脑多糖疫苗", dose: 2, dueMonths: 72, overdueMonths: 78),
        .init(vaccine: "HepA-L", name: "甲肝减毒活疫苗", dose: 1, dueMonths: 18, overdueMonths: 24),
    ]

    /// `day` minus `months` months (plus, for negative `months`); YYYY-MM-DD, the day clamped to the month's length.
    static func monthsBefore(_ day: String, _ months: Int) -> String {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return day }
        let index = parts[0] * 12 + (parts[1] - 1) - months
        let year = index / 12, month = index % 12 + 1
        let last = [31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return String(format: "%04d-%02d-%02d", year, month, min(parts[2], last))
    }
}

extension SurveillanceService {
    /// Coverage of every scheduled dose among the children of a birth year in a district, by 街道 (or the
    /// whole district): eligible are the active residents born that year who are past the dose's overdue age
    /// on `day`; vaccinated those of them with a completed dose of that number.
    public func vaccinationCoverage(district: String, cohort: Int, by: String, on day: String = CalendarDay.today()) async throws -> [VaccinationCoverage] {
        guard ["subdistrict", "district"].contains(by) else { throw FHIRError.badRequest("by 须为 subdistrict 或 district") }
        guard (1900...3000).contains(cohort), CalendarDay.isValid(day) else { throw FHIRError.badRequest("cohort 须为出生年份，日期须为 YYYY-MM-DD") }
        let column = by == "subdistrict" ? "d.subdistrict" : "d.district"
        return try await database.read { sql in
            var result: [VaccinationCoverage] = []
            for dose in Vaccination.schedule {
                let bornBy = Vaccination.monthsBefore(day, dose.overdueMonths)
                for row in try await sql.raw("""
                    SELECT \(unsafeRaw: column) AS k, COUNT(*) AS eligible,
                        SUM(CASE WHEN EXISTS (SELECT 1 FROM surveillance_immunization i WHERE i.patient_id = d.patient_id AND i.vaccine = \(bind: dose.vaccine)
                            AND i.dose = \(bind: dose.dose)) THEN 1 ELSE 0 END) AS vaccinated
                    FROM registry_resident d
                    WHERE d.district = \(bind: district) AND d.active = 1 AND d.birth_date >= \(bind: "\(cohort)-01-01") AND d.birth_date <= \(bind: "\(cohort)-12-31")
                        AND d.birth_date <= \(bind: bornBy)
                    GROUP BY \(unsafeRaw: column) ORDER BY \(unsafeRaw: column)
                    """).all() {
                    let eligible = try row.decode(column: "eligible", as: Int.self)
                    let vaccinated = try row.decode(column: "vaccinated", as: Int?.self) ?? 0
                    result.append(VaccinationCoverage(vaccine: dose.vaccine, name: dose.name, dose: dose.dose, key: try row.decode(column: "k", as: String?.self) ?? "",
                                                      eligible: eligible, vaccinated: vaccinated,
                                                      percent: eligible == 0 ? 0 : (Double(vaccinated) * 1000 / Double(eligible)).rounded(.down) / 10))
                }
            }
            return result
        }
    }

    /// Children of a CHC (or a whole district, `organization` nil) missing a dose past its overdue age on `day`.
    public func overdueDoses(district: String, organization: String?, on day: String = CalendarDay.today()) async throws -> [OverdueDose] {
        let children = try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district) AND active = 1 AND birth_date >= \(bind: Vaccination.monthsBefore(day, 96))"
            if let organization { filter = "\(filter) AND organization_id = \(bind: organization)" }
            return try await sql.raw("SELECT patient_id, birth_date FROM registry_resident WHERE \(filter) ORDER BY patient_id").all().map {
                (try $0.decode(column: "patient_id", as: String.self), try $0.decode(column: "birth_date", as: String?.self) ?? "")
            }
        }
        var given = Set<String>()
        try await database.read { sql in
            for slice in children.chunked(500) {
                let chunk = slice.map(\.0)
                for row in try await sql.raw("SELECT patient_id, vaccine, dose FROM surveillance_immunization WHERE patient_id IN (\(binds: chunk))").all() {
                    given.insert("\(try row.decode(column: "patient_id", as: String.self))|\(try row.decode(column: "vaccine", as: String.self))|\(try row.decode(column: "dose", as: Int.self))")
                }
            }
        }
        var overdue: [OverdueDose] = []
        for (patient, birth) in children where CalendarDay.isValid(birth) {
            for dose in Vaccination.schedule where birth <= Vaccination.monthsBefore(day, dose.overdueMonths) && !given.contains("\(patient)|\(dose.vaccine)|\(dose.dose)") {
                // Due on the birth date plus the due age.
                let due = Vaccination.monthsBefore(birth, -dose.dueMonths)
                overdue.append(OverdueDose(patient: patient, vaccine: dose.vaccine, name: dose.name, dose: dose.dose, dueOn: due))
            }
        }
        return overdue
    }

    /// The doses of the immunisation schedule a child born on `birthDate` is due for by `day` (due age reached)
    /// and has neither had nor booked, oldest due first (the resident portal's 预约接种).
    public func dueDoses(patient: String, birthDate: String, on day: String = CalendarDay.today()) async throws -> [OverdueDose] {
        guard CalendarDay.isValid(birthDate), birthDate >= Vaccination.monthsBefore(day, 96) else { return [] }
        let taken = try await database.read { sql in
            var keys = Set<String>()
            for row in try await sql.raw("""
                SELECT vaccine, dose FROM surveillance_immunization WHERE patient_id = \(bind: patient)
                UNION SELECT vaccine, dose FROM surveillance_vaccination_appointment WHERE patient_id = \(bind: patient) AND status = 'booked'
                """).all() {
                keys.insert("\(try row.decode(column: "vaccine", as: String.self))|\(try row.decode(column: "dose", as: Int.self))")
            }
            return keys
        }
        return Vaccination.schedule.filter { birthDate <= Vaccination.monthsBefore(day, $0.dueMonths) && !taken.contains("\($0.vaccine)|\($0.dose)") }
            .map { OverdueDose(patient: patient, vaccine: $0.vaccine, name: $0.name, dose: $0.dose, dueOn: Vaccination.monthsBefore(birthDate, -$0.dueMonths)) }
            .sorted { $0.dueOn < $1.dueOn }
    }

    /// The doses given from a vaccine lot (批号追溯), for the CDC of the district.
    public func doses(lot: String, district: String) async throws -> [(patient: String, vaccine: String, dose: Int, givenOn: String)] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT i.patient_id, i.vaccine, i.dose, i.given_on FROM surveillance_immunization i JOIN registry_resident d ON d.patient_id = i.patient_id
                WHERE i.lot = \(bind: lot) AND d.district = \(bind: district) ORDER BY i.given_on, i.patient_id
                """).all().map { (try $0.decode(column: "patient_id", as: String.self), try $0.decode(column: "vaccine", as: String.self),
                                  try $0.decode(column: "dose", as: Int.self), try $0.decode(column: "given_on", as: String.self)) }
        }
    }
}
