import FHIR
import Foundation
import Storage

/// The shape of one district's demo population, and the code that writes it.
struct DemoPlan: Sendable {
    let district: String
    let subdistricts: [Division]
    let institutions: [Institution]

    static let familyNames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤").map(String.init)
    static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美娜晶婷玉兰桂芝建国志刚文斌宇浩然子轩欣怡梓涵一诺佳琪思远俊杰晓东海燕红梅春花秋菊冬梅雪丽萍琳瑶嘉怡家豪浩宇天佑博文").map(String.init)

    var chcs: [Institution] { institutions.filter { $0.type == "chc" } }
    var hospitals: [Institution] { institutions.filter { ["hospital", "tcm-hospital", "maternal-child"].contains($0.type) } }

    /// The CHC serving a 街道 (the first whose catchment names it).
    func chc(for subdistrict: String) -> Institution? {
        chcs.first { $0.catchment.contains(subdistrict) } ?? chcs.first
    }

    func practitionerID(_ institution: Institution, _ index: Int) -> String { "\(institution.id)-dr\(index)" }
    static let doctorsPerCHC = 6
    static let cliniciansPerHospital = 4

    /// Family doctors at every CHC and clinicians at every hospital, as Practitioner and PractitionerRole.
    func writeStaff(writer: FHIRWriter, random: inout SeededGenerator) async throws -> Int {
        var written = 0
        for institution in chcs + hospitals {
            let isCHC = institution.type == "chc"
            for index in 1...(isCHC ? Self.doctorsPerCHC : Self.cliniciansPerHospital) {
                let id = practitionerID(institution, index)
                let male = random.chance(0.45)
                let (family, given) = name(random: &random)
                let practitioner: JSONValue = .object([
                    "resourceType": .string("Practitioner"),
                    "identifier": .array([.object(["system": .string("https://weijian.health/sid/practitioner"), "value": .string(id)])]),
                    "active": .bool(true),
                    "name": .array([.object(["text": .string(family + given), "family": .string(family), "given": .array([.string(given)])])]),
                    "gender": .string(male ? "male" : "female"),
                    "qualification": .array([.object(["code": .object([
                        "coding": .array([.object(["system": .string("https://weijian.health/CodeSystem/qualification"), "code": .string(isCHC ? "gp" : "physician")])]),
                        "text": .string(isCHC ? "全科医师执业证书" : "医师执业证书"),
                    ])])]),
                ])
                _ = try await writer.update(practitioner.with("id", .string(id)), type: "Practitioner", id: id, ifMatch: nil)
                let role: JSONValue = .object([
                    "resourceType": .string("PractitionerRole"),
                    "id": .string("\(id)-role"),
                    "active": .bool(true),
                    "practitioner": .object(["reference": .string("Practitioner/\(id)")]),
                    "organization": .object(["reference": .string("Organization/\(institution.id)")]),
                    "code": .array([.object([
                        "coding": .array([.object(["system": .string("https://weijian.health/CodeSystem/practitioner-role"), "code": .string(isCHC ? "family-doctor" : "clinician")])]),
                        "text": .string(isCHC ? "家庭医生" : "临床医师"),
                    ])]),
                ])
                _ = try await writer.update(role, type: "PractitionerRole", id: "\(id)-role", ifMatch: nil)
                written += 2
            }
        }
        return written
    }

    func name(random: inout SeededGenerator) -> (String, String) {
        let family = Self.familyNames.randomElement(using: &random) ?? "王"
        let length = random.chance(0.7) ? 2 : 1
        let given = (0..<length).map { _ in Self.givenCharacters.randomElement(using: &random) ?? "伟" }.joined()
        return (family, given)
    }

    /// One generated resource with the id it is stored under.
    struct GeneratedResource: Sendable {
        var type: String
        var id: String
        var content: JSONValue
    }

