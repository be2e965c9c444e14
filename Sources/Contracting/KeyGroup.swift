import FHIR
import Foundation

/// A key population (重点人群) of family-doctor contracting. A resident may belong to several.
///
/// Age groups follow from the birth date on the day asked; diagnosis groups from active, confirmed
/// Conditions (ICD-10); social groups from the Patient record's population-group extension, as the civil
/// affairs and disabled persons' federation exchanges set it.
public enum KeyGroup: String, CaseIterable, Sendable, Codable {
    /// 65岁及以上老年人.
    case elderly65 = "elderly-65"
    /// 0–6岁儿童.
    case child0to6 = "child-0-6"
    /// 高血压患者 (I10–I15).
    case hypertension
    /// 2型糖尿病患者 (E11).
    case diabetes = "type2-diabetes"
    /// 孕产妇 (O00–O9A, Z33–Z36).
    case pregnancy
    /// 严重精神障碍患者 (F20–F29, F31).
    case severeMental = "severe-mental"
    /// 失能老年人: aged 60 or more with care dependency (Z74) or the group set on the record (长护险评估).
    case disabledElderly = "disabled-elderly"
    /// 残疾人 (the record's group, from the disabled persons' federation).
    case disability
    /// 低保/低收入 (the record's group, from civil affairs).
    case lowIncome = "low-income"
    /// 计划生育特殊家庭成员.
    case specialFamily = "special-family"
    /// “四医联动”对象 (the record's group).
    case fourMedicalLinkage = "four-medical-linkage"

    /// The Chinese label.
    public var label: String {
        switch self {
        case .elderly65: "65岁及以上老年人"
        case .child0to6: "0–6岁儿童"
        case .hypertension: "高血压患者"
        case .diabetes: "2型糖尿病患者"
        case .pregnancy: "孕产妇"
        case .severeMental: "严重精神障碍患者"
        case .disabledElderly: "失能老年人"
        case .disability: "残疾人"
        case .lowIncome: "低保/低收入人群"
        case .specialFamily: "计划生育特殊家庭成员"
        case .fourMedicalLinkage: "“四医联动”对象"
        }
    }

    /// The extension on Patient naming the social groups a resident belongs to (valueCode, repeated).
    public static let extensionURL = "https://weijian.health/StructureDefinition/population-group"

    /// Groups a Patient record states (its population-group extensions).
    public static func stated(in patient: JSONValue) -> Set<KeyGroup> {
        Set((patient["extension"]?.arrayValue ?? []).compactMap { item -> KeyGroup? in
            guard item["url"]?.stringValue == extensionURL, let code = item["valueCode"]?.stringValue else { return nil }
            return KeyGroup(rawValue: code)
        })
    }

    /// The group an active, not refuted Condition puts its subject in, by its ICD-10 code.
    public static func diagnosed(by condition: JSONValue) -> Set<KeyGroup> {
        Set(Diagnosis.activeICD10Codes(of: condition).compactMap(group(forICD10:)))
    }

    /// The diagnosis group of an ICD-10 code, if any. Z74 (care dependency) gives `disabledElderly`;
    /// the age condition is applied when groups are counted.
    static func group(forICD10 code: String) -> KeyGroup? {
        let head = String(code.prefix(3))
        switch head {
        case "I10", "I11", "I12", "I13", "I15": return .hypertension
        case "E11": return .diabetes
        case "F31": return .severeMental
        case "Z33", "Z34", "Z35", "Z36": return .pregnancy
        case "Z74": return .disabledElderly
        default: break
        }
        if head.hasPrefix("O") { return .pregnancy }
        if head >= "F20" && head <= "F29" { return .severeMental }
        return nil
    }

    /// A resident's groups on `day`: those of their age, and those the record's facts give (a care
    /// dependency makes a disabled elder only from age 60), in declaration order.
    public static func groups(birthDate: String?, facts: Set<KeyGroup>, on day: String) -> [KeyGroup] {
        var groups = byAge(birthDate: birthDate, on: day).union(facts)
        if let birthDate, birthDate > shifted(day, years: -60) { groups.remove(.disabledElderly) }
        return allCases.filter(groups.contains)
    }

    /// The groups a birth date puts a resident in on `day` (YYYY-MM-DD).
    public static func byAge(birthDate: String?, on day: String) -> Set<KeyGroup> {
        guard let birthDate, birthDate.count >= 10 else { return [] }
        let birth = String(birthDate.prefix(10))
        var groups: Set<KeyGroup> = []
        if birth <= shifted(day, years: -65) { groups.insert(.elderly65) }
        if birth > shifted(day, years: -7) { groups.insert(.child0to6) }
        return groups
    }

    /// `day` moved by whole years (29 February becomes 28 February in a common year).
    static func shifted(_ day: String, years: Int) -> String {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return day }
        let year = parts[0] + years
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let dayOfMonth = parts[1] == 2 && parts[2] == 29 && !leap ? 28 : parts[2]
        return String(format: "%04d-%02d-%02d", year, parts[1], dayOfMonth)
    }
}
