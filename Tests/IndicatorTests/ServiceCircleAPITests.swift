import Access
import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import Indicators
import NIOCore
import Registry
import Testing
import WeijianTesting

/// The 15-minute health service circle over real HTTP: loading geography (strictly validated, all or nothing),
/// the circle's JSON, page and indicators, who may see and load it, and the demo district's figures.
@Suite struct ServiceCircleAPITests {
    static let manager = Principal(subject: "mgr-c", role: .commissionManager, displayName: "卫健委", district: "310105")
    static let path = "/api/v1/registry/geography/310105"

    static func circle(_ client: some TestClientProtocol, _ query: String = "") async throws -> (HTTPResponse.Status, ServiceCircleReport?) {
        let (status, body) = try await client.call(.get, "/api/v1/indicators/circle/310105" + query)
        return (status, status == .ok ? try JSONDecoder().decode(ServiceCircleReport.self, from: Data(buffer: body)) : nil)
    }

    @Test func aHandMadeGeographyLoadsAndItsCircleIsTheOneWorkedOutByHand() async throws {
        try await TestServer.run(maxBodyBytes: 2 * 1024 * 1024) { server in
            let manager = try await server.client(as: Self.manager)
            var (status, body) = try await manager.call(.get, "/api/v1/indicators/circle/310105")
            #expect(status == .notFound && String(buffer: body).contains("尚未载入地理数据"))
            (status, body) = try await manager.call(.put, Self.path, try HandMadeGeography.json())
            #expect(status == .ok, "\(String(buffer: body))")
            let summary = try JSONDecoder().decode(GeographySummary.self, from: Data(buffer: body))
            #expect(summary.subdistricts.count == 10 && summary.servicePoints == 1 && summary.sites == 6 && summary.residents == 9000)
            #expect(summary.subdistricts.first?.areaKm2 == 4 && summary.subdistricts.first?.catalogueAreaKm2 == 2.04)

            let report = try #require(try await Self.circle(manager).1)
            #expect(report.total.residentsPercent == 38.88 && report.total.reachedResidents == 3500 && report.radiusMetres == 900)
            #expect(report.subdistricts.map(\.residentsPercent).prefix(2) == [30, 50] && report.short == ["310105001", "310105002"])
            let expected = HandMadeGeography.areaPercents()
            #expect(abs((report.subdistricts[1].areaPercent ?? -1) - expected.second) < 0.5 && !report.synthetic && report.source == "手绘测试数据")
            // What-if: a detour factor of 1.2 (1,000 m) reaches the site 910 m away; bad parameters are refused.
            #expect(try await Self.circle(manager, "?detour=1.2").1?.total.reachedResidents == 4000)
            for (query, phrase) in [("?detour=abc", "detour 须为数字"), ("?grid=1", "grid"), ("?target=120", "target"), ("?minutes=nan", "minutes")] {
                (status, body) = try await manager.call(.get, "/api/v1/indicators/circle/310105" + query)
                #expect(status == .badRequest && String(buffer: body).contains(phrase), "\(query): \(status) \(String(buffer: body))")
            }

            // The indicators: the district's and each 街道's values, rounded down to one decimal.
            let indicators = IndicatorService.platform(server.platform)
            try await indicators.recompute(district: "310105")
            let values = try await indicators.latest(district: "310105")
            #expect(values.first { $0.code == "circle15-residents" && $0.area == "310105" }?.value == 38.8)
            #expect(values.first { $0.code == "circle15-residents" && $0.area == "310105001" }.map { ($0.value, $0.numerator, $0.denominator) } ?? (0, nil, nil) == (30, 1500, 5000))
            let area = try #require(values.first { $0.code == "circle15-area" && $0.area == "310105" })
            #expect(area.denominator == 16000 && abs(area.value - expected.district) < 0.2)
            let cockpit = try await indicators.cockpit(district: "310105")
            #expect(cockpit.first { $0.definition.code == "circle15-residents" }.map { ($0.target, $0.rag) } ?? (nil, "") == (90, "red"))

            // The page: the shares, the table with the short 街道 marked, the map with the point, its reach and the sites.
            (status, body) = try await manager.call(.get, "/cockpit/circle")
            let html = String(buffer: body)
            #expect(status == .ok && html.contains("id=\"residents-share\">38.88%") && html.contains("直线 900 米"))
            #expect(html.components(separatedBy: "<tr data-code=").count - 1 == 10 && html.components(separatedBy: "data-short=\"true\"").count - 1 == 2)
            #expect(html.contains("<svg id=\"circle-map\"") && html.components(separatedBy: "class=\"service-point\"").count - 1 == 1)
            #expect(html.components(separatedBy: "class=\"site reached\"").count - 1 == 3 && html.components(separatedBy: "class=\"site unreached\"").count - 1 == 3)
            #expect(!html.contains("id=\"synthetic\""))
            (status, body) = try await manager.call(.get, "/cockpit")
            #expect(String(buffer: body).contains("href=\"/cockpit/circle\""))
            // The stored geography comes back as GeoJSON that loads again.
            (status, body) = try await manager.call(.get, Self.path)
            #expect(status == .ok)
            (status, body) = try await manager.call(.put, Self.path, String(buffer: body))
            let reloaded = try await Self.circle(manager).1
            #expect(status == .ok && reloaded?.total.residentsPercent == 38.88)
        }
    }

