import Access
import FHIR
import Foundation
import Referral
import Registry
import Storage
import Supervision
import Testing
import WeijianTesting

/// 执业许可: licences refused when they make no sense, expiry alerts, and practice from the hospitals' sessions
/// that no licence covers; over real HTTP on the engine the environment names.
@Suite struct LicenceTests {
    struct Alert: Decodable { var status: String; var daysLeft: Int; var licence: Number }
    struct Number: Decodable { var number: String }
    struct Violation: Decodable { var practitioner: String; var department: String; var reason: String }

    @Test func licencesExpireAndPracticeOutsideThemIsFound() async throws {
        try await TestServer.run { server in
            let inspector = try await server.client(as: Principal(subject: "insp-l", role: .healthInspector, displayName: "监督员", district: "310105"))
            let today = CalendarDay.today()
            func register(_ body: String) async throws -> (Int, String) {
                let (status, text) = try await inspector.call(.post, "/api/v1/supervision/licences", body)
                return (status.code, String(buffer: text))
            }
            let hospital = try #require(Catalog.institutions.first { $0.district == "310105" && $0.type == "hospital" })
            // A physician licensed for internal medicine, valid; another whose licence expired last month; an
            // institution licence expiring in 30 days.
            var (status, text) = try await register(#"{"holderType":"practitioner","holder":"dr-a","kind":"physician","number":"110310000001","scope":["internal-medicine"],"validFrom":"2020-01-01","validTo":"2030-12-31"}"#)
            #expect(status == 201, "\(text)")
            (status, text) = try await register(#"{"holderType":"practitioner","holder":"dr-b","kind":"physician","number":"110310000002","scope":["surgery"],"validFrom":"2020-01-01","validTo":"\#(CalendarDay.shift(today, days: -31))"}"#)
            #expect(status == 201, "\(text)")
            (status, text) = try await register(#"{"holderType":"institution","holder":"\#(hospital.id)","kind":"institution-practice","number":"PDY-0001","scope":[],"validFrom":"2021-01-01","validTo":"\#(CalendarDay.shift(today, days: 30))"}"#)
            #expect(status == 201, "\(text)")

            // A physician whose old licence expired and who holds a renewed one: no alert for either.
            (status, text) = try await register(#"{"holderType":"practitioner","holder":"dr-r","kind":"physician","number":"110310000007","scope":["surgery"],"validFrom":"2015-01-01","validTo":"\#(CalendarDay.shift(today, days: -5))"}"#)
            #expect(status == 201, "\(text)")
            (status, text) = try await register(#"{"holderType":"practitioner","holder":"dr-r","kind":"physician","number":"110310000008","scope":["surgery"],"validFrom":"\#(CalendarDay.shift(today, days: -5))","validTo":"2035-12-31"}"#)
            #expect(status == 201, "\(text)")

            // Refusals, each with its reason.
            for (body, expected, why) in [
                (#"{"holderType":"practitioner","holder":"dr-c","kind":"physician","number":"X1","scope":["internal-medicine"],"validFrom":"2025-01-01","validTo":"2024-12-31"}"#, 422, "早于有效期起"),
                (#"{"holderType":"institution","holder":"no-such-hospital","kind":"institution-practice","number":"X2","scope":[],"validFrom":"2025-01-01","validTo":"2026-01-01"}"#, 422, "不在本区名录"),
                (#"{"holderType":"practitioner","holder":"dr-c","kind":"physician","number":"X3","scope":["astrology"],"validFrom":"2025-01-01","validTo":"2026-01-01"}"#, 422, "未知执业范围"),
                (#"{"holderType":"institution","holder":"dr-c","kind":"physician","number":"X4","scope":["surgery"],"validFrom":"2025-01-01","validTo":"2026-01-01"}"#, 422, "持证方"),
                (#"{"holderType":"practitioner","holder":"dr-c","kind":"physician","number":"110310000001","scope":["surgery"],"validFrom":"2025-01-01","validTo":"2026-01-01"}"#, 409, "已登记"),
            ] {
                let (status, text) = try await register(body)
                #expect(status == expected && text.contains(why), "\(body): \(status) \(text)")
            }

            // Alerts: the expired physician licence and the institution's expiring one, not the valid one.
            var (code, body) = try await inspector.call(.get, "/api/v1/supervision/licences/alerts")
            let alerts = try JSONDecoder().decode([Alert].self, from: Data(buffer: body))
            #expect(code == .ok && Set(alerts.map { "\($0.licence.number) \($0.status) \($0.daysLeft)" }) == ["110310000002 expired -31", "PDY-0001 expiring 30"], "\(alerts)")

            // Practice from the hospital's sessions: dr-a in cardiology (covered), dr-a in general surgery (outside
            // the scope), dr-b in orthopaedics (licence expired), dr-x (no licence).
            let referral = ReferralService(store: server.platform.fhir)
            for id in ["dr-a", "dr-b", "dr-x"] {
                _ = try await server.platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"医生\#(id)"}]}"#.utf8)),
                                                          type: "Practitioner", id: id)
            }
            let day = CalendarDay.shift(today, days: 2)
            for (practitioner, department) in [("dr-a", "cardiology"), ("dr-a", "general-surgery"), ("dr-b", "orthopaedics"), ("dr-x", "neurology")] {
                _ = try await referral.createSchedule(SchedulePlan(organization: hospital.id, department: department, practitioner: practitioner, day: day,
                                                                   start: "08:00", end: "09:00", slotMinutes: 30), actor: "test")
            }
            (code, body) = try await inspector.call(.get, "/api/v1/supervision/licences/out-of-scope")
            let found = try JSONDecoder().decode([Violation].self, from: Data(buffer: body))
            #expect(code == .ok && Set(found.map { "\($0.practitioner) \($0.department) \($0.reason)" }) ==
                    ["dr-a general-surgery outside-scope", "dr-b orthopaedics no-licence", "dr-x neurology no-licence"], "\(found)")

            // Only inspectors and the commission.
            let doctor = try await server.client(as: Principal(subject: "fd-l", role: .familyDoctor, displayName: "医生", institution: "cn-chc-huayang"))
            (code, _) = try await doctor.call(.get, "/api/v1/supervision/licences")
            #expect(code == .forbidden)
        }
    }
}