    /// The resources of residents `start..<start+count`, one list per resident, Patient first.
    func residents(from start: Int, count: Int, random: inout SeededGenerator) -> [[GeneratedResource]] {
        var made: [[GeneratedResource]] = []
        let weights = subdistricts.map { ($0, Double($0.population ?? 10_000)) }
        let today = Date()
        let calendar = Calendar(identifier: .gregorian)
        let year = calendar.component(.year, from: today)
        var index = start
        while index < start + count {
            // A household shares an address: one to four people.
            let size = min(start + count - index, random.weighted([(1, 0.2), (2, 0.35), (3, 0.3), (4, 0.15)]))
            let subdistrict = random.weighted(weights)
            let address = "\(subdistrict.name)\(["长宁", "延安西", "仙霞", "天山", "虹桥", "中山西", "愚园", "武夷", "番禺", "新华"].randomElement(using: &random) ?? "长宁")路\(Int.random(in: 1...1500, using: &random))弄\(Int.random(in: 1...40, using: &random))号\(Int.random(in: 101...2204, using: &random))室"
            let chc = chc(for: subdistrict.code)
            let householdFamily = name(random: &random).0
            for member in 0..<size {
                made.append(resident(
                    number: index, household: "hh-\(district)-\(start)-\(index - member)", subdistrict: subdistrict,
                    address: address, family: householdFamily, chc: chc, year: year, random: &random
                ))
                index += 1
            }
        }
        return made
    }

    private func ageGroup(random: inout SeededGenerator) -> Int {
        // Shanghai's age structure: about 10% children, 55% working age, 35% aged 60+.
        let band = random.weighted([(0, 0.10), (1, 0.25), (2, 0.30), (3, 0.35)])
        switch band {
        case 0: return Int.random(in: 0...14, using: &random)
        case 1: return Int.random(in: 15...39, using: &random)
        case 2: return Int.random(in: 40...59, using: &random)
        default: return Int.random(in: 60...95, using: &random)
        }
    }

