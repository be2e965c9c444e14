import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import SQLKit
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Signals from the case reports: generated once, verified, responded to and closed, with the response figures.
@Suite struct SignalTests {
    @Test func casesMakeSignalsOnceAndTheCDCWorksThemThrough() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let subdistrict = try #require(chc.catchment.first)
            let today = CalendarDay.today()
            // Six residents of one 街道: three mumps cases within a week (a cluster), one cholera case (class A).
            try await platform.fhir.write { writer in
                for index in 0..<6 {
                    let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "2015-06-0\(index + 1)", sequence: 40 + index, male: index % 2 == 0)
                    _ = try await writer.update(try JSONValue.parse(Data("""
                        {"resourceType":"Patient","id":"s\(index)","gender":"\(index % 2 == 0 ? "male" : "female")","birthDate":"2015-06-0\(index + 1)",
                         "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"managingOrganization":{"reference":"Organization/\(chc.id)"},
                         "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(subdistrict)"}]}]}
                        """.utf8)), type: "Patient", id: "s\(index)", ifMatch: nil)
                }
                for (index, code, daysAgo) in [(0, "B26.9", 5), (1, "B26.9", 2), (2, "B26.9", 0), (3, "A00.9", 0), (4, "J10.1", 0)] {
                    let day = CalendarDay.shift(today, days: -daysAgo)
                    _ = try await writer.create(try JSONValue.parse(Data(#"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\#(code)"}]},"subject":{"reference":"Patient/s\#(index)"},"onsetDateTime":"\#(day)","recordedDate":"\#(day)"}"#.utf8)))
                }
            }
            let cdc = try await server.client(as: Principal(subject: "cdc-1", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, String) {
                try await cdc.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: ByteBuffer(string: body ?? "{}")) { ($0.status, String(buffer: $0.body)) }
            }
            var (status, text) = try await send(.post, "/api/v1/surveillance/signals/run")
            #expect(status == .created, "\(text)")
            let made = try JSONDecoder().decode([Signal].self, from: Data(text.utf8))
            #expect(Set(made.map { "\($0.disease)/\($0.detector)" }) == ["mumps/cluster", "cholera/any-case"], "\(made.map(\.detail))")
            #expect(made.allSatisfy { $0.subdistrict == subdistrict && $0.status == "pending" })
            // Running again makes nothing new.
            (_, text) = try await send(.post, "/api/v1/surveillance/signals/run")
            #expect(text == "[]")
            let cholera = try #require(made.first { $0.disease == "cholera" })
            let mumps = try #require(made.first { $0.disease == "mumps" })
            // Out of order: respond before verifying → 409; verify without a verdict → 422.
            (status, _) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/respond", #"{"note":"流调"}"#)
            #expect(status == .conflict)
            (status, _) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/verify")
            #expect(status == .unprocessableContent)
            (status, text) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/verify", #"{"verdict":true}"#)
            #expect(status == .ok && text.contains(#""status":"verified""#))
            (status, _) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/close")
            #expect(status == .conflict, "a true signal is responded to before it closes")
            (status, text) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/respond", #"{"note":"已开展流行病学调查，密切接触者医学观察"}"#)
            #expect(status == .ok && text.contains(#""status":"responded""#))
            (status, text) = try await send(.post, "/api/v1/surveillance/signals/\(cholera.id)/close")
            #expect(status == .ok && text.contains(#""status":"closed""#))
            // A false signal closes straight after verification.
            (status, _) = try await send(.post, "/api/v1/surveillance/signals/\(mumps.id)/verify", #"{"verdict":false}"#)
            (status, text) = try await send(.post, "/api/v1/surveillance/signals/\(mumps.id)/close")
            #expect(status == .ok && text.contains(#""status":"closed""#))
            (status, text) = try await send(.get, "/api/v1/surveillance/signals/response?from=\(CalendarDay.shift(today, days: -1))")
            #expect(status == .ok && text.contains(#""signals":2"#) && text.contains(#""verifiedWithin24Hours":2"#) && text.contains(#""responsePercent":100"#) && text.contains(#""trueSignals":1"#), "\(text)")
            (status, _) = try await send(.post, "/api/v1/surveillance/signals/\(mumps.id)/dance")
            #expect(status == .badRequest)
            // Another district's CDC cannot touch them.
            let other = try await server.client(as: Principal(subject: "cdc-2", role: .cdcEpidemiologist, displayName: "疾控", district: "310112"))
            try await other.execute(uri: "/api/v1/surveillance/signals/\(mumps.id)/verify", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"verdict":true}"#)) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func theDemoDistrictHasAHistoryOfCasesAndAClusterToSignal() async throws {
        try await TestDatabase.withPlatform { platform in
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            _ = try await seeder.seed(district: "310105", residents: 1500, randomSeed: 7)
            let service = SurveillanceService(store: platform.fhir)
            let made = try await service.seedDemo(district: "310105")
            #expect(made > 20)
            #expect(try await service.seedDemo(district: "310105") == 0, "once only")
            let cards = try await service.reports(district: "310105", limit: 1000)
            #expect(cards.count == made && cards.allSatisfy { $0.subdistrict != nil })
            let late = cards.filter(\.late).count
            #expect(late > 0 && late < made / 5, "about one in ten late: \(late) of \(made)")
            let signals = try await service.detectSignals(district: "310105")
            #expect(signals.contains { $0.disease == "hfmd" && $0.detector == "cluster" }, "\(signals.map(\.detail))")
            // Childhood vaccinations: most children fully vaccinated, a few with a dose missing.
            let doses = try await service.seedDemoVaccinations(district: "310105")
            #expect(doses > 100)
            #expect(try await service.seedDemoVaccinations(district: "310105") == 0, "once only")
            let year = Int(CalendarDay.today().prefix(4)) ?? 2026
            let hepB = try await service.vaccinationCoverage(district: "310105", cohort: year - 3, by: "district").filter { $0.vaccine == "HepB" }
            #expect(hepB.count == 3 && hepB.allSatisfy { $0.percent > 80 && $0.eligible > 0 }, "\(hepB)")
            #expect(try await !service.overdueDoses(district: "310105", organization: nil).isEmpty)
        }
    }

    /// The hourly run's methods that compare with earlier years: CIDARS's moving percentile and Farrington run
    /// once the district's reports go back far enough, and CUSUM on the 60-day window. Years of weekly mumps
    /// cards (written straight to the table: the history, not the hook, is under test) then a week of six.
    @Test func historyMethodsRunOnceEarlierYearsWereReported() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let platform = try await Platform.open(configuration, secrets: AccessSecrets.generate())
        do {
            let service = SurveillanceService(store: platform.fhir)
            let today = CalendarDay.today()
            func card(_ disease: String, _ place: String, _ day: String, _ n: Int) -> String {
                "('h-\(disease)-\(place)-\(day)-\(n)', 'test/\(disease)/\(place)/\(day)/\(n)', 'p', '\(disease)', 'X', '\(place)', '\(place.prefix(6))', '\(day)', '\(day)T09:00:00+08:00', 'clinical', NULL, NULL, '\(day)T10:00:00+08:00', '\(day)T23:00:00+08:00', 0, 'verified', NULL, 1)"
            }
            var rows: [String] = []
            // Mumps in a 街道 of 长宁: one card a week for six years; in one of 闵行: the same for two months only
            // (a district that began reporting here then).
            for week in 1...(6 * 52) { rows.append(card("mumps", "310105001", CalendarDay.shift(today, days: -7 * week), 0)) }
            for week in 1...8 { rows.append(card("mumps", "310112001", CalendarDay.shift(today, days: -7 * week), 0)) }
            // This week: six cases in each.
            for n in 0..<6 {
                rows.append(card("mumps", "310105001", CalendarDay.shift(today, days: -n), n + 1))
                rows.append(card("mumps", "310112001", CalendarDay.shift(today, days: -n), n + 1))
            }
            try await platform.database.write { sql in
                for chunk in rows.chunked(500) {
                    try await sql.raw("INSERT INTO surveillance_report VALUES \(unsafeRaw: chunk.joined(separator: ","))").run()
                }
            }
            let made = try await service.detectSignals(district: "310105", on: today) + service.detectSignals(district: "310112", on: today)
            let by = Dictionary(grouping: made, by: \.subdistrict).mapValues { Set($0.map(\.detector)) }
            #expect(by["310105001"]?.isSuperset(of: ["moving-percentile", "farrington", "cusum"]) == true, "\(by)")
            // Two months of history: the yearly methods stay silent (earlier years were not reported by this
            // district, they are not zero); CUSUM still judges the window.
            #expect(by["310112001"].map { !$0.contains("moving-percentile") && !$0.contains("farrington") && $0.contains("cusum") } == true, "\(by)")
            let farrington = try #require(made.first { $0.detector == "farrington" })
            #expect(farrington.day == today && farrington.cases >= 6 && farrington.detail.contains("Farrington"))
        } catch {
            await platform.shutdown()
            await remove()
            throw error
        }
        await platform.shutdown()
        await remove()
    }
}
