import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Signal streams beside the case reports: counts by site and day, single reports, totals, and signals.
@Suite struct StreamTests {
    @Test func sentinelCountsAndTipOffsAreCheckedTotalledAndRaiseSignals() async throws {
        try await TestServer.run { server in
            try await RegistryService(database: server.platform.database, fhir: server.platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let place = try #require(chc.catchment.first)
            let today = CalendarDay.today()
            let staff = try await server.client(as: Principal(subject: "chc-s", role: .chcStaff, displayName: "发热哨点", institution: chc.id))
            func post(_ uri: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
                try await staff.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { ($0.status, String(buffer: $0.body)) }
            }
            // Bad rows: the whole batch is refused, nothing stored.
            var (status, text) = try await post("/api/v1/surveillance/streams/fever-clinic/counts",
                                                #"[{"site":"s1","subdistrict":"\#(place)","day":"\#(today)","count":5},{"site":"s1","subdistrict":"310112001","day":"\#(CalendarDay.shift(today, days: 1))","count":-3}]"#)
            #expect(status == .unprocessableContent && text.contains("第 2 条") && text.contains("不属于本区") && text.contains("晚于今天"), "\(text)")
            (status, _) = try await post("/api/v1/surveillance/streams/rumours/counts", #"[{"site":"s1","subdistrict":"\#(place)","day":"\#(today)","count":5}]"#)
            #expect(status == .notFound)
            (status, _) = try await post("/api/v1/surveillance/streams/tip-off/counts", #"[{"site":"s1","subdistrict":"\#(place)","day":"\#(today)","count":5}]"#)
            #expect(status == .badRequest, "a tip-off is a report, not a count")
            // 40 days of 9–11 fever-clinic visits from two sentinel sites, then 40 today.
            var rows: [String] = []
            for back in 1...40 {
                let day = CalendarDay.shift(today, days: -back)
                rows.append(#"{"site":"s1","subdistrict":"\#(place)","day":"\#(day)","count":\#(4 + back % 2)}"#)
                rows.append(#"{"site":"s2","subdistrict":"\#(place)","day":"\#(day)","count":\#(5 + back % 3 / 2)}"#)
            }
            rows.append(#"{"site":"s1","subdistrict":"\#(place)","day":"\#(today)","count":25}"#)
            rows.append(#"{"site":"s2","subdistrict":"\#(place)","day":"\#(today)","count":15}"#)
            (status, text) = try await post("/api/v1/surveillance/streams/fever-clinic/counts", "[" + rows.joined(separator: ",") + "]")
            #expect(status == .created && text.contains(#""recorded":82"#), "\(text)")
            // A corrected count for a site and day replaces the first.
            (status, _) = try await post("/api/v1/surveillance/streams/fever-clinic/counts", #"[{"site":"s2","subdistrict":"\#(place)","day":"\#(today)","count":16}]"#)
            #expect(status == .created)
            (status, text) = try await post("/api/v1/surveillance/streams/tip-off/items", #"{"subdistrict":"\#(place)","day":"\#(today)","text":"某小区多人腹泻，疑似聚集"}"#)
            #expect(status == .created, "\(text)")
            (status, _) = try await post("/api/v1/surveillance/streams/tip-off/items", #"{"subdistrict":"\#(place)","day":"\#(today)","text":"  "}"#)
            #expect(status == .unprocessableContent)

            let cdc = try await server.client(as: Principal(subject: "cdc-s", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            let daily = try await cdc.execute(uri: "/api/v1/surveillance/streams/fever-clinic?by=district&from=\(CalendarDay.shift(today, days: -1))", method: .get) {
                try JSONDecoder().decode([StreamTotal].self, from: Data(buffer: $0.body))
            }
            #expect(daily.map(\.count) == [10, 41] && daily.last?.period == today, "\(daily)")
            let weekly = try await cdc.execute(uri: "/api/v1/surveillance/streams/fever-clinic?period=week&by=district", method: .get) {
                try JSONDecoder().decode([StreamTotal].self, from: Data(buffer: $0.body))
            }
            let expected = (1...40).reduce(41) { $0 + (4 + $1 % 2) + (5 + $1 % 3 / 2) }
            #expect(weekly.map(\.count).reduce(0, +) == expected && weekly.count >= 6 && weekly.count <= 7, "\(weekly)")
            let made = try await cdc.execute(uri: "/api/v1/surveillance/signals/run", method: .post) { try JSONDecoder().decode([Signal].self, from: Data(buffer: $0.body)) }
            #expect(made.contains { $0.disease == "fever-clinic" && $0.detector == "stream-ears-c2" && $0.day == today && $0.cases == 41 }, "\(made.map(\.detail))")
            #expect(made.contains { $0.disease == "tip-off" && $0.detector == "report" && $0.subdistrict == place })
            #expect(!made.contains { $0.disease == "fever-clinic" && $0.day != today }, "the steady days raise nothing")
        }
    }
}
