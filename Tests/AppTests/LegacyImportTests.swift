import Access
import App
import FHIR
import Foundation
import HTTPTypes
import NIOCore
import Registry
import Testing
import WeijianTesting

/// 历史数据导入 over real HTTP, on the engine the environment names: a CSV of residents with 5% bad rows imports
/// the good rows, refuses the bad ones with their reasons and loses nothing; a dry run writes nothing; a second run
/// finds every resident present; contracts and chronic registers follow the residents.
@Suite struct LegacyImportTests {
    struct Report: Decodable { var rows: Int; var imported: Int; var alreadyPresent: Int; var rejected: [Rejected]; var dryRun: Bool }
    struct Rejected: Decodable, CustomStringConvertible { var row: Int; var reasons: [String]; var description: String { "\(row): \(reasons)" } }

    static func count(_ platform: Platform, _ type: String) async throws -> Int {
        var search = try SearchRequest(type: type, query: [("_summary", "count")], definitions: platform.fhir.definitions, strict: true)
        search.count = 0
        return try await platform.fhir.search(search).total ?? -1
    }

    @Test func aFileWithFivePercentBadRowsImportsTheGoodOnesAndLosesNothing() async throws {
        try await TestServer.run(maxBodyBytes: 1024 * 1024) { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            _ = try await platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"fd-imp","name":[{"text":"家庭医生"}]}"#.utf8)), type: "Practitioner", id: "fd-imp")
            _ = try await platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"PractitionerRole","id":"fd-imp-role","active":true,"practitioner":{"reference":"Practitioner/fd-imp"},"organization":{"reference":"Organization/\#(chc.id)"},"code":[{"coding":[{"system":"https://weijian.health/CodeSystem/role","code":"family-doctor"}],"text":"家庭医生"}]}"#.utf8)), type: "PractitionerRole", id: "fd-imp-role")
            let place = try #require(chc.catchment.first)
            let minhang = try #require(Catalog.subdistricts(of: "310112").first).code
            var numbers: [String] = []
            // 40 rows: row 7 has a wrong check character, row 23 a 街道 of another district; an address with a comma
            // and a quote exercises the CSV quoting.
            var csv = "id_number,name,subdistrict,chc,phone,address\n"
            for index in 1...40 {
                var number = ResidentIDNumber.make(addressCode: "310105", birthDate: "19\(50 + index)-03-0\(1 + index % 9)", sequence: 100 + index, male: index % 2 == 0)
                if index == 7 { number = String(number.dropLast()) + (number.hasSuffix("0") ? "1" : "0") }
                numbers.append(number)
                csv += "\(number),居民\(index),\(index == 23 ? minhang : place),\(chc.id),1390000\(String(format: "%04d", index)),\"长宁路 \(index) 号, 3 楼 \"\"东\"\"\"\n"
            }
            let platformClient = try await server.client(as: TestServer.platformPrincipal)
            func post(_ client: AuthorizedClient, _ path: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: path, method: .post, headers: [.contentType: "text/csv"], body: ByteBuffer(string: body)) { ($0.status, String(buffer: $0.body)) }
            }
            let before = try await Self.count(platform, "Patient")
            // A dry run reports and writes nothing.
            var (status, text) = try await post(platformClient, "/api/v1/import/residents?dryRun=1", csv)
            var report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(status == .ok && report.dryRun && report.rows == 40 && report.imported == 38, "\(text)")
            #expect(report.rejected.map(\.row) == [7, 23], "\(report.rejected)")
            #expect(report.rejected.first?.reasons.first?.contains("校验位错误") == true && report.rejected.last?.reasons.first?.contains("不属于本区") == true, "\(report.rejected)")
            #expect(try await Self.count(platform, "Patient") == before)
            // The import: the 38 good rows, each once, with what the file said.
            (status, text) = try await post(platformClient, "/api/v1/import/residents", csv)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(status == .ok && !report.dryRun && report.imported == 38 && report.rejected.map(\.row) == [7, 23], "\(text)")
            #expect(try await Self.count(platform, "Patient") == before + 38)
            var search = try SearchRequest(type: "Patient", query: [("identifier", "\(ResidentIDNumber.system)|\(numbers[9])")], definitions: platform.fhir.definitions, strict: true)
            search.count = 2
            let tenth = try #require(try await platform.fhir.search(search).matches.first)
            let record = try JSONValue.parse(Data(tenth.content.utf8))
            #expect(record["address"]?.items.first?["text"]?.stringValue == "长宁路 10 号, 3 楼 \"东\"" && record["birthDate"]?.stringValue == "1960-03-02")
            #expect(record["managingOrganization"]?["reference"]?.stringValue == "Organization/\(chc.id)")
            // Again: nothing new, every good row already present.
            (status, text) = try await post(platformClient, "/api/v1/import/residents", csv)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.imported == 0 && report.alreadyPresent == 38 && report.rejected.count == 2, "\(text)")
            #expect(try await Self.count(platform, "Patient") == before + 38)

            // Contracts for ten of them with a doctor who has 8 places left, and a row whose resident was never
            // imported (row 23's): the ten are signed together, which fails for want of places, so they are taken one
            // by one — eight signed, the last two refused with the reason.
            let manager = try await server.client(as: Principal(subject: "mgr-cap", role: .chcManager, displayName: "主任", institution: chc.id))
            let (capacity, capacityText) = try await manager.call(.put, "/api/v1/contracting/doctors/fd-imp/capacity", #"{"capacity":8}"#)
            #expect(capacity == .ok, "\(String(buffer: capacityText))")
            var contracts = "id_number,doctor\n" + numbers[10..<20].map { "\($0),fd-imp\n" }.joined() + "\(numbers[22]),fd-imp\n"
            (status, text) = try await post(platformClient, "/api/v1/import/contracts", contracts)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.imported == 8 && report.rejected.map(\.row) == [9, 10, 11], "\(text)")
            #expect(report.rejected.first?.reasons.first?.contains("签约名额已满") == true, "\(text)")
            #expect(report.rejected.last?.reasons.first?.contains("没有该身份证号的居民档案") == true, "\(text)")
            contracts = "id_number,doctor\n\(numbers[10]),fd-imp\n\(numbers[11]),nobody\n"
            (status, text) = try await post(platformClient, "/api/v1/import/contracts", contracts)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.alreadyPresent == 1 && report.rejected.first?.reasons.first?.contains("没有家庭医生") == true, "\(text)")

            // Chronic registers as diagnoses; an unknown programme and a future date refused.
            let chronic = "id_number,programme,diagnosed\n" + numbers[26..<31].map { "\($0),hypertension,2019-05-01\n" }.joined()
                + "\(numbers[31]),asthma,2019-05-01\n\(numbers[32]),diabetes,2999-01-01\n"
            let conditions = try await Self.count(platform, "Condition")
            (status, text) = try await post(platformClient, "/api/v1/import/chronic", chronic)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.imported == 5 && report.rejected.map(\.row) == [6, 7], "\(text)")
            #expect(try await Self.count(platform, "Condition") == conditions + 5)

            // A file without a required column is refused whole; so is another CHC's row for a CHC manager, and
            // a family doctor may not import at all.
            (status, text) = try await post(platformClient, "/api/v1/import/residents", "id_number,name\n\(numbers[0]),x\n")
            #expect(status == .unprocessableContent && text.contains("缺少列 subdistrict"), "\(text)")
            (status, text) = try await post(platformClient, "/api/v1/import/patients", "id_number\n")
            #expect(status == .unprocessableContent && text.contains("导入类型"))
            let other = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && $0.id != chc.id })
            let otherManager = try await server.client(as: Principal(subject: "mgr-imp", role: .chcManager, displayName: "主任", institution: other.id))
            (status, text) = try await post(otherManager, "/api/v1/import/residents", csv)
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.imported == 0 && report.rejected.count == 40 && report.rejected[0].reasons.contains { $0.contains("只能导入本中心") }, "\(text.prefix(300))")
            // The same person under another CHC is refused, not moved.
            (status, text) = try await post(platformClient, "/api/v1/import/residents", "id_number,name,subdistrict,chc\n\(numbers[0]),居民1,\(place),\(other.id)\n")
            report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
            #expect(report.alreadyPresent == 0 && report.rejected.first?.reasons.first?.contains("已在其他机构建档") == true, "\(text)")
            let doctor = try await server.client(as: Principal(subject: "fd-x", role: .familyDoctor, displayName: "医生", institution: chc.id, practitioner: "fd-imp"))
            (status, _) = try await post(doctor, "/api/v1/import/residents", csv)
            #expect(status == .forbidden)
        }
    }
}