    private func resident(
        number: Int, household: String, subdistrict: Division, address: String, family: String,
        chc: Institution?, year: Int, random: inout SeededGenerator
    ) -> [GeneratedResource] {
        let patientID = "p\(district)-\(number)"
        let male = random.chance(0.49)
        let age = ageGroup(random: &random)
        let birthYear = year - age - 1
        let (birthDate, idNumber) = Self.identity(number: number, birthYear: birthYear, male: male, district: district)
        let given = name(random: &random).1
        let phone = "1\(["39", "38", "50", "86", "77"].randomElement(using: &random) ?? "39")\(String(format: "%08d", (number * 7919 + 13) % 100_000_000))"
        var patient: [String: JSONValue] = [
            "resourceType": .string("Patient"),
            "identifier": .array([.object([
                "use": .string("official"), "system": .string(ResidentIDNumber.system), "value": .string(idNumber),
                "type": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/v2-0203"), "code": .string("NNCHN")])]), "text": .string("居民身份证")]),
            ])]),
            "active": .bool(true),
            "name": .array([.object(["use": .string("official"), "text": .string(family + given), "family": .string(family), "given": .array([.string(given)])])]),
            "gender": .string(male ? "male" : "female"),
            "birthDate": .string(birthDate),
            "address": .array([.object([
                "use": .string("home"), "text": .string("上海市\(address)"), "line": .array([.string(address)]),
                "city": .string("上海市"), "district": .string(Catalog.divisions.first { $0.code == district }?.name ?? district), "country": .string("CN"),
                "extension": .array([.object([
                    "url": .string(PatientExtensions.subdistrict),
                    "valueCode": .string(subdistrict.code),
                ])]),
            ])]),
            "extension": .array([.object([
                "url": .string(PatientExtensions.household),
                "valueIdentifier": .object(["system": .string("https://weijian.health/sid/household"), "value": .string(household)]),
            ])]),
        ]
        if age >= 16 {
            patient["telecom"] = .array([.object(["system": .string("phone"), "value": .string(phone), "use": .string("mobile")])])
        }
        if let chc {
            patient["managingOrganization"] = .object(["reference": .string("Organization/\(chc.id)")])
            // About 45% have signed a family doctor (the contracted panel); decided without drawing from
            // the generator, so the rest of the population stays as it was.
            if (number * 37 + 11) % 100 < 45 {
                patient["generalPractitioner"] = .array([
                    .object(["reference": .string("Practitioner/\(practitionerID(chc, number % Self.doctorsPerCHC + 1))")]),
                    .object(["reference": .string("Organization/\(chc.id)")]),
                ])
            }
        }
        var resources = [GeneratedResource(type: "Patient", id: patientID, content: .object(patient))]
        guard let chc else { return resources }

        // Chronic conditions by age (adults).
        let hypertension = age >= 18 && random.chance(age < 45 ? 0.10 : (age < 60 ? 0.30 : 0.55))
        let diabetes = age >= 18 && random.chance(age < 45 ? 0.03 : (age < 60 ? 0.12 : 0.20))
        // Visits over the last five years: chronic patients come more often.
        let visitsPerYear = hypertension || diabetes ? 3 : (age >= 60 ? 2 : 1)
        var encounters: [(String, String, Institution)] = []
        for yearsAgo in 0..<5 {
            let visits = Int.random(in: 0...visitsPerYear, using: &random)
            for visit in 0..<visits {
                let atHospital = random.chance(0.25) && !hospitals.isEmpty
                let place = atHospital ? (hospitals.randomElement(using: &random) ?? chc) : chc
                let doctor = practitionerID(place, Int.random(in: 1...(place.type == "chc" ? Self.doctorsPerCHC : Self.cliniciansPerHospital), using: &random))
                let date = String(format: "%04d-%02d-%02dT%02d:%02d:00+08:00", year - yearsAgo, Int.random(in: 1...(yearsAgo == 0 ? 10 : 12), using: &random), Int.random(in: 1...28, using: &random), Int.random(in: 8...16, using: &random), Int.random(in: 0...59, using: &random))
                let encounterID = "\(patientID)-e\(yearsAgo)\(visit)"
                let encounter: JSONValue = .object([
                    "resourceType": .string("Encounter"),
                    "status": .string("finished"),
                    "class": .object(["system": .string("http://terminology.hl7.org/CodeSystem/v3-ActCode"), "code": .string("AMB"), "display": .string("门诊")]),
                    "subject": .object(["reference": .string("Patient/\(patientID)")]),
                    "participant": .array([.object(["individual": .object(["reference": .string("Practitioner/\(doctor)")])])]),
                    "period": .object(["start": .string(date), "end": .string(date)]),
                    "serviceProvider": .object(["reference": .string("Organization/\(place.id)")]),
                ])
                resources.append(GeneratedResource(type: "Encounter", id: encounterID, content: encounter))
                encounters.append((encounterID, date, place))
            }
        }
        encounters.sort { $0.1 < $1.1 }
        // Return visits (复诊): a later visit to an institution the resident has been to, typed as the EMR would.
        var visited = Set<String>()
        for (id, _, place) in encounters {
            if !visited.insert(place.id).inserted, let index = resources.firstIndex(where: { $0.type == "Encounter" && $0.id == id }) {
                resources[index].content["type"] = .array([.object(["coding": .array([.object([
                    "system": .string(VisitRegister.followUpSystem), "code": .string(VisitRegister.followUpCode), "display": .string("复诊"),
                ])])])])
            }
        }
        for (code, display, present) in [("I10", "原发性高血压", hypertension), ("E11.9", "2型糖尿病", diabetes)] where present {
            let first = encounters.first
            var condition: [String: JSONValue] = [
                "resourceType": .string("Condition"),
                "clinicalStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-clinical"), "code": .string("active")])])]),
                "verificationStatus": .object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-ver-status"), "code": .string("confirmed")])])]),
                "category": .array([.object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/condition-category"), "code": .string("encounter-diagnosis")])])])]),
                "code": .object(["coding": .array([.object(["system": .string("http://hl7.org/fhir/sid/icd-10"), "code": .string(code), "display": .string(display)])]), "text": .string(display)]),
                "subject": .object(["reference": .string("Patient/\(patientID)")]),
                "onsetDateTime": .string(String(format: "%04d", year - Int.random(in: 1...15, using: &random))),
            ]
            if let first {
                condition["encounter"] = .object(["reference": .string("Encounter/\(first.0)")])
                condition["recordedDate"] = .string(first.1)
            }
            resources.append(GeneratedResource(type: "Condition", id: "\(patientID)-c\(code.prefix(3))", content: .object(condition)))
        }
        for (encounterID, date, place) in encounters where age >= 18 {
            let systolic = Int(random.normal(mean: hypertension ? 142 : 122, sd: hypertension ? 14 : 11).rounded())
            let diastolic = Int(random.normal(mean: hypertension ? 88 : 76, sd: 8).rounded())
            resources.append(GeneratedResource(type: "Observation", id: "\(encounterID)-bp", content: Self.bloodPressure(patient: patientID, encounter: encounterID, date: date, performer: place.id, systolic: systolic, diastolic: diastolic)))
            if diabetes || random.chance(0.15) {
                let glucose = (random.normal(mean: diabetes ? 7.6 : 5.2, sd: diabetes ? 1.4 : 0.5) * 10).rounded() / 10
                resources.append(GeneratedResource(type: "Observation", id: "\(encounterID)-glu", content: Self.glucose(patient: patientID, encounter: encounterID, date: date, performer: place.id, value: max(3.0, glucose))))
            }
        }
        return resources
    }

    /// Shanghai's 16 district codes, for the address part of fictional ID numbers.
    static let shanghaiDistricts = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
                                    "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151"]

    /// A birth date in `birthYear` and a resident ID number, unique for every resident number below
    /// 2,920,000 by construction: the day of the year is `number % 365`; the rest of the number picks
    /// the address code (the district's own first) and the sequence, whose parity carries the sex.
    static func identity(number: Int, birthYear: Int, male: Bool, district: String) -> (String, String) {
        let day = number % 365
        let rest = number / 365
        let monthLengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var month = 0
        var remaining = day
        while remaining >= monthLengths[month] {
            remaining -= monthLengths[month]
            month += 1
        }
        let birthDate = String(format: "%04d-%02d-%02d", birthYear, month + 1, remaining + 1)
        let start = shanghaiDistricts.firstIndex(of: district) ?? 0
        let address = shanghaiDistricts[(start + rest) % shanghaiDistricts.count]
        let sequence = ((rest / shanghaiDistricts.count) % 500) * 2 + (male ? 1 : 0)
        return (birthDate, ResidentIDNumber.make(addressCode: address, birthDate: birthDate, sequence: sequence, male: male))
    }

    static func vitalSignsCategory() -> JSONValue {
        .array([.object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/observation-category"), "code": .string("vital-signs")])])])])
    }

    static func quantity(_ value: Double, unit: String, code: String) -> JSONValue {
        .object(["value": value == value.rounded() ? .integer(Int64(value)) : .decimal(value), "unit": .string(unit), "system": .string("http://unitsofmeasure.org"), "code": .string(code)])
    }

    static func loinc(_ code: String, _ display: String, text: String) -> JSONValue {
        .object(["coding": .array([.object(["system": .string("http://loinc.org"), "code": .string(code), "display": .string(display)])]), "text": .string(text)])
    }

    static func bloodPressure(patient: String, encounter: String, date: String, performer: String, systolic: Int, diastolic: Int) -> JSONValue {
        .object([
            "resourceType": .string("Observation"),
            "status": .string("final"),
            "category": vitalSignsCategory(),
            "code": loinc("85354-9", "Blood pressure panel", text: "血压"),
            "subject": .object(["reference": .string("Patient/\(patient)")]),
            "encounter": .object(["reference": .string("Encounter/\(encounter)")]),
            "effectiveDateTime": .string(date),
            "performer": .array([.object(["reference": .string("Organization/\(performer)")])]),
            "component": .array([
                .object(["code": loinc("8480-6", "Systolic blood pressure", text: "收缩压"), "valueQuantity": quantity(Double(systolic), unit: "mmHg", code: "mm[Hg]")]),
                .object(["code": loinc("8462-4", "Diastolic blood pressure", text: "舒张压"), "valueQuantity": quantity(Double(diastolic), unit: "mmHg", code: "mm[Hg]")]),
            ]),
        ])
    }

    static func glucose(patient: String, encounter: String, date: String, performer: String, value: Double) -> JSONValue {
        .object([
            "resourceType": .string("Observation"),
            "status": .string("final"),
            "category": .array([.object(["coding": .array([.object(["system": .string("http://terminology.hl7.org/CodeSystem/observation-category"), "code": .string("laboratory")])])])]),
            "code": loinc("1558-6", "Fasting glucose [Moles/volume] in Serum or Plasma", text: "空腹血糖"),
            "subject": .object(["reference": .string("Patient/\(patient)")]),
            "encounter": .object(["reference": .string("Encounter/\(encounter)")]),
            "effectiveDateTime": .string(date),
            "performer": .array([.object(["reference": .string("Organization/\(performer)")])]),
            "valueQuantity": quantity(value, unit: "mmol/L", code: "mmol/L"),
            "referenceRange": .array([.object(["low": quantity(3.9, unit: "mmol/L", code: "mmol/L"), "high": quantity(6.1, unit: "mmol/L", code: "mmol/L")])]),
        ])
    }
}

extension JSONValue {
    /// A copy with member `key` set.
    func with(_ key: String, _ value: JSONValue) -> JSONValue {
        var copy = self
        copy[key] = value
        return copy
    }
}
