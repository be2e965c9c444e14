import Access
import Contracting
import CSV
import FHIR
import Foundation
import Registry
import Storage

/// A row the import refused, with every reason found (numbered from 1, after the header).
public struct RejectedRow: Sendable, Codable, Equatable {
    public var row: Int
    public var reasons: [String]
}

/// What an import did (or, dry, would do): rows read, imported, already present (skipped, so that a file can be
/// imported again), and refused with their reasons.
public struct ImportReport: Sendable, Codable, Equatable {
    public var kind: String
    public var dryRun: Bool
    public var rows: Int
    public var imported: Int
    public var alreadyPresent: Int
    public var rejected: [RejectedRow]
    /// The residents written (for the audit log; not part of the answer).
    public var patients: [String] = []

    enum CodingKeys: String, CodingKey { case kind, dryRun, rows, imported, alreadyPresent, rejected }
}

/// 历史数据导入: CSV from a legacy system — residents (居民档案), family-doctor contracts (签约) and chronic
/// registers (慢病登记, as diagnoses the chronic programmes pick up) — checked row by row; good rows are written,
/// bad rows are reported with their reasons, and a dry run writes nothing. A file is parsed by CSV.swift
/// (RFC 4180: quoted fields, embedded commas and line breaks); its first row names the columns.
public struct LegacyImport: Sendable {
    let store: FHIRStore
    let contracting: ContractingService

    public init(platform: Platform) {
        store = platform.fhir
        contracting = ContractingService(store: platform.fhir)
    }

