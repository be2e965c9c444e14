/// A row of a plan's indicator table (规划主要指标), as the seed prints it: the table and row it comes from, the
/// district's target and the city's, the numeric bound where the target is a number, and the platform
/// indicator that measures it where the platform has the data.
public struct PlanTarget: Sendable, Codable, Equatable {
    public enum Bound: Sendable, Codable, Equatable {
        case atLeast(Double)
        case atMost(Double)

        /// Whether `value` meets the bound.
        public func met(by value: Double) -> Bool {
            switch self {
            case .atLeast(let bound): value >= bound - 1e-9
            case .atMost(let bound): value <= bound + 1e-9
            }
        }
        public var value: Double {
            switch self {
            case .atLeast(let bound), .atMost(let bound): bound
            }
        }
    }

    /// The seed (`000` Changning, `002` Minhang, …).
    public var seed: String
    public var row: Int
    /// The table's 领域 column.
    public var area: String
    public var name: String
    public var unit: String
    /// The district's 2025 target and the city commission's planned value, as printed.
    public var target: String
    public var cityTarget: String
    public var bound: Bound?
    /// The platform indicator (`IndicatorCatalog`) that measures it, if any; else a manager reports the value.
    public var indicator: String?
    /// Marked * in the table: the target is the 14th five-year plan's (十四五规划).
    public var fourteenthFiveYear: Bool
    /// The row as it stands in the seed text (line breaks removed), for checking against the source.
    public var quote: String
    /// The baseline as printed (Minhang's 2020 column), where the table has one.
    public var baseline: String? = nil
    /// 预期性 or 约束性, where the table says.
    public var nature: String? = nil

    /// `000-6-13`: seed, table, row.
    public var id: String { "\(seed)-\(PlanTargets.tables[seed]?.number ?? "0")-\(row)" }
}

/// The plans' indicator tables, transcribed row by row from the seeds (`tests/seeds`).
public enum PlanTargets {
    /// Per seed: the district it binds, the table's number and title, the target year.
    public static let tables: [String: (district: String, number: String, title: String, year: Int)] = [
        "000": ("310105", "6", "附件 6 长宁区卫生健康事业高质量发展行动主要指标", 2025),
        "002": ("310112", "1", "表1：闵行区医疗卫生服务体系高质量发展指标", 2025),
    ]

