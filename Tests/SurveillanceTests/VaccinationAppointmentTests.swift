import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Registry
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Vaccination clinic appointments: sessions with places never overbooked, who may book, the dose given.
@Suite struct VaccinationAppointmentTests {
    @Test func placesAreNeverOverbookedAndTheDoseGivenFulfilsTheAppointment() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty }
            let chc = try #require(chcs.first), other = try #require(chcs.dropFirst().first)
            let today = CalendarDay.today()
            let birth = CalendarDay.shift(today, days: -240)
            // Twelve infants of the CHC and one of another.
            try await platform.fhir.write { writer in
                for index in 0..<13 {
                    let home = index == 12 ? other : chc
                    _ = try await writer.update(try JSONValue.parse(Data("""
                        {"resourceType":"Patient","id":"k\(index)","gender":"female","birthDate":"\(birth)","managingOrganization":{"reference":"Organization/\(home.id)"},
                         "telecom":[{"system":"phone","value":"1391234\(String(format: "%04d", index))","use":"mobile"}],
                         "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(home.catchment[0])"}]}]}
                        """.utf8)), type: "Patient", id: "k\(index)", ifMatch: nil)
                }
            }
            let staff = try await server.client(as: Principal(subject: "chc-va", role: .chcStaff, displayName: "接种门诊", institution: chc.id))
            let stranger = try await server.client(as: Principal(subject: "res-x", role: .resident, displayName: "居民", patient: "k11"))
            let tomorrow = CalendarDay.shift(today, days: 1)
            var (status, body) = try await staff.call(.post, "/api/v1/surveillance/vaccination/sessions", #"{"day":"\#(CalendarDay.shift(today, days: -1))","period":"noon","capacity":0}"#)
            let refused = String(buffer: body)
            #expect(status == .unprocessableContent && refused.contains("90 天内") && refused.contains("am") && refused.contains("1–500"), "\(refused)")
            (status, body) = try await staff.call(.post, "/api/v1/surveillance/vaccination/sessions", #"{"day":"\#(tomorrow)","period":"am","capacity":3}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let session = try JSONDecoder().decode(VaccinationSession.self, from: Data(buffer: body))
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/sessions", #"{"day":"\#(tomorrow)","period":"am","capacity":5}"#)
            #expect(status == .conflict)
            (status, body) = try await stranger.call(.get, "/api/v1/surveillance/vaccination/sessions?district=310105")
            #expect(status == .ok && (try? JSONDecoder().decode([VaccinationSession].self, from: Data(buffer: body)))?.map(\.id) == [session.id])

            // Who may book, and what.
            (status, _) = try await stranger.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"k0","vaccine":"HepB","dose":3}"#)
            #expect(status == .forbidden, "a resident books only for themselves or who consented")
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"k12","vaccine":"HepB","dose":3}"#)
            #expect(status == .forbidden, "a child of another CHC")
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"nobody","vaccine":"HepB","dose":3}"#)
            #expect(status == .notFound)
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"k0","vaccine":"HepB","dose":9}"#)
            #expect(status == .unprocessableContent)
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"none","patient":"k0","vaccine":"HepB","dose":3}"#)
            #expect(status == .notFound)

            // Ten children at once for three places: exactly three booked.
            let outcomes = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"k\#(index)","vaccine":"HepB","dose":3}"#).0
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .created }.count == 3 && outcomes.filter { $0 == .conflict }.count == 7, "\(outcomes)")
            (status, body) = try await staff.call(.get, "/api/v1/surveillance/vaccination/appointments?day=\(tomorrow)")
            let booked = try JSONDecoder().decode([VaccinationAppointment].self, from: Data(buffer: body))
            #expect(booked.count == 3 && Set(booked.map(\.patient)).count == 3)
            let first = try #require(booked.first)
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"\#(first.patient)","vaccine":"HepB","dose":3}"#)
            #expect(status == .conflict, "one appointment per dose")
            let messages = try await Outbox.messages(for: first.patient, database: platform.database)
            #expect(messages.contains { $0.topic == "vaccination-appointment" && $0.body.contains("第3剂") && $0.body.contains(tomorrow) }, "\(messages.map(\.body))")

            // Cancelling frees the place for another child.
            let second = booked[1]
            (status, _) = try await stranger.call(.post, "/api/v1/surveillance/vaccination/appointments/\(second.id)/cancel")
            #expect(status == .forbidden)
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments/\(second.id)/cancel")
            #expect(status == .ok)
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments/\(second.id)/cancel")
            #expect(status == .conflict)
            let waiting = try #require((0..<10).map { "k\($0)" }.first { id in !booked.contains { $0.patient == id } })
            (status, _) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"\#(waiting)","vaccine":"HepB","dose":3}"#)
            #expect(status == .created)

            // The dose given (an Immunization in the record) marks the appointment attended; it cannot be booked again.
            _ = try await platform.fhir.update(try JSONValue.parse(Data(VaccinationTests.immunization("ia", first.patient, "HepB", dose: 3, on: today, lot: "L-HB-09").utf8)), type: "Immunization", id: "ia")
            let after = try await SurveillanceService(store: platform.fhir).vaccinationAppointment(id: first.id)
            #expect(after?.status == "attended")
            (status, body) = try await staff.call(.post, "/api/v1/surveillance/vaccination/appointments", #"{"session":"\#(session.id)","patient":"\#(first.patient)","vaccine":"HepB","dose":3}"#)
            #expect(status == .conflict && String(buffer: body).contains("已接种"))
        }
    }
}