    @Test func badGeographyIsRefusedWithAMessageAndNothingIsStored() async throws {
        try await TestServer.run(maxBodyBytes: 2 * 1024 * 1024) { server in
            let manager = try await server.client(as: Self.manager)
            var (status, body) = try await manager.call(.put, Self.path, try HandMadeGeography.json())
            #expect(status == .ok)
            typealias Features = [[String: Any]]
            func site(_ features: inout Features, _ change: (inout [String: Any], inout [String: Any]) -> Void) {
                guard let index = features.lastIndex(where: { ($0["properties"] as? [String: Any])?["kind"] as? String == "residential" }),
                      var properties = features[index]["properties"] as? [String: Any], var geometry = features[index]["geometry"] as? [String: Any] else { return }
                change(&properties, &geometry)
                features[index]["properties"] = properties
                features[index]["geometry"] = geometry
            }
            let longRing = (0...20_000).map { index -> [Double] in
                let angle = Double(index) / 20_000 * 2 * .pi
                return HandMadeGeography.position(900 * cos(angle), 900 * sin(angle))
            }
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("not JSON", "{\"type\": \"FeatureCollection\", \"features\": [", .badRequest, "不是合法的 JSON"),
                ("not a FeatureCollection", "{\"type\": \"GeometryCollection\", \"features\": []}", .unprocessableContent, "应为 FeatureCollection"),
                ("no features", "{\"type\": \"FeatureCollection\"}", .badRequest, "features 缺失"),
                ("an unclosed ring", try HandMadeGeography.json { features in
                    features[0]["geometry"] = ["type": "Polygon", "coordinates": [Array(HandMadeGeography.square(0).dropLast())]]
                }, .unprocessableContent, "未闭合"),
                ("a ring of three points", try HandMadeGeography.json { features in
                    let square = HandMadeGeography.square(0)
                    features[0]["geometry"] = ["type": "Polygon", "coordinates": [[square[0], square[1], square[0]]]]
                }, .unprocessableContent, "至少要 4 个点"),
                ("swapped coordinates", try HandMadeGeography.json { features in
                    site(&features) { _, geometry in geometry["coordinates"] = [31.2, 121.4] }
                }, .unprocessableContent, "经纬度写反"),
                ("an unknown 街道", try HandMadeGeography.json { features in
                    features[9]["properties"] = ["kind": "subdistrict", "code": "310112001"]
                }, .unprocessableContent, "本区（310105）没有这个街道"),
                ("a missing 街道", try HandMadeGeography.json { features in features.remove(at: 9) }, .unprocessableContent, "缺少街道边界：310105102 新泾镇"),
                ("a 街道 twice", try HandMadeGeography.json { features in features.append(features[0]) }, .unprocessableContent, "重复出现"),
                ("an unknown institution", try HandMadeGeography.json { features in
                    features[10]["properties"] = ["kind": "facility", "institution": "cn-chc-nowhere"]
                }, .unprocessableContent, "机构目录中没有 cn-chc-nowhere"),
                ("another district's CHC", try HandMadeGeography.json { features in
                    features[10]["properties"] = ["kind": "facility", "institution": "mh-chc-qibao"]
                }, .unprocessableContent, "属于辖区 310112"),
                ("a hospital", try HandMadeGeography.json { features in
                    features[10]["properties"] = ["kind": "facility", "institution": "cn-tongren"]
                }, .unprocessableContent, "不计入15分钟健康服务圈"),
                ("a station without a name", try HandMadeGeography.json { features in
                    features[10]["properties"] = ["kind": "facility", "institution": "cn-chc-huayang", "type": "station", "id": "x-1"]
                }, .unprocessableContent, "须有自己的 id 和 name"),
                ("residents as text", try HandMadeGeography.json { features in
                    site(&features) { properties, _ in properties["residents"] = "many" }
                }, .badRequest, "类型不对"),
                ("negative residents", try HandMadeGeography.json { features in
                    site(&features) { properties, _ in properties["residents"] = -5 }
                }, .unprocessableContent, "应在 0–200000 之间"),
                ("a site outside its 街道", try HandMadeGeography.json { features in
                    site(&features) { _, geometry in geometry["coordinates"] = HandMadeGeography.position(10_000, 0) }
                }, .unprocessableContent, "边界外"),
                ("a duplicate site id", try HandMadeGeography.json { features in
                    if let last = features.last { features.append(last) }
                }, .unprocessableContent, "居住点 id 重复"),
                ("an unknown kind", try HandMadeGeography.json { features in
                    features.append(["type": "Feature", "geometry": ["type": "Point", "coordinates": HandMadeGeography.position(0, 0)], "properties": ["kind": "hospital"]])
                }, .unprocessableContent, "properties.kind 为 hospital"),
                ("a line", try HandMadeGeography.json { features in
                    features[10]["geometry"] = ["type": "LineString", "coordinates": [HandMadeGeography.position(0, 0), HandMadeGeography.position(10, 0)]]
                }, .unprocessableContent, "几何类型为 LineString"),
                ("a boundary far away", try HandMadeGeography.json { features in
                    let far = HandMadeGeography.square(0).map { [$0[0] + 3, $0[1]] }
                    features[9]["geometry"] = ["type": "Polygon", "coordinates": [far]]
                }, .unprocessableContent, "超过一个辖区的上限 200 公里"),
                ("too many points", try HandMadeGeography.json { features in
                    features[0]["geometry"] = ["type": "Polygon", "coordinates": [longRing]]
                }, .unprocessableContent, "超过上限 20000"),
                ("a body over the limit", try HandMadeGeography.json { features in
                    features[10]["properties"] = ["kind": "facility", "institution": "cn-chc-huayang", "note": String(repeating: "x", count: 2_200_000)]
                }, .contentTooLarge, "上限"),
            ]
            for (name, json, expected, phrase) in cases {
                (status, body) = try await manager.call(.put, Self.path, json)
                #expect(status == expected && String(buffer: body).contains(phrase), "\(name): \(status) \(String(buffer: body).prefix(400))")
            }
            // Nothing of it was stored: the hand-made geography is still the one loaded.
            let report = try #require(try await Self.circle(manager).1)
            #expect(report.total.residents == 9000 && report.total.sites == 6 && report.total.servicePoints == 1 && report.total.residentsPercent == 38.88)
        }
    }

    @Test func onlyTheCockpitsReadersSeeTheCircleAndOnlyManagersLoadGeography() async throws {
        try await TestServer.run(maxBodyBytes: 2 * 1024 * 1024) { server in
            let json = try HandMadeGeography.json()
            let resident = try await server.client(as: Principal(subject: "r-c", role: .resident, displayName: "居民", patient: "p-1"))
            let doctor = try await server.client(as: Principal(subject: "d-c", role: .familyDoctor, displayName: "医生", institution: "cn-chc-huayang", practitioner: "pr-1"))
            let cdc = try await server.client(as: Principal(subject: "cdc-c", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            let otherManager = try await server.client(as: Principal(subject: "mgr-m", role: .commissionManager, displayName: "闵行卫健委", district: "310112"))
            let manager = try await server.client(as: Self.manager)
            for client in [resident, doctor] as [any TestClientProtocol] {
                #expect(try await client.call(.put, Self.path, json).0 == .forbidden)
                #expect(try await client.call(.get, "/api/v1/indicators/circle/310105").0 == .forbidden)
                #expect(try await client.call(.get, Self.path).0 == .forbidden)
                #expect(try await client.call(.get, "/cockpit/circle").0 == .forbidden)
            }
            #expect(try await cdc.call(.put, Self.path, json).0 == .forbidden)
            #expect(try await otherManager.call(.put, Self.path, json).0 == .forbidden)
            #expect(try await server.client.call(.put, Self.path, json).0 == .unauthorized)
            #expect(try await server.client.call(.get, "/cockpit/circle").0 == .seeOther)
            #expect(try await manager.call(.put, Self.path, json).0 == .ok)
            #expect(try await cdc.call(.get, "/api/v1/indicators/circle/310105").0 == .ok)
            #expect(try await cdc.call(.get, "/cockpit/circle").0 == .ok)
            #expect(try await otherManager.call(.get, "/api/v1/indicators/circle/310105").0 == .forbidden)
            // The refused reads saw nothing of the district's figures.
            let (status, body) = try await resident.call(.get, "/api/v1/indicators/circle/310105")
            #expect(status == .forbidden && !String(buffer: body).contains("residentsPercent"))
        }
    }

    @Test func theDemoDistrictHasCircleValuesAndSomeSubdistrictsFallShort() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            let started = ContinuousClock.now
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 40, randomSeed: 7)
            let seeding = ContinuousClock.now - started
            let indicators = IndicatorService.platform(platform)
            try await indicators.recompute(district: "310105")
            let values = try await indicators.latest(district: "310105")
            let district = try #require(values.first { $0.code == "circle15-residents" && $0.area == "310105" })
            let streets = values.filter { $0.code == "circle15-residents" && $0.area != "310105" }
            #expect(streets.count == 10 && values.filter { $0.code == "circle15-area" }.count == 11)
            #expect(streets.contains { $0.value < 90 } && streets.filter { $0.value >= 90 }.count > 5, "\(streets.map(\.value))")
            #expect(district.denominator == Double(Catalog.subdistricts(of: "310105").compactMap(\.population).reduce(0, +)))
            let manager = try await server.client(as: Self.manager)
            let report = try #require(try await Self.circle(manager).1)
            print("demo 310105 over HTTP: residents \(report.total.residentsPercent ?? -1)%, area \(report.total.areaPercent ?? -1)%, short \(report.short), computed in \(report.milliseconds) ms; seeding 40 residents with geography took \(seeding)")
            #expect(report.synthetic && !report.short.isEmpty)
            let (status, body) = try await manager.call(.get, "/cockpit/circle")
            #expect(status == .ok && String(buffer: body).contains("id=\"synthetic\"") && String(buffer: body).contains("未达标"))
        }
    }
}
