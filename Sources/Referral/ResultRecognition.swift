import FHIR
import Foundation
import Registry
import SQLKit
import Storage

/// A test the rules recognise across institutions (互认项目): its code and for how many days a result stands.
public struct RecognitionRule: Sendable, Codable, Equatable {
    /// The code (LOINC by default), its Chinese label, and the days a result stands.
    public var system: String
    public var code: String
    public var label: String
    public var windowDays: Int
}

/// An earlier result that makes a new order unnecessary.
public struct EarlierResult: Sendable, Codable, Equatable {
    /// `Observation/<id>` or `DiagnosticReport/<id>`.
    public var reference: String
    /// When and where (Organization id and name) it was done.
    public var date: String
    public var organization: String
    public var organizationName: String
    /// The value or conclusion as text.
    public var summary: String
    /// For an imaging report (影像云): the ImagingStudy it reports on, and where its images are viewed — the
    /// producing PACS's DICOMweb (WADO-RS) address of the study, when the study names an Endpoint. The platform
    /// keeps no images of its own.
    public var imagingStudy: String? = nil
    public var imagesURL: String? = nil
}

/// The answer to an order about to be placed: a warning with the earlier result when one stands.
public struct RecognitionCheck: Sendable, Codable, Equatable {
    /// The rule for the test (nil when it is not a recognised test) and the latest result that stands.
    public var rule: RecognitionRule?
    public var earlier: EarlierResult?
    /// The warning to show (nil when nothing stands).
    public var warning: String?
}

/// What became of an order (for the rate): `recognised` (the earlier result accepted, no repeat), `repeated`
/// (ordered again although a result stood), `new` (nothing stood).
public struct TestOrder: Sendable, Codable, Equatable {
    /// The order's id, the resident, the test code, the outcome and the earlier result it refers to.
    public var id: String
    public var patient: String
    public var code: String
    public var outcome: String
    public var earlier: String?
}

/// The recognition rate of a district in a period (互认率): recognised ÷ (recognised + repeated).
public struct RecognitionRate: Sendable, Codable, Equatable {
    /// The district and the period (days, inclusive); the orders by outcome; the rate as a whole percent (rounded down).
    public var district: String
    public var from: String
    public var to: String
    public var recognised: Int
    public var repeated: Int
    public var new: Int
    public var percent: Int
}

extension ReferralService {
    /// Institutions whose results are recognised: hospitals of level 二级 and above in the catalogue (上海市
    /// 医疗机构检查检验结果互认 covers secondary and tertiary hospitals).
    public static func isRecognisedInstitution(_ id: String) -> Bool {
        guard let institution = Catalog.institutions.first(where: { $0.id == id }) else { return false }
        return hospitalTypes.contains(institution.type) && (institution.level == "secondary" || institution.level == "tertiary")
    }

