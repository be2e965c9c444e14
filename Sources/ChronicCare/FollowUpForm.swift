import FHIR
import Foundation
import Storage

/// A follow-up (随访) as the family doctor enters it: readings, weight, medication and adherence, lifestyle.
/// Checked before anything is stored; each problem is a message a doctor can act on.
public struct FollowUpForm: Sendable, Codable, Equatable {
    /// The resident (Patient id) and programme (`hypertension`, `type2-diabetes`).
    public var patient: String
    public var programme: String
    /// The day of the follow-up, YYYY-MM-DD; not in the future.
    public var date: String
    /// Blood pressure in mmHg.
    public var systolic: Int?
    public var diastolic: Int?
    /// Fasting glucose and its unit (only mmol/L is accepted: a value in mg/dL is refused, not guessed).
    public var fastingGlucose: Double?
    public var glucoseUnit: String?
    /// Weight in kg and height in cm (for BMI).
    public var weight: Double?
    public var height: Double?
    /// Medication as taken, adherence (`regular`, `intermittent`, `none`) and lifestyle advice given.
    public var medication: String?
    public var adherence: String?
    public var lifestyle: String?
    /// Checks done at this visit (`annual-check`, `kidney`, `retinopathy`, `foot`: 年度体检、并发症筛查); each is
    /// written to the record as a completed Procedure.
    public var checks: [String]?

    public init(patient: String, programme: String, date: String, systolic: Int? = nil, diastolic: Int? = nil, fastingGlucose: Double? = nil,
                glucoseUnit: String? = nil, weight: Double? = nil, height: Double? = nil, medication: String? = nil, adherence: String? = nil, lifestyle: String? = nil,
                checks: [String]? = nil) {
        self.patient = patient
        self.programme = programme
        self.date = date
        self.systolic = systolic
        self.diastolic = diastolic
        self.fastingGlucose = fastingGlucose
        self.glucoseUnit = glucoseUnit
        self.weight = weight
        self.height = height
        self.medication = medication
        self.adherence = adherence
        self.lifestyle = lifestyle
        self.checks = checks
    }

    static let systolicRange = 60.0...280.0
    static let diastolicRange = 30.0...160.0
    static let glucoseRange = 1.0...35.0
    static let adherenceValues = ["regular": "规律服药", "intermittent": "间断服药", "none": "不服药"]

    /// The problems with the form, empty when it can be stored; `checks` are the known check codes and names.
    public func problems(today: String, checks known: [String: String] = [:]) -> [OutcomeIssue] {
        var issues: [OutcomeIssue] = []
        func add(_ field: String, _ text: String) { issues.append(OutcomeIssue(code: "value", diagnostics: text, expression: field)) }
        if !CalendarDay.isValid(date) {
            add("date", "随访日期须为 YYYY-MM-DD，如 2026-06-30 (not a date)")
        } else if date > today {
            add("date", "随访日期 \(date) 晚于今天 \(today)：不能登记将来的随访 (a follow-up cannot be in the future)")
        } else if date < CalendarDay.shift(today, days: -366) {
            add("date", "随访日期 \(date) 早于一年前：请在档案中补录历史记录")
        }
        switch (systolic, diastolic) {
        case let (s?, d?):
            if !Self.systolicRange.contains(Double(s)) { add("systolic", "收缩压 \(s) mmHg 不在 60–280 之间，请复测 (implausible systolic pressure)") }
            if !Self.diastolicRange.contains(Double(d)) { add("diastolic", "舒张压 \(d) mmHg 不在 30–160 之间，请复测 (implausible diastolic pressure)") }
            if s <= d { add("systolic", "收缩压 \(s) 须高于舒张压 \(d)") }
        case (nil, nil): break
        default: add(systolic == nil ? "systolic" : "diastolic", "血压须同时填写收缩压和舒张压")
        }
        if let glucose = fastingGlucose {
            let unit = (glucoseUnit ?? "mmol/L").trimmingCharacters(in: .whitespaces)
            if unit.lowercased() != "mmol/l" {
                add("glucoseUnit", "空腹血糖单位须为 mmol/L（收到 \(unit)）；mg/dL 数值除以 18 即为 mmol/L (use mmol/L)")
            } else if !Self.glucoseRange.contains(glucose) {
                add("fastingGlucose", glucose > 35 ? "空腹血糖 \(glucose) mmol/L 过高：是否误用了 mg/dL？请换算为 mmol/L (value looks like mg/dL)"
                                                   : "空腹血糖 \(glucose) mmol/L 不在 1.0–35.0 之间，请复测")
            }
        }
        if let weight, !(2...300).contains(weight) { add("weight", "体重 \(weight) kg 不在 2–300 之间") }
        if let height, !(40...250).contains(height) { add("height", "身高 \(height) cm 不在 40–250 之间") }
        if let adherence, Self.adherenceValues[adherence] == nil { add("adherence", "服药依从性须为 regular（规律）、intermittent（间断）或 none（不服药）") }
        if programme == "hypertension", systolic == nil { add("systolic", "高血压随访须测量血压") }
        if programme == "type2-diabetes", fastingGlucose == nil { add("fastingGlucose", "糖尿病随访须测量空腹血糖") }
        for check in checks ?? [] where known[check] == nil {
            add("checks", "没有检查项目 '\(check)'（可选 " + known.sorted { $0.key < $1.key }.map { "\($0.key)（\($0.value)）" }.joined(separator: "、") + "）")
        }
        for (field, text) in [("medication", medication), ("lifestyle", lifestyle)] where (text?.count ?? 0) > 500 {
            add(field, "内容不超过 500 字")
        }
        return issues
    }

    /// Body-mass index (kg/m²) to one decimal, when weight and height are given.
    public var bmi: Double? {
        guard let weight, let height, height > 0 else { return nil }
        return (weight / ((height / 100) * (height / 100)) * 10).rounded() / 10
    }
}
