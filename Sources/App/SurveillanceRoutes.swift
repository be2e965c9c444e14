import Access
import FHIR
import Foundation
import Hummingbird
import Storage
import Surveillance

extension CaseReport: ResponseEncodable {}
extension NotifiableDisease: ResponseEncodable {}
extension ReportTimeliness: ResponseEncodable {}
extension Signal: ResponseEncodable {}
extension VaccinationCoverage: ResponseEncodable {}
extension OverdueDose: ResponseEncodable {}
extension SignalStream: ResponseEncodable {}
extension StreamTotal: ResponseEncodable {}
extension SignalResponse: ResponseEncodable {}

/// Infectious disease reporting under `/api/v1/surveillance`: the notifiable list, cards entered by hand by
/// clinicians, the district CDC's list and review, timeliness, and the detectors on a posted series.
struct SurveillanceRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let surveillance: SurveillanceService

    struct CardView: ResponseCodable { var report: CaseReport; var history: [CaseReportChange]; var possibleDuplicates: [CaseReport] }
    struct DetectRequest: Decodable {
        /// `C1`, `C2`, `C3`, `cusum`, `any-case`, `cluster`, `moving-percentile`, `farrington` (weekly counts).
        var method: String
        var counts: [Double]
        var alpha: Double?
        var baseline: Int?
        var start: Int?
        var k: Double?
        var h: Double?
        var cases: Double?
        var days: Int?
        var percentile: Double?
    }
    struct DetectResponse: ResponseCodable { var method: String; var alarmDays: [Int] }
    struct SignalStep: Decodable { var verdict: Bool?; var note: String? }
    struct StreamItem: Decodable { var subdistrict: String; var day: String; var text: String }
    struct Recorded: ResponseCodable { var recorded: Int; var id: String? }
    struct LotDose: ResponseCodable { var patient: String; var vaccine: String; var dose: Int; var givenOn: String }

    func register(on router: Router<Context>) {
        registerEmergency(on: router)
        registerVector(on: router)
        registerVaccinationAppointments(on: router)
        let api = router.group("api/v1/surveillance")

        api.get("diseases") { _, context -> [NotifiableDisease] in
            _ = try context.require(.cdcEpidemiologist, .familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .commissionManager)
            return try await surveillance.diseases()
        }

        // 报告卡 entered by a clinician who sees the resident.
        api.post("reports") { request, context -> Response in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager, .hospitalClinician)
            let form = try await request.decode(as: CaseReportForm.self, context: context)
            guard FHIRID.isValid(form.patient), let stored = try await surveillance.store.read(type: "Patient", id: form.patient), !stored.deleted else {
                throw HTTPError(.notFound, message: "居民 Patient/\(form.patient) 不存在：请先建档或通过主索引查找")
            }
            guard try await access.policy.relationship(principal, patient: form.patient) != nil else {
                throw HTTPError(.forbidden, message: "只能为本人接诊或管理的居民报告")
            }
            let report = try await apiErrors { try await surveillance.report(form, reporter: principal.practitioner, actor: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "surveillance/report", patients: [form.patient])
            return try Pages.json(report, status: .created)
        }

        // The district CDC's list (疾控审核): all cards of the district, or by status, or the late ones.
        api.get("reports") { request, context -> [CaseReport] in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            let query = request.uri.queryParameters
            let reports = try await surveillance.reports(district: district, status: query["status"].map(String.init), lateOnly: query["late"] == "1")
            try await access.record(context, principal, action: "search", entity: "surveillance/report", patients: Array(Set(reports.map(\.patient))).sorted())
            return reports
        }

        api.get("reports/:id") { _, context -> CardView in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let id = try context.parameters.require("id")
            guard let (report, history) = try await surveillance.report(id: id), report.district == district else {
                throw HTTPError(.notFound, message: "本区没有报告卡 \(id)")
            }
            try await access.record(context, principal, action: "read", entity: "surveillance/report", patients: [report.patient])
            return CardView(report: report, history: history, possibleDuplicates: try await surveillance.possibleDuplicates(of: id))
        }

        api.post("reports/:id/review") { request, context -> CaseReport in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let review = try await request.decode(as: CaseReportReview.self, context: context)
            let report = try await apiErrors { try await surveillance.review(id: try context.parameters.require("id"), review, actor: principal.subject, district: district) }
            try await access.record(context, principal, action: "update", entity: "surveillance/report", patients: [report.patient])
            return report
        }

        // 报告及时率 of the district.
        api.get("timeliness") { request, context -> ReportTimeliness in
            let principal = try context.require(.cdcEpidemiologist, .commissionManager)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            let from = request.uri.queryParameters["from"].map(String.init) ?? CalendarDay.shift(CalendarDay.today(), days: -365)
            return try await apiErrors { try await surveillance.timeliness(district: district, from: from) }
        }

        // 预警信号: the district CDC's worklist of signals and their lifecycle.
        api.get("signals") { request, context -> [Signal] in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            return try await surveillance.signals(district: district, status: request.uri.queryParameters["status"].map(String.init))
        }
        api.post("signals/run") { request, context -> Response in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let made = try await apiErrors {
                try await JobMetrics.run("detectors") { try await surveillance.detectSignals(district: district, on: request.uri.queryParameters["date"].map(String.init) ?? CalendarDay.today()) }
            }
            JobMetrics.signalsGenerated(made.count)
            return try Pages.json(made, status: .created)
        }
        api.post("signals/:id/:step") { request, context -> Signal in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let body = try await request.decode(as: SignalStep.self, context: context)
            return try await apiErrors {
                try await surveillance.advance(signal: try context.parameters.require("id"), step: try context.parameters.require("step"), verdict: body.verdict,
                                               note: body.note, actor: principal.subject, district: district)
            }
        }
        // 响应率 and median time to verify, as CIDARS reports them.
        api.get("signals/response") { request, context -> SignalResponse in
            let principal = try context.require(.cdcEpidemiologist, .commissionManager)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            let from = request.uri.queryParameters["from"].map(String.init) ?? CalendarDay.shift(CalendarDay.today(), days: -365)
            return try await apiErrors { try await surveillance.signalResponse(district: district, from: from) }
        }

        // 多渠道监测: the streams; counts from sentinel clinics, laboratories, schools and pharmacies (their staff,
        // the CDC, or a district exchange system); tip-offs and media items; totals by day or week, 街道 or district.
        api.get("streams") { _, context -> [SignalStream] in
            _ = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager, .hospitalClinician, .commissionManager, .systemClient)
            return try await surveillance.streams()
        }
        api.post("streams/:stream/counts") { request, context -> Response in
            let principal = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager, .hospitalClinician, .systemClient)
            let district = try Pages.district(of: principal, asked: nil)
            let counts = try await request.decode(as: [StreamCount].self, context: context)
            let recorded = try await apiErrors {
                try await surveillance.recordCounts(stream: try context.parameters.require("stream"), district: district, counts: counts, reporter: principal.subject)
            }
            return try Pages.json(Recorded(recorded: recorded, id: nil), status: .created)
        }
        api.post("streams/:stream/items") { request, context -> Response in
            let principal = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager, .hospitalClinician, .systemClient)
            let district = try Pages.district(of: principal, asked: nil)
            let item = try await request.decode(as: StreamItem.self, context: context)
            let id = try await apiErrors {
                try await surveillance.recordItem(stream: try context.parameters.require("stream"), district: district, subdistrict: item.subdistrict, day: item.day,
                                                  text: item.text, reporter: principal.subject)
            }
            return try Pages.json(Recorded(recorded: 1, id: id), status: .created)
        }
        api.get("streams/:stream") { request, context -> [StreamTotal] in
            let principal = try context.require(.cdcEpidemiologist, .commissionManager)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            let query = request.uri.queryParameters
            let to = query["to"].map(String.init) ?? CalendarDay.today()
            return try await apiErrors {
                try await surveillance.streamTotals(stream: try context.parameters.require("stream"), district: district, from: query["from"].map(String.init) ?? CalendarDay.shift(to, days: -59),
                                                    to: to, byWeek: query["period"] == "week", bySubdistrict: query["by"] != "district")
            }
        }

        // 预防接种: coverage by birth cohort (CDC, commission), children overdue (CHC staff: their CHC; CDC: the
        // district), the doses of a vaccine lot (CDC).
        api.get("vaccination/coverage") { request, context -> [VaccinationCoverage] in
            let principal = try context.require(.cdcEpidemiologist, .commissionManager)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            guard let cohort = request.uri.queryParameters["cohort"].flatMap({ Int($0) }) else { throw HTTPError(.badRequest, message: "请给出出生年份 cohort，如 2024") }
            return try await apiErrors {
                try await surveillance.vaccinationCoverage(district: district, cohort: cohort, by: request.uri.queryParameters["by"].map(String.init) ?? "subdistrict")
            }
        }
        api.get("vaccination/overdue") { _, context -> [OverdueDose] in
            let principal = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager)
            let district = try Pages.district(of: principal, asked: nil)
            let overdue = try await surveillance.overdueDoses(district: district, organization: principal.role == .cdcEpidemiologist ? nil : principal.institution)
            try await access.record(context, principal, action: "search", entity: "surveillance/vaccination", patients: Array(Set(overdue.map(\.patient))).sorted())
            return overdue
        }
        api.get("vaccination/lots/:lot") { _, context -> [LotDose] in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let doses = try await surveillance.doses(lot: try context.parameters.require("lot"), district: district)
            try await access.record(context, principal, action: "search", entity: "surveillance/vaccination", patients: Array(Set(doses.map(\.patient))).sorted())
            return doses.map { LotDose(patient: $0.patient, vaccine: $0.vaccine, dose: $0.dose, givenOn: $0.givenOn) }
        }

        // The detectors on a posted series (days numbered from 0): for checking a method's parameters.
        api.post("detect") { request, context -> DetectResponse in
            _ = try context.require(.cdcEpidemiologist)
            let body = try await request.decode(as: DetectRequest.self, context: context)
            let alarms = try Self.detect(body)
            return DetectResponse(method: body.method, alarmDays: alarms.indices.filter { alarms[$0] })
        }
    }

    static func detect(_ body: DetectRequest) throws -> [Bool] {
        let counts = body.counts
        guard counts.count <= 36_600, counts.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw HTTPError(.badRequest, message: "counts 须为不超过 36600 个非负数")
        }
        if let alpha = body.alpha, !(alpha > 0 && alpha < 0.5) { throw HTTPError(.badRequest, message: "alpha 须在 0 与 0.5 之间") }
        switch body.method {
        case "C1", "C2", "C3":
            let baseline = body.baseline ?? 7
            guard baseline >= 3, baseline <= 60 else { throw HTTPError(.badRequest, message: "baseline 须在 3–60 之间") }
            return EARS.alarms(counts, method: EARS.Method(rawValue: body.method) ?? .c1, baseline: baseline, alpha: body.alpha)
        case "cusum":
            let start = body.start ?? 28
            guard start >= 1, start < counts.count, Array(counts.prefix(start)).reduce(0, +) > 0 else {
                throw HTTPError(.badRequest, message: "start 须在 1 与序列长度之间，且参考期病例数大于 0")
            }
            return CUSUM.alarms(counts, start: start, k: body.k ?? 1.04, h: body.h ?? 2.26)
        case "any-case":
            return FixedThreshold.anyCase(counts)
        case "cluster":
            guard let cases = body.cases, cases >= 1, let days = body.days, (1...365).contains(days) else {
                throw HTTPError(.badRequest, message: "cluster 须给出 cases（≥1）和 days（1–365）")
            }
            return FixedThreshold.cluster(counts, cases: cases, days: days)
        case "moving-percentile":
            let percentile = body.percentile ?? 0.5
            guard percentile > 0, percentile < 1 else { throw HTTPError(.badRequest, message: "percentile 须在 0 与 1 之间") }
            return MovingPercentile.alarms(counts, percentile: percentile)
        case "farrington":
            // Weekly counts: at least 5 years and a few weeks.
            guard counts.count >= 52 * 5 else { throw HTTPError(.badRequest, message: "farrington 须给出至少 260 周的周病例数") }
            return Farrington.run(counts, alpha: body.alpha ?? 0.05).map { $0?.alarm ?? false }
        default:
            throw HTTPError(.badRequest, message: "method 须为 C1、C2、C3、cusum、any-case、cluster、moving-percentile 或 farrington")
        }
    }
}
