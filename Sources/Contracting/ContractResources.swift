import FHIR

/// How a contract shows in FHIR: an EpisodeOfCare (the contract's period and status, managed by the CHC,
/// the family doctor as care manager) and a CareTeam (the "1+1+1": family doctor, district hospital, city hospital).
enum ContractResources {
    static let episodeType = "https://weijian.health/CodeSystem/episode-type"
    static let contractSystem = "https://weijian.health/sid/contract"

    static func episode(_ contract: Contract) -> JSONValue {
        var period: [String: JSONValue] = ["start": .string(contract.startDate)]
        period["end"] = .string(contract.endedOn ?? contract.endDate)
        return .object([
            "resourceType": .string("EpisodeOfCare"),
            "id": .string(Contract.episodeID(contract.id)),
            "identifier": .array([.object(["system": .string(contractSystem), "value": .string(contract.id)])]),
            "status": .string(contract.status == "active" ? "active" : "finished"),
            "type": .array([.object([
                "coding": .array([.object(["system": .string(episodeType), "code": .string("family-doctor-contract"), "display": .string("家庭医生签约服务")])]),
                "text": .string("家庭医生签约服务（\(Contract.packages[contract.package] ?? contract.package)）"),
            ])]),
            "patient": .object(["reference": .string("Patient/\(contract.patient)")]),
            "managingOrganization": .object(["reference": .string("Organization/\(contract.organization)")]),
            "period": .object(period),
            "careManager": .object(["reference": .string("Practitioner/\(contract.practitioner)")]),
            "team": .array([.object(["reference": .string(contract.careTeam)])]),
        ])
    }

    static func careTeam(_ contract: Contract, active: Bool) -> JSONValue {
        var participants: [JSONValue] = [.object([
            "role": .array([.object(["text": .string("家庭医生")])]),
            "member": .object(["reference": .string("Practitioner/\(contract.practitioner)")]),
            "onBehalfOf": .object(["reference": .string("Organization/\(contract.organization)")]),
        ])]
        if let hospital = contract.districtHospital {
            participants.append(.object(["role": .array([.object(["text": .string("区级医院")])]), "member": .object(["reference": .string("Organization/\(hospital)")])]))
        }
        if let hospital = contract.cityHospital {
            participants.append(.object(["role": .array([.object(["text": .string("市级医院")])]), "member": .object(["reference": .string("Organization/\(hospital)")])]))
        }
        var period: [String: JSONValue] = ["start": .string(contract.startDate)]
        period["end"] = .string(contract.endedOn ?? contract.endDate)
        return .object([
            "resourceType": .string("CareTeam"),
            "id": .string(Contract.careTeamID(contract.id)),
            "identifier": .array([.object(["system": .string(contractSystem), "value": .string(contract.id)])]),
            "status": .string(active ? "active" : "inactive"),
            "name": .string("家庭医生签约服务团队（1+1+1）"),
            "subject": .object(["reference": .string("Patient/\(contract.patient)")]),
            "period": .object(period),
            "participant": .array(participants),
            "managingOrganization": .array([.object(["reference": .string("Organization/\(contract.organization)")])]),
        ])
    }
}
