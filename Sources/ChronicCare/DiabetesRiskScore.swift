import FHIR
import Foundation
import Storage

/// The Chinese diabetes risk score (中国糖尿病风险评分, 《中国2型糖尿病防治指南》): points for age, sex,
/// systolic pressure, BMI, waist circumference and a family history of diabetes; 25 or more is high risk
/// (an oral glucose tolerance test is advised). Parts the record lacks count as missing, not as zero points:
/// the score is then a lower bound and says so.
public struct DiabetesRiskScore: Sendable, Codable, Equatable {
    /// The points scored from the parts known.
    public var points: Int
    /// The parts the record does not give (`systolic`, `bmi`, `waist`).
    public var missing: [String]
    /// 25 points or more.
    public var highRisk: Bool { points >= 25 }

    /// The threshold of high risk.
    public static let threshold = 25

    /// The score for a person aged `age` (20–74) of `male` sex; nil outside the age range the score is made for.
    public static func score(age: Int, male: Bool, systolic: Double?, bmi: Double?, waist: Double?, familyHistory: Bool) -> DiabetesRiskScore? {
        guard (20...74).contains(age) else { return nil }
        var points = 0
        var missing: [String] = []
        switch age {
        case 20...24: points += 0
        case 25...34: points += 4
        case 35...39: points += 8
        case 40...44: points += 11
        case 45...49: points += 12
        case 50...54: points += 13
        case 55...59: points += 15
        case 60...64: points += 16
        default: points += 18
        }
        if male { points += 2 }
        if let systolic {
            switch systolic {
            case ..<110: points += 0
            case ..<120: points += 1
            case ..<130: points += 3
            case ..<140: points += 6
            case ..<150: points += 7
            case ..<160: points += 8
            default: points += 10
            }
        } else { missing.append("systolic") }
        if let bmi {
            switch bmi {
            case ..<22: points += 0
            case ..<24: points += 1
            case ..<30: points += 3
            default: points += 5
            }
        } else { missing.append("bmi") }
        if let waist {
            // Men from 75 cm, women from 70 cm, in steps of 5 cm: 3, 5, 7, 8, then 10 points.
            let start = male ? 75.0 : 70.0
            switch waist - start {
            case ..<0: points += 0
            case ..<5: points += 3
            case ..<10: points += 5
            case ..<15: points += 7
            case ..<20: points += 8
            default: points += 10
            }
        } else { missing.append("waist") }
        if familyHistory { points += 6 }
        return DiabetesRiskScore(points: points, missing: missing)
    }
}

extension ChronicService {
    /// A resident's diabetes risk score from their record on `day`: age and sex from the Patient, the latest
    /// systolic pressure (85354-9), BMI (39156-5) and waist circumference (8280-0), a family history of
    /// diabetes (a Condition coded Z83.3). Nil for residents already diabetic or outside ages 20–74.
    public func diabetesRisk(patient: String, on day: String = CalendarDay.today()) async throws -> DiabetesRiskScore? {
        guard let record = try await store.read(type: "Patient", id: patient), !record.deleted else {
            throw FHIRError.notFound("居民 Patient/\(patient) 不存在")
        }
        let resident = try JSONValue.parse(Data(record.content.utf8))
        guard let birth = resident["birthDate"]?.stringValue, CalendarDay.isValid(String(birth.prefix(10))) else { return nil }
        var age = (Int(day.prefix(4)) ?? 0) - (Int(birth.prefix(4)) ?? 0)
        if String(day.dropFirst(5)) < String(birth.prefix(10).dropFirst(5)) { age -= 1 }
        if try await enrolments(patients: [patient]).contains(where: { $0.programme == "type2-diabetes" && $0.status == "confirmed" }) { return nil }
        func latest(_ code: String) async throws -> JSONValue? {
            var request = try SearchRequest(type: "Observation", query: [("subject", "Patient/\(patient)"), ("code", "http://loinc.org|\(code)"), ("date", "le\(day)"), ("_sort", "-date")],
                                            definitions: store.definitions, strict: true)
            request.count = 1
            return try await store.search(request).matches.first.map { try JSONValue.parse(Data($0.content.utf8)) }
        }
        let systolic = try await latest("85354-9").flatMap { observation in
            (observation["component"]?.arrayValue ?? []).first { $0["code"]?["coding"]?.arrayValue?.first?["code"]?.stringValue == "8480-6" }?["valueQuantity"]?["value"]?.doubleValue
        }
        let bmi = try await latest("39156-5")?["valueQuantity"]?["value"]?.doubleValue
        let waist = try await latest("8280-0")?["valueQuantity"]?["value"]?.doubleValue
        var history = try SearchRequest(type: "Condition", query: [("subject", "Patient/\(patient)"), ("code", "http://hl7.org/fhir/sid/icd-10|Z83.3"), ("_summary", "count")],
                                        definitions: store.definitions, strict: true)
        history.count = 0
        let familyHistory = (try await store.search(history).total ?? 0) > 0
        return DiabetesRiskScore.score(age: age, male: resident["gender"]?.stringValue == "male", systolic: systolic, bmi: bmi, waist: waist, familyHistory: familyHistory)
    }
}