    /// Changning's annex 6 (000): 26 rows. The seed prints row 6 as 常见恶行肿瘤 (恶性 meant); the quote keeps it.
    /// Minhang's table 1 (002): 16 rows.
    public static let all: [PlanTarget] = [
        PlanTarget(seed: "000", row: 1, area: "城区健康水平", name: "人均预期寿命", unit: "岁", target: "保持发达国家水平", cityTarget: "84岁左右", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "1 人均预期寿命(岁)* 保持发达国家水平84岁左右"),
        PlanTarget(seed: "000", row: 2, area: "城区健康水平", name: "婴儿死亡率", unit: "‰", target: "保持发达国家水平", cityTarget: "≤5", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "2 婴儿死亡率(‰)* 保持发达国家水平≤5"),
        PlanTarget(seed: "000", row: 3, area: "城区健康水平", name: "5岁以下儿童死亡率", unit: "‰", target: "保持发达国家水平", cityTarget: "≤4", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "3 5岁以下儿童死亡率(‰)* 保持发达国家水平≤4"),
        PlanTarget(seed: "000", row: 4, area: "城区健康水平", name: "孕产妇死亡率", unit: "1/10万", target: "保持发达国家水平", cityTarget: "≤7", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "4 孕产妇死亡率(1/10万)* 保持发达国家水平≤7"),
        PlanTarget(seed: "000", row: 5, area: "城区健康水平", name: "居民健康素养水平", unit: "%", target: "≥36", cityTarget: "≥36", bound: .atLeast(36), indicator: nil, fourteenthFiveYear: true,
                   quote: "5 居民健康素养水平(%)* ≥36 ≥36"),
        PlanTarget(seed: "000", row: 6, area: "城区健康水平", name: "常见恶性肿瘤诊断时早期比例", unit: "%", target: "≥37", cityTarget: "≥37", bound: .atLeast(37), indicator: nil, fourteenthFiveYear: true,
                   quote: "6 常见恶行肿瘤诊断时早期比例（%）* ≥37 ≥37"),
        PlanTarget(seed: "000", row: 7, area: "专业技术队伍", name: "千人口执业医师数", unit: "人", target: "≥6.2", cityTarget: "≥3.6", bound: .atLeast(6.2), indicator: nil, fourteenthFiveYear: true,
                   quote: "7 千人口执业医师数(人)* ≥6.2 ≥3.6"),
        PlanTarget(seed: "000", row: 8, area: "专业技术队伍", name: "千人口注册护士数", unit: "人", target: "≥8.15", cityTarget: "≥4.7", bound: .atLeast(8.15), indicator: nil, fourteenthFiveYear: true,
                   quote: "8 千人口注册护士数(人)* ≥8.15 ≥4.7"),
        PlanTarget(seed: "000", row: 9, area: "专业技术队伍", name: "千人口全科医生数", unit: "人", target: "≥0.45", cityTarget: "0.45左右", bound: .atLeast(0.45), indicator: nil, fourteenthFiveYear: true,
                   quote: "9 千人口全科医生数(人)* ≥0.45 0.45左右"),
        PlanTarget(seed: "000", row: 10, area: "专业技术队伍", name: "千人口公共卫生人员数", unit: "人", target: "≥0.9", cityTarget: "/", bound: .atLeast(0.9), indicator: nil, fourteenthFiveYear: true,
                   quote: "10 千人口公共卫生人员数(人)* ≥0.9 /"),
        PlanTarget(seed: "000", row: 11, area: "专业技术队伍", name: "精神科执业（助理）医师数", unit: "人/10万人口", target: "4.8", cityTarget: "4.8", bound: .atLeast(4.8), indicator: nil, fourteenthFiveYear: true,
                   quote: "11 精神科执业（助理）医师数(人/10万人口)* 4.8 4.8"),
        PlanTarget(seed: "000", row: 12, area: "专业技术队伍", name: "专技人员中研究生学历占比", unit: "%", target: "≥23", cityTarget: "/", bound: .atLeast(23), indicator: nil, fourteenthFiveYear: true,
                   quote: "12 专技人员中研究生学历占比（%）* ≥23 /"),
        PlanTarget(seed: "000", row: 13, area: "应急医疗救治体系", name: "定点医院ICU床位数设置占床位总数比例（平时/紧急状态）", unit: "%", target: "10（平）/20（急）", cityTarget: "1（平）/8（急）", bound: .atLeast(10), indicator: "icu-bed-ratio", fourteenthFiveYear: false,
                   quote: "13 定点医院ICU床位数设置占床位总数比例（平时/紧急状态）10（平）/20（急）1（平）/8（急）"),
        PlanTarget(seed: "000", row: 14, area: "应急医疗救治体系", name: "二级综合医院、三级医院独立设置重症医学科比例", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "14 二级综合医院、三级医院独立设置重症医学科比例（%）100 100"),
        PlanTarget(seed: "000", row: 15, area: "应急医疗救治体系", name: "社区卫生服务中心（站）设置发热门诊（诊室或哨点）比例", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "15 社区卫生服务中心（站）设置发热门诊（诊室或哨点）比例（%）100 100"),
        PlanTarget(seed: "000", row: 16, area: "应急医疗救治体系", name: "社区卫生服务中心设置氧疗区", unit: "%", target: "100", cityTarget: "/", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "16 社区卫生服务中心设置氧疗区（%）100 /"),
        PlanTarget(seed: "000", row: 17, area: "应急医疗救治体系", name: "千人口献血率", unit: "%", target: "23", cityTarget: "17.5", bound: .atLeast(23), indicator: nil, fourteenthFiveYear: true,
                   quote: "17 千人口献血率（%）* 23 17.5"),
        PlanTarget(seed: "000", row: 18, area: "医疗服务能力", name: "千人口医疗机构床位数", unit: "张", target: "12.37（开放床位）9.72（编制床位）", cityTarget: "7.5（编制床位）", bound: .atLeast(12.37), indicator: "beds-per-1000", fourteenthFiveYear: true,
                   quote: "18 千人口医疗机构床位数（张）*12.37（开放床位）9.72（编制床位）7.5（编制床位）"),
        PlanTarget(seed: "000", row: 19, area: "医疗服务能力", name: "千人口康复床位数", unit: "张", target: "0.6", cityTarget: "0.4", bound: .atLeast(0.6), indicator: nil, fourteenthFiveYear: false,
                   quote: "19 千人口康复床位数（张） 0.6 0.4"),
        PlanTarget(seed: "000", row: 20, area: "医疗服务能力", name: "二级及以上综合性医疗机构设置精神（心理）科室比例", unit: "%", target: "100", cityTarget: "75", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "20 二级及以上综合性医疗机构设置精神（心理）科室比例（%）100 75"),
        PlanTarget(seed: "000", row: 21, area: "医疗服务能力", name: "二级及以上综合医院设置老年医学科比例", unit: "%", target: "100", cityTarget: "≥90", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "21 二级及以上综合医院设置老年医学科比例（%）100 ≥90"),
        PlanTarget(seed: "000", row: 22, area: "医疗服务能力", name: "社区卫生服务中心设置儿科门诊比例", unit: "%", target: "100", cityTarget: "/", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "22 社区卫生服务中心设置儿科门诊比例（%）100 /"),
        PlanTarget(seed: "000", row: 23, area: "医疗服务能力", name: "区级公立医院病种组合指数（CMI）", unit: "", target: "0.9", cityTarget: "0.87-0.88", bound: .atLeast(0.9), indicator: nil, fourteenthFiveYear: false,
                   quote: "23 区级公立医院病种组合指数（CMI） 0.9 0.87-0.88"),
        PlanTarget(seed: "000", row: 24, area: "医疗服务能力", name: "区属公立医院复诊患者中使用互联网诊疗的比例", unit: "%", target: "≥10(区属公立医院)", cityTarget: "≥10(二三级医院)", bound: .atLeast(10), indicator: nil, fourteenthFiveYear: true,
                   quote: "24 区属公立医院复诊患者中使用互联网诊疗的比例（%）*≥10(区属公立医院)≥10(二三级医院)"),
        PlanTarget(seed: "000", row: 25, area: "中医服务能力", name: "医疗机构设置中医科室比例（除精神专科医院）", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "25 医疗机构设置中医科室比例（%）（除精神专科医院）100 100"),
        PlanTarget(seed: "000", row: 26, area: "中医服务能力", name: "综合医院设置中医床位占总床位比例", unit: "%", target: "5", cityTarget: "5", bound: .atLeast(5), indicator: nil, fourteenthFiveYear: false,
                   quote: "26 综合医院设置中医床位占总床位比例（%）5 5"),
        // Minhang's table 1 (002): 16 rows, the baseline of 2020 and the target of 2025, all 预期性; no row numbers
        // are printed (row is the order), nor city values. The quote is the row's cells run together.
        PlanTarget(seed: "002", row: 1, area: "公共卫生", name: "每万人口急救车数量", unit: "辆", target: "≥0.36", cityTarget: "", bound: .atLeast(0.36), indicator: nil,
                   fourteenthFiveYear: false, quote: "每万人口急救车数量（辆）0.36≥0.36预期性", baseline: "0.36", nature: "预期性"),
        PlanTarget(seed: "002", row: 2, area: "公共卫生", name: "传染病救治定点医院床位数", unit: "张", target: "282", cityTarget: "", bound: .atLeast(282), indicator: nil,
                   fourteenthFiveYear: false, quote: "传染病救治定点医院床位数（张）32282预期性", baseline: "32", nature: "预期性"),
        PlanTarget(seed: "002", row: 3, area: "公共卫生", name: "社区卫生服务中心设置发热诊室（哨点、门诊）的比例", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "社区卫生服务中心设置发热诊室（哨点、门诊）的比例（%)100100预期性", baseline: "100", nature: "预期性"),
        PlanTarget(seed: "002", row: 4, area: "医疗服务", name: "每千常住人口医疗机构床位数", unit: "张", target: "4.6", cityTarget: "", bound: .atLeast(4.6), indicator: "beds-per-1000",
                   fourteenthFiveYear: false, quote: "每千常住人口医疗机构床位数（张）3.44.6预期性", baseline: "3.4", nature: "预期性"),
        PlanTarget(seed: "002", row: 5, area: "医疗服务", name: "每千常住人口执业医师数（不含市属）", unit: "人", target: "2.62", cityTarget: "", bound: .atLeast(2.62), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口执业医师数（人）（不含市属）2.502.62预期性", baseline: "2.50", nature: "预期性"),
        PlanTarget(seed: "002", row: 6, area: "医疗服务", name: "每千常住人口注册护士数（不含市属）", unit: "人", target: "3.05", cityTarget: "", bound: .atLeast(3.05), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口注册护士数（人）（不含市属）2.913.05预期性", baseline: "2.91", nature: "预期性"),
        PlanTarget(seed: "002", row: 7, area: "医疗服务", name: "每千常住人口全科医生数", unit: "人", target: "0.45", cityTarget: "", bound: .atLeast(0.45), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口全科医生数（人）0.400.45预期性", baseline: "0.40", nature: "预期性"),
        PlanTarget(seed: "002", row: 8, area: "医疗服务", name: "三级医院复诊患者使用互联网诊疗的比例", unit: "%", target: "≥10", cityTarget: "", bound: .atLeast(10), indicator: nil,
                   fourteenthFiveYear: false, quote: "三级医院复诊患者使用互联网诊疗的比例（%)-≥10预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", row: 9, area: "医疗服务", name: "10万人口社区卫生服务设施建设", unit: "个", target: "6.73", cityTarget: "", bound: .atLeast(6.73), indicator: nil,
                   fourteenthFiveYear: false, quote: "10万人口社区卫生服务设施建设（个）6.026.73预期性", baseline: "6.02", nature: "预期性"),
        PlanTarget(seed: "002", row: 10, area: "中医药", name: "每千常住人口中医类别执业（助理）医师增长率", unit: "%", target: "≥10", cityTarget: "", bound: .atLeast(10), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口中医类别执业（助理）医师增长率（%）-≥10预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", row: 11, area: "重点人群", name: "二级及以上综合医院（含中医医院）设立老年医学科的比例", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "二级及以上综合医院（含中医医院）设立老年医学科的比例90100预期性", baseline: "90", nature: "预期性"),
        PlanTarget(seed: "002", row: 12, area: "重点人群", name: "家庭病床总建床数占常住人口比例", unit: "‰", target: "≥5.0", cityTarget: "", bound: .atLeast(5.0), indicator: nil,
                   fourteenthFiveYear: false, quote: "家庭病床总建床数占常住人口比例（‰）3.4≥5.0预期性", baseline: "3.4", nature: "预期性"),
        PlanTarget(seed: "002", row: 13, area: "重点人群", name: "每千常住人口精神专科急性（短期）治疗床位数", unit: "张", target: "0.1", cityTarget: "", bound: .atLeast(0.1), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口精神专科急性（短期）治疗床位数（张）-0.1预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", row: 14, area: "重点人群", name: "每十万常住人口精神科执业（助理）医师数", unit: "人", target: "4.8", cityTarget: "", bound: .atLeast(4.8), indicator: nil,
                   fourteenthFiveYear: false, quote: "每十万常住人口精神科执业（助理）医师数（人）3.54.8预期性", baseline: "3.5", nature: "预期性"),
        PlanTarget(seed: "002", row: 15, area: "重点人群", name: "老年护理床位数占户籍老年人口比例", unit: "%", target: "1.5%（医疗机构、养老机构各安排0.75%）", cityTarget: "", bound: .atLeast(1.5), indicator: nil,
                   fourteenthFiveYear: false, quote: "老年护理床位数占户籍老年人口比例（%）1.021.5%（医疗机构、养老机构各安排0.75%）预期性", baseline: "1.02", nature: "预期性"),
        PlanTarget(seed: "002", row: 16, area: "健康水平", name: "人均预期寿命", unit: "岁", target: "≥85.07", cityTarget: "", bound: .atLeast(85.07), indicator: nil,
                   fourteenthFiveYear: false, quote: "人均预期寿命（岁）85.07≥85.07预期性", baseline: "85.07", nature: "预期性"),
    ]
}
