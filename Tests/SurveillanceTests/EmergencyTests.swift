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

/// Emergency command: an incident opened from a verified signal, tasks for the teams, the log, resources and
/// the ICU ratios, closing; and what is refused.
@Suite struct EmergencyTests {
    struct Situation: Decodable {
        var incident: Incident
        var tasks: [IncidentTask]
        var events: [IncidentEvent]
        var cases: Int
        var resources: [ResourceLevel]
    }
    struct Resources: Decodable { var resources: [ResourceLevel]; var totals: [ResourceLevel]; var icuReadiness: [BedReadiness] }

    @Test func anIncidentFromAVerifiedSignalIsWorkedThroughToClosed() async throws {
        try await TestServer.run { server in
            try await RegistryService(database: server.platform.database, fhir: server.platform.fhir).loadCatalog()
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
            let place = try #require(chc.catchment.first)
            let today = CalendarDay.today()
            let cdc = try await server.client(as: Principal(subject: "cdc-e", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))

            // A tip-off makes a signal; an incident needs it verified true first.
            var (status, body) = try await cdc.call(.post, "/api/v1/surveillance/streams/tip-off/items", #"{"subdistrict":"\#(place)","day":"\#(today)","text":"某学校多名学生发热"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/signals/run")
            let signal = try #require(try JSONDecoder().decode([Signal].self, from: Data(buffer: body)).first { $0.disease == "tip-off" })
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents", #"{"signal":"\#(signal.id)"}"#)
            #expect(status == .conflict && String(buffer: body).contains("核实为真实预警"), "\(String(buffer: body))")
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/signals/\(signal.id)/verify", #"{"verdict":true}"#)
            #expect(status == .ok)

            // Bad forms: no title and no signal, a level out of range, an unknown disease.
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents", #"{"title":"  ","level":9,"disease":"plague-x"}"#)
            let refused = String(buffer: body)
            #expect(status == .unprocessableContent && refused.contains("level") && refused.contains("事件名称") && refused.contains("未知病种"), "\(refused)")

            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents", #"{"signal":"\#(signal.id)","level":3}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let incident = try JSONDecoder().decode(Incident.self, from: Data(buffer: body))
            #expect(incident.signal == signal.id && incident.subdistrict == place && incident.level == 3 && incident.status == "open" && incident.title.contains("群众举报"))
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents", #"{"signal":"\#(signal.id)"}"#)
            #expect(status == .conflict, "one incident per signal")

            // Tasks for the teams.
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks", #"{"team":"astrology","title":"看星象"}"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("流行病学调查组"))
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks", #"{"team":"epidemiology","title":"现场流调","due":"tomorrow"}"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("完成时限"))
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks",
                                            #"{"team":"epidemiology","title":"现场流行病学调查","assignee":"王医生","due":"\#(today)T18:00"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let survey = try JSONDecoder().decode(IncidentTask.self, from: Data(buffer: body))
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks", #"{"team":"disinfection","title":"教室终末消毒"}"#)
            let cleaning = try JSONDecoder().decode(IncidentTask.self, from: Data(buffer: body))
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks/\(survey.id)", #"{"status":"in-progress"}"#)
            #expect(status == .ok)
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks/\(survey.id)", #"{"status":"done","note":"12 名学生发热，已采样"}"#)
            let finished = try JSONDecoder().decode(IncidentTask.self, from: Data(buffer: body))
            #expect(status == .ok && finished.note == "12 名学生发热，已采样")
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks/\(survey.id)", #"{"status":"in-progress"}"#)
            #expect(status == .conflict, "a finished task does not move")
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks/\(survey.id)", #"{"status":"lost"}"#)
            #expect(status == .unprocessableContent)
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/notes", #"{"text":"学校已停课 3 天"}"#)
            #expect(status == .noContent)

            // Resources: a hospital clinician reports their own hospital's, not another's.
            let hospitals = Catalog.institutions.filter { $0.district == "310105" && $0.type == "hospital" }
            let hospital = try #require(hospitals.first), other = try #require(hospitals.dropFirst().first)
            let clinician = try await server.client(as: Principal(subject: "dr-e", role: .hospitalClinician, displayName: "医生", institution: hospital.id))
            let beds = #"[{"kind":"beds","total":1000,"available":120},{"kind":"icu-beds","total":80,"available":9},{"kind":"convertible-icu-beds","total":130,"available":130},{"kind":"n95","total":5000,"available":4200}]"#
            (status, _) = try await clinician.call(.put, "/api/v1/surveillance/resources/\(other.id)", beds)
            #expect(status == .forbidden)
            (status, _) = try await clinician.call(.put, "/api/v1/surveillance/resources/nowhere", beds)
            #expect(status == .notFound)
            (status, body) = try await clinician.call(.put, "/api/v1/surveillance/resources/\(hospital.id)", #"[{"kind":"beds","total":10,"available":5},{"kind":"icu-beds","total":2,"available":3},{"kind":"gold","total":1,"available":1}]"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("第 2 条") && String(buffer: body).contains("gold"), "\(String(buffer: body))")
            (status, body) = try await clinician.call(.put, "/api/v1/surveillance/resources/\(hospital.id)", beds)
            #expect(status == .ok, "\(String(buffer: body))")
            (status, _) = try await cdc.call(.put, "/api/v1/surveillance/resources/\(other.id)", #"[{"kind":"beds","total":500,"available":40},{"kind":"icu-beds","total":50,"available":2},{"kind":"n95","total":1000,"available":800}]"#)
            #expect(status == .ok)
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/resources")
            let resources = try JSONDecoder().decode(Resources.self, from: Data(buffer: body))
            #expect(resources.totals.first { $0.kind == "n95" }.map { ($0.total, $0.available) } ?? (0, 0) == (6000, 5000))
            let first = try #require(resources.icuReadiness.first { $0.organization == hospital.id })
            #expect(first.icuPercent == 8.0 && first.emergencyIcuPercent == 21.0 && !first.meetsNormalTarget && first.meetsEmergencyTarget, "\(first)")
            let second = try #require(resources.icuReadiness.first { $0.organization == other.id })
            #expect(second.icuPercent == 10.0 && second.meetsNormalTarget && !second.meetsEmergencyTarget, "\(second)")

            // The situation: tasks, the log in order, resources; another district sees nothing.
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/incidents/\(incident.id)")
            let situation = try JSONDecoder().decode(Situation.self, from: Data(buffer: body))
            #expect(situation.tasks.map(\.status) == ["done", "assigned"] && situation.resources.count == 7)
            #expect(situation.events.map(\.text).first?.hasPrefix("启动应急响应") == true && situation.events.last?.text == "学校已停课 3 天" && situation.events.count == 6,
                    "\(situation.events.map(\.text))")
            let elsewhere = try await server.client(as: Principal(subject: "cdc-x", role: .cdcEpidemiologist, displayName: "外区疾控", district: "310112"))
            (status, _) = try await elsewhere.call(.get, "/api/v1/surveillance/incidents/\(incident.id)")
            #expect(status == .notFound)
            (status, _) = try await clinician.call(.get, "/api/v1/surveillance/incidents/\(incident.id)")
            #expect(status == .forbidden)

            // Closing needs a summary; it cancels the open tasks; a closed incident takes nothing more.
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/close", #"{"summary":" "}"#)
            #expect(status == .unprocessableContent)
            (status, body) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/close", #"{"summary":"疫情得到控制，无新发病例"}"#)
            let closed = try JSONDecoder().decode(Incident.self, from: Data(buffer: body))
            #expect(status == .ok && closed.status == "closed")
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/incidents/\(incident.id)")
            let after = try JSONDecoder().decode(Situation.self, from: Data(buffer: body))
            #expect(after.tasks.first { $0.id == cleaning.id }?.status == "cancelled")
            (status, _) = try await cdc.call(.post, "/api/v1/surveillance/incidents/\(incident.id)/tasks", #"{"team":"vector","title":"灭蚊"}"#)
            #expect(status == .conflict)
            (status, body) = try await cdc.call(.get, "/api/v1/surveillance/incidents")
            let listed = try JSONDecoder().decode([Incident].self, from: Data(buffer: body))
            #expect(listed.map(\.id) == [incident.id])

            // A manual incident by the commission.
            let manager = try await server.client(as: Principal(subject: "mgr-e", role: .commissionManager, displayName: "卫健委", district: "310105"))
            (status, body) = try await manager.call(.post, "/api/v1/surveillance/incidents", #"{"title":"台风防汛卫生应急","level":4}"#)
            let manual = try JSONDecoder().decode(Incident.self, from: Data(buffer: body))
            #expect(status == .created && manual.signal == nil)
        }
    }
}
