import Access
import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Mosquito surveillance: sites, surveys graded into warning levels, a signal at outbreak risk, areas by 街道.
@Suite struct VectorTests {
    @Test func gradingFollowsTheFourBands() {
        #expect([0, 4.9, 5, 9.9, 10, 19.9, 20, 85].map(VectorSurveillance.grade) == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(VectorSurveillance.index(examined: 60, positive: 7) == 11.7)
    }

    @Test func surveysAreGradedAndOutbreakRiskRaisesOneSignal() async throws {
        try await TestServer.run { server in
            try await RegistryService(database: server.platform.database, fhir: server.platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let place = try #require(chc.catchment.first)
            let today = CalendarDay.today()
            let cdc = try await server.client(as: Principal(subject: "cdc-v", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            let staff = try await server.client(as: Principal(subject: "chc-v", role: .chcStaff, displayName: "爱卫", institution: chc.id))
            var (status, body) = try await cdc.call(.post, "/api/v1/surveillance/vector/sites", #"{"subdistrict":"310112001","name":"外区公园","kind":"park"}"#)
            #expect(status == .unprocessableContent, "a 街道 of another district")
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vector/sites", #"{"subdistrict":"\#(place)","name":"某小区","kind":"residential"}"#)
            #expect(status == .forbidden, "sites are the CDC's")
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/vector/sites", #"{"subdistrict":"\#(place)","name":"中山公园","kind":"park"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let park = try JSONDecoder().decode(VectorSite.self, from: Data(buffer: body))

            // Bad surveys: nothing stored.
            (status, body) = try await staff.call(.post, "/api/v1/surveillance/vector/reports",
                                            #"{"site":"\#(park.id)","day":"\#(CalendarDay.shift(today, days: 1))","method":"moi","examined":50,"positive":60}"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("晚于今天") && String(buffer: body).contains("阳性诱蚊诱卵器数"), "\(String(buffer: body))")
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vector/reports", #"{"site":"nowhere","day":"\#(today)","method":"breteau","examined":50,"positive":2}"#)
            #expect(status == .notFound)
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/vector/areas")
            #expect(try JSONDecoder().decode([VectorArea].self, from: Data(buffer: body)).isEmpty)

            // A low reading, then one at outbreak risk (BI 14): graded, and one signal however often it is sent.
            (status, body) = try await staff.call(.post, "/api/v1/surveillance/vector/reports",
                                            #"{"site":"\#(park.id)","day":"\#(CalendarDay.shift(today, days: -2))","method":"moi","examined":50,"positive":3}"#)
            let low = try JSONDecoder().decode(VectorReport.self, from: Data(buffer: body))
            #expect(status == .created && low.index == 6.0 && low.level == 1)
            for _ in 0..<2 {
                (status, body) = try await staff.call(.post, "/api/v1/surveillance/vector/reports", #"{"site":"\#(park.id)","day":"\#(today)","method":"breteau","examined":100,"positive":14}"#)
                #expect(status == .created && (try? JSONDecoder().decode(VectorReport.self, from: Data(buffer: body)))?.level == 2)
            }
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/signals")
            let signals = try JSONDecoder().decode([Signal].self, from: Data(buffer: body)).filter { $0.disease == "mosquito" }
            #expect(signals.count == 1 && signals.first?.detector == "vector-breteau" && signals.first?.subdistrict == place && signals.first?.detail.contains("有暴发风险") == true,
                    "\(signals)")
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/vector/areas")
            let areas = try JSONDecoder().decode([VectorArea].self, from: Data(buffer: body))
            #expect(areas.map(\.method) == ["breteau", "moi"] && areas.first?.maxIndex == 14 && areas.first?.level == 2 && areas.last?.level == 1, "\(areas)")
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/streams/mosquito/counts", #"[{"site":"s","subdistrict":"\#(place)","day":"\#(today)","count":1}]"#)
            #expect(status == .badRequest)
        }
    }
}
