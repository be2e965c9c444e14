import FHIR
import Foundation
import Registry
import SQLKit
import Storage

/// Shared checks and conversions of the portal's services.
enum PortalInput {
    static func invalid(_ text: String, _ field: String) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: field)])
    }

    /// Trimmed text, required unless `required` is false (then nil when empty), at most `max` characters.
    static func text(_ value: String?, field: String, label: String, max: Int, required: Bool = true) throws -> String? {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if trimmed.isEmpty {
            if required { throw invalid("请填写\(label)", field) }
            return nil
        }
        guard trimmed.count <= max else { throw invalid("\(label)不超过 \(max) 字", field) }
        return trimmed
    }

    static func required(_ value: String?, field: String, label: String, max: Int) throws -> String {
        try text(value, field: field, label: label, max: max) ?? ""
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? JSONEncoder().encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
    }

    static func decodeJSON<T: Decodable>(_ text: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// The resident's Patient resource (404 when there is none).
    static func patient(_ id: String, writer: FHIRWriter) async throws -> JSONValue {
        guard FHIRID.isValid(id), let patient = try await writer.read(type: "Patient", id: id) else { throw FHIRError.notFound("居民 Patient/\(id) 不存在") }
        return patient
    }

    /// The community health centre that manages the resident (Patient.managingOrganization), which provides
    /// the home services. 422 when the record names none.
    static func chc(of patient: JSONValue) throws -> String {
        guard let reference = patient["managingOrganization"]?["reference"]?.stringValue, reference.hasPrefix("Organization/") else {
            throw invalid("健康档案未登记管理的社区卫生服务中心，请先到社区卫生服务中心建档", "patient")
        }
        return String(reference.dropFirst("Organization/".count))
    }

    /// The Practitioner id if the directory has it (a reference must resolve).
    static func known(_ practitioner: String?, writer: FHIRWriter) async throws -> String? {
        guard let practitioner, FHIRID.isValid(practitioner), try await writer.read(type: "Practitioner", id: practitioner) != nil else { return nil }
        return practitioner
    }

    static func institutionName(_ id: String) -> String {
        Catalog.institutions.first { $0.id == id }.map { $0.shortName ?? $0.name } ?? id
    }

    /// A time the resident asks for: `YYYY-MM-DDThh:mm` (a browser's datetime-local, Shanghai time) or a full
    /// dateTime; not in the past and within 60 days.
    static func appointment(_ text: String?, field: String, now: Date) throws -> String {
        guard var value = text?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { throw invalid("请选择上门时间", field) }
        if value.count == 16, value.dropFirst(10).first == "T" { value += ":00+08:00" }
        guard value.count > 10, let range = FHIRDateRange.parse(value) else { throw invalid("时间须为 YYYY-MM-DDThh:mm", field) }
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        guard range.low >= nowMs - 300_000 else { throw invalid("上门时间不能早于现在", field) }
        guard range.low <= nowMs + 60 * 86_400_000 else { throw invalid("上门时间须在 60 天以内", field) }
        return value
    }

    /// Yuan as shown: 分 to `¥12.50`, in integers throughout.
    static func yuan(_ fen: Int) -> String {
        "¥\(fen / 100).\(String(format: "%02d", fen % 100))"
    }
}

extension Int {
    /// An amount in 分 as yuan (`¥25.00`), computed in integers.
    public var yuanText: String { PortalInput.yuan(self) }
}
