/// A notifiable disease (法定传染病) of the list, with its class, ICD-10 prefixes and reporting deadline.
public struct NotifiableDisease: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    /// `A` (甲类), `B-A` (乙类甲管), `B` (乙类), `C` (丙类) or `other` (其他监测).
    public var diseaseClass: String
    public var icdPrefixes: [String]
    /// Hours from diagnosis to report: 2 for classes A and B-A, 24 for the others.
    public var deadlineHours: Int

    public init(code: String, name: String, diseaseClass: String, icdPrefixes: [String]) {
        self.code = code
        self.name = name
        self.diseaseClass = diseaseClass
        self.icdPrefixes = icdPrefixes
        self.deadlineHours = diseaseClass == "A" || diseaseClass == "B-A" ? 2 : 24
    }

    /// The disease an ICD-10 code means: the one with the longest matching prefix.
    public static func matching(_ icd10: String, in diseases: [NotifiableDisease]) -> NotifiableDisease? {
        let code = icd10.uppercased()
        var best: (disease: NotifiableDisease, length: Int)?
        for disease in diseases {
            for prefix in disease.icdPrefixes where code.hasPrefix(prefix) && prefix.count > (best?.length ?? 0) {
                best = (disease, prefix.count)
            }
        }
        return best?.disease
    }

    /// The statutory list (《中华人民共和国传染病防治法》 and its 2023 adjustments: COVID-19 managed as class B
    /// from 2023-01-08, mpox added to class B), seeded by the migration; a deployment may add other monitored diseases.
    public static let statutoryList: [NotifiableDisease] = [
        // 甲类
        .init(code: "plague", name: "鼠疫", diseaseClass: "A", icdPrefixes: ["A20"]),
        .init(code: "cholera", name: "霍乱", diseaseClass: "A", icdPrefixes: ["A00"]),
        // 乙类甲管
        .init(code: "sars", name: "传染性非典型肺炎", diseaseClass: "B-A", icdPrefixes: ["U04"]),
        .init(code: "pulmonary-anthrax", name: "肺炭疽", diseaseClass: "B-A", icdPrefixes: ["A22.1"]),
        // 乙类
        .init(code: "covid-19", name: "新型冠状病毒感染", diseaseClass: "B", icdPrefixes: ["U07.1", "U07.2"]),
        .init(code: "hiv", name: "艾滋病", diseaseClass: "B", icdPrefixes: ["B20", "B21", "B22", "B23", "B24", "Z21"]),
        .init(code: "hepatitis", name: "病毒性肝炎", diseaseClass: "B", icdPrefixes: ["B15", "B16", "B17", "B18", "B19"]),
        .init(code: "polio", name: "脊髓灰质炎", diseaseClass: "B", icdPrefixes: ["A80"]),
        .init(code: "avian-influenza", name: "人感染高致病性禽流感", diseaseClass: "B", icdPrefixes: ["J09"]),
        .init(code: "measles", name: "麻疹", diseaseClass: "B", icdPrefixes: ["B05"]),
        .init(code: "hfrs", name: "流行性出血热", diseaseClass: "B", icdPrefixes: ["A98.5"]),
        .init(code: "rabies", name: "狂犬病", diseaseClass: "B", icdPrefixes: ["A82"]),
        .init(code: "japanese-encephalitis", name: "流行性乙型脑炎", diseaseClass: "B", icdPrefixes: ["A83.0"]),
        .init(code: "dengue", name: "登革热", diseaseClass: "B", icdPrefixes: ["A90", "A91", "A97"]),
        .init(code: "anthrax", name: "炭疽", diseaseClass: "B", icdPrefixes: ["A22"]),
        .init(code: "dysentery", name: "细菌性和阿米巴性痢疾", diseaseClass: "B", icdPrefixes: ["A03", "A06"]),
        .init(code: "tuberculosis", name: "肺结核", diseaseClass: "B", icdPrefixes: ["A15", "A16"]),
        .init(code: "typhoid", name: "伤寒和副伤寒", diseaseClass: "B", icdPrefixes: ["A01"]),
        .init(code: "meningococcal", name: "流行性脑脊髓膜炎", diseaseClass: "B", icdPrefixes: ["A39"]),
        .init(code: "pertussis", name: "百日咳", diseaseClass: "B", icdPrefixes: ["A37"]),
        .init(code: "diphtheria", name: "白喉", diseaseClass: "B", icdPrefixes: ["A36"]),
        .init(code: "neonatal-tetanus", name: "新生儿破伤风", diseaseClass: "B", icdPrefixes: ["A33"]),
        .init(code: "scarlet-fever", name: "猩红热", diseaseClass: "B", icdPrefixes: ["A38"]),
        .init(code: "brucellosis", name: "布鲁氏菌病", diseaseClass: "B", icdPrefixes: ["A23"]),
        .init(code: "gonorrhea", name: "淋病", diseaseClass: "B", icdPrefixes: ["A54"]),
        .init(code: "syphilis", name: "梅毒", diseaseClass: "B", icdPrefixes: ["A50", "A51", "A52", "A53"]),
        .init(code: "leptospirosis", name: "钩端螺旋体病", diseaseClass: "B", icdPrefixes: ["A27"]),
        .init(code: "schistosomiasis", name: "血吸虫病", diseaseClass: "B", icdPrefixes: ["B65"]),
        .init(code: "malaria", name: "疟疾", diseaseClass: "B", icdPrefixes: ["B50", "B51", "B52", "B53", "B54"]),
        .init(code: "mpox", name: "猴痘", diseaseClass: "B", icdPrefixes: ["B04"]),
        // 丙类
        .init(code: "influenza", name: "流行性感冒", diseaseClass: "C", icdPrefixes: ["J10", "J11"]),
        .init(code: "mumps", name: "流行性腮腺炎", diseaseClass: "C", icdPrefixes: ["B26"]),
        .init(code: "rubella", name: "风疹", diseaseClass: "C", icdPrefixes: ["B06"]),
        .init(code: "hemorrhagic-conjunctivitis", name: "急性出血性结膜炎", diseaseClass: "C", icdPrefixes: ["B30.3"]),
        .init(code: "leprosy", name: "麻风病", diseaseClass: "C", icdPrefixes: ["A30"]),
        .init(code: "typhus", name: "流行性和地方性斑疹伤寒", diseaseClass: "C", icdPrefixes: ["A75"]),
        .init(code: "kala-azar", name: "黑热病", diseaseClass: "C", icdPrefixes: ["B55.0"]),
        .init(code: "echinococcosis", name: "包虫病", diseaseClass: "C", icdPrefixes: ["B67"]),
        .init(code: "filariasis", name: "丝虫病", diseaseClass: "C", icdPrefixes: ["B74"]),
        .init(code: "infectious-diarrhea", name: "其它感染性腹泻病", diseaseClass: "C", icdPrefixes: ["A02", "A04", "A05", "A07", "A08", "A09"]),
        .init(code: "hfmd", name: "手足口病", diseaseClass: "C", icdPrefixes: ["B08.4"]),
    ]
}
