import Access
import App
import Contracting
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Indicators
import NIOCore
import Portal
import Referral
import Registry
import SQLKit
import Storage
import Surveillance
import Testing
import WeijianTesting

/// The number of Encounters matching `query`, counted through the FHIR store's search (`_summary=count`).
func encounterCount(_ platform: Platform, _ query: [(String, String)]) async throws -> Int {
    var search = try SearchRequest(type: "Encounter", query: query + [("_summary", "count")], definitions: platform.fhir.definitions, strict: true)
    search.count = 0
    return try await platform.fhir.search(search).total ?? -1
}

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

    /// The plans' task lists: Jinshan's 76 and Changning's 19, each task's text and departments as the seed prints them.
    @Test func planTasksAreTranscribedFromTheirSeeds() throws {
        func squeezed(_ text: String) -> String { text.filter { !$0.isWhitespace } }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (seed, file, count) in [("004", "004_b3d9aa3e9c1a45d7.txt", 76), ("000", "000_f4cbf4284e21918f.txt", 19)] {
            let text = squeezed(try String(contentsOf: root.appendingPathComponent("tests/seeds/\(file)"), encoding: .utf8))
            let tasks = PlanTasks.all.filter { $0.seed == seed }
            #expect(tasks.count == count && Set(tasks.map(\.id)).count == count, "\(seed): \(tasks.count)")
            for task in tasks {
                // In the seed as printed, allowing short gaps: a task whose text runs over a page break has its
                // departments' cells in the middle of it. Anchored on its first characters, then matched greedily.
                let wanted = Array(squeezed(task.text))
                let anchor = try #require(text.range(of: String(wanted.prefix(12))), "\(task.id): \(task.text.prefix(20))")
                let window = Array(text[anchor.lowerBound...].prefix(wanted.count + 400))
                var (matched, position, gaps) = (0, 0, 0)
                while matched < wanted.count, position < window.count {
                    if window[position] == wanted[matched] { matched += 1; position += 1; continue }
                    // A gap: skip to where the rest resumes (at least 4 characters match), at most 40 characters on.
                    let resume = (position + 1...min(position + 40, window.count)).first { start in
                        let length = min(4, wanted.count - matched)
                        return start + length <= window.count && Array(window[start..<start + length]) == Array(wanted[matched..<matched + length])
                    }
                    guard let resume else { break }
                    gaps += 1
                    position = resume
                }
                #expect(matched == wanted.count && gaps <= 1, "\(task.id): \(matched) of \(wanted.count) characters, \(gaps) gaps")
                #expect(task.text.hasPrefix("\(task.number).") && task.text.contains(task.title), "\(task.id)")
                // The departments stand in the task's row (the annex's next cells, or in the gap; Changning's 责任部门).
                let after = text[anchor.lowerBound...].prefix(position + 400)
                for department in task.lead + task.partners { #expect(after.contains(department), "\(task.id): \(department)") }
                #expect(!task.lead.isEmpty && task.district != nil && CalendarDay.isValid(task.due), "\(task.id)")
            }
        }
        let jinshan = PlanTasks.all.filter { $0.seed == "004" }
        #expect(jinshan.map(\.number) == (1...76).map(String.init))
        // Samples: task 43 tilts slots to the community; task 3's lead is the 街镇; Changning's 扩大签约覆盖面 names 区民政局.
        #expect(jinshan[42].text.contains("号源分配向社区倾斜") && jinshan[42].lead == ["区卫健委"] && jinshan[42].section == "(十四)做实分级诊疗")
        #expect(jinshan[2].lead == ["各街镇", "高新区社区党工委"] && jinshan[2].partners.contains("区农业农村委"))
        #expect(jinshan[13].section == "(五)提升公共卫生服务水平" && jinshan[70].partners == ["各街镇", "高新区社区党工委"])
        let signing = try #require(PlanTasks.all.first { $0.id == "000-4-3-1" })
        #expect(signing.title == "扩大签约覆盖面" && signing.lead.first == "区民政局" && signing.section == "（三）签约高质量发展")
    }

    @Test func managersTrackTheirPlansTasks() async throws {
        try await TestServer.run { server in
            let jinshan = try await server.client(as: Principal(subject: "mgr-js", role: .commissionManager, displayName: "金山卫健委", district: "310116"))
            let changning = try await server.client(as: Principal(subject: "mgr-cn", role: .commissionManager, displayName: "长宁卫健委", district: "310105"))
            let chc = try await server.client(as: Principal(subject: "chc-js", role: .chcManager, displayName: "社区", institution: "js-chc-zhujing"))
            var (status, body) = try await jinshan.call(.get, "/api/v1/indicators/tasks")
            #expect(status == .ok, "\(String(buffer: body))")
            var tasks = try JSONDecoder().decode([TrackedTask].self, from: Data(buffer: body))
            #expect(tasks.count == 76 && tasks.allSatisfy { $0.status == "not-started" && $0.progress == 0 })
            // The plans ran to 2025: today every unfinished task is overdue.
            #expect(tasks.allSatisfy(\.overdue) == (CalendarDay.today() > "2025-12-31"))

            // Refusals, each with its reason; nothing is recorded.
            for (payload, why) in [(#"{"status":"finished","progress":50,"note":"x"}"#, "status 须为"), (#"{"status":"in-progress","progress":120,"note":"x"}"#, "0 到 100"),
                                   (#"{"status":"done","progress":80,"note":"x"}"#, "须为 100"), (#"{"status":"in-progress","progress":40,"note":"  "}"#, "进展说明")] {
                (status, body) = try await jinshan.call(.post, "/api/v1/indicators/tasks/004-43/progress", payload)
                #expect(status == .unprocessableContent && String(buffer: body).contains(why), "\(payload): \(String(buffer: body))")
            }
            (status, body) = try await jinshan.call(.post, "/api/v1/indicators/tasks/004-43/progress", #"{"status":"in-progress","progress":"half","note":"x"}"#)
            #expect(status == .badRequest || status == .unprocessableContent, "\(status)")
            (status, _) = try await changning.call(.post, "/api/v1/indicators/tasks/004-43/progress", #"{"status":"in-progress","progress":40,"note":"不是本区"}"#)
            #expect(status == .notFound, "another district's task")
            (status, _) = try await chc.call(.post, "/api/v1/indicators/tasks/004-43/progress", #"{"status":"in-progress","progress":40,"note":"x"}"#)
            #expect(status == .forbidden)

            // Progress, then done: the state moves, the owner is kept, both notes stay in order.
            (status, body) = try await jinshan.call(.post, "/api/v1/indicators/tasks/004-43/progress",
                                                    #"{"status":"in-progress","progress":40,"owner":"医政科 王科长","note":"区属医院已按20%预留专家号源"}"#)
            #expect(status == .noContent, "\(String(buffer: body))")
            (status, body) = try await jinshan.call(.post, "/api/v1/indicators/tasks/004-43/progress", #"{"status":"done","progress":100,"note":"号源平台上线，社区可预约"}"#)
            #expect(status == .noContent, "\(String(buffer: body))")
            (status, body) = try await chc.call(.get, "/api/v1/indicators/tasks/004-43")
            let task = try JSONDecoder().decode(TrackedTask.self, from: Data(buffer: body))
            #expect(status == .ok && task.status == "done" && task.progress == 100 && task.owner == "医政科 王科长" && !task.overdue)
            #expect(task.notes.map(\.note) == ["区属医院已按20%预留专家号源", "号源平台上线，社区可预约"] && task.notes.map(\.by) == ["mgr-js", "mgr-js"])
            (status, body) = try await jinshan.call(.get, "/api/v1/indicators/tasks?status=done")
            tasks = try JSONDecoder().decode([TrackedTask].self, from: Data(buffer: body))
            #expect(tasks.map(\.task.id) == ["004-43"])
            (status, body) = try await jinshan.call(.get, "/api/v1/indicators/tasks?lead=" + ("区医保局".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            tasks = try JSONDecoder().decode([TrackedTask].self, from: Data(buffer: body))
            #expect(!tasks.isEmpty && tasks.allSatisfy { $0.task.lead.contains("区医保局") } && tasks.contains { $0.task.id == "004-67" })
            (status, _) = try await jinshan.call(.get, "/api/v1/indicators/tasks?status=late")
            #expect(status == .badRequest)
            // Changning sees its own 19, untouched by Jinshan's work.
            (status, body) = try await changning.call(.get, "/api/v1/indicators/tasks")
            tasks = try JSONDecoder().decode([TrackedTask].self, from: Data(buffer: body))
            #expect(tasks.count == 19 && tasks.allSatisfy { $0.status == "not-started" })

            // The pages: the list with the done task, the task's page with its notes and (for the manager) the form.
            (status, body) = try await jinshan.call(.get, "/plan/tasks")
            var page = String(buffer: body)
            #expect(status == .ok && page.contains("data-task=\"004-43\" data-status=\"done\"") && page.contains("已完成 1"))
            (status, body) = try await jinshan.call(.get, "/plan/tasks/004-43")
            page = String(buffer: body)
            #expect(status == .ok && page.contains("号源平台上线，社区可预约") && page.contains("id=\"progress-form\""))
            (status, body) = try await chc.call(.get, "/plan/tasks/004-43")
            #expect(status == .ok && !String(buffer: body).contains("id=\"progress-form\""))
            let resident = try await server.client(as: Principal(subject: "res-js", role: .resident, displayName: "居民"))
            (status, _) = try await resident.call(.get, "/api/v1/indicators/tasks")
            #expect(status == .forbidden)
        }
    }

    /// 数据质量: an institution whose records lack fields, or whose cards come late or are corrected, shows it.
    @Test func dataQualityShowsWhichInstitutionsFiguresToTrust() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 120, randomSeed: 5)
            // A reporter with a role at a CHC, and four cards of the year: one late, one rejected, two verified.
            var search = try SearchRequest(type: "PractitionerRole", query: [("organization", "Organization/cn-chc-huayang")], definitions: platform.fhir.definitions, strict: true)
            search.count = 1
            let role = try #require(try await platform.fhir.search(search).matches.first.flatMap { try? JSONValue.parse(Data($0.content.utf8)) })
            let reporter = try #require(role["practitioner"]?["reference"]?.stringValue?.replacingOccurrences(of: "Practitioner/", with: ""))
            let patients = try await platform.database.read { sql in
                try await sql.raw("SELECT patient_id FROM registry_resident WHERE district = '310105' ORDER BY patient_id LIMIT 4").all().map { try $0.decode(column: "patient_id", as: String.self) }
            }
            let surveillance = SurveillanceService(store: platform.fhir)
            let now = Date()
            func stamp(_ date: Date) -> String {
                let formatter = ISO8601DateFormatter()
                formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
                return formatter.string(from: date)
            }
            var cards: [CaseReport] = []
            for (index, patient) in patients.enumerated() {
                let diagnosed = index == 0 ? now.addingTimeInterval(-3 * 86_400) : now.addingTimeInterval(-3_600)
                cards.append(try await surveillance.report(CaseReportForm(patient: patient, icd10: "A09", onsetDate: nil, diagnosedAt: stamp(diagnosed), certainty: "clinical"),
                                                           reporter: reporter, actor: "Practitioner/\(reporter)"))
            }
            #expect(cards.map(\.late) == [true, false, false, false])
            _ = try await surveillance.review(id: cards[1].id, CaseReportReview(action: "reject", reason: "非本病"), actor: "cdc", district: "310105")
            _ = try await surveillance.review(id: cards[2].id, CaseReportReview(action: "verify"), actor: "cdc", district: "310105")
            _ = try await surveillance.review(id: cards[3].id, CaseReportReview(action: "verify"), actor: "cdc", district: "310105")
            // Two of 华阳's residents lose their mobile numbers.
            try await platform.database.write { sql in
                try await sql.raw("""
                    UPDATE mpi_person SET phone_hash = NULL WHERE patient_id IN (SELECT patient_id FROM registry_resident WHERE organization_id = 'cn-chc-huayang' ORDER BY patient_id LIMIT 2)
                    """).run()
            }
            try await IndicatorService.platform(platform).recompute(district: "310105")

            let cdc = try await server.client(as: Principal(subject: "cdc-q", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            struct Row: Decodable { var key: String; var value: Double; var numerator: Double?; var denominator: Double? }
            struct Breakdown: Decodable { var organizations: [Row] }
            func breakdown(_ code: String) async throws -> [String: Row] {
                let (status, body) = try await cdc.call(.get, "/api/v1/indicators/breakdown/\(code)")
                #expect(status == .ok, "\(String(buffer: body))")
                return Dictionary(try JSONDecoder().decode(Breakdown.self, from: Data(buffer: body)).organizations.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            }
            // Completeness: the same as an independent count of 华阳's records with every field present.
            let (records, complete) = try await platform.database.read { sql in
                let row = try await sql.raw("""
                    SELECT COUNT(*) AS n, SUM(CASE WHEN m.phone_hash IS NOT NULL AND m.id_number_hash IS NOT NULL AND r.practitioner_id IS NOT NULL AND r.birth_date IS NOT NULL
                        AND r.subdistrict IS NOT NULL AND r.gender IN ('male', 'female') THEN 1 ELSE 0 END) AS c
                    FROM registry_resident r LEFT JOIN mpi_person m ON m.patient_id = r.patient_id WHERE r.organization_id = 'cn-chc-huayang' AND r.active = 1
                    """).first()
                return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "c", as: Int?.self) ?? 0)
            }
            let huayang = try #require(try await breakdown("dq-completeness")["cn-chc-huayang"])
            #expect(records > 2 && complete <= records - 2 && huayang.numerator == Double(complete) && huayang.denominator == Double(records), "\(huayang) vs \(complete)/\(records)")
            // Timeliness 3 of 4, validity 2 of 3 reviewed, both for 华阳 through the reporter's role.
            let timely = try #require(try await breakdown("dq-timeliness")["cn-chc-huayang"])
            #expect(timely.value == 75 && timely.numerator == 3 && timely.denominator == 4)
            let valid = try #require(try await breakdown("dq-validity")["cn-chc-huayang"])
            #expect(valid.value == 66.6 && valid.numerator == 2 && valid.denominator == 3)

            // The page: 华阳 needs checking (timeliness and validity below 90% of 95%).
            let (status, body) = try await cdc.call(.get, "/cockpit/data-quality")
            let page = String(buffer: body)
            #expect(status == .ok && page.contains("data-org=\"cn-chc-huayang\" data-verdict=\"red\"") && page.contains("需核查") && page.contains("data-chart=\"chart-quality-data\""))
            // The cockpit keeps the quality measures on their own page.
            let (_, cockpit) = try await cdc.call(.get, "/cockpit")
            #expect(!String(buffer: cockpit).contains("data-code=\"dq-completeness\"") && String(buffer: cockpit).contains("href=\"/cockpit/data-quality\""))
        }
    }

    /// 服务利用: the visit register follows the Encounters (and is rebuilt from them by its migration), and the
    /// community share of outpatient visits matches a count through the FHIR API.
    @Test func serviceUseAndTheCommunityShareOfVisitsFollowTheRecord() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 100, randomSeed: 3)
            let today = CalendarDay.today(), from = CalendarDay.shift(today, days: -364)
            let window = [("date", "ge\(from)"), ("date", "le\(today)T23:59:59+08:00"), ("class", "AMB")]
            let visits = try await encounterCount(platform, window)
            var community = 0
            for chc in Catalog.institutions where chc.district == "310105" && VisitRegister.communityTypes.contains(chc.type) {
                community += try await encounterCount(platform, window + [("service-provider", "Organization/\(chc.id)")])
            }
            #expect(visits > 0 && community > 0 && community < visits)
            var use = try #require(try await registry.serviceUse(district: "310105", from: from, to: today).first)
            #expect(use.area == "310105" && use.visits == visits && use.communityVisits == community, "\(use) vs \(visits), \(community)")

            // A cancelled visit leaves the register; the migration rebuilds the register from the stored Encounters.
            let (status, body) = try await server.client(as: TestServer.platformPrincipal).call(.get, "/fhir/r4/Encounter?date=ge\(from)&class=AMB&_count=1")
            #expect(status == .ok)
            var encounter = try #require(try JSONValue.parse(Data(buffer: body))["entry"]?.arrayValue?.first?["resource"])
            let id = try #require(encounter["id"]?.stringValue)
            encounter["status"] = .string("cancelled")
            _ = try await platform.fhir.update(encounter, type: "Encounter", id: id)
            use = try #require(try await registry.serviceUse(district: "310105", from: from, to: today).first)
            #expect(use.visits == visits - 1)
            let before = try await platform.database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM registry_visit").first()?.decode(column: "n", as: Int.self) ?? 0 }
            let rebuild = try #require(RegistryMigrations.all.first { $0.id == "0205_registry_visit" }).statements(SQLFragments(engine: platform.database.engine))
            try await platform.database.write { sql in
                try await sql.raw("DELETE FROM registry_visit").run()
                for statement in rebuild where statement.hasPrefix("INSERT") { try await sql.raw(SQLQueryString(statement)).run() }
            }
            let after = try await platform.database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM registry_visit").first()?.decode(column: "n", as: Int.self) ?? 0 }
            #expect(after == before && after > 0)
            use = try #require(try await registry.serviceUse(district: "310105", from: from, to: today).first)
            #expect(use.visits == visits - 1 && use.communityVisits <= community)

            // The indicator and the portrait.
            try await IndicatorService.platform(platform).recompute(district: "310105")
            let share = try #require(try await IndicatorService.platform(platform).latest(district: "310105", area: "310105").first { $0.code == "community-outpatient-share" })
            #expect(share.numerator == Double(use.communityVisits) && share.denominator == Double(use.visits))
            let place = try #require(try await registry.serviceUse(district: "310105", from: from, to: today).dropFirst().first { $0.visits > 0 })
            let cdc = try await server.client(as: Principal(subject: "cdc-s", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            let (_, portrait) = try await cdc.call(.get, "/portrait/\(place.area)")
            #expect(String(buffer: portrait).contains("data-code=\"community-outpatient-share\"") && String(buffer: portrait).contains("居民人均门诊人次"))
        }
    }

    /// 互联网复诊: online return visits completed at the district's hospitals, against them and the in-person return
    /// visits the EMR typed as follow-ups; the visit register's flag follows the Encounters, its migration fills it,
    /// and it agrees with a count through the FHIR API.
    @Test func theOnlineShareOfReturnVisitsCountsTheHospitalsFollowUps() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 60, randomSeed: 5)
            let today = CalendarDay.today(), from = CalendarDay.shift(today, days: -364)
            let hospitals = Catalog.institutions.filter { $0.district == "310105" && ReturnVisits.hospitalTypes.contains($0.type) }.map(\.id)
            let hospital = try #require(hospitals.first)
            func fhirFollowUps() async throws -> Int {
                var total = 0
                for place in hospitals {
                    total += try await encounterCount(platform, [
                        ("date", "ge\(from)"), ("date", "le\(today)T23:59:59+08:00"), ("class", "AMB"), ("type", "\(VisitRegister.followUpSystem)|\(VisitRegister.followUpCode)"),
                        ("service-provider", "Organization/\(place)"),
                    ])
                }
                return total
            }
            let demo = try await registry.returnVisits(organizations: hospitals, from: from, to: today)
            let demoThroughFHIR = try await fhirFollowUps()
            #expect(demo > 0 && demo == demoThroughFHIR, "the demo's later visits to a hospital are return visits")

            // Three more visits of one resident today: a return visit to the hospital counts; a first visit there and a
            // return visit to the CHC do not.
            let patient = "p310105-1"
            let record = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: patient)).content.utf8))
            let chc = String(try #require(record["managingOrganization"]?["reference"]?.stringValue).dropFirst("Organization/".count))
            func encounter(_ id: String, at place: String, followUp: Bool) -> JSONValue {
                var resource: JSONValue = .object([
                    "resourceType": .string("Encounter"), "id": .string(id), "status": .string("finished"),
                    "class": .object(["system": .string("http://terminology.hl7.org/CodeSystem/v3-ActCode"), "code": .string("AMB")]),
                    "subject": .object(["reference": .string("Patient/\(patient)")]),
                    "period": .object(["start": .string("\(today)T09:00:00+08:00")]),
                    "serviceProvider": .object(["reference": .string("Organization/\(place)")]),
                ])
                if followUp {
                    resource["type"] = .array([.object(["coding": .array([.object(["system": .string(VisitRegister.followUpSystem), "code": .string(VisitRegister.followUpCode)])])])])
                }
                return resource
            }
            _ = try await platform.fhir.update(encounter("rv-hospital", at: hospital, followUp: true), type: "Encounter", id: "rv-hospital")
            _ = try await platform.fhir.update(encounter("rv-first", at: hospital, followUp: false), type: "Encounter", id: "rv-first")
            _ = try await platform.fhir.update(encounter("rv-chc", at: chc, followUp: true), type: "Encounter", id: "rv-chc")
            let afterThree = try await registry.returnVisits(organizations: hospitals, from: from, to: today)
            #expect(afterThree == demo + 1)
            // The first visit turns out to be a return visit after all (the EMR corrects it): the register follows.
            _ = try await platform.fhir.update(encounter("rv-first", at: hospital, followUp: true), type: "Encounter", id: "rv-first")
            let inPerson = try await registry.returnVisits(organizations: hospitals, from: from, to: today)
            let inPersonThroughFHIR = try await fhirFollowUps()
            #expect(inPerson == demo + 2 && inPerson == inPersonThroughFHIR)

            // Migration 0207 fills the flag from the stored Encounters.
            let fill = try #require(RegistryMigrations.all.first { $0.id == "0207_registry_visit_follow_up" }).statements(SQLFragments(engine: platform.database.engine))
            try await platform.database.write { sql in
                try await sql.raw("UPDATE registry_visit SET follow_up = 0").run()
                for statement in fill where statement.hasPrefix("UPDATE") { try await sql.raw(SQLQueryString(statement)).run() }
            }
            let refilled = try await registry.returnVisits(organizations: hospitals, from: from, to: today)
            #expect(refilled == inPerson)

            // One online return visit completed at the hospital, one still open there, one completed at the CHC.
            let visits = ReturnVisits(store: platform.fhir)
            let condition = "\(patient)-c-rv"
            _ = try await platform.fhir.update(try JSONValue.parse(Data("""
                {"resourceType":"Condition","id":"\(condition)","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]},"subject":{"reference":"Patient/\(patient)"}}
                """.utf8)), type: "Condition", id: condition)
            for (place, finish) in [(hospital, true), (hospital, false), (chc, true)] {
                let actor = StaffActor(account: "clinician-\(place)", practitioner: nil, institution: place)
                let visit = try await visits.request(VisitRequestForm(condition: condition, institution: place, description: "高血压复诊，续开药"), patient: patient)
                _ = try await visits.accept(visit.id, by: actor)
                guard finish else { continue }
                _ = try await visits.writeNote(visit.id, note: "血压控制可，继续原方案。", by: actor)
                _ = try await visits.complete(visit.id, by: actor)
            }
            let online = try await visits.completedCount(institutions: hospitals, from: from, to: today)
            #expect(online == 1)

            try await IndicatorService.platform(platform).recompute(district: "310105")
            let share = try #require(try await IndicatorService.platform(platform).latest(district: "310105", area: "310105").first { $0.code == "online-return-visit-share" })
            #expect(share.numerator == 1 && share.denominator == Double(1 + inPerson))
            #expect(abs(share.value - 100.0 / Double(1 + inPerson)) < 0.1, "\(share.value)")
            // Bound to the plans' rows (000 table 6 row 24, 002 table 1 row 8).
            #expect(PlanTargets.all.filter { $0.indicator == "online-return-visit-share" }.map { "\($0.seed)-\($0.table)-\($0.row)" }.sorted() == ["000-6-24", "002-1-8"])
        }
    }

    /// 社区预留号源使用率: of a past session's slots reserved for the community, those a family doctor or a referral
    /// booked; a resident's booking of a released one does not count.
    @Test func theUseOfReservedSlotsCountsTheCommunitysBookings() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: "310105", residents: 40, randomSeed: 9)
            let referral = ReferralService(store: platform.fhir)
            let hospital = try #require(Catalog.institutions.first { $0.district == "310105" && $0.type == "hospital" })
            // A session five days ago, made and booked ten days ago (as it happened then).
            let then = Date().addingTimeInterval(-10 * 86_400)
            let day = CalendarDay.shift(CalendarDay.today(), days: -5)
            let schedule = try await referral.createSchedule(SchedulePlan(organization: hospital.id, department: "endocrinology", day: day, start: "08:00", end: "10:30",
                                                                         slotMinutes: 15, reservedPercent: 40, releaseHours: 48), actor: "test", now: then)
            let slots = try await referral.slots(schedule: schedule.id, now: then)
            let reserved = slots.filter { $0.pool == "reserved" }
            #expect(reserved.count == 4 && slots.count == 10)
            let patients = try await platform.database.read { sql in
                try await sql.raw("SELECT patient_id FROM registry_resident ORDER BY patient_id LIMIT 3").all().map { try $0.decode(column: "patient_id", as: String.self) }
            }
            _ = try await referral.book(BookingRequest(slot: reserved[0].id, patient: patients[0], channel: .familyDoctor, actor: "doctor"), now: then)
            _ = try await referral.book(BookingRequest(slot: reserved[1].id, patient: patients[1], channel: .familyDoctor, actor: "doctor"), now: then)
            // A resident takes a reserved slot once it is released (48 hours before; booked six days ago).
            _ = try await referral.book(BookingRequest(slot: reserved[2].id, patient: patients[2], channel: .resident, actor: "resident"),
                                        now: Date().addingTimeInterval(-6 * 86_400))
            let use = try #require(try await referral.reservedSlotUse(district: "310105", from: CalendarDay.shift(CalendarDay.today(), days: -29), to: CalendarDay.today()).first { $0.organization == hospital.id })
            #expect(use.reserved == 4 && use.usedByCommunity == 2)
            try await IndicatorService.platform(platform).recompute(district: "310105")
            let values = try await IndicatorService.platform(platform).latest(district: "310105", code: "reserved-slot-use")
            #expect(values.first { $0.area == "310105" }.map { ($0.value, $0.numerator, $0.denominator) } ?? (0, nil, nil) == (50, 2, 4))
            #expect(values.first { $0.area == hospital.id }?.value == 50)
        }
    }
}
