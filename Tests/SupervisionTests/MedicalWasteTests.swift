import Access
import Foundation
import HTTPTypes
import Registry
import SQLKit
import Storage
import Supervision
import Testing
import WeijianTesting

/// 医疗废物追溯: a batch's weights through its hand-overs, the alerts they raise, overdue steps, bad input and
/// who may do what; over real HTTP, on the engine the environment names.
@Suite struct MedicalWasteTests {
    struct Batch: Decodable { var id: String; var status: String; var weightGrams: Int }
    struct Alert: Decodable { var batch: String; var kind: String; var detail: String }

    @Test func aTenPercentLossRaisesExactlyOneAlert() async throws {
        try await TestServer.run { server in
            let staff = try await server.client(as: Principal(subject: "chc-w", role: .chcStaff, displayName: "华阳", institution: "cn-chc-huayang", district: "310105"))
            let plant = try await server.client(as: Principal(subject: "plant", role: .systemClient, displayName: "处置中心", district: "310105"))
            let inspector = try await server.client(as: Principal(subject: "insp", role: .healthInspector, displayName: "监督员", district: "310105"))
            let hour = Date().addingTimeInterval(-3 * 3600)
            func collect(_ kilograms: Double) async throws -> Batch {
                let (status, body) = try await staff.call(.post, "/api/v1/supervision/waste/batches",
                                                          #"{"category":"infectious","weightKg":\#(kilograms),"collectedAt":"\#(TestValues.stamp(hour))"}"#)
                #expect(status == .created, "\(String(buffer: body))")
                return try JSONDecoder().decode(Batch.self, from: Data(buffer: body))
            }
            func handOver(_ client: AuthorizedClient, _ batch: String, _ stage: String, _ kilograms: Double, minutes: Double) async throws -> (HTTPResponse.Status, String) {
                let (status, body) = try await client.call(.post, "/api/v1/supervision/waste/batches/\(batch)/handovers",
                                                           #"{"stage":"\#(stage)","weightKg":\#(kilograms),"at":"\#(TestValues.stamp(hour.addingTimeInterval(minutes * 60)))","handler":"上海市固体废物处置中心"}"#)
                return (status, String(buffer: body))
            }
            func alerts() async throws -> [Alert] {
                let (status, body) = try await inspector.call(.get, "/api/v1/supervision/waste/alerts")
                #expect(status == .ok)
                return try JSONDecoder().decode([Alert].self, from: Data(buffer: body))
            }
            // 20 kg collected, 18 kg handed to the transporter (10% lost), 18 kg disposed: one alert for the batch.
            let lossy = try await collect(20)
            #expect(lossy.weightGrams == 20_000 && lossy.status == "collected")
            var (status, text) = try await handOver(staff, lossy.id, "transfer", 18, minutes: 30)
            #expect(status == .ok, "\(text)")
            (status, text) = try await handOver(plant, lossy.id, "disposal", 18, minutes: 120)
            #expect(status == .ok && text.contains("\"disposed\""), "\(text)")
            var raised = try await alerts()
            #expect(raised.count == 1 && raised[0].batch == lossy.id && raised[0].kind == "weight-mismatch" && raised[0].detail.contains("减少 10.0%"), "\(raised)")
            // Within the tolerance (3%), and a gain of 3%: none.
            let fine = try await collect(10)
            (status, _) = try await handOver(staff, fine.id, "transfer", 9.7, minutes: 30)
            (status, _) = try await handOver(plant, fine.id, "disposal", 10.3, minutes: 90)
            #expect(status == .ok)
            raised = try await alerts()
            #expect(raised.count == 1)

            // Out of order and bad input, each refused with its reason and nothing recorded.
            let other = try await collect(5)
            for (client, stage, kilograms, minutes, expected, why) in [
                (plant, "disposal", 5.0, 60.0, HTTPResponse.Status.conflict, "尚未交接转运"),
                (staff, "transfer", -1.0, 60.0, .unprocessableContent, "正数"),
                (staff, "transfer", 5.0, -60.0, .unprocessableContent, "早于上一环节"),
                (staff, "burn", 5.0, 60.0, .unprocessableContent, "stage"),
                (staff, "transfer", 5.0, 60 * 24 * 3, .unprocessableContent, "晚于现在"),
            ] {
                let (status, text) = try await handOver(client, other.id, stage, kilograms, minutes: minutes)
                #expect(status == expected && text.contains(why), "\(stage) \(kilograms) \(minutes): \(status) \(text)")
            }
            (status, text) = try await handOver(staff, other.id, "transfer", 5, minutes: 60)
            #expect(status == .ok)
            (status, text) = try await handOver(staff, other.id, "transfer", 5, minutes: 61)
            #expect(status == .conflict && text.contains("不能重复交接"))
            for (payload, why) in [(#"{"category":"radioactive","weightKg":1,"collectedAt":"2026-01-01T08:00:00+08:00"}"#, "类别"),
                                   (#"{"category":"infectious","weightKg":0,"collectedAt":"2026-01-01T08:00:00+08:00"}"#, "正数"),
                                   (#"{"category":"infectious","weightKg":1,"collectedAt":"yesterday"}"#, "时间须为")] {
                let (status, body) = try await staff.call(.post, "/api/v1/supervision/waste/batches", payload)
                #expect(status == .unprocessableContent && String(buffer: body).contains(why), "\(payload): \(String(buffer: body))")
            }
            // Another CHC's staff cannot touch this batch (404, as if it were not there); a resident cannot list them.
            let neighbour = try await server.client(as: Principal(subject: "chc-x", role: .chcStaff, displayName: "江苏", institution: "cn-chc-jiangsu", district: "310105"))
            (status, _) = try await handOver(neighbour, fine.id, "transfer", 10, minutes: 30)
            #expect(status == .notFound)
            let resident = try await server.client(as: Principal(subject: "r-w", role: .resident, displayName: "居民"))
            (status, _) = try await resident.call(.get, "/api/v1/supervision/waste/batches")
            #expect(status == .forbidden)
            (status, _) = try await staff.call(.get, "/api/v1/supervision/waste/alerts")
            #expect(status == .forbidden)
            let (_, mine) = try await neighbour.call(.get, "/api/v1/supervision/waste/batches")
            #expect(try JSONDecoder().decode([Batch].self, from: Data(buffer: mine)).isEmpty)

            // The inspectors' page lists the alert and the batches.
            let (pageStatus, page) = try await inspector.call(.get, "/supervision/waste")
            #expect(pageStatus == .ok && String(buffer: page).contains("data-kind=\"weight-mismatch\"") && String(buffer: page).contains("data-batch=\"\(lossy.id)\" data-status=\"disposed\""))
        }
    }

    @Test func aStepOverdueRaisesOneAlert() async throws {
        try await TestServer.run { server in
            let waste = MedicalWaste(database: server.platform.database)
            let now = Date()
            let old = try await waste.collect(WasteBatchForm(category: "injurious", weightKg: 2, collectedAt: TestValues.stamp(now.addingTimeInterval(-50 * 3600))),
                                              institution: "cn-chc-huayang", district: "310105", actor: "t")
            let recent = try await waste.collect(WasteBatchForm(category: "injurious", weightKg: 2, collectedAt: TestValues.stamp(now.addingTimeInterval(-2 * 3600))),
                                                 institution: "cn-chc-huayang", district: "310105", actor: "t")
            let moved = try await waste.collect(WasteBatchForm(category: "pathological", weightKg: 3, collectedAt: TestValues.stamp(now.addingTimeInterval(-60 * 3600))),
                                                institution: "cn-chc-huayang", district: "310105", actor: "t")
            _ = try await waste.handOver(batch: moved.id, stage: "transfer", weightKg: 3, at: TestValues.stamp(now.addingTimeInterval(-59 * 3600)), handler: "转运公司",
                                         district: "310105", institution: nil, actor: "t")
            #expect(try await waste.checkOverdue(now: now) == 2)
            #expect(try await waste.checkOverdue(now: now) == 0, "once per batch")
            let alerts = try await waste.alerts(district: "310105")
            #expect(Set(alerts.map { "\($0.batch) \($0.kind)" }) == ["\(old.id) missing-transfer", "\(moved.id) missing-disposal"])
            #expect(!alerts.contains { $0.batch == recent.id })
            // An institution outside the district's catalogue is refused.
            await #expect(throws: (any Error).self) {
                _ = try await waste.collect(WasteBatchForm(category: "injurious", weightKg: 1, collectedAt: TestValues.stamp(now)), institution: "mh-chc-xinzhuang", district: "310105", actor: "t")
            }
        }
    }
}
