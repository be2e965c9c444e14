import Access
import Collaboration
import FHIR
import Foundation
import HTTPTypes
import NIOCore
import Registry
import Storage
import Testing
import WeijianTesting

/// 会诊, time-critical centres and pre-hospital emergency care over real HTTP, on the engine the environment
/// names: a consultation from request to the conclusion in the record; door-to-treatment and response times on
/// crafted data against hand-computed values; bad input and who may do what.
@Suite struct CollaborationTests {
    struct Item: Decodable { var id: String; var status: String; var clinicalImpression: String?; var acknowledgedAt: String?; var serviceRequest: String }
    struct Measure: Decodable { var hospital: String; var centre: String; var measure: String; var cases: Int; var measured: Int; var medianMinutes: Double?; var withinTargetPercent: Double? }
    struct Call: Decodable { var id: String; var status: String; var responseMinutes: Double? }
    struct Times: Decodable { var area: String; var calls: Int; var meanMinutes: Double?; var medianMinutes: Double?; var withinTargetPercent: Double? }
    struct Notice: Decodable { var call: String; var criticalCase: String? }
    struct CaseView: Decodable { var id: String; var call: String?; var times: [String: String] }

    @Test func aConsultationRunsFromRequestToTheConclusionInTheRecord() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            let hospitals = Catalog.institutions.filter { $0.type == "hospital" && $0.district == "310105" }
            let (hospital, other) = (try #require(hospitals.first), try #require(hospitals.last))
            try await platform.fhir.write { writer in
                for id in ["fd-c", "fd-x"] {
                    _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"医生"}]}"#.utf8)), type: "Practitioner", id: id, ifMatch: nil)
                }
                for id in ["c1", "c2"] {
                    _ = try await writer.update(try JSONValue.parse(Data("""
                        {"resourceType":"Patient","id":"\(id)","name":[{"text":"居民\(id)"}],"managingOrganization":{"reference":"Organization/\(chc.id)"},
                         "generalPractitioner":[{"reference":"Practitioner/\(id == "c1" ? "fd-c" : "fd-x")"}]}
                        """.utf8)), type: "Patient", id: id, ifMatch: nil)
                    _ = try await writer.update(try JSONValue.parse(Data("""
                        {"resourceType":"Observation","id":"obs-\(id)","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}],"text":"糖化血红蛋白"},
                         "subject":{"reference":"Patient/\(id)"},"effectiveDateTime":"2026-10-01","valueQuantity":{"value":8.9,"unit":"%"}}
                        """.utf8)), type: "Observation", id: "obs-\(id)", ifMatch: nil)
                }
            }
            let doctor = try await server.client(as: Principal(subject: "acc-fd-c", role: .familyDoctor, displayName: "家庭医生", institution: chc.id, practitioner: "fd-c"))
            let clinician = try await server.client(as: Principal(subject: "acc-cl", role: .hospitalClinician, displayName: "专家", institution: hospital.id, practitioner: "\(hospital.id)-dr1"))
            let stranger = try await server.client(as: Principal(subject: "acc-cl2", role: .hospitalClinician, displayName: "他院医生", institution: other.id))
            func ask(_ client: AuthorizedClient, _ body: String) async throws -> (Int, String) {
                let (status, text) = try await client.call(.post, "/api/v1/consultations", body)
                return (Int(status.code), String(buffer: text))
            }
            func body(kind: String = "mdt", patient: String = "c1", target: String = hospital.id, specialties: String = #"["心内科","内分泌科"]"#, materials: String = #"["Observation/obs-c1"]"#) -> String {
                #"{"kind":"\#(kind)","patient":"\#(patient)","targetInstitution":"\#(target)","question":"血糖控制不佳合并胸闷，请会诊","specialties":\#(specialties),"materials":\#(materials)}"#
            }
            // Refused, each with its reason.
            for (json, code, reason) in [
                (body(specialties: #"["心内科"]"#), 422, "至少两个不同专科"),
                (body(materials: #"["Observation/obs-c2"]"#), 422, "不属于该居民"),
                (body(target: chc.id), 422, "不在医院名录"),
                (body(kind: "chat"), 422, "kind 须为"),
                (body(patient: "c2"), 403, "签约居民"),
                (body(patient: "nobody"), 404, "不存在"),
            ] {
                let (status, text) = try await ask(doctor, json)
                #expect(status == code && text.contains(reason), "\(json): \(status) \(text)")
            }
            var (status, text) = try await ask(doctor, body())
            #expect(status == 201, "\(text)")
            let asked = try JSONDecoder().decode(Item.self, from: Data(text.utf8))
            #expect(asked.status == "requested")

            // The hospital's clinicians see it in their inbox, and (through the active request) the record it cites;
            // another hospital's see neither.
            var (code, buffer) = try await clinician.call(.get, "/api/v1/consultations?box=inbox")
            let inbox = try TestValues.decode([Item].self, buffer)
            #expect(code == .ok && inbox.map(\.id) == [asked.id])
            (code, _) = try await clinician.call(.get, "/fhir/r4/Observation/obs-c1")
            #expect(code == .ok)
            (code, _) = try await stranger.call(.get, "/api/v1/consultations/\(asked.id)")
            #expect(code == .notFound)
            (code, _) = try await stranger.call(.get, "/fhir/r4/Observation/obs-c1")
            #expect(code == .forbidden)

            // Concluding before scheduling, scheduling in the past or with one specialty: refused.
            func post(_ client: AuthorizedClient, _ path: String, _ json: String? = nil) async throws -> (Int, String) {
                let (status, text) = try await client.call(.post, path, json)
                return (Int(status.code), String(buffer: text))
            }
            (status, text) = try await post(clinician, "/api/v1/consultations/\(asked.id)/conclusion", #"{"conclusion":"x"}"#)
            #expect(status == 409 && text.contains("尚未安排"), "\(text)")
            let later = TestValues.stamp(Date().addingTimeInterval(3600))
            (status, text) = try await post(clinician, "/api/v1/consultations/\(asked.id)/schedule",
                                            #"{"scheduledAt":"\#(TestValues.stamp(Date().addingTimeInterval(-86400)))","participants":[{"name":"王主任","specialty":"心内科"},{"name":"李主任","specialty":"内分泌科"}]}"#)
            #expect(status == 422 && text.contains("早于现在"), "\(text)")
            (status, text) = try await post(clinician, "/api/v1/consultations/\(asked.id)/schedule", #"{"scheduledAt":"\#(later)","participants":[{"name":"王主任","specialty":"心内科"}]}"#)
            #expect(status == 422 && text.contains("至少两个专科"), "\(text)")
            (status, text) = try await post(stranger, "/api/v1/consultations/\(asked.id)/schedule", #"{"scheduledAt":"\#(later)","participants":[{"name":"x","specialty":"心内科"},{"name":"y","specialty":"内科"}]}"#)
            #expect(status == 404)
            (status, text) = try await post(clinician, "/api/v1/consultations/\(asked.id)/schedule",
                                            #"{"scheduledAt":"\#(later)","participants":[{"name":"王主任","specialty":"心内科"},{"name":"李主任","specialty":"内分泌科"}]}"#)
            #expect(status == 200 && text.contains(#""status":"scheduled""#), "\(text)")
            let conclusion = "建议冠脉CTA检查；二甲双胍加量至每日2000毫克，三个月后复查糖化血红蛋白"
            (status, text) = try await post(clinician, "/api/v1/consultations/\(asked.id)/conclusion", #"{"conclusion":"\#(conclusion)"}"#)
            #expect(status == 200, "\(text)")
            let done = try JSONDecoder().decode(Item.self, from: Data(text.utf8))
            #expect(done.status == "completed")
            (status, _) = try await post(clinician, "/api/v1/consultations/\(asked.id)/conclusion", #"{"conclusion":"again"}"#)
            #expect(status == 409)

            // The conclusion is in the record: a ClinicalImpression the family doctor reads; the request is completed.
            (code, buffer) = try await doctor.call(.get, "/fhir/r4/ClinicalImpression/\(try #require(done.clinicalImpression))")
            let impression = try JSONValue.parse(Data(buffer: buffer))
            #expect(code == .ok && impression["summary"]?.stringValue == conclusion && impression["subject"]?["reference"]?.stringValue == "Patient/c1")
            #expect(impression["note"]?.items.first?["text"]?.stringValue?.contains("王主任（心内科）") == true)
            (code, buffer) = try await doctor.call(.get, "/fhir/r4/ServiceRequest/\(done.serviceRequest)")
            #expect(try JSONValue.parse(Data(buffer: buffer))["status"]?.stringValue == "completed")
            // In the family doctor's worklist until read.
            (code, buffer) = try await doctor.call(.get, "/api/v1/consultations")
            #expect(try TestValues.decode([Item].self, buffer).first { $0.id == asked.id }?.acknowledgedAt == nil)
            (status, text) = try await post(doctor, "/api/v1/consultations/\(asked.id)/acknowledge")
            let read = try JSONDecoder().decode(Item.self, from: Data(text.utf8))
            #expect(status == 200 && read.acknowledgedAt != nil)

            // Two clinicians concluding the same consultation at once: one succeeds, the other is told it is done.
            (status, text) = try await ask(doctor, body())
            let raced = try JSONDecoder().decode(Item.self, from: Data(text.utf8))
            (status, _) = try await post(clinician, "/api/v1/consultations/\(raced.id)/schedule",
                                         #"{"scheduledAt":"\#(later)","participants":[{"name":"王主任","specialty":"心内科"},{"name":"李主任","specialty":"内分泌科"}]}"#)
            #expect(status == 200)
            async let one = post(clinician, "/api/v1/consultations/\(raced.id)/conclusion", #"{"conclusion":"甲"}"#)
            async let two = post(clinician, "/api/v1/consultations/\(raced.id)/conclusion", #"{"conclusion":"乙"}"#)
            let outcomes = [try await one.0, try await two.0].sorted()
            #expect(outcomes == [200, 409], "\(outcomes)")

            // A second request withdrawn by the family doctor: the hospital's access to the record ends with it.
            (status, text) = try await ask(doctor, body(kind: "remote", specialties: #"["心内科"]"#, materials: "[]"))
            let second = try JSONDecoder().decode(Item.self, from: Data(text.utf8))
            (status, _) = try await post(clinician, "/api/v1/consultations/\(second.id)/cancel")
            #expect(status == 404, "only the requester withdraws")
            (status, text) = try await post(doctor, "/api/v1/consultations/\(second.id)/cancel")
            #expect(status == 200 && text.contains(#""status":"cancelled""#))
            (code, _) = try await clinician.call(.get, "/fhir/r4/Observation/obs-c1")
            #expect(code == .forbidden)
        }
    }

    @Test func doorToTreatmentTimesEqualHandComputedValues() async throws {
        try await TestServer.run { server in
            let hospital = try #require(Catalog.institutions.first { $0.type == "hospital" && $0.district == "310105" })
            let other = try #require(Catalog.institutions.filter { $0.type == "hospital" && $0.district == "310105" }.last)
            let clinician = try await server.client(as: Principal(subject: "acc-cc", role: .hospitalClinician, displayName: "急诊", institution: hospital.id))
            let stranger = try await server.client(as: Principal(subject: "acc-cc2", role: .hospitalClinician, displayName: "他院", institution: other.id))
            let day = CalendarDay.shift(CalendarDay.today(), days: -1)
            func at(_ time: String) -> String { "\(day)T\(time):00+08:00" }
            func open(_ centre: String, _ times: [String: String]) async throws -> (Int, String) {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ["centre": centre, "times": times]), as: UTF8.self)
                let (status, text) = try await clinician.call(.post, "/api/v1/critical-care/cases", json)
                return (Int(status.code), String(buffer: text))
            }
            // Chest pain: door-to-ECG 8, 15, 5; door-to-wire 80, 100 (and 60 recorded later); FMC-to-wire 110, 140.
            var (status, text) = try await open("chest-pain", ["fmc": at("09:30"), "door": at("10:00"), "ecg": at("10:08"), "wire": at("11:20")])
            #expect(status == 201, "\(text)")
            (status, _) = try await open("chest-pain", ["fmc": at("09:20"), "door": at("10:00"), "ecg": at("10:15"), "wire": at("11:40")])
            (status, text) = try await open("chest-pain", ["door": at("10:00"), "ecg": at("10:05")])
            let third = try JSONDecoder().decode(CaseView.self, from: Data(text.utf8)).id
            // Stroke: door-to-CT 20, 30; DNT 50, 70; no puncture.
            (status, _) = try await open("stroke", ["door": at("10:00"), "ct": at("10:20"), "needle": at("10:50")])
            (status, _) = try await open("stroke", ["door": at("10:00"), "ct": at("10:30"), "needle": at("11:10")])
            #expect(status == 201)
            // Out of order, unknown, in the future, another hospital's case: refused.
            for (centre, times, reason) in [("chest-pain", ["door": at("10:00"), "ecg": at("09:58")], "时间顺序有误"), ("stroke", ["ecg": at("10:00")], "没有时间节点"),
                                            ("chest-pain", ["door": TestValues.stamp(Date().addingTimeInterval(7200))], "晚于现在"), ("cardiology", ["door": at("10:00")], "中心须为")] {
                (status, text) = try await open(centre, times)
                #expect(status == 422 && text.contains(reason), "\(times): \(status) \(text)")
            }
            var (code, buffer) = try await stranger.call(.post, "/api/v1/critical-care/cases/\(third)/times", #"{"milestone":"wire","at":"\#(at("11:00"))"}"#)
            #expect(code == .notFound)
            (code, buffer) = try await clinician.call(.post, "/api/v1/critical-care/cases/\(third)/times", #"{"milestone":"wire","at":"\#(at("09:59"))"}"#)
            #expect(code == .unprocessableContent && String(buffer: buffer).contains("时间顺序有误"))
            (code, buffer) = try await clinician.call(.post, "/api/v1/critical-care/cases/\(third)/times", #"{"milestone":"wire","at":"\#(at("11:00"))"}"#)
            #expect(code == .ok, "\(String(buffer: buffer))")

            (code, buffer) = try await clinician.call(.get, "/api/v1/critical-care/measures?from=\(day)&to=\(day)")
            let measures = try TestValues.decode([Measure].self, buffer)
            func figure(_ centre: String, _ measure: String) -> String {
                guard let item = measures.first(where: { $0.centre == centre && $0.measure == measure }) else { return "missing" }
                return "\(item.cases) \(item.measured) \(item.medianMinutes.map { String($0) } ?? "-") \(item.withinTargetPercent.map { String($0) } ?? "-")"
            }
            #expect(figure("chest-pain", "door-to-ecg") == "3 3 8.0 66.7")
            #expect(figure("chest-pain", "door-to-wire") == "3 3 80.0 66.7")
            #expect(figure("chest-pain", "fmc-to-wire") == "3 2 125.0 50.0")
            #expect(figure("stroke", "door-to-ct") == "2 2 25.0 50.0")
            #expect(figure("stroke", "door-to-needle") == "2 2 60.0 50.0")
            #expect(figure("stroke", "door-to-puncture") == "2 0 - -")
            // The other hospital has none; a day without cases has none; a bad period is refused.
            (code, buffer) = try await stranger.call(.get, "/api/v1/critical-care/measures?from=\(day)&to=\(day)")
            #expect(try TestValues.decode([Measure].self, buffer).isEmpty)
            (code, buffer) = try await clinician.call(.get, "/api/v1/critical-care/measures?from=\(CalendarDay.today())&to=\(CalendarDay.today())")
            #expect(try TestValues.decode([Measure].self, buffer).isEmpty)
            (code, _) = try await clinician.call(.get, "/api/v1/critical-care/measures?from=2026-13-01&to=2026-12-01")
            #expect(code == .unprocessableContent)
        }
    }

    @Test func callsAreDispatchedOnceAndResponseTimesAndCoverageAreAsHandComputed() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await registry.replaceGeography(Data(try HandMadeGeography.json().utf8), district: "310105", by: "test")
            let manager = try await server.client(as: Principal(subject: "mgr-e", role: .commissionManager, displayName: "卫健委", district: "310105"))
            let dispatcher = try await server.client(as: Principal(subject: "disp", role: .emergencyDispatcher, displayName: "调度员", district: "310105"))
            let hospital = try #require(Catalog.institutions.first { $0.type == "hospital" && $0.district == "310105" })
            let clinician = try await server.client(as: Principal(subject: "acc-ed", role: .hospitalClinician, displayName: "急诊", institution: hospital.id))
            let codes = HandMadeGeography.codes
            func post(_ client: AuthorizedClient, _ path: String, _ json: String) async throws -> (Int, String) {
                let (status, text) = try await client.call(.post, path, json)
                return (Int(status.code), String(buffer: text))
            }
            // One station 3 km west of the first square's centre (it reaches 4,000 of the first square's 5,000
            // residents, none of the second's), with two ambulances.
            let west = HandMadeGeography.position(-3000, 0)
            var (status, text) = try await post(manager, "/api/v1/emergency/stations", #"{"name":"西站","subdistrict":"\#(codes[0])","longitude":\#(west[0]),"latitude":\#(west[1])}"#)
            #expect(status == 201, "\(text)")
            let station = try #require(try JSONValue.parse(Data(text.utf8))["id"]?.stringValue)
            (status, text) = try await post(manager, "/api/v1/emergency/stations", #"{"name":"错站","subdistrict":"\#(codes[0])","longitude":200,"latitude":31}"#)
            #expect(status == 422 && text.contains("经纬度"))
            var ambulances: [String] = []
            for plate in ["沪A·120A1", "沪A·120A2"] {
                (status, text) = try await post(manager, "/api/v1/emergency/stations/\(station)/ambulances", #"{"plate":"\#(plate)"}"#)
                ambulances.append(try #require(try JSONValue.parse(Data(text.utf8))["id"]?.stringValue))
            }
            (status, text) = try await post(manager, "/api/v1/emergency/stations/\(station)/ambulances", #"{"plate":"沪A·120A1"}"#)
            #expect(status == 409)
            (status, text) = try await post(manager, "/api/v1/emergency/stations/no-such-station/ambulances", #"{"plate":"沪A·120Z9"}"#)
            #expect(status == 404 && text.contains("没有急救站"), "\(text)")

            let start = Date().addingTimeInterval(-3 * 3600)
            func minute(_ offset: Double) -> String { TestValues.stamp(start.addingTimeInterval(offset * 60)) }
            func call(_ place: String, _ received: Double) async throws -> String {
                let (status, text) = try await post(dispatcher, "/api/v1/emergency/calls", #"{"subdistrict":"\#(place)","address":"某路 1 号","category":"chest-pain","receivedAt":"\#(minute(received))"}"#)
                #expect(status == 201, "\(text)")
                return try #require(try JSONValue.parse(Data(text.utf8))["id"]?.stringValue)
            }
            let first = try await call(codes[0], 0), second = try await call(codes[0], 5), third = try await call(codes[1], 10)
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls", #"{"subdistrict":"310112001","address":"x","category":"chest-pain"}"#)
            #expect(status == 422 && text.contains("不属于本区"))

            // The same ambulance to two calls at once: exactly one succeeds.
            let attempts = [(first, minute(2)), (second, minute(6))].map { (call: $0.0, json: #"{"ambulance":"\#(ambulances[0])","at":"\#($0.1)"}"#) }
            let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for attempt in attempts {
                    group.addTask {
                        let (status, _) = try await dispatcher.call(.post, "/api/v1/emergency/calls/\(attempt.call)/dispatch", attempt.json)
                        return (Int(status.code), attempt.call)
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(outcomes.map(\.0).sorted() == [200, 409], "\(outcomes)")
            let busyCall = try #require(outcomes.first { $0.0 == 200 }?.1)
            let freeCall = busyCall == first ? second : first
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(freeCall)/dispatch", #"{"ambulance":"no-such","at":"\#(minute(7))"}"#)
            #expect(status == 404)
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(freeCall)/dispatch", #"{"ambulance":"\#(ambulances[1])","at":"\#(minute(7))"}"#)
            #expect(status == 200)
            // Status times out of order, before the previous one, leaving without a hospital: refused.
            let received = busyCall == first ? 0.0 : 5.0
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"at-hospital","at":"\#(minute(received + 30))"}"#)
            #expect(status == 409 && text.contains("不能记录"), "\(text)")
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"on-scene","at":"\#(minute(received + 0.5))"}"#)
            #expect(status == 422 && text.contains("早于"), "\(text)")
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"on-scene","at":"\#(minute(received + 11))"}"#)
            #expect(status == 200 && text.contains(#""responseMinutes":11"#), "\(text)")
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"leaving","at":"\#(minute(received + 25))"}"#)
            #expect(status == 422 && text.contains("送往医院"))
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"leaving","at":"\#(minute(received + 25))","hospital":"\#(hospital.id)"}"#)
            #expect(status == 200)
            (status, text) = try await post(dispatcher, "/api/v1/emergency/calls/\(busyCall)/status", #"{"status":"at-hospital","at":"\#(minute(received + 40))"}"#)
            #expect(status == 200)
            // Responses: the free call reached in 15 minutes after its call, the third in 9.
            let freeReceived = freeCall == first ? 0.0 : 5.0
            (status, _) = try await post(dispatcher, "/api/v1/emergency/calls/\(freeCall)/status", #"{"status":"on-scene","at":"\#(minute(freeReceived + 15))"}"#)
            (status, _) = try await post(dispatcher, "/api/v1/emergency/calls/\(third)/dispatch", #"{"ambulance":"\#(ambulances[0])","at":"\#(minute(12))"}"#)
            #expect(status == 200, "the first ambulance is free again at the hospital")
            (status, _) = try await post(dispatcher, "/api/v1/emergency/calls/\(third)/status", #"{"status":"on-scene","at":"\#(minute(19))"}"#)
            #expect(status == 200)

            // Mean of 11, 15 and 9 is 11.7, the median 11, two of three within 12 minutes; by 街道: 11 and 15 in the
            // first (mean 13), 9 in the second.
            let today = CalendarDay.today(), from = CalendarDay.shift(today, days: -1)
            var (code, buffer) = try await manager.call(.get, "/api/v1/emergency/response-times?from=\(from)&to=\(today)")
            let times = try TestValues.decode([Times].self, buffer)
            #expect(times.first.map { "\($0.area) \($0.calls) \($0.meanMinutes ?? -1) \($0.medianMinutes ?? -1) \($0.withinTargetPercent ?? -1)" } == "310105 3 11.7 11.0 66.7", "\(times.first.debugDescription)")
            #expect(times.first { $0.area == codes[0] }.map { "\($0.calls) \($0.meanMinutes ?? -1) \($0.withinTargetPercent ?? -1)" } == "2 13.0 50.0")
            #expect(times.first { $0.area == codes[1] }.map { "\($0.calls) \($0.meanMinutes ?? -1)" } == "1 9.0")

            // The pre-arrival notice reached the hospital; taking it opens a chest-pain case with the call's times.
            (code, buffer) = try await clinician.call(.get, "/api/v1/emergency/notices")
            #expect(try TestValues.decode([Notice].self, buffer).map(\.call) == [busyCall])
            (status, text) = try await post(clinician, "/api/v1/emergency/notices/\(busyCall)/acknowledge", "{}")
            let caseID = try #require(try JSONDecoder().decode(Notice.self, from: Data(text.utf8)).criticalCase)
            (code, buffer) = try await clinician.call(.get, "/api/v1/critical-care/cases")
            let opened = try #require(try TestValues.decode([CaseView].self, buffer).first { $0.id == caseID })
            #expect(opened.call == busyCall && opened.times["call"] == minute(received) && opened.times["fmc"] == minute(received + 11))

            // Coverage within 3.5 km: 4,000 of 5,000 residents in the first square, none of the second's 4,000,
            // 4,000 of 9,000 in the district (44.44%).
            (code, buffer) = try await manager.call(.get, "/api/v1/emergency/coverage")
            let report = try JSONValue.parse(Data(buffer: buffer))
            #expect(code == .ok && report["total"]?["reachedResidents"]?.doubleValue == 4000 && report["total"]?["residentsPercent"]?.doubleValue == 44.44, "\(report.serialized().prefix(400))")
            let areas = report["subdistricts"]?.items ?? []
            #expect(areas.first { $0["code"]?.stringValue == codes[0] }?["residentsPercent"]?.doubleValue == 80)
            #expect(areas.first { $0["code"]?.stringValue == codes[1] }?["residentsPercent"]?.doubleValue == 0)

            // Who may: the dispatcher and the commission read; a clinician may not dispatch; a family doctor reads nothing.
            (code, _) = try await clinician.call(.post, "/api/v1/emergency/calls/\(third)/status", #"{"status":"leaving","hospital":"\#(hospital.id)"}"#)
            #expect(code == .forbidden)
            let doctor = try await server.client(as: Principal(subject: "fd-e", role: .familyDoctor, displayName: "医生", institution: "cn-chc-huayang"))
            (code, _) = try await doctor.call(.get, "/api/v1/emergency/response-times")
            #expect(code == .forbidden)
        }
    }

    @Test func anImagingReportIsSharedRecognisedAndLinksToItsPACS() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            try await platform.fhir.write { writer in
                for id in ["fd-i", "fd-j"] {
                    _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"医生"}]}"#.utf8)), type: "Practitioner", id: id, ifMatch: nil)
                }
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"i1","name":[{"text":"影像居民"}],"managingOrganization":{"reference":"Organization/\(chc.id)"},"generalPractitioner":[{"reference":"Practitioner/fd-i"}]}
                    """.utf8)), type: "Patient", id: "i1", ifMatch: nil)
            }
            // The hospital's PACS registers its DICOMweb endpoint, the study and the report (as a hospital's EMR would).
            let pacs = try await server.client(as: TestServer.platformPrincipal)
            func put(_ type: String, _ id: String, _ json: String) async throws {
                let (status, text) = try await pacs.execute(uri: "/fhir/r4/\(type)/\(id)", method: .put, headers: [.contentType: "application/fhir+json"], body: ByteBuffer(string: json)) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(status.code < 300, "\(type): \(status) \(text)")
            }
            let uid = "1.2.840.113619.2.55.3.604688119.971.1700000000.1"
            try await put("Endpoint", "pacs-tongren", #"{"resourceType":"Endpoint","id":"pacs-tongren","status":"active","connectionType":{"system":"http://terminology.hl7.org/CodeSystem/endpoint-connection-type","code":"dicom-wado-rs"},"payloadType":[{"text":"DICOM"}],"address":"https://pacs.tongren.example/dicomweb/","managingOrganization":{"reference":"Organization/cn-tongren"}}"#)
            try await put("ImagingStudy", "is-1", #"{"resourceType":"ImagingStudy","id":"is-1","status":"available","subject":{"reference":"Patient/i1"},"identifier":[{"system":"urn:dicom:uid","value":"urn:oid:\#(uid)"}],"started":"\#(CalendarDay.shift(CalendarDay.today(), days: -3))","modality":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"}],"description":"胸部CT平扫","endpoint":[{"reference":"Endpoint/pacs-tongren"}]}"#)
            try await put("DiagnosticReport", "dr-ct-1", #"{"resourceType":"DiagnosticReport","id":"dr-ct-1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"24627-2"}],"text":"胸部CT"},"subject":{"reference":"Patient/i1"},"effectiveDateTime":"\#(CalendarDay.shift(CalendarDay.today(), days: -3))","performer":[{"reference":"Organization/cn-tongren"}],"conclusion":"双肺未见明显异常","imagingStudy":[{"reference":"ImagingStudy/is-1"}]}"#)

            // The family doctor sees the study; a doctor without the resident does not.
            let doctor = try await server.client(as: Principal(subject: "acc-fd-i", role: .familyDoctor, displayName: "家庭医生", institution: chc.id, practitioner: "fd-i"))
            let stranger = try await server.client(as: Principal(subject: "acc-fd-j", role: .familyDoctor, displayName: "他人医生", institution: chc.id, practitioner: "fd-j"))
            var (code, buffer) = try await doctor.call(.get, "/fhir/r4/ImagingStudy/is-1")
            #expect(code == .ok && String(buffer: buffer).contains("胸部CT平扫"))
            (code, _) = try await stranger.call(.get, "/fhir/r4/ImagingStudy/is-1")
            #expect(code == .forbidden)
            // Ordering a chest CT again: the report stands (30 days), with the way to its images at the PACS.
            (code, buffer) = try await doctor.call(.post, "/api/v1/referral/orders/check", #"{"patient":"i1","code":"24627-2"}"#)
            let check = try JSONValue.parse(Data(buffer: buffer))
            #expect(code == .ok && check["earlier"]?["reference"]?.stringValue == "DiagnosticReport/dr-ct-1", "\(check.serialized())")
            #expect(check["earlier"]?["imagingStudy"]?.stringValue == "ImagingStudy/is-1")
            #expect(check["earlier"]?["imagesURL"]?.stringValue == "https://pacs.tongren.example/dicomweb/studies/\(uid)")
            (code, buffer) = try await doctor.call(.post, "/api/v1/referral/orders", #"{"patient":"i1","code":"24627-2","recognise":true}"#)
            #expect(code == .created && String(buffer: buffer).contains(#""outcome":"recognised""#), "\(String(buffer: buffer))")
            // Only a hospital's own system registers endpoints, not a clinician.
            let clinician = try await server.client(as: Principal(subject: "acc-cl-i", role: .hospitalClinician, displayName: "医生", institution: "cn-tongren"))
            let (status, _) = try await clinician.execute(uri: "/fhir/r4/Endpoint/x", method: .put, headers: [.contentType: "application/fhir+json"],
                                                          body: ByteBuffer(string: #"{"resourceType":"Endpoint","id":"x","status":"active","connectionType":{"code":"dicom-wado-rs"},"payloadType":[{"text":"DICOM"}],"address":"https://x"}"#)) { ($0.status, 0) }
            #expect(status == .forbidden)
        }
    }
}
