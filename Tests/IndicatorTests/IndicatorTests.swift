import Access
import App
import Contracting
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Indicators
import NIOCore
import Registry
import SQLKit
import Storage
import Surveillance
import Testing
import WeijianTesting

/// The indicator engine: plan rows true to their seed, values computed from the domains, the cockpit, reported
/// values, CSV.
@Suite struct IndicatorTests {
    /// The repository's copy of a seed, its lines joined (the tables break rows across lines).
    static func seedText(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("tests/seeds/\(name)"), encoding: .utf8).components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\t")) }.joined()
    }

    @Test func everyPlanRowCitesItsTableAndMatchesTheSeedText() throws {
        let text = try Self.seedText("000_f4cbf4284e21918f.txt")
        let table = try #require(PlanTargets.tables["000-6"])
        #expect(text.contains(table.title.replacingOccurrences(of: "附件 6 ", with: "").replacingOccurrences(of: "卫生健康事业高质量发展行动主要指标", with: "卫生健康事业高质量发展行动主要")))
        let rows = PlanTargets.all.filter { $0.seed == "000" }
        #expect(rows.map(\.row) == Array(1...26))
        #expect(Set(rows.map(\.id)).count == 26 && rows.first?.id == "000-6-1")
        // The annex's part of the text: every row's quote is in it, starts with its number, holds its target as
        // printed and its bound's number.
        let annexStart = try #require(text.range(of: "附件 6长宁区卫生健康事业高质量发展行动主要"))
        let annex = String(text[annexStart.lowerBound...])
        for row in rows {
            #expect(annex.contains(row.quote), "row \(row.row): \(row.quote)")
            #expect(row.quote.hasPrefix("\(row.row) "), "\(row.quote)")
            #expect(row.quote.contains(row.target) && row.quote.contains(row.cityTarget), "row \(row.row)")
            if let bound = row.bound {
                let printed = bound.value == bound.value.rounded() ? String(Int(bound.value)) : String(bound.value)
                #expect(row.quote.contains(printed), "row \(row.row): \(printed)")
            }
            #expect(row.fourteenthFiveYear == row.quote.contains("*"), "row \(row.row): the * marks a 十四五 target")
        }
        // A sample read straight from the seed: 千人口注册护士数 ≥8.15 (city ≥4.7); ICU 10（平）/20（急）.
        let nurses = try #require(rows.first { $0.row == 8 })
        #expect(nurses.bound == .atLeast(8.15) && annex.contains("8 千人口注册护士数(人)* ≥8.15 ≥4.7"))
        #expect(rows.first { $0.row == 13 }?.indicator == "icu-bed-ratio")
    }

    @Test func minhangsTableOneMatchesTheSeedText() throws {
        let text = try Self.seedText("002_8cca6ba57eafecaa.txt")
        let table = try #require(PlanTargets.tables["002-1"])
        #expect(table.district == "310112" && text.contains(table.title))
        let rows = PlanTargets.all.filter { $0.seed == "002" }
        #expect(rows.map(\.row) == Array(1...16) && Set(rows.map(\.id)).count == 16)
        let tableStart = try #require(text.range(of: table.title))
        let tableText = String(text[tableStart.lowerBound...].prefix(2000))
        var last = tableText.startIndex
        for row in rows {
            // In the table, in order, with its baseline, target and nature run together as the cells are.
            let found = try #require(tableText.range(of: row.quote, range: last..<tableText.endIndex), "row \(row.row): \(row.quote)")
            last = found.upperBound
            #expect(row.quote.hasSuffix((row.baseline ?? "") + row.target + (row.nature ?? "")), "row \(row.row)")
            if let bound = row.bound {
                #expect(row.target.contains(String(bound.value).replacingOccurrences(of: #"\.0$"#, with: "", options: .regularExpression)), "row \(row.row): \(bound)")
            }
        }
        // A sample: 人均预期寿命 85.07 in 2020, ≥85.07 in 2025; beds per 1,000 residents 3.4 → 4.6, computed.
        #expect(rows.last.map { ($0.name, $0.baseline, $0.target) } ?? ("", nil, "") == ("人均预期寿命", "85.07", "≥85.07"))
        #expect(rows.first { $0.row == 4 }.map { ($0.bound, $0.indicator) } ?? (nil, nil) == (.atLeast(4.6), "beds-per-1000"))
    }

    @Test func qingpusTablesOneAndTwoMatchTheSeedText() throws {
        // The seed's lines as they are (cells separated by tabs), not joined: each row's quote is one line.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lines = try String(contentsOf: root.appendingPathComponent("tests/seeds/003_6fa31fc653fd3d53.txt"), encoding: .utf8).components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\t")) }
        for number in ["1", "2"] {
            let table = try #require(PlanTargets.tables["003-\(number)"])
            #expect(table.district == "310118")
            let start = try #require(lines.firstIndex(of: table.title), "table \(number)'s title")
            let rows = PlanTargets.all.filter { $0.tableKey == "003-\(number)" }
            #expect(Set(rows.map(\.id)).count == rows.count)
            var last = start
            for row in rows {
                // Each quote is a line of the table, in order, holding its target (and, in table 1, the 2020 value) as printed.
                let at = try #require(lines[(last + 1)...].firstIndex(of: row.quote), "row \(row.id): \(row.quote)")
                #expect(at - start < 40, "row \(row.id) is within the table")
                last = at
                let cells = row.quote.components(separatedBy: "\t")
                #expect(cells.contains(row.target) && cells.contains(row.nature ?? "") && cells.contains(row.scope ?? ""), "row \(row.id)")
                if let achieved = row.achieved { #expect(cells.last == achieved, "row \(row.id)") }
                if row.part != "b" { #expect(cells.first == String(row.row), "row \(row.id)") }
            }
        }
        let one = PlanTargets.all.filter { $0.tableKey == "003-1" }, two = PlanTargets.all.filter { $0.tableKey == "003-2" }
        #expect(Set(one.map(\.row)) == Set(1...20) && one.count == 22 && two.map(\.row) == Array(1...15))
        // Samples read from the seed: beds per 1,000 residents 3.72 in 2020 against ≥5.26, 7.48 for 2025 (computed);
        // general practitioners 0.3-0.4 (0.35 reached); key groups' contracting ≥80, computed.
        let beds2020 = try #require(one.first { $0.row == 13 })
        #expect(beds2020.bound == .atLeast(5.26) && beds2020.achieved == "3.72" && beds2020.bound?.met(by: 3.72) == false)
        let gps = try #require(one.first { $0.row == 19 })
        #expect(gps.bound == .between(0.3, 0.4) && gps.bound?.met(by: 0.35) == true && gps.bound?.met(by: 0.45) == false)
        #expect(two.first { $0.row == 12 }.map { ($0.bound, $0.indicator) } ?? (nil, nil) == (.atLeast(7.48), "beds-per-1000"))
        #expect(two.first { $0.row == 10 }.map { ($0.scope, $0.indicator) } ?? (nil, nil) == ("重点人群", "key-contract-rate"))
        #expect(one.filter { $0.row == 9 }.map(\.scope) == ["户籍人口", "外来人口"])
    }

    @Test func jinshansGoalsAreQuotedFromItsTextAndAnnex() throws {
        let text = try Self.seedText("004_b3d9aa3e9c1a45d7.txt")
        let rows = PlanTargets.all.filter { $0.seed == "004" }
        #expect(rows.map(\.row) == Array(1...rows.count) && rows.count >= 20 && PlanTargets.tables["004-0"]?.district == "310116")
        for row in rows {
            #expect(text.contains(row.quote), "row \(row.row): \(row.quote)")
            if let bound = row.bound {
                let printed = bound.value == bound.value.rounded() ? String(Int(bound.value)) : String(bound.value)
                #expect(row.quote.contains(printed) || row.target == "100", "row \(row.row): \(printed)")
            }
            if row.area.hasPrefix("重点任务") {
                // The task it comes from, numbered as in the annex, states the goal.
                let number = String(row.area.dropFirst(4))
                let annex = try #require(text.range(of: "分类\t重点任务\t牵头部门\t配合部门")).upperBound
                let task = try #require(text[annex...].firstMatch(of: try Regex("[^0-9.]\(number)\\.")), "task \(number)").range.lowerBound
                #expect(text[task...].prefix(300).contains(row.quote), "row \(row.row) in task \(number)")
            }
        }
        // Samples: the 15-minute circle ≥90% (computed), contracting 50% of residents (computed), 6 rehabilitation centres.
        #expect(rows.first { $0.quote.contains("15分钟") }.map { ($0.bound, $0.indicator) } ?? (nil, nil) == (.atLeast(90), "circle15-residents"))
        #expect(rows.first { $0.indicator == "contract-rate" }?.bound == .atLeast(50))
        #expect(rows.contains { $0.name == "示范性社区康复中心" && $0.bound == .atLeast(6) })
    }

    @Test func theCockpitShowsComputedValuesAgainstTargetsAndReportedPlanRows() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 120, randomSeed: 7)
            _ = try await ContractingService(store: platform.fhir).seedDemo(district: "310105")
            try await DemoResources.seed(platform: platform, district: "310105")
            let manager = try await server.client(as: Principal(subject: "mgr-i", role: .commissionManager, displayName: "卫健委", district: "310105"))
            let cdc = try await server.client(as: Principal(subject: "cdc-i", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            var (status, body) = try await cdc.call(.post, "/api/v1/indicators/recompute")
            #expect(status == .forbidden)
            (status, body) = try await manager.call(.post, "/api/v1/indicators/recompute")
            #expect(status == .ok, "\(String(buffer: body))")

            (status, body) = try await cdc.call(.get, "/api/v1/indicators/cockpit")
            let cockpit = try JSONDecoder().decode([IndicatorStatus].self, from: Data(buffer: body))
            func indicator(_ code: String) -> IndicatorStatus? { cockpit.first { $0.definition.code == code } }
            // Contracting: the same figures as the contracting module's own coverage table.
            let coverage = try await ContractingService(store: platform.fhir).coverage(district: "310105", by: "subdistrict")
            let contract = try #require(indicator("contract-rate")?.value)
            #expect(contract.numerator == Double(coverage.all.contracted) && contract.denominator == Double(coverage.all.residents) && contract.value == coverage.all.percent,
                    "\(contract) vs \(coverage.all)")
            // ICU beds: the hospitals' reported ICU beds over their beds, against plan row 13 (≥10%).
            let resources = try await SurveillanceService(store: platform.fhir).resources(district: "310105")
            let icu = resources.filter { $0.kind == "icu-beds" }.map(\.total).reduce(0, +)
            let hospitalBeds = Emergency.readiness(resources).map(\.beds).reduce(0, +)
            let ratio = try #require(indicator("icu-bed-ratio"))
            #expect(ratio.value?.value == (Double(icu) * 1000 / Double(hospitalBeds)).rounded(.down) / 10 && ratio.target == 10 && ratio.targetSource == "000-6-13")
            #expect(ratio.rag == IndicatorStatus.rag(value: ratio.value?.value, target: 10, direction: "up"))
            let beds = try #require(indicator("beds-per-1000")?.value)
            let population = try #require(Catalog.divisions.first { $0.code == "310105" }?.population)
            #expect(beds.denominator == Double(population) && beds.value > 0)
            // No cards this year: no timeliness value, and the cockpit says so rather than inventing one.
            #expect(indicator("report-timeliness")?.value == nil && indicator("report-timeliness")?.rag == "none")
            // A 街道's value is kept beside the district's.
            let place = try #require(coverage.rows.first { $0.residents > 0 })
            let latest = try await IndicatorService.platform(platform).latest(district: "310105", area: place.key)
            #expect(latest.first { $0.code == "contract-rate" }?.value == place.percent)

            // The FHIR side: the definition as a Measure, the district's value as a summary MeasureReport; a second
            // recompute with nothing changed writes no new version. Read by the district's exchange platform: a
            // MeasureReport may be an individual's, so the commission reads its figures through the cockpit API.
            let exchange = try await server.client(as: TestServer.platformPrincipal)
            (status, body) = try await exchange.call(.get, "/fhir/r4/MeasureReport?measure=https://weijian.health/Measure/icu-bed-ratio")
            #expect(status == .ok, "\(String(buffer: body))")
            let bundle = try JSONValue.parse(Data(buffer: body))
            let report = try #require(bundle["entry"]?.arrayValue?.first?["resource"])
            #expect(report["type"]?.stringValue == "summary" && report["group"]?.arrayValue?.first?["measureScore"]?["value"]?.doubleValue == ratio.value?.value,
                    "\(String(buffer: body).prefix(800))")
            (status, body) = try await manager.call(.get, "/fhir/r4/Measure/indicator-icu-bed-ratio")  // a definition: anyone signed in
            let measure = try JSONValue.parse(Data(buffer: body))
            #expect(status == .ok && measure["title"]?.stringValue == "医院 ICU 床位占床位总数比例")
            let version = report["meta"]?["versionId"]?.stringValue
            (status, _) = try await manager.call(.post, "/api/v1/indicators/recompute")
            (status, body) = try await exchange.call(.get, "/fhir/r4/MeasureReport/\(report["id"]?.stringValue ?? "")")
            let again = try JSONValue.parse(Data(buffer: body))
            #expect(status == .ok && again["meta"]?["versionId"]?.stringValue == version && version != nil)

            // The plan: row 13 computed; row 5 reported by a manager; refusals.
            (status, body) = try await manager.call(.post, "/api/v1/indicators/plan/000-6-5/reported", #"{"period":"2026-10","value":38.5}"#)
            #expect(status == .noContent, "\(String(buffer: body))")
            for (row, payload, why) in [("000-6-13", #"{"period":"2026-10","value":12}"#, "由平台自动计算"), ("000-6-99", #"{"period":"2026-10","value":1}"#, "没有指标"),
                                        ("000-6-5", #"{"period":"2026-13","value":1}"#, "YYYY-MM")] {
                (status, body) = try await manager.call(.post, "/api/v1/indicators/plan/\(row)/reported", payload)
                #expect(status == .unprocessableContent && String(buffer: body).contains(why), "\(row): \(String(buffer: body))")
            }
            (status, _) = try await cdc.call(.post, "/api/v1/indicators/plan/000-6-5/reported", #"{"period":"2026-10","value":1}"#)
            #expect(status == .forbidden)
            (status, body) = try await manager.call(.get, "/api/v1/indicators/plan")
            let plan = try JSONDecoder().decode([PlanProgress].self, from: Data(buffer: body))
            #expect(plan.count == 26)
            #expect(plan.first { $0.id == "000-6-5" }.map { ($0.value, $0.source, $0.met) } ?? (nil, nil, nil) == (38.5, "reported", true))
            #expect(plan.first { $0.id == "000-6-13" }?.source == "computed" && plan.first { $0.id == "000-6-13" }?.value == ratio.value?.value)
            #expect(plan.first { $0.id == "000-6-1" }?.value == nil)

            // The 街道's portrait: its residents in the pyramid, its indicators beside the district's.
            (status, body) = try await cdc.call(.get, "/api/v1/indicators/portrait/\(place.key)")
            #expect(status == .ok, "\(String(buffer: body))")
            struct Portrait: Decodable {
                struct Compared: Decodable { var code: String; var value: Double?; var district: Double? }
                var residents: Int; var districtResidents: Int; var pyramid: [PyramidBar]; var indicators: [Compared]
            }
            let portrait = try JSONDecoder().decode(Portrait.self, from: Data(buffer: body))
            let listed = try await platform.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM registry_resident WHERE subdistrict = \(bind: place.key) AND active = 1 AND gender IN ('male', 'female') AND birth_date IS NOT NULL")
                    .first()?.decode(column: "n", as: Int.self) ?? 0
            }
            #expect(portrait.residents == listed && portrait.pyramid.map(\.residents).reduce(0, +) == listed && portrait.districtResidents >= listed && listed > 0)
            #expect(portrait.indicators.first { $0.code == "contract-rate" }.map { ($0.value, $0.district) } ?? (nil, nil) == (place.percent, coverage.all.percent))
            (status, _) = try await cdc.call(.get, "/api/v1/indicators/portrait/310112001")
            #expect(status == .notFound, "a 街道 of another district")
            (status, body) = try await cdc.call(.get, "/portrait/\(place.key)")
            #expect(status == .ok && String(buffer: body).contains("id=\"pyramid\""))

            // CSV and the page.
            (status, body) = try await manager.call(.get, "/api/v1/indicators/cockpit.csv")
            let csv = String(buffer: body)
            #expect(status == .ok && csv.hasPrefix("\u{FEFF}指标编码,指标") && csv.contains("icu-bed-ratio,医院 ICU 床位占床位总数比例,%,"), "\(csv.prefix(300))")
            (status, body) = try await manager.call(.get, "/cockpit")
            let page = String(buffer: body)
            #expect(status == .ok && page.contains("data-code=\"contract-rate\"") && page.contains("规划指标进度"))
            let elsewhere = try await server.client(as: Principal(subject: "mgr-x", role: .commissionManager, displayName: "闵行", district: "310112"))
            (status, body) = try await elsewhere.call(.get, "/api/v1/indicators/cockpit")
            let theirs = try JSONDecoder().decode([IndicatorStatus].self, from: Data(buffer: body))
            #expect(status == .ok && theirs.allSatisfy { $0.value == nil }, "another district sees its own (empty) figures")
        }
    }

    /// 下钻: each breakdown of an indicator adds up to the district's figure, is judged against the same target,
    /// and is drawn with Chart.js, which the server serves itself.
    @Test func anIndicatorsBreakdownsAddUpToTheDistrict() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 150, randomSeed: 11)
            _ = try await ContractingService(store: platform.fhir).seedDemo(district: "310105")
            try await IndicatorService.platform(platform).recompute(district: "310105")
            let cdc = try await server.client(as: Principal(subject: "cdc-b", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            struct Row: Decodable { var key: String; var name: String; var value: Double; var numerator: Double?; var denominator: Double?; var rag: String }
            struct Breakdown: Decodable { var status: IndicatorStatus; var subdistricts: [Row]; var organizations: [Row]; var categories: [Row] }
            var (status, body) = try await cdc.call(.get, "/api/v1/indicators/breakdown/contract-rate")
            #expect(status == .ok, "\(String(buffer: body))")
            let breakdown = try JSONDecoder().decode(Breakdown.self, from: Data(buffer: body))
            let total = try #require(breakdown.status.value)
            func sums(_ rows: [Row]) -> (Double, Double) { (rows.compactMap(\.numerator).reduce(0, +), rows.compactMap(\.denominator).reduce(0, +)) }
            let directory = try await platform.database.read { sql in
                try await sql.raw("SELECT gender, COUNT(*) AS n FROM registry_resident WHERE district = '310105' AND active = 1 GROUP BY gender").all()
                    .map { (try $0.decode(column: "gender", as: String?.self) ?? "", try $0.decode(column: "n", as: Int.self)) }
            }
            #expect(!breakdown.subdistricts.isEmpty && !breakdown.organizations.isEmpty)
            // Every resident is in one 街道, one CHC's list and one age group: those add up to the district exactly.
            for (name, rows) in [("街道", breakdown.subdistricts), ("机构", breakdown.organizations), ("年龄组", breakdown.categories.filter { $0.key.hasPrefix("age:") })] {
                #expect(sums(rows) == (total.numerator ?? -1, total.denominator ?? -1), "\(name): \(sums(rows)) vs \(total)")
            }
            #expect(breakdown.categories.filter { $0.key.hasPrefix("age:") }.map(\.key).allSatisfy { key in AgeGroup.groups.contains { "age:\($0.label)" == key } })
            // By sex: as many as the directory holds of each.
            let sexes = breakdown.categories.filter { $0.key.hasPrefix("sex:") }
            #expect(Set(sexes.map(\.name)).isSubset(of: ["男", "女"]) && !sexes.isEmpty)
            for row in sexes { #expect(row.denominator == Double(directory.first { "sex:\($0.0)" == row.key }?.1 ?? -1), "\(row.key)") }
            // Each part is judged against the district's target (none for contracting in Changning's plan: none).
            for row in breakdown.subdistricts + breakdown.categories {
                #expect(row.rag == IndicatorStatus.rag(value: row.value, target: breakdown.status.target, direction: "up"))
            }
            // The page draws the charts with the served Chart.js.
            (status, body) = try await cdc.call(.get, "/cockpit/indicator/contract-rate")
            let page = String(buffer: body)
            #expect(status == .ok && page.contains("data-chart=\"chart-subdistricts-data\"") && page.contains("<script src=\"/static/chart.min.js\">") && page.contains("id=\"ages\""))
            (status, body) = try await cdc.call(.get, "/static/chart.min.js")
            #expect(status == .ok && String(buffer: body).hasPrefix("/*!\n * Chart.js v3.9.1"))
            (status, _) = try await cdc.call(.get, "/static/..%2FIndicatorRoutes.swift")
            #expect(status == .notFound)
            // Refusals: an unknown indicator; a family doctor.
            (status, body) = try await cdc.call(.get, "/api/v1/indicators/breakdown/no-such")
            #expect(status == .notFound && String(buffer: body).contains("没有指标"))
            let doctor = try await server.client(as: Principal(subject: "doc-b", role: .familyDoctor, displayName: "医生", institution: "cn-chc-huayang"))
            (status, _) = try await doctor.call(.get, "/api/v1/indicators/breakdown/contract-rate")
            #expect(status == .forbidden)
        }
    }
}
