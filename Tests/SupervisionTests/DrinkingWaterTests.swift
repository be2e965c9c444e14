import Access
import Foundation
import HTTPTypes
import Registry
import Supervision
import Testing
import WeijianTesting

/// 生活饮用水: sites and samplings judged against GB 5749-2022, the public page behind each site's QR code, bad
/// input and who may do what; over real HTTP on the engine the environment names.
@Suite struct DrinkingWaterTests {
    struct Site: Decodable { var id: String }
    struct Test: Decodable { var qualified: Bool; var failed: [String] }

    static func results(coliforms: Double = 0, chlorine: Double = 0.3) -> String {
        #"{"turbidity":0.4,"colour":5,"ph":7.2,"total-coliforms":\#(coliforms),"colony-count":12,"free-chlorine":\#(chlorine)}"#
    }

    @Test func aSitesLatestResultIsJudgedAndShownToThePublic() async throws {
        try await TestServer.run { server in
            let inspector = try await server.client(as: Principal(subject: "insp-w", role: .healthInspector, displayName: "监督员", district: "310105"))
            let place = try #require(Catalog.subdistricts(of: "310105").first?.code)
            var (status, body) = try await inspector.call(.post, "/api/v1/supervision/water/sites",
                                                          #"{"subdistrict":"\#(place)","name":"天山五村二次供水水箱","kind":"secondary-supply","address":"天山路 100 弄"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let site = try JSONDecoder().decode(Site.self, from: Data(buffer: body))
            // A clean sample, then one with coliforms and too little chlorine: the later one is the site's latest and fails.
            (status, body) = try await inspector.call(.post, "/api/v1/supervision/water/sites/\(site.id)/tests",
                                                      #"{"sampledAt":"2026-11-01T09:00:00+08:00","results":\#(Self.results())}"#)
            var test = try JSONDecoder().decode(Test.self, from: Data(buffer: body))
            #expect(status == .created && test.qualified && test.failed.isEmpty)
            (status, body) = try await inspector.call(.post, "/api/v1/supervision/water/sites/\(site.id)/tests",
                                                      #"{"sampledAt":"2026-11-10T09:00:00+08:00","results":\#(Self.results(coliforms: 2, chlorine: 0.02))}"#)
            test = try JSONDecoder().decode(Test.self, from: Data(buffer: body))
            #expect(status == .created && !test.qualified && Set(test.failed) == ["total-coliforms", "free-chlorine"])

            // The public page (no sign-in) shows the latest result and marks the failing indicators.
            let (pageStatus, page) = try await server.client.call(.get, "/water/\(site.id)")
            let html = String(buffer: page)
            #expect(pageStatus == .ok && html.contains("天山五村二次供水水箱") && html.contains("data-qualified=\"false\"") && html.contains("不合格"))
            #expect(html.contains("<tr data-indicator=\"total-coliforms\" class=\"rag-red\">") && html.contains("不得检出") && !html.contains("data-indicator=\"ph\" class=\"rag-red\""))
            let (missing, _) = try await server.client.call(.get, "/water/ws-none")
            #expect(missing == .notFound)
            // The inspectors' list with the QR code of each public page.
            (status, body) = try await inspector.call(.get, "/supervision/water")
            #expect(status == .ok && String(buffer: body).contains("data-qr=\"/water/\(site.id)\"") && String(buffer: body).contains("/static/qrcode.js"))
            let (scriptStatus, script) = try await server.client.call(.get, "/static/qrcode.js")
            #expect(scriptStatus == .ok && String(buffer: script).contains("QR Code Generator for JavaScript"))

            // Bad input, each with its reason; another district's inspector sees no such site; a resident may not add one.
            for (path, payload, why) in [
                ("sites", #"{"subdistrict":"\#(place)","name":"x","kind":"well","address":"y"}"#, "类型"),
                ("sites", #"{"subdistrict":"310112001","name":"x","kind":"secondary-supply","address":"y"}"#, "本区没有街道"),
                ("sites/\(site.id)/tests", #"{"sampledAt":"2026-11-12T09:00:00+08:00","results":{"turbidity":0.4}}"#, "缺少指标"),
                ("sites/\(site.id)/tests", #"{"sampledAt":"2026-11-12T09:00:00+08:00","results":\#(Self.results(coliforms: -1))}"#, "非负数"),
                ("sites/\(site.id)/tests", #"{"sampledAt":"2099-01-01T09:00:00+08:00","results":\#(Self.results())}"#, "晚于现在"),
            ] {
                let (status, body) = try await inspector.call(.post, "/api/v1/supervision/water/\(path)", payload)
                #expect(status == .unprocessableContent && String(buffer: body).contains(why), "\(payload): \(String(buffer: body))")
            }
            let elsewhere = try await server.client(as: Principal(subject: "insp-m", role: .healthInspector, displayName: "闵行监督员", district: "310112"))
            (status, _) = try await elsewhere.call(.post, "/api/v1/supervision/water/sites/\(site.id)/tests", #"{"sampledAt":"2026-11-12T09:00:00+08:00","results":\#(Self.results())}"#)
            #expect(status == .notFound)
            let resident = try await server.client(as: Principal(subject: "r-ww", role: .resident, displayName: "居民"))
            (status, _) = try await resident.call(.post, "/api/v1/supervision/water/sites", #"{"subdistrict":"\#(place)","name":"x","kind":"secondary-supply","address":"y"}"#)
            #expect(status == .forbidden)
        }
    }
}
