import FHIR
import Foundation
import Portal
import Registry
import Storage

/// The demo's portal services: the health-education articles; for the demo resident (`resident`) a hypertension
/// diagnosis if their record has none, one return visit finished with an amlodipine prescription and one waiting,
/// a nursing order; for four neighbours of the same CHC, return visits, nursing orders, a family sickbed and a
/// hospice request in various states, and for two of them a return visit finished online at a hospital. Returns
/// the rows made; nothing when the articles are already there.
enum DemoPortal {
    static func seed(platform: Platform, district: String) async throws -> Int {
        let education = Education(store: platform.fhir)
        guard try await education.all().isEmpty else { return 0 }
        var made = try await education.save(Education.starterArticles)
        let residentID = "p\(district)-0"
        guard let stored = try await platform.fhir.read(type: "Patient", id: residentID), let patient = try? JSONValue.parse(Data(stored.content.utf8)),
              let chc = patient["managingOrganization"]?["reference"]?.stringValue.map({ String($0.dropFirst("Organization/".count)) }) else { return made }
        let doctor = patient["generalPractitioner"]?.arrayValue?.compactMap { $0["reference"]?.stringValue }.first { $0.hasPrefix("Practitioner/") }
            .map { String($0.dropFirst("Practitioner/".count)) }
        let actor = StaffActor(account: "seed", practitioner: doctor, institution: chc)
        let visits = ReturnVisits(store: platform.fhir)
        let services = HomeServices(store: platform.fhir)
        // Residents of the CHC: the demo resident first.
        var search = try SearchRequest(type: "Patient", query: [("organization", "Organization/\(chc)")], definitions: platform.fhir.definitions, strict: true)
        search.count = 6
        let neighbours = try await platform.fhir.search(search).matches.map(\.id).filter { $0 != residentID }.prefix(4)
        func condition(of patient: String) async throws -> String {
            var found: String?
            try await platform.fhir.forEachMatch("Condition", [("subject", "Patient/\(patient)")]) { match in if found == nil { found = match.id } }
            if let found { return found }
            let id = "\(patient)-cI10"
            _ = try await platform.fhir.update(try JSONValue.parse(Data("""
                {"resourceType":"Condition","id":"\(id)","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
                 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10","display":"原发性高血压"}],"text":"原发性高血压"},
                 "subject":{"reference":"Patient/\(patient)"},"recordedDate":"2024-03-12"}
                """.utf8)), type: "Condition", id: id)
            return id
        }
        let now = Date()
        func ago(_ hours: Double) -> Date { now.addingTimeInterval(-hours * 3600) }
        // The demo resident: one finished with a prescription, one waiting.
        let own = try await condition(of: residentID)
        let done = try await visits.request(VisitRequestForm(condition: own, description: "血压近两周在 130/80 左右，氨氯地平快吃完了，想续药"), patient: residentID, now: ago(72))
        _ = try await visits.accept(done.id, by: actor, now: ago(70))
        _ = try await visits.writeNote(done.id, note: "家庭自测血压控制良好，无头晕胸闷。继续氨氯地平 5 mg 每日一次，低盐饮食，1 个月后复诊。", by: actor, now: ago(70))
        _ = try await visits.prescribe(done.id, items: [PrescriptionItem(atc: "C08CA01", dose: 5, timesPerDay: 1, days: 30)], by: actor, now: ago(70))
        _ = try await visits.request(VisitRequestForm(condition: own, description: "最近早上血压偏高，140/90 左右，想咨询是否调整用药"), patient: residentID, now: ago(2))
        made += 3
        if let when = Calendar.current.date(byAdding: .day, value: 2, to: now) {
            _ = try await services.request("nursing", HomeServiceForm(item: "dressing", address: "示范路 1 号 3 楼", scheduledAt: ISO8601Timestamp.format(when), description: "左小腿擦伤一周，需要换药"), patient: residentID)
            made += 1
        }
        for (index, neighbour) in neighbours.enumerated() {
            let visit = try await visits.request(VisitRequestForm(condition: try await condition(of: neighbour), description: "慢病复诊，申请续开长期用药"), patient: neighbour, now: ago(Double(5 + index)))
            if index == 0 { _ = try await visits.accept(visit.id, by: actor) }
            guard let when = Calendar.current.date(byAdding: .day, value: index + 1, to: now) else { continue }
            let item = HomeServices.nursingCatalogue[index % HomeServices.nursingCatalogue.count]
            let order = try await services.request("nursing", HomeServiceForm(item: item.code, address: "示范路 \(10 + index) 号", scheduledAt: ISO8601Timestamp.format(when), description: "卧床老人，需\(item.name)"), patient: neighbour)
            if index < 2 { _ = try await services.act(order.id, step: "accept", fields: [:], by: actor) }
            if index == 0 { _ = try await services.act(order.id, step: "assign", fields: ["nurse": "王护士"], by: actor) }
            made += 2
        }
        // Two neighbours' return visits finished online at a hospital of the district (the online share of the
        // hospitals' return visits, 复诊患者中使用互联网诊疗的比例, counts them).
        if let hospital = Catalog.institutions.first(where: { $0.district == district && ReturnVisits.hospitalTypes.contains($0.type) }) {
            let clinician = StaffActor(account: "seed", practitioner: nil, institution: hospital.id)
            for (index, neighbour) in neighbours.dropFirst(2).enumerated() {
                let visit = try await visits.request(VisitRequestForm(condition: try await condition(of: neighbour), institution: hospital.id, description: "出院后复诊，咨询检查结果"),
                                                     patient: neighbour, now: ago(Double(30 + index)))
                _ = try await visits.accept(visit.id, by: clinician, now: ago(Double(29 + index)))
                _ = try await visits.writeNote(visit.id, note: "检查结果已阅，病情稳定，按原方案治疗，3 个月后复查。", by: clinician, now: ago(Double(29 + index)))
                _ = try await visits.complete(visit.id, by: clinician, now: ago(Double(29 + index)))
                made += 1
            }
        }
        if let first = neighbours.first {
            let bed = try await services.request("sickbed", HomeServiceForm(address: "示范路 10 号", description: "脑梗后遗症，长期卧床，需定期换药和鼻饲管护理"), patient: first)
            _ = try await services.act(bed.id, step: "assess", fields: ["assessment": "行动不便，符合家庭病床收治条件"], by: actor)
            _ = try await services.act(bed.id, step: "admit", fields: ["carePlan": "每周两次上门查床，换药，鼻饲管护理，监测血压血糖", "visitDays": "1,4"], by: actor)
            made += 1
        }
        if neighbours.count > 1 {
            _ = try await services.request("hospice", HomeServiceForm(description: "肺癌晚期，多处转移，疼痛明显，家属希望居家照护"), patient: neighbours[neighbours.startIndex + 1])
            made += 1
        }
        return made
    }
}
