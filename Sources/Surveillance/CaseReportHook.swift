import FHIR
import Foundation
import SQLKit
import Storage

/// Direct push from the EMR (直报): inside every FHIR write, a Condition or an Encounter (its reason codes)
/// with a notifiable ICD-10 code creates the case report card, prefilled from the record, in the same
/// transaction; a later version of the Condition revises the card (its history keeps the change), and one
/// that no longer makes a notifiable diagnosis (deleted, refuted, entered in error) withdraws it. A
/// notifiable diagnosis whose onset is after the diagnosis is refused (422), with nothing stored.
public struct CaseReportHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Condition", "Encounter"]
    public let batched = true

    /// Creates the hook.
    public init() {}

    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        var diseases: [NotifiableDisease]?
        // Conditions that no longer make a notifiable diagnosis (deleted, refuted, entered in error, resolved
        // to another code): a card they made is withdrawn (history: withdrawn by the record).
        var withdrawn: [String] = []
        for version in versions {
            let source = "\(version.type)/\(version.id)"
            guard let resource = version.resource, let patient = Self.reference(resource["subject"], "Patient") else {
                if version.type == "Condition" { withdrawn.append(source) }
                continue
            }
            let codes: [String]
            if version.type == "Condition" {
                codes = Diagnosis.activeICD10Codes(of: resource)
            } else {
                guard resource["status"]?.stringValue != "entered-in-error", resource["status"]?.stringValue != "cancelled" else { continue }
                codes = (resource["reasonCode"]?.items ?? []).flatMap { Diagnosis.icd10Codes(in: $0) }
            }
            guard !codes.isEmpty else {
                if version.type == "Condition" { withdrawn.append(source) }
                continue
            }
            if diseases == nil { diseases = try await CaseReports.diseases(sql: sql) }
            guard let (code, disease) = codes.lazy.compactMap({ code in NotifiableDisease.matching(code, in: diseases ?? []).map { (code, $0) } }).first else {
                if version.type == "Condition" { withdrawn.append(source) }
                continue
            }
            withdrawn.removeAll { $0 == source }
            let diagnosedText = version.type == "Condition"
                ? resource["recordedDate"]?.stringValue ?? resource["onsetDateTime"]?.stringValue
                : resource["period"]?["start"]?.stringValue
            let now = Date()
            let diagnosed = diagnosedText.flatMap(FHIRDateRange.parse)?.low ?? Int64(now.timeIntervalSince1970 * 1000)
            let onset = version.type == "Condition" ? resource["onsetDateTime"]?.stringValue.map { String($0.prefix(10)) } : nil
            if let onset, let onsetRange = FHIRDateRange.parse(onset), let diagnosedText, let diagnosedRange = FHIRDateRange.parse(String(diagnosedText.prefix(10))),
               onsetRange.low > diagnosedRange.low {
                throw FHIRError.unprocessable([OutcomeIssue(code: "invariant", diagnostics: "发病日期 \(onset) 晚于诊断日期 \(diagnosedText.prefix(10))：请核对 (onset after the diagnosis)", expression: "Condition.onsetDateTime")])
            }
            let reporter = version.type == "Condition"
                ? Self.reference(resource["asserter"], "Practitioner") ?? Self.reference(resource["recorder"], "Practitioner")
                : (resource["participant"]?.items ?? []).lazy.compactMap { Self.reference($0["individual"], "Practitioner") }.first
            let encounter = version.type == "Condition" ? Self.reference(resource["encounter"], "Encounter") : version.id
            try await CaseReports.write(CaseReports.Draft(
                source: "\(version.type)/\(version.id)", patient: patient, disease: disease, icd10: code, onsetDate: onset, diagnosedAt: diagnosed,
                certainty: version.type == "Condition" ? Self.certainty(resource) : "clinical", reporter: reporter, encounter: encounter
            ), actor: reporter.map { "Practitioner/\($0)" } ?? "emr", sql: sql, now: now)
        }
        try await CaseReports.withdraw(sources: withdrawn, sql: sql)
    }

    /// The certainty of a diagnosis: provisional or differential → suspected; confirmed with evidence from a
    /// result (an Observation or DiagnosticReport) → laboratory-confirmed; otherwise clinical.
    static func certainty(_ condition: JSONValue) -> String {
        let status = (condition["verificationStatus"]?["coding"]?.items ?? []).compactMap { $0["code"]?.stringValue }.first
        if status == "provisional" || status == "differential" || status == "unconfirmed" { return "suspected" }
        let evidence = (condition["evidence"]?.items ?? []).flatMap { $0["detail"]?.items ?? [] }.compactMap { $0["reference"]?.stringValue }
        return evidence.contains { $0.hasPrefix("Observation/") || $0.hasPrefix("DiagnosticReport/") } ? "confirmed" : "clinical"
    }

    static func reference(_ value: JSONValue?, _ type: String) -> String? {
        guard let text = value?["reference"]?.stringValue, text.hasPrefix(type + "/") else { return nil }
        return String(text.dropFirst(type.count + 1))
    }
}