    /// The kinds and their columns (required ones first).
    public static let kinds: [String: (required: [String], optional: [String], name: String)] = [
        "residents": (["id_number", "name", "subdistrict", "chc"], ["phone", "address"], "居民档案"),
        "contracts": (["id_number", "doctor"], [], "家庭医生签约"),
        "chronic": (["id_number", "programme", "diagnosed"], ["icd10"], "慢病登记"),
    ]
    /// Chronic programmes and the ICD-10 code a diagnosis gets when the file gives none.
    static let programmes = ["hypertension": ("I10", "高血压"), "diabetes": ("E11.9", "2型糖尿病")]
    static let maximumRows = 50_000

    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        public var description: String { switch self { case .unreadable(let reason): reason } }
    }

    /// The header and rows of a CSV text (a BOM and blank lines ignored); throws for a file CSV cannot read.
    static func parse(_ text: String) throws -> (header: [String], rows: [[String]]) {
        let cleaned = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let reader: CSVReader
        do {
            reader = try CSVReader(string: cleaned, hasHeaderRow: true, trimFields: true)
        } catch {
            throw Failure.unreadable("无法读取表头：\(error)")
        }
        guard let header = reader.headerRow?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }), !header.isEmpty else { throw Failure.unreadable("文件没有表头行") }
        var rows: [[String]] = []
        while let row = reader.next() {
            if row.allSatisfy({ $0.isEmpty }) { continue }
            rows.append(row)
            if rows.count > maximumRows { throw Failure.unreadable("一次至多导入 \(maximumRows) 行，请分批导入") }
        }
        if let error = reader.error { throw Failure.unreadable("CSV 格式有误：\(error)") }
        return (header, rows)
    }

    /// Imports `text` as `kind` for `district` (every row's CHC, doctor and resident must be the district's; with
    /// `institution`, a CHC manager's, the CHC's own). Throws `Failure` for an unknown kind, a missing column or an
    /// unreadable file: nothing is imported then.
    public func run(kind: String, text: String, district: String, institution: String?, dryRun: Bool, actor: String) async throws -> ImportReport {
        guard let spec = Self.kinds[kind] else { throw Failure.unreadable("导入类型须为 residents、contracts 或 chronic") }
        let (header, rows) = try Self.parse(text)
        if let missing = spec.required.first(where: { !header.contains($0) }) {
            throw Failure.unreadable("缺少列 \(missing)；\(spec.name)须有列：\(spec.required.joined(separator: ", "))（可选：\(spec.optional.joined(separator: ", "))）")
        }
        var report = ImportReport(kind: kind, dryRun: dryRun, rows: rows.count, imported: 0, alreadyPresent: 0, rejected: [])
        var seen: Set<String> = []
        var pending: [(row: Int, write: Write)] = []
        for (index, values) in rows.enumerated() {
            var row: [String: String] = [:]
            for (column, value) in zip(header, values) { row[column] = value.trimmingCharacters(in: .whitespacesAndNewlines) }
            var reasons: [String] = []
            if values.count != header.count { reasons.append("列数 \(values.count) 与表头 \(header.count) 不符") }
            for column in spec.required where (row[column] ?? "").isEmpty { reasons.append("缺少 \(column)") }
            var number: ResidentIDNumber?
            if let text = row["id_number"], !text.isEmpty {
                do { number = try ResidentIDNumber(text) } catch { reasons.append("身份证号无效：\(Self.chinese(error))") }
            }
            if let number {
                let key = number.value + (kind == "chronic" ? "|" + (row["programme"] ?? "") : "")
                if !seen.insert(key).inserted { reasons.append("与前面的行重复") }
            }
            guard reasons.isEmpty, let number else {
                report.rejected.append(RejectedRow(row: index + 1, reasons: reasons))
                continue
            }
            do {
                let outcome = try await importRow(kind: kind, row: row, number: number, district: district, institution: institution, dryRun: dryRun, actor: actor)
                switch outcome {
                case .imported: report.imported += 1
                case .present: report.alreadyPresent += 1
                case .write(let write): pending.append((index + 1, write))
                }
            } catch let error as RowProblem {
                report.rejected.append(RejectedRow(row: index + 1, reasons: error.reasons))
            } catch let error as FHIRError where error.status < 500 {
                report.rejected.append(RejectedRow(row: index + 1, reasons: error.issues.map(\.diagnostics)))
            }
        }
        // The good rows are written in transactions of up to 200; a transaction that fails is taken row by row, so
        // that one row's problem (another import of the same person a moment earlier, say) refuses that row only.
        for start in stride(from: 0, to: pending.count, by: 200) {
            let chunk = Array(pending[start..<min(pending.count, start + 200)])
            do {
                try await write(chunk.map(\.write), actor: actor)
                report.imported += chunk.count
                report.patients += chunk.map(\.write.patient)
            } catch {
                for item in chunk {
                    do {
                        try await write([item.write], actor: actor)
                        report.imported += 1
                        report.patients.append(item.write.patient)
                    } catch let error as FHIRError where error.status < 500 {
                        report.rejected.append(RejectedRow(row: item.row, reasons: error.issues.map(\.diagnostics)))
                    } catch let full as ContractFull {
                        report.rejected.append(RejectedRow(row: item.row, reasons: [full.description]))
                    }
                }
            }
        }
        report.rejected.sort { $0.row < $1.row }
        return report
    }

    /// A row's write, made after every row is checked: a Patient or Condition to create, or a contract to sign.
    enum Write {
        case create(JSONValue, id: String?, patient: String)
        case sign(SignRequest)

        var patient: String {
            switch self {
            case .create(_, _, let patient): patient
            case .sign(let request): request.patient
            }
        }
    }

    /// Writes rows in one transaction (contracts through the contracting service, which signs them together).
    func write(_ writes: [Write], actor: String) async throws {
        let requests = writes.compactMap { write -> SignRequest? in if case .sign(let request) = write { request } else { nil } }
        if !requests.isEmpty { _ = try await contracting.sign(requests, channel: "import", actor: actor) }
        let resources = writes.compactMap { write -> (JSONValue, String?)? in if case .create(let resource, let id, _) = write { (resource, id) } else { nil } }
        if !resources.isEmpty {
            try await store.write { writer in
                for (resource, id) in resources { _ = try await writer.create(resource, id: id) }
            }
        }
    }

    struct RowProblem: Error { var reasons: [String] }
    /// A row found good: counted (a dry run), already there, or to be written.
    enum Outcome { case imported, present, write(Write) }

    static func chinese(_ problem: ResidentIDNumber.Problem) -> String {
        switch problem {
        case .length(let count): "应为 18 位，此为 \(count) 位"
        case .characters: "应为 17 位数字加一位数字或 X"
        case .birthDate: "第 7–14 位不是有效的出生日期"
        case .checkDigit(let expected): "校验位错误，应为 \(expected)"
        }
    }

    /// The resident holding an ID number, if any.
    func resident(_ number: ResidentIDNumber) async throws -> (id: String, record: JSONValue)? {
        var search = try SearchRequest(type: "Patient", query: [("identifier", "\(ResidentIDNumber.system)|\(number.value)")], definitions: store.definitions, strict: true)
        search.count = 1
        guard let match = try await store.search(search).matches.first else { return nil }
        return (match.id, try JSONValue.parse(Data(match.content.utf8)))
    }

    func importRow(kind: String, row: [String: String], number: ResidentIDNumber, district: String, institution: String?, dryRun: Bool, actor: String) async throws -> Outcome {
        let existing = try await resident(number)
        switch kind {
        case "residents":
            var reasons: [String] = []
            let name = row["name"] ?? ""
            if name.count > 50 { reasons.append("姓名不超过 50 字") }
            let subdistrict = row["subdistrict"] ?? ""
            if !Catalog.subdistricts(of: district).contains(where: { $0.code == subdistrict }) { reasons.append("街道 \(subdistrict) 不属于本区") }
            let chc = row["chc"] ?? ""
            if !Catalog.institutions.contains(where: { $0.id == chc && $0.district == district && $0.type == "chc" }) { reasons.append("社区卫生服务中心 \(chc) 不在本区名录中") }
            if let institution, chc != institution { reasons.append("只能导入本中心（\(institution)）的居民") }
            let phone = row["phone"] ?? ""
            if !phone.isEmpty, !(phone.count == 11 && phone.hasPrefix("1") && phone.allSatisfy(\.isASCII) && phone.allSatisfy(\.isNumber)) { reasons.append("手机号应为 11 位数字") }
            guard reasons.isEmpty else { throw RowProblem(reasons: reasons) }
            if let existing {
                // The same person already registered: skipped when at this CHC, refused when elsewhere (a transfer
                // is the CHCs' decision, not an import's).
                let managing = existing.record["managingOrganization"]?["reference"]?.stringValue
                guard managing == "Organization/\(chc)" else { throw RowProblem(reasons: ["该身份证号已在其他机构建档（\(managing ?? "未指定机构")）"]) }
                return .present
            }
            guard !dryRun else { return .imported }
            let id = RecordID.make("pi")
            var patient: [String: JSONValue] = [
                "resourceType": .string("Patient"), "active": .bool(true),
                "identifier": .array([.object(["use": .string("official"), "system": .string(ResidentIDNumber.system), "value": .string(number.value)])]),
                "name": .array([.object(["use": .string("official"), "text": .string(name)])]),
                "gender": .string(number.gender), "birthDate": .string(number.birthDate),
                "managingOrganization": .object(["reference": .string("Organization/\(chc)")]),
                "address": .array([.object(["use": .string("home"), "text": .string(row["address"] ?? ""), "city": .string("上海市"),
                                            "extension": .array([.object(["url": .string(PatientExtensions.subdistrict), "valueCode": .string(subdistrict)])])])]),
            ]
            if !phone.isEmpty { patient["telecom"] = .array([.object(["system": .string("phone"), "value": .string(phone), "use": .string("mobile")])]) }
            return .write(.create(.object(patient), id: id, patient: id))
        case "contracts":
            guard let existing else { throw RowProblem(reasons: ["没有该身份证号的居民档案，请先导入居民"]) }
            try requireDistrict(existing.record, district: district, institution: institution)
            let doctor = row["doctor"] ?? ""
            guard FHIRID.isValid(doctor), try await store.read(type: "Practitioner", id: doctor) != nil else { throw RowProblem(reasons: ["没有家庭医生 Practitioner/\(doctor)"]) }
            if try await contracting.contracts(patient: existing.id).contains(where: { $0.status == "active" }) { return .present }
            guard !dryRun else { return .imported }
            return .write(.sign(SignRequest(patient: existing.id, practitioner: doctor)))
        default:
            guard let existing else { throw RowProblem(reasons: ["没有该身份证号的居民档案，请先导入居民"]) }
            try requireDistrict(existing.record, district: district, institution: institution)
            var reasons: [String] = []
            let programme = Self.programmes[row["programme"] ?? ""]
            if programme == nil { reasons.append("programme 须为 hypertension（高血压）或 diabetes（糖尿病）") }
            let diagnosed = row["diagnosed"] ?? ""
            if !CalendarDay.isValid(diagnosed) || diagnosed > CalendarDay.today() { reasons.append("diagnosed 须为不晚于今天的 YYYY-MM-DD") }
            let code = (row["icd10"] ?? "").isEmpty ? programme?.0 ?? "" : row["icd10"] ?? ""
            if let programme, !code.hasPrefix(String(programme.0.prefix(1))) { reasons.append("ICD-10 编码 \(code) 与 \(programme.1) 不符") }
            guard reasons.isEmpty, let programme else { throw RowProblem(reasons: reasons) }
            var search = try SearchRequest(type: "Condition", query: [("subject", "Patient/\(existing.id)"), ("code", "http://hl7.org/fhir/sid/icd-10|\(code)")], definitions: store.definitions, strict: true)
            search.count = 1
            if try await !store.search(search).matches.isEmpty { return .present }
            guard !dryRun else { return .imported }
            let condition: JSONValue = .object([
                "resourceType": .string("Condition"),
                "clinicalStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-clinical"), "code": .string("active")])])]),
                "verificationStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-ver-status"), "code": .string("confirmed")])])]),
                "code": .object(["coding": .array([.object(["system": .string("http://hl7.org/fhir/sid/icd-10"), "code": .string(code)])]), "text": .string(programme.1)]),
                "subject": .object(["reference": .string("Patient/\(existing.id)")]),
                "onsetDateTime": .string(diagnosed), "recordedDate": .string(diagnosed),
                "note": .array([.object(["text": .string("自原系统导入")])]),
            ])
            return .write(.create(condition, id: nil, patient: existing.id))
        }
    }

    /// A resident of another district (or, for a CHC manager, another CHC) is not this import's.
    func requireDistrict(_ record: JSONValue, district: String, institution: String?) throws {
        let managing = record["managingOrganization"]?["reference"]?.stringValue.map { String($0.dropFirst("Organization/".count)) }
        guard let managing, let chc = Catalog.institutions.first(where: { $0.id == managing }), chc.district == district else {
            throw RowProblem(reasons: ["该居民不属于本区"])
        }
        if let institution, managing != institution { throw RowProblem(reasons: ["该居民不属于本中心"]) }
    }
}
