import Access
import FHIR
import Foundation
import Hummingbird
import HTTPTypes
import Portal
import Registry
import Storage
import Supervision

extension ReturnVisit: ResponseEncodable {}
extension Prescription: ResponseEncodable {}
extension HomeServiceOrder: ResponseEncodable {}
extension Payment: ResponseEncodable {}
extension Article: ResponseEncodable {}
extension Rating: ResponseEncodable {}
extension PreReviewRule: ResponseEncodable {}
extension NursingService: ResponseEncodable {}

/// The resident portal's services (智慧健康门户 / 捷医) under `/api/v1/portal`: online return visits with the
/// prescription pre-review, Internet+ nursing, hospice and family sickbed requests, payments, targeted health
/// education and ratings; the staff side of each; and their pages (`PortalPages`). A resident sees and changes
/// only their own rows (404 for another's), staff only their institution's.
struct PortalRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let visits: ReturnVisits
    let services: HomeServices
    let payments: Payments
    let education: Education
    let ratings: Ratings
    let complaints: PortalComplaints

    init(access: AccessServices, platform: Platform, provider: any PaymentProvider) {
        self.access = access
        visits = ReturnVisits(store: platform.fhir)
        services = HomeServices(store: platform.fhir)
        payments = Payments(database: platform.database, provider: provider)
        education = Education(store: platform.fhir)
        let ratings = Ratings(database: platform.database)
        self.ratings = ratings
        complaints = PortalComplaints(ratings: ratings, enforcement: Enforcement(database: platform.database))
    }

    /// Who answers online return visits: family doctors (their CHC's) and hospital clinicians (their hospital's).
    static let clinicians: [Role] = [.familyDoctor, .hospitalClinician]
    /// Who handles the CHC's home services.
    static let chcStaff: [Role] = [.chcStaff, .chcManager]

    struct VisitView: Codable, ResponseEncodable { var visit: ReturnVisit; var prescriptions: [Prescription] }
    struct RejectedView: Codable { struct Message: Codable { var message: String }; var error: Message; var reasons: [String]; var prescription: Prescription }
    struct PrescriptionForm: Decodable { var items: [PrescriptionItem] }
    struct NoteForm: Decodable { var note: String }
    struct ReasonForm: Decodable { var reason: String }
    struct PaymentForm: Decodable { var kind: String; var item: String; var idempotencyKey: String? }
    struct RatingForm: Decodable { var kind: String; var service: String; var score: Int; var comment: String?; var complaint: Bool? }
    struct RuleForm: Decodable { var id: String; var atcA: String; var atcB: String; var reason: String; var enabled: Bool? }
    /// A step's fields: an object of strings, numbers or booleans, kept as text.
    struct StepForm: Decodable {
        var fields: [String: String]
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            var fields: [String: String] = [:]
            for key in container.allKeys {
                if let text = try? container.decode(String.self, forKey: key) {
                    fields[key.stringValue] = text
                } else if let number = try? container.decode(Int.self, forKey: key) {
                    fields[key.stringValue] = String(number)
                } else if let flag = try? container.decode(Bool.self, forKey: key) {
                    fields[key.stringValue] = flag ? "true" : "false"
                } else if let list = try? container.decode([Int].self, forKey: key) {
                    fields[key.stringValue] = list.map(String.init).joined(separator: ",")
                }
            }
            self.fields = fields
        }
    }
    struct EducationView: Codable, ResponseEncodable { var profile: EducationProfile; var articles: [Article] }

    static func resident(_ context: Context) throws -> (Principal, String) {
        let principal = try context.require(.resident)
        guard let patient = principal.patient else { throw HTTPError(.forbidden, message: "账号未关联居民健康档案") }
        return (principal, patient)
    }

    static func staff(_ principal: Principal) throws -> StaffActor {
        guard let institution = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联医疗机构") }
        return StaffActor(account: principal.subject, practitioner: principal.practitioner, institution: institution)
    }

    /// A visit the principal may see: the resident's own, or one addressed to the clinician's institution; else 404.
    func visible(_ id: String, _ principal: Principal) async throws -> ReturnVisit {
        guard id.count <= 64, let visit = try await visits.find(id),
              (principal.role == .resident && principal.patient == visit.patient) || (Self.clinicians.contains(principal.role) && principal.institution == visit.institution) else {
            throw HTTPError(.notFound, message: "没有复诊申请 \(id)")
        }
        return visit
    }

    /// An order of `kind` the principal may see: the resident's own, or one of the CHC staff's centre; else 404.
    func visibleOrder(_ id: String, kind: String, _ principal: Principal) async throws -> HomeServiceOrder {
        guard id.count <= 64, let order = try await services.find(id), order.kind == kind,
              (principal.role == .resident && principal.patient == order.patient) || (Self.chcStaff.contains(principal.role) && principal.institution == order.institution) else {
            throw HTTPError(.notFound, message: "没有\(HomeServices.kinds[kind] ?? "服务")申请 \(id)")
        }
        return order
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/portal")

        // 互联网+复诊: the resident's side.
        api.get("visits") { _, context -> [ReturnVisit] in
            let (principal, patient) = try Self.resident(context)
            let list = try await visits.list(patient: patient)
            try await access.record(context, principal, action: "read", entity: "portal/visits", patients: [patient])
            return list
        }
        api.post("visits") { request, context -> Response in
            let (principal, patient) = try Self.resident(context)
            let form = try await request.decode(as: VisitRequestForm.self, context: context)
            let made = try await apiErrors { try await visits.request(form, patient: patient) }
            try await access.record(context, principal, action: "create", entity: "portal/visit/\(made.id)", patients: [patient])
            return try Pages.json(made, status: .created)
        }
        api.get("visits/:id") { _, context -> VisitView in
            let principal = try context.require([.resident] + Self.clinicians)
            let visit = try await visible(try context.parameters.require("id"), principal)
            try await access.record(context, principal, action: "read", entity: "portal/visit/\(visit.id)", patients: [visit.patient])
            return VisitView(visit: visit, prescriptions: try await visits.prescriptions(visit: visit.id))
        }
        api.post("visits/:id/cancel") { _, context -> ReturnVisit in
            let (principal, patient) = try Self.resident(context)
            let id = try context.parameters.require("id")
            let done = try await apiErrors { try await visits.cancel(id, patient: patient) }
            try await access.record(context, principal, action: "update", entity: "portal/visit/\(id)", patients: [patient])
            return done
        }

        // 互联网+复诊: the clinician's side.
        api.get("staff/visits") { request, context -> [ReturnVisit] in
            let principal = try context.require(Self.clinicians)
            let list = try await visits.list(institution: try Self.staff(principal).institution, status: request.uri.queryParameters["status"].map(String.init))
            try await access.record(context, principal, action: "read", entity: "portal/visits", patients: Array(Set(list.map(\.patient))).sorted())
            return list
        }
        api.post("visits/:id/accept") { _, context -> ReturnVisit in
            try await visitStep(context) { id, actor in try await visits.accept(id, by: actor) }
        }
        api.post("visits/:id/decline") { request, context -> ReturnVisit in
            let form = try await request.decode(as: ReasonForm.self, context: context)
            return try await visitStep(context) { id, actor in try await visits.decline(id, reason: form.reason, by: actor) }
        }
        api.post("visits/:id/note") { request, context -> ReturnVisit in
            let form = try await request.decode(as: NoteForm.self, context: context)
            return try await visitStep(context) { id, actor in try await visits.writeNote(id, note: form.note, by: actor) }
        }
        api.post("visits/:id/complete") { _, context -> ReturnVisit in
            try await visitStep(context) { id, actor in try await visits.complete(id, by: actor) }
        }
        api.post("visits/:id/prescriptions") { request, context -> Response in
            let principal = try context.require(Self.clinicians)
            let form = try await request.decode(as: PrescriptionForm.self, context: context)
            let id = try context.parameters.require("id")
            let outcome = try await prescribe(id, items: form.items, principal: principal, context: context)
            if outcome.prescription.status == "rejected" {
                return try Pages.json(RejectedView(error: .init(message: "处方前置审核未通过：" + outcome.prescription.reasons.joined(separator: "；")),
                                                   reasons: outcome.prescription.reasons, prescription: outcome.prescription), status: .unprocessableContent)
            }
            return try Pages.json(outcome, status: .created)
        }
        api.get("prereview-rules") { _, context -> [PreReviewRule] in
            _ = try context.require(Self.clinicians + [.commissionManager])
            return try await visits.database.read { sql in try await PreReview.rules(sql: sql) }
        }
        api.post("prereview-rules") { request, context -> PreReviewRule in
            let principal = try context.require(.commissionManager)
            let form = try await request.decode(as: RuleForm.self, context: context)
            let saved = try await apiErrors {
                try await PreReview.saveInteraction(id: form.id, atcA: form.atcA, atcB: form.atcB, reason: form.reason, enabled: form.enabled ?? true, database: visits.database)
            }
            try await access.record(context, principal, action: "update", entity: "portal/prereview-rule/\(saved.id)", patients: [])
            return saved
        }

        // 互联网+护理服务、安宁疗护、家庭病床.
        api.get("nursing-services") { _, context -> [NursingService] in
            _ = try context.requirePrincipal()
            return HomeServices.nursingCatalogue
        }
        for kind in ["nursing", "hospice", "sickbed"] {
            api.get(RouterPath(kind)) { _, context -> [HomeServiceOrder] in
                let (principal, patient) = try Self.resident(context)
                let list = try await services.list(kind: kind, patient: patient)
                try await access.record(context, principal, action: "read", entity: "portal/\(kind)", patients: [patient])
                return list
            }
            api.post(RouterPath(kind)) { request, context -> Response in
                let (principal, patient) = try Self.resident(context)
                let form = try await request.decode(as: HomeServiceForm.self, context: context)
                let made = try await apiErrors { try await services.request(kind, form, patient: patient) }
                try await access.record(context, principal, action: "create", entity: "portal/\(kind)/\(made.id)", patients: [patient])
                return try Pages.json(made, status: .created)
            }
            api.get(RouterPath("\(kind)/:id")) { _, context -> HomeServiceOrder in
                let principal = try context.require([.resident] + Self.chcStaff)
                let order = try await visibleOrder(try context.parameters.require("id"), kind: kind, principal)
                try await access.record(context, principal, action: "read", entity: "portal/\(kind)/\(order.id)", patients: [order.patient])
                return order
            }
            api.post(RouterPath("\(kind)/:id/cancel")) { _, context -> HomeServiceOrder in
                let (principal, patient) = try Self.resident(context)
                let order = try await visibleOrder(try context.parameters.require("id"), kind: kind, principal)
                let done = try await apiErrors { try await services.cancel(order.id, patient: patient) }
                try await access.record(context, principal, action: "update", entity: "portal/\(kind)/\(order.id)", patients: [patient])
                return done
            }
            for step in (HomeServices.steps[kind] ?? [:]).keys.sorted() {
                api.post(RouterPath("\(kind)/:id/\(step)")) { request, context -> HomeServiceOrder in
                    let principal = try context.require(Self.chcStaff)
                    let fields = try await request.decode(as: StepForm.self, context: context).fields
                    let order = try await visibleOrder(try context.parameters.require("id"), kind: kind, principal)
                    let done = try await apiErrors { try await services.act(order.id, step: step, fields: fields, by: try Self.staff(principal)) }
                    try await access.record(context, principal, action: "update", entity: "portal/\(kind)/\(order.id)", patients: [order.patient])
                    return done
                }
            }
        }
        api.get("staff/orders") { request, context -> [HomeServiceOrder] in
            let principal = try context.require(Self.chcStaff)
            let kind = request.uri.queryParameters["kind"].map(String.init)
            let list = try await services.list(kind: kind, institution: try Self.staff(principal).institution)
            try await access.record(context, principal, action: "read", entity: "portal/orders", patients: Array(Set(list.map(\.patient))).sorted())
            return list
        }

        // 诊间结算.
        api.get("payments") { _, context -> [Payment] in
            let (principal, patient) = try Self.resident(context)
            let list = try await payments.list(patient: patient)
            try await access.record(context, principal, action: "read", entity: "portal/payments", patients: [patient])
            return list
        }
        api.get("payments/:id") { _, context -> Payment in
            let (principal, patient) = try Self.resident(context)
            let id = try context.parameters.require("id")
            guard id.count <= 64, let payment = try await payments.find(id), payment.patient == patient else { throw HTTPError(.notFound, message: "没有支付记录 \(id)") }
            try await access.record(context, principal, action: "read", entity: "portal/payment/\(id)", patients: [patient])
            return payment
        }
        api.post("payments") { request, context -> Response in
            let (principal, patient) = try Self.resident(context)
            let form = try await request.decode(as: PaymentForm.self, context: context)
            guard let key = form.idempotencyKey ?? HTTPField.Name("Idempotency-Key").flatMap({ request.headers[$0] }) else {
                throw HTTPError(.unprocessableContent, message: "请提供幂等键 idempotencyKey（或 Idempotency-Key 请求头），重试时使用同一个")
            }
            let (payment, created) = try await apiErrors { try await payments.pay(kind: form.kind, item: form.item, patient: patient, idempotencyKey: key) }
            if created { try await access.record(context, principal, action: "create", entity: "portal/payment/\(payment.id)", patients: [patient]) }
            if payment.status == "failed" {
                return try Pages.json(payment, status: .init(code: 402, reasonPhrase: "Payment Required"))
            }
            return try Pages.json(payment, status: created ? .created : .ok)
        }

        // 健康教育.
        api.get("education") { _, context -> EducationView in
            let (principal, patient) = try Self.resident(context)
            let (profile, articles) = try await apiErrors { try await education.forResident(patient) }
            try await access.record(context, principal, action: "read", entity: "portal/education", patients: [patient])
            return EducationView(profile: profile, articles: articles)
        }

        // 评价与投诉.
        api.get("ratings") { _, context -> [Rating] in
            let (principal, patient) = try Self.resident(context)
            let list = try await ratings.list(patient: patient)
            try await access.record(context, principal, action: "read", entity: "portal/ratings", patients: [patient])
            return list
        }
        api.post("ratings") { request, context -> Response in
            let (principal, patient) = try Self.resident(context)
            let form = try await request.decode(as: RatingForm.self, context: context)
            let rating = try await rate(form.kind, form.service, score: form.score, comment: form.comment, complaint: form.complaint ?? false, principal: principal, patient: patient, context: context)
            return try Pages.json(rating, status: .created)
        }
    }

    /// A clinician's step on a visit of their institution, audited against its resident.
    func visitStep(_ context: Context, _ body: (String, StaffActor) async throws -> ReturnVisit) async throws -> ReturnVisit {
        let principal = try context.require(Self.clinicians)
        let id = try context.parameters.require("id")
        let done = try await apiErrors { try await body(id, try Self.staff(principal)) }
        try await access.record(context, principal, action: "update", entity: "portal/visit/\(id)", patients: [done.patient])
        return done
    }

    func prescribe(_ id: String, items: [PrescriptionItem], principal: Principal, context: Context) async throws -> ReturnVisits.PrescriptionOutcome {
        let outcome = try await apiErrors { try await visits.prescribe(id, items: items, by: try Self.staff(principal)) }
        try await access.record(context, principal, action: "create", entity: "portal/prescription/\(outcome.prescription.id)", patients: [outcome.visit.patient])
        return outcome
    }

    /// Rates a service; a complaint goes on to supervision at once (and, should that fail, with the next one).
    func rate(_ kind: String, _ service: String, score: Int, comment: String?, complaint: Bool, principal: Principal, patient: String, context: Context) async throws -> Rating {
        var rating = try await apiErrors { try await ratings.rate(kind: kind, id: service, patient: patient, score: score, comment: comment, complaint: complaint) }
        try await access.record(context, principal, action: "create", entity: "portal/rating/\(rating.id)", patients: [patient])
        if rating.complaint {
            let forwarded = (try? await complaints.forwardPending()) ?? [:]
            rating.caseID = forwarded[rating.id] ?? rating.caseID
        }
        return rating
    }
}

extension ReturnVisits.PrescriptionOutcome: ResponseEncodable {}
