public import FHIR

/// A drug of the platform's catalogue (药品目录) with the largest daily dose its Chinese label (说明书) allows an
/// adult, for checking prescriptions (the supervision rule 超剂量处方, and the resident portal's pre-review).
public struct CatalogDrug: Sendable, Equatable {
    /// WHO ATC code, as prescriptions code it (system ``Drugs/atcSystem``).
    public var atc: String
    public var name: String
    /// Milligrams a day.
    public var maximumDailyMilligrams: Double
}

/// The drug catalogue and the daily dose of a prescription.
public enum Drugs {
    public static let atcSystem = "http://www.whocc.no/atc"

    /// Common drugs of community practice whose adult maximum is stated plainly on their labels.
    public static let catalogue: [CatalogDrug] = [
        CatalogDrug(atc: "A10BA02", name: "二甲双胍", maximumDailyMilligrams: 2550),
        CatalogDrug(atc: "C08CA01", name: "氨氯地平", maximumDailyMilligrams: 10),
        CatalogDrug(atc: "C10AA05", name: "阿托伐他汀", maximumDailyMilligrams: 80),
        CatalogDrug(atc: "C09CA04", name: "厄贝沙坦", maximumDailyMilligrams: 300),
        CatalogDrug(atc: "N02BE01", name: "对乙酰氨基酚", maximumDailyMilligrams: 4000),
        // For the portal's pre-review: a second calcium-channel blocker (duplicate therapy with 氨氯地平, C08CA),
        // an ACE inhibitor (with an ARB, an interaction), and a macrolide that interacts with statins.
        CatalogDrug(atc: "C08CA05", name: "硝苯地平控释片", maximumDailyMilligrams: 120),
        CatalogDrug(atc: "C09AA02", name: "依那普利", maximumDailyMilligrams: 40),
        CatalogDrug(atc: "J01FA09", name: "克拉霉素", maximumDailyMilligrams: 1000),
    ]

    /// The catalogue drug a MedicationRequest prescribes (by its ATC coding), if any.
    public static func drug(of request: JSONValue) -> CatalogDrug? {
        let codings = request["medicationCodeableConcept"]?["coding"]?.arrayValue ?? []
        return codings.lazy.compactMap { coding -> CatalogDrug? in
            guard coding["system"]?.stringValue == atcSystem, let code = coding["code"]?.stringValue else { return nil }
            return catalogue.first { $0.atc == code }
        }.first
    }

    /// Milligrams a day a MedicationRequest's dosage instructions add up to: for each instruction, its dose
    /// (mg, g or µg) times its frequency over its period (h, d, wk). Nil when an instruction says too little to
    /// tell (no dose, another unit, no timing or an unknown period unit), so that a check never guesses.
    public static func dailyMilligrams(of request: JSONValue) -> Double? {
        let instructions = request["dosageInstruction"]?.arrayValue ?? []
        guard !instructions.isEmpty else { return nil }
        var total = 0.0
        for instruction in instructions {
            guard let dose = instruction["doseAndRate"]?.arrayValue?.first?["doseQuantity"], let value = dose["value"]?.doubleValue, value >= 0,
                  let factor = ["mg": 1.0, "g": 1000, "ug": 0.001, "µg": 0.001][dose["code"]?.stringValue ?? dose["unit"]?.stringValue ?? ""],
                  let timing = instruction["timing"]?["repeat"] else { return nil }
            let frequency = timing["frequency"]?.doubleValue ?? 1
            let period = timing["period"]?.doubleValue ?? 1
            guard frequency > 0, period > 0, let days = ["h": 1.0 / 24, "d": 1, "wk": 7][timing["periodUnit"]?.stringValue ?? ""] else { return nil }
            total += value * factor * frequency / (period * days)
        }
        return total
    }
}