    /// The rules (互认项目).
    public func recognitionRules() async throws -> [RecognitionRule] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM referral_recognition_rule ORDER BY code").all().map(Self.decodeRule)
        }
    }

    static func decodeRule(_ row: any SQLRow) throws -> RecognitionRule {
        RecognitionRule(system: try row.decode(column: "code_system", as: String.self), code: try row.decode(column: "code", as: String.self),
                        label: try row.decode(column: "label", as: String.self), windowDays: try row.decode(column: "window_days", as: Int.self))
    }

    /// Checks an order for `patient`: when the same test was done within its window at a recognised institution,
    /// the answer carries a warning and the latest such result.
    public func checkOrder(patient: String, system: String = "http://loinc.org", code: String, now: Date = Date()) async throws -> RecognitionCheck {
        guard FHIRID.isValid(patient), let stored = try await store.read(type: "Patient", id: patient), !stored.deleted else {
            throw FHIRError.notFound("居民 Patient/\(patient) 不存在 (unknown resident)")
        }
        guard let rule = try await database.read({ sql in
            try await sql.raw("SELECT * FROM referral_recognition_rule WHERE code_system = \(bind: system) AND code = \(bind: code)").first().map(Self.decodeRule)
        }) else { return RecognitionCheck(rule: nil, earlier: nil, warning: nil) }
        let since = CalendarDay.shift(CalendarDay.today(now), days: -rule.windowDays)
        var found: [EarlierResult] = []
        for type in ["Observation", "DiagnosticReport"] {
            var search = try SearchRequest(type: type, query: [("subject", "Patient/\(patient)"), ("code", "\(system)|\(code)"), ("date", "ge\(since)"), ("_sort", "-date")],
                                           definitions: store.definitions, strict: true)
            search.count = 20
            for match in try await store.search(search).matches {
                let resource = try JSONValue.parse(Data(match.content.utf8))
                guard resource["status"]?.stringValue.map({ ["final", "amended", "corrected"].contains($0) }) ?? false else { continue }
                let organization = (resource["performer"]?.items ?? []).compactMap { $0["reference"]?.stringValue }
                    .first { $0.hasPrefix("Organization/") }.map { String($0.dropFirst("Organization/".count)) }
                guard let organization, Self.isRecognisedInstitution(organization) else { continue }
                let date = resource["effectiveDateTime"]?.stringValue ?? resource["issued"]?.stringValue ?? ""
                var summary = resource["conclusion"]?.stringValue ?? resource["valueString"]?.stringValue ?? ""
                if let quantity = resource["valueQuantity"], let value = quantity["value"] { summary = "\(value.serialized()) \(quantity["unit"]?.stringValue ?? "")" }
                var result = EarlierResult(reference: "\(type)/\(match.id)", date: date, organization: organization,
                                           organizationName: Catalog.institutions.first { $0.id == organization }?.name ?? organization, summary: summary)
                if let study = (resource["imagingStudy"]?.items ?? []).compactMap({ $0["reference"]?.stringValue }).first(where: { $0.hasPrefix("ImagingStudy/") }) {
                    result.imagingStudy = study
                    result.imagesURL = try await imagesURL(of: String(study.dropFirst("ImagingStudy/".count)))
                }
                found.append(result)
            }
        }
        guard let latest = found.max(by: { $0.date < $1.date }) else { return RecognitionCheck(rule: rule, earlier: nil, warning: nil) }
        return RecognitionCheck(rule: rule, earlier: latest,
                                warning: "\(rule.label)已于 \(latest.date.prefix(10)) 在\(latest.organizationName)完成（\(rule.windowDays)天内互认）：\(latest.summary)。请优先采用该结果，避免重复检查。")
    }

    /// The DICOMweb address of a study's images: its Endpoint's address (a `dicom-wado-rs` Endpoint) and
    /// `/studies/<Study Instance UID>` (the study's `urn:oid:` identifier). Nil when either is missing.
    func imagesURL(of study: String) async throws -> String? {
        guard FHIRID.isValid(study), let stored = try await store.read(type: "ImagingStudy", id: study), !stored.deleted else { return nil }
        let resource = try JSONValue.parse(Data(stored.content.utf8))
        guard let uid = (resource["identifier"]?.items ?? []).compactMap({ $0["value"]?.stringValue }).first(where: { $0.hasPrefix("urn:oid:") }),
              let endpoint = (resource["endpoint"]?.items ?? []).compactMap({ $0["reference"]?.stringValue }).first(where: { $0.hasPrefix("Endpoint/") }),
              let stored = try await store.read(type: "Endpoint", id: String(endpoint.dropFirst("Endpoint/".count))), !stored.deleted,
              let address = try JSONValue.parse(Data(stored.content.utf8))["address"]?.stringValue, address.hasPrefix("https://") || address.hasPrefix("http://") else { return nil }
        return (address.hasSuffix("/") ? String(address.dropLast()) : address) + "/studies/" + uid.dropFirst("urn:oid:".count)
    }

    /// Records an order's outcome: `recognise` true (the earlier result accepted, nothing ordered) or false
    /// (ordered; counted as repeated when a recognised result stood — a reason is then required).
    public func recordOrder(patient: String, system: String = "http://loinc.org", code: String, recognise: Bool, reason: String?,
                            organization: String, actor: String, now: Date = Date()) async throws -> TestOrder {
        let check = try await checkOrder(patient: patient, system: system, code: code, now: now)
        let outcome: String
        switch (recognise, check.earlier) {
        case (true, nil): throw FHIRError.conflict("没有可互认的既往结果，不能登记为互认")
        case (true, .some): outcome = "recognised"
        case (false, .some):
            guard let reason = reason?.trimmingCharacters(in: .whitespaces), !reason.isEmpty else {
                throw Self.invalid("已有可互认的结果，重复检查须说明原因（如病情变化）", "reason")
            }
            outcome = "repeated"
        case (false, nil): outcome = "new"
        }
        let order = TestOrder(id: Self.newID("o"), patient: patient, code: code, outcome: outcome, earlier: check.earlier?.reference)
        let district = Catalog.institutions.first { $0.id == organization }?.district ?? ""
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO referral_test_order (id, patient_id, code_system, code, organization_id, district, ordered_by, ordered_at, ordered_ms, outcome, earlier_result, reason)
                VALUES (\(bind: order.id), \(bind: patient), \(bind: system), \(bind: code), \(bind: organization), \(bind: district), \(bind: actor),
                    \(bind: ISO8601Timestamp.format(now)), \(bind: SlotTime.millis(now)), \(bind: outcome), \(bind: order.earlier), \(bind: reason))
                """).run()
        }
        return order
    }

    /// 互认率 of a district's orders placed from `from` to `to` (days, inclusive).
    public func recognitionRate(district: String, from: String, to: String) async throws -> RecognitionRate {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to,
              let low = SlotTime.millis(day: from, time: "00:00"), let high = SlotTime.millis(day: CalendarDay.shift(to, days: 1), time: "00:00") else {
            throw Self.invalid("日期应为 YYYY-MM-DD，且 from 不晚于 to", "from")
        }
        let counts = try await database.read { sql in
            try await sql.raw("""
                SELECT outcome, COUNT(*) AS n FROM referral_test_order WHERE district = \(bind: district) AND ordered_ms >= \(bind: low) AND ordered_ms < \(bind: high)
                GROUP BY outcome
                """).all().reduce(into: [String: Int]()) { $0[try $1.decode(column: "outcome", as: String.self)] = try $1.decode(column: "n", as: Int.self) }
        }
        let recognised = counts["recognised"] ?? 0, repeated = counts["repeated"] ?? 0
        return RecognitionRate(district: district, from: from, to: to, recognised: recognised, repeated: repeated, new: counts["new"] ?? 0,
                               percent: recognised + repeated == 0 ? 0 : recognised * 100 / (recognised + repeated))
    }
}
