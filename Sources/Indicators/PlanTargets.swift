/// A row of a plan's indicator table (规划主要指标), as the seed prints it: the table and row it comes from, the
/// district's target and the city's, the numeric bound where the target is a number, and the platform
/// indicator that measures it where the platform has the data.
public struct PlanTarget: Sendable, Codable, Equatable {
    public enum Bound: Sendable, Codable, Equatable {
        case atLeast(Double)
        case atMost(Double)
        /// A range (Qingpu's 0.25-0.3): met within it.
        case between(Double, Double)

        /// Whether `value` meets the bound.
        public func met(by value: Double) -> Bool {
            switch self {
            case .atLeast(let bound): value >= bound - 1e-9
            case .atMost(let bound): value <= bound + 1e-9
            case .between(let low, let high): value >= low - 1e-9 && value <= high + 1e-9
            }
        }
        /// The number the cockpit compares against (a range's lower end).
        public var value: Double {
            switch self {
            case .atLeast(let bound), .atMost(let bound), .between(let bound, _): bound
            }
        }
    }

    /// The seed (`000` Changning, `002` Minhang, …).
    public var seed: String
    /// The table's number in the seed (``PlanTargets/tables`` is keyed by `seed-table`).
    public var table: String
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
    /// 统计口径 (户籍人口, 常住人口, 重点人群, …), where the table says.
    public var scope: String? = nil
    /// The value the table reports as reached (Qingpu's table 1: the 2020 year-end column).
    public var achieved: String? = nil
    /// A row printed as two lines (Qingpu's table 1, rows 9 and 10): `a`, `b`.
    public var part: String? = nil

    /// `000-6-13`: seed, table, row (and part).
    public var id: String { "\(seed)-\(table)-\(row)\(part ?? "")" }
    /// The key of its table in ``PlanTargets/tables``.
    public var tableKey: String { "\(seed)-\(table)" }
    /// The district whose plan it is.
    public var district: String? { PlanTargets.tables[tableKey]?.district }
}

/// A plan's indicator table: the district it binds, its number and title as printed, and its target year.
public struct PlanTable: Sendable, Codable, Equatable {
    public var seed: String
    public var number: String
    public var district: String
    public var title: String
    public var year: Int
    /// `target` (the plan's goals) or `achieved` (a table of what the previous plan reached).
    public var kind: String
}

/// The plans' indicator tables, transcribed row by row from the seeds (`tests/seeds`).
public enum PlanTargets {
    /// The tables, keyed by `seed-number`. Jinshan's plan (004) has no indicator table: its "table" `0` gathers the
    /// numeric goals of its 发展目标 and of its annex of tasks (重点任务分工), each quoted.
    public static let tables: [String: PlanTable] = Dictionary(uniqueKeysWithValues: [
        PlanTable(seed: "000", number: "6", district: "310105", title: "附件 6 长宁区卫生健康事业高质量发展行动主要指标", year: 2025, kind: "target"),
        PlanTable(seed: "002", number: "1", district: "310112", title: "表1：闵行区医疗卫生服务体系高质量发展指标", year: 2025, kind: "target"),
        PlanTable(seed: "003", number: "1", district: "310118", title: "表 1 青浦区卫生健康改革发展“十三五”规划指标实现情况", year: 2020, kind: "achieved"),
        PlanTable(seed: "003", number: "2", district: "310118", title: "表2 “十四五”卫生健康发展指标", year: 2025, kind: "target"),
        PlanTable(seed: "004", number: "0", district: "310116", title: "金山区社区卫生服务能力提升行动方案：发展目标与重点任务分工中的量化目标", year: 2025, kind: "target"),
    ].map { ("\($0.seed)-\($0.number)", $0) })

    /// The tables that bind a district, in seed order.
    public static func tables(of district: String) -> [PlanTable] {
        tables.values.filter { $0.district == district }.sorted { ($0.seed, $0.number) < ($1.seed, $1.number) }
    }

    /// The rows of a district's plans.
    public static func rows(of district: String) -> [PlanTarget] {
        all.filter { $0.district == district }
    }

    /// Changning's annex 6 (000): 26 rows. The seed prints row 6 as 常见恶行肿瘤 (恶性 meant); the quote keeps it.
    /// Minhang's table 1 (002): 16 rows.
    /// Every row of every table.
    public static let all: [PlanTarget] = changningAndMinhang + qingpu + jinshan

    static let changningAndMinhang: [PlanTarget] = [
        PlanTarget(seed: "000", table: "6", row: 1, area: "城区健康水平", name: "人均预期寿命", unit: "岁", target: "保持发达国家水平", cityTarget: "84岁左右", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "1 人均预期寿命(岁)* 保持发达国家水平84岁左右"),
        PlanTarget(seed: "000", table: "6", row: 2, area: "城区健康水平", name: "婴儿死亡率", unit: "‰", target: "保持发达国家水平", cityTarget: "≤5", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "2 婴儿死亡率(‰)* 保持发达国家水平≤5"),
        PlanTarget(seed: "000", table: "6", row: 3, area: "城区健康水平", name: "5岁以下儿童死亡率", unit: "‰", target: "保持发达国家水平", cityTarget: "≤4", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "3 5岁以下儿童死亡率(‰)* 保持发达国家水平≤4"),
        PlanTarget(seed: "000", table: "6", row: 4, area: "城区健康水平", name: "孕产妇死亡率", unit: "1/10万", target: "保持发达国家水平", cityTarget: "≤7", bound: nil, indicator: nil, fourteenthFiveYear: true,
                   quote: "4 孕产妇死亡率(1/10万)* 保持发达国家水平≤7"),
        PlanTarget(seed: "000", table: "6", row: 5, area: "城区健康水平", name: "居民健康素养水平", unit: "%", target: "≥36", cityTarget: "≥36", bound: .atLeast(36), indicator: nil, fourteenthFiveYear: true,
                   quote: "5 居民健康素养水平(%)* ≥36 ≥36"),
        PlanTarget(seed: "000", table: "6", row: 6, area: "城区健康水平", name: "常见恶性肿瘤诊断时早期比例", unit: "%", target: "≥37", cityTarget: "≥37", bound: .atLeast(37), indicator: nil, fourteenthFiveYear: true,
                   quote: "6 常见恶行肿瘤诊断时早期比例（%）* ≥37 ≥37"),
        PlanTarget(seed: "000", table: "6", row: 7, area: "专业技术队伍", name: "千人口执业医师数", unit: "人", target: "≥6.2", cityTarget: "≥3.6", bound: .atLeast(6.2), indicator: nil, fourteenthFiveYear: true,
                   quote: "7 千人口执业医师数(人)* ≥6.2 ≥3.6"),
        PlanTarget(seed: "000", table: "6", row: 8, area: "专业技术队伍", name: "千人口注册护士数", unit: "人", target: "≥8.15", cityTarget: "≥4.7", bound: .atLeast(8.15), indicator: nil, fourteenthFiveYear: true,
                   quote: "8 千人口注册护士数(人)* ≥8.15 ≥4.7"),
        PlanTarget(seed: "000", table: "6", row: 9, area: "专业技术队伍", name: "千人口全科医生数", unit: "人", target: "≥0.45", cityTarget: "0.45左右", bound: .atLeast(0.45), indicator: nil, fourteenthFiveYear: true,
                   quote: "9 千人口全科医生数(人)* ≥0.45 0.45左右"),
        PlanTarget(seed: "000", table: "6", row: 10, area: "专业技术队伍", name: "千人口公共卫生人员数", unit: "人", target: "≥0.9", cityTarget: "/", bound: .atLeast(0.9), indicator: nil, fourteenthFiveYear: true,
                   quote: "10 千人口公共卫生人员数(人)* ≥0.9 /"),
        PlanTarget(seed: "000", table: "6", row: 11, area: "专业技术队伍", name: "精神科执业（助理）医师数", unit: "人/10万人口", target: "4.8", cityTarget: "4.8", bound: .atLeast(4.8), indicator: nil, fourteenthFiveYear: true,
                   quote: "11 精神科执业（助理）医师数(人/10万人口)* 4.8 4.8"),
        PlanTarget(seed: "000", table: "6", row: 12, area: "专业技术队伍", name: "专技人员中研究生学历占比", unit: "%", target: "≥23", cityTarget: "/", bound: .atLeast(23), indicator: nil, fourteenthFiveYear: true,
                   quote: "12 专技人员中研究生学历占比（%）* ≥23 /"),
        PlanTarget(seed: "000", table: "6", row: 13, area: "应急医疗救治体系", name: "定点医院ICU床位数设置占床位总数比例（平时/紧急状态）", unit: "%", target: "10（平）/20（急）", cityTarget: "1（平）/8（急）", bound: .atLeast(10), indicator: "icu-bed-ratio", fourteenthFiveYear: false,
                   quote: "13 定点医院ICU床位数设置占床位总数比例（平时/紧急状态）10（平）/20（急）1（平）/8（急）"),
        PlanTarget(seed: "000", table: "6", row: 14, area: "应急医疗救治体系", name: "二级综合医院、三级医院独立设置重症医学科比例", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "14 二级综合医院、三级医院独立设置重症医学科比例（%）100 100"),
        PlanTarget(seed: "000", table: "6", row: 15, area: "应急医疗救治体系", name: "社区卫生服务中心（站）设置发热门诊（诊室或哨点）比例", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "15 社区卫生服务中心（站）设置发热门诊（诊室或哨点）比例（%）100 100"),
        PlanTarget(seed: "000", table: "6", row: 16, area: "应急医疗救治体系", name: "社区卫生服务中心设置氧疗区", unit: "%", target: "100", cityTarget: "/", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "16 社区卫生服务中心设置氧疗区（%）100 /"),
        PlanTarget(seed: "000", table: "6", row: 17, area: "应急医疗救治体系", name: "千人口献血率", unit: "%", target: "23", cityTarget: "17.5", bound: .atLeast(23), indicator: nil, fourteenthFiveYear: true,
                   quote: "17 千人口献血率（%）* 23 17.5"),
        PlanTarget(seed: "000", table: "6", row: 18, area: "医疗服务能力", name: "千人口医疗机构床位数", unit: "张", target: "12.37（开放床位）9.72（编制床位）", cityTarget: "7.5（编制床位）", bound: .atLeast(12.37), indicator: "beds-per-1000", fourteenthFiveYear: true,
                   quote: "18 千人口医疗机构床位数（张）*12.37（开放床位）9.72（编制床位）7.5（编制床位）"),
        PlanTarget(seed: "000", table: "6", row: 19, area: "医疗服务能力", name: "千人口康复床位数", unit: "张", target: "0.6", cityTarget: "0.4", bound: .atLeast(0.6), indicator: nil, fourteenthFiveYear: false,
                   quote: "19 千人口康复床位数（张） 0.6 0.4"),
        PlanTarget(seed: "000", table: "6", row: 20, area: "医疗服务能力", name: "二级及以上综合性医疗机构设置精神（心理）科室比例", unit: "%", target: "100", cityTarget: "75", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "20 二级及以上综合性医疗机构设置精神（心理）科室比例（%）100 75"),
        PlanTarget(seed: "000", table: "6", row: 21, area: "医疗服务能力", name: "二级及以上综合医院设置老年医学科比例", unit: "%", target: "100", cityTarget: "≥90", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "21 二级及以上综合医院设置老年医学科比例（%）100 ≥90"),
        PlanTarget(seed: "000", table: "6", row: 22, area: "医疗服务能力", name: "社区卫生服务中心设置儿科门诊比例", unit: "%", target: "100", cityTarget: "/", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "22 社区卫生服务中心设置儿科门诊比例（%）100 /"),
        PlanTarget(seed: "000", table: "6", row: 23, area: "医疗服务能力", name: "区级公立医院病种组合指数（CMI）", unit: "", target: "0.9", cityTarget: "0.87-0.88", bound: .atLeast(0.9), indicator: nil, fourteenthFiveYear: false,
                   quote: "23 区级公立医院病种组合指数（CMI） 0.9 0.87-0.88"),
        PlanTarget(seed: "000", table: "6", row: 24, area: "医疗服务能力", name: "区属公立医院复诊患者中使用互联网诊疗的比例", unit: "%", target: "≥10(区属公立医院)", cityTarget: "≥10(二三级医院)", bound: .atLeast(10), indicator: "online-return-visit-share", fourteenthFiveYear: true,
                   quote: "24 区属公立医院复诊患者中使用互联网诊疗的比例（%）*≥10(区属公立医院)≥10(二三级医院)"),
        PlanTarget(seed: "000", table: "6", row: 25, area: "中医服务能力", name: "医疗机构设置中医科室比例（除精神专科医院）", unit: "%", target: "100", cityTarget: "100", bound: .atLeast(100), indicator: nil, fourteenthFiveYear: false,
                   quote: "25 医疗机构设置中医科室比例（%）（除精神专科医院）100 100"),
        PlanTarget(seed: "000", table: "6", row: 26, area: "中医服务能力", name: "综合医院设置中医床位占总床位比例", unit: "%", target: "5", cityTarget: "5", bound: .atLeast(5), indicator: nil, fourteenthFiveYear: false,
                   quote: "26 综合医院设置中医床位占总床位比例（%）5 5"),
        // Minhang's table 1 (002): 16 rows, the baseline of 2020 and the target of 2025, all 预期性; no row numbers
        // are printed (row is the order), nor city values. The quote is the row's cells run together.
        PlanTarget(seed: "002", table: "1", row: 1, area: "公共卫生", name: "每万人口急救车数量", unit: "辆", target: "≥0.36", cityTarget: "", bound: .atLeast(0.36), indicator: "ambulances-per-10k",
                   fourteenthFiveYear: false, quote: "每万人口急救车数量（辆）0.36≥0.36预期性", baseline: "0.36", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 2, area: "公共卫生", name: "传染病救治定点医院床位数", unit: "张", target: "282", cityTarget: "", bound: .atLeast(282), indicator: nil,
                   fourteenthFiveYear: false, quote: "传染病救治定点医院床位数（张）32282预期性", baseline: "32", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 3, area: "公共卫生", name: "社区卫生服务中心设置发热诊室（哨点、门诊）的比例", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "社区卫生服务中心设置发热诊室（哨点、门诊）的比例（%)100100预期性", baseline: "100", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 4, area: "医疗服务", name: "每千常住人口医疗机构床位数", unit: "张", target: "4.6", cityTarget: "", bound: .atLeast(4.6), indicator: "beds-per-1000",
                   fourteenthFiveYear: false, quote: "每千常住人口医疗机构床位数（张）3.44.6预期性", baseline: "3.4", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 5, area: "医疗服务", name: "每千常住人口执业医师数（不含市属）", unit: "人", target: "2.62", cityTarget: "", bound: .atLeast(2.62), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口执业医师数（人）（不含市属）2.502.62预期性", baseline: "2.50", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 6, area: "医疗服务", name: "每千常住人口注册护士数（不含市属）", unit: "人", target: "3.05", cityTarget: "", bound: .atLeast(3.05), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口注册护士数（人）（不含市属）2.913.05预期性", baseline: "2.91", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 7, area: "医疗服务", name: "每千常住人口全科医生数", unit: "人", target: "0.45", cityTarget: "", bound: .atLeast(0.45), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口全科医生数（人）0.400.45预期性", baseline: "0.40", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 8, area: "医疗服务", name: "三级医院复诊患者使用互联网诊疗的比例", unit: "%", target: "≥10", cityTarget: "", bound: .atLeast(10), indicator: "online-return-visit-share",
                   fourteenthFiveYear: false, quote: "三级医院复诊患者使用互联网诊疗的比例（%)-≥10预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 9, area: "医疗服务", name: "10万人口社区卫生服务设施建设", unit: "个", target: "6.73", cityTarget: "", bound: .atLeast(6.73), indicator: nil,
                   fourteenthFiveYear: false, quote: "10万人口社区卫生服务设施建设（个）6.026.73预期性", baseline: "6.02", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 10, area: "中医药", name: "每千常住人口中医类别执业（助理）医师增长率", unit: "%", target: "≥10", cityTarget: "", bound: .atLeast(10), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口中医类别执业（助理）医师增长率（%）-≥10预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 11, area: "重点人群", name: "二级及以上综合医院（含中医医院）设立老年医学科的比例", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "二级及以上综合医院（含中医医院）设立老年医学科的比例90100预期性", baseline: "90", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 12, area: "重点人群", name: "家庭病床总建床数占常住人口比例", unit: "‰", target: "≥5.0", cityTarget: "", bound: .atLeast(5.0), indicator: nil,
                   fourteenthFiveYear: false, quote: "家庭病床总建床数占常住人口比例（‰）3.4≥5.0预期性", baseline: "3.4", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 13, area: "重点人群", name: "每千常住人口精神专科急性（短期）治疗床位数", unit: "张", target: "0.1", cityTarget: "", bound: .atLeast(0.1), indicator: nil,
                   fourteenthFiveYear: false, quote: "每千常住人口精神专科急性（短期）治疗床位数（张）-0.1预期性", baseline: "-", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 14, area: "重点人群", name: "每十万常住人口精神科执业（助理）医师数", unit: "人", target: "4.8", cityTarget: "", bound: .atLeast(4.8), indicator: nil,
                   fourteenthFiveYear: false, quote: "每十万常住人口精神科执业（助理）医师数（人）3.54.8预期性", baseline: "3.5", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 15, area: "重点人群", name: "老年护理床位数占户籍老年人口比例", unit: "%", target: "1.5%（医疗机构、养老机构各安排0.75%）", cityTarget: "", bound: .atLeast(1.5), indicator: nil,
                   fourteenthFiveYear: false, quote: "老年护理床位数占户籍老年人口比例（%）1.021.5%（医疗机构、养老机构各安排0.75%）预期性", baseline: "1.02", nature: "预期性"),
        PlanTarget(seed: "002", table: "1", row: 16, area: "健康水平", name: "人均预期寿命", unit: "岁", target: "≥85.07", cityTarget: "", bound: .atLeast(85.07), indicator: nil,
                   fourteenthFiveYear: false, quote: "人均预期寿命（岁）85.07≥85.07预期性", baseline: "85.07", nature: "预期性"),
    ]

    /// Qingpu's tables 1 (what the 13th plan reached by 2020: its target and the 2020 year-end value, 20 rows of
    /// which two are printed as two lines, parts `a` and `b`) and 2 (the 14th plan's 15 targets for 2025), with
    /// their 统计口径 and 类型. The quote is the seed's line, cells separated by tabs as printed; row 15 of table 1
    /// breaks across a page (its name's end, 位数（张）, stands on the next page).
    static let qingpu: [PlanTarget] = [
        PlanTarget(seed: "003", table: "1", row: 1, area: "十三五", name: "平均期望寿命", unit: "岁", target: "≥82.8", cityTarget: "", bound: .atLeast(82.8), indicator: nil,
                   fourteenthFiveYear: false, quote: "1\t平均期望寿命（岁）\t户籍人口\t预期性\t≥82.8\t85.05", nature: "预期性", scope: "户籍人口", achieved: "85.05"),
        PlanTarget(seed: "003", table: "1", row: 2, area: "十三五", name: "婴儿死亡率", unit: "‰", target: "≤7", cityTarget: "", bound: .atMost(7), indicator: nil,
                   fourteenthFiveYear: false, quote: "2\t婴儿死亡率（‰）\t常住人口\t预期性\t≤7\t3.12", nature: "预期性", scope: "常住人口", achieved: "3.12"),
        PlanTarget(seed: "003", table: "1", row: 3, area: "十三五", name: "5 岁以下儿童死亡率", unit: "‰", target: "≤8", cityTarget: "", bound: .atMost(8), indicator: nil,
                   fourteenthFiveYear: false, quote: "3\t5 岁以下儿童死亡率（‰）\t户籍人口\t预期性\t≤8\t2.47", nature: "预期性", scope: "户籍人口", achieved: "2.47"),
        PlanTarget(seed: "003", table: "1", row: 4, area: "十三五", name: "0-6 岁儿童保健管理率", unit: "%", target: "≥90", cityTarget: "", bound: .atLeast(90), indicator: nil,
                   fourteenthFiveYear: false, quote: "4\t0-6 岁儿童保健管理率（%）\t常住人口\t约束性\t≥90\t100.00", nature: "约束性", scope: "常住人口", achieved: "100.00"),
        PlanTarget(seed: "003", table: "1", row: 5, area: "十三五", name: "孕产妇死亡率", unit: "1/10 万", target: "≤12", cityTarget: "", bound: .atMost(12), indicator: nil,
                   fourteenthFiveYear: false, quote: "5\t孕产妇死亡率（1/10 万）\t常住人口\t预期性\t≤12\t0", nature: "预期性", scope: "常住人口", achieved: "0"),
        PlanTarget(seed: "003", table: "1", row: 6, area: "十三五", name: "孕产妇系统管理率", unit: "%", target: "≥90", cityTarget: "", bound: .atLeast(90), indicator: nil,
                   fourteenthFiveYear: false, quote: "6\t孕产妇系统管理率（%）\t户籍人口\t约束性\t≥90\t98.60", nature: "约束性", scope: "户籍人口", achieved: "98.60"),
        PlanTarget(seed: "003", table: "1", row: 7, area: "十三五", name: "常住人口计划生育率", unit: "%", target: "≥95", cityTarget: "", bound: .atLeast(95), indicator: nil,
                   fourteenthFiveYear: false, quote: "7\t常住人口计划生育率（%）\t常住人口\t约束性\t≥95\t96.94", nature: "约束性", scope: "常住人口", achieved: "96.94"),
        PlanTarget(seed: "003", table: "1", row: 8, area: "十三五", name: "出生人口性别比", unit: "", target: "≤108.125", cityTarget: "", bound: .atMost(108.125), indicator: nil,
                   fourteenthFiveYear: false, quote: "8\t出生人口性别比\t常住人口\t预期性\t≤108.125\t107", nature: "预期性", scope: "常住人口", achieved: "107"),
        PlanTarget(seed: "003", table: "1", row: 9, area: "十三五", name: "免疫规划疫苗接种率", unit: "%", target: "接种率≥98", cityTarget: "", bound: .atLeast(98), indicator: nil,
                   fourteenthFiveYear: false, quote: "9\t免疫规划疫苗接种率（%）\t户籍人口\t约束性\t接种率≥98\t99.96", nature: "约束性", scope: "户籍人口", achieved: "99.96", part: "a"),
        PlanTarget(seed: "003", table: "1", row: 9, area: "十三五", name: "免疫规划疫苗接种率", unit: "%", target: "调查接种率≥98", cityTarget: "", bound: .atLeast(98), indicator: nil,
                   fourteenthFiveYear: false, quote: "外来人口\t约束性\t调查接种率≥98\t99.94", nature: "约束性", scope: "外来人口", achieved: "99.94", part: "b"),
        PlanTarget(seed: "003", table: "1", row: 10, area: "十三五", name: "重点慢性病（高血压、糖尿病）患者管理率", unit: "%", target: "≥35", cityTarget: "", bound: .atLeast(35), indicator: nil,
                   fourteenthFiveYear: false, quote: "10\t重点慢性病（高血压、糖尿病）患者管理率（%）\t户籍人口\t预期性\t≥35\t高血压 46.10（18 岁以上人 口）", nature: "预期性", scope: "户籍人口", achieved: "高血压 46.10（18 岁以上人 口）", part: "a"),
        PlanTarget(seed: "003", table: "1", row: 10, area: "十三五", name: "重点慢性病（高血压、糖尿病）患者管理率", unit: "%", target: "≥30", cityTarget: "", bound: .atLeast(30), indicator: nil,
                   fourteenthFiveYear: false, quote: "户籍人口\t预期性\t≥30\t糖尿病 35.33（35 岁以上人 口）", nature: "预期性", scope: "户籍人口", achieved: "糖尿病 35.33（35 岁以上人 口）", part: "b"),
        PlanTarget(seed: "003", table: "1", row: 11, area: "十三五", name: "千人口献血率", unit: "‰", target: "≥15", cityTarget: "", bound: .atLeast(15), indicator: nil,
                   fourteenthFiveYear: false, quote: "11\t千人口献血率（‰）\t常住人口\t预期性\t≥15\t14.97", nature: "预期性", scope: "常住人口", achieved: "14.97"),
        PlanTarget(seed: "003", table: "1", row: 12, area: "十三五", name: "院前急救平均反应时间", unit: "分钟", target: "≤13", cityTarget: "", bound: .atMost(13), indicator: "emergency-response-minutes",
                   fourteenthFiveYear: false, quote: "12\t院前急救平均反应时间（分钟）\t急救对象\t预期性\t≤13\t10.62", nature: "预期性", scope: "急救对象", achieved: "10.62"),
        PlanTarget(seed: "003", table: "1", row: 13, area: "十三五", name: "千人口医疗机构床位", unit: "张", target: "≥5.26", cityTarget: "", bound: .atLeast(5.26), indicator: nil,
                   fourteenthFiveYear: false, quote: "13\t千人口医疗机构床位（张）\t常住人口\t预期性\t≥5.26\t3.72", nature: "预期性", scope: "常住人口", achieved: "3.72"),
        PlanTarget(seed: "003", table: "1", row: 14, area: "十三五", name: "医疗机构内老年护理床位数", unit: "%", target: "0.75", cityTarget: "", bound: .atLeast(0.75), indicator: nil,
                   fourteenthFiveYear: false, quote: "14\t医疗机构内老年护理床位数（%）\t60 岁以上户籍老年人口数\t约束性\t0.75\t1.40", nature: "约束性", scope: "60 岁以上户籍老年人口数", achieved: "1.40"),
        PlanTarget(seed: "003", table: "1", row: 15, area: "十三五", name: "千人口中医医疗机构床位数", unit: "张", target: "0.25-0.3", cityTarget: "", bound: .between(0.25, 0.3), indicator: nil,
                   fourteenthFiveYear: false, quote: "15\t千人口中医医疗机构床\t常住人口\t预期性\t0.25-0.3\t0.22", nature: "预期性", scope: "常住人口", achieved: "0.22"),
        PlanTarget(seed: "003", table: "1", row: 16, area: "十三五", name: "千人口执业（助理）医师数", unit: "人", target: "≥2.4", cityTarget: "", bound: .atLeast(2.4), indicator: nil,
                   fourteenthFiveYear: false, quote: "16\t千人口执业（助理）医师数（人）\t常住人口\t预期性\t≥2.4\t1.90", nature: "预期性", scope: "常住人口", achieved: "1.90"),
        PlanTarget(seed: "003", table: "1", row: 17, area: "十三五", name: "千人口注册护士数", unit: "人", target: "≥3.6", cityTarget: "", bound: .atLeast(3.6), indicator: nil,
                   fourteenthFiveYear: false, quote: "17\t千人口注册护士数（人）\t常住人口\t预期性\t≥3.6\t1.99", nature: "预期性", scope: "常住人口", achieved: "1.99"),
        PlanTarget(seed: "003", table: "1", row: 18, area: "十三五", name: "千人口专业公共卫生机构人员数", unit: "人", target: "0.83", cityTarget: "", bound: .atLeast(0.83), indicator: nil,
                   fourteenthFiveYear: false, quote: "18\t千人口专业公共卫生机构人员数（人）\t常住人口\t预期性\t0.83\t0.53", nature: "预期性", scope: "常住人口", achieved: "0.53"),
        PlanTarget(seed: "003", table: "1", row: 19, area: "十三五", name: "千人口全科医师数", unit: "人", target: "0.3-0.4", cityTarget: "", bound: .between(0.3, 0.4), indicator: nil,
                   fourteenthFiveYear: false, quote: "19\t千人口全科医师数（人）\t常住人口\t预期性\t0.3-0.4\t0.35", nature: "预期性", scope: "常住人口", achieved: "0.35"),
        PlanTarget(seed: "003", table: "1", row: 20, area: "十三五", name: "市民健康素养", unit: "%", target: "≥25", cityTarget: "", bound: .atLeast(25), indicator: nil,
                   fourteenthFiveYear: false, quote: "20\t市民健康素养（%）\t常住人口\t预期性\t≥25\t38.77", nature: "预期性", scope: "常住人口", achieved: "38.77"),
        PlanTarget(seed: "003", table: "2", row: 1, area: "十四五", name: "人均预期寿命", unit: "岁", target: "84.98", cityTarget: "", bound: .atLeast(84.98), indicator: nil,
                   fourteenthFiveYear: true, quote: "1\t人均预期寿命（岁）\t户籍人口\t预期性\t84.98", nature: "预期性", scope: "户籍人口"),
        PlanTarget(seed: "003", table: "2", row: 2, area: "十四五", name: "人均健康预期寿命", unit: "岁", target: "≥71", cityTarget: "", bound: .atLeast(71), indicator: nil,
                   fourteenthFiveYear: true, quote: "2\t人均健康预期寿命（岁）\t户籍人口\t预期性\t≥71", nature: "预期性", scope: "户籍人口"),
        PlanTarget(seed: "003", table: "2", row: 3, area: "十四五", name: "婴儿死亡率", unit: "‰", target: "≤5", cityTarget: "", bound: .atMost(5), indicator: nil,
                   fourteenthFiveYear: true, quote: "3\t婴儿死亡率（‰）\t常住人口\t预期性\t≤5", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 4, area: "十四五", name: "5岁以下儿童死亡率", unit: "‰", target: "≤4", cityTarget: "", bound: .atMost(4), indicator: nil,
                   fourteenthFiveYear: true, quote: "4\t5岁以下儿童死亡率（‰）\t户籍人口\t预期性\t≤4", nature: "预期性", scope: "户籍人口"),
        PlanTarget(seed: "003", table: "2", row: 5, area: "十四五", name: "孕产妇死亡率", unit: "1/10万", target: "≤7", cityTarget: "", bound: .atMost(7), indicator: nil,
                   fourteenthFiveYear: true, quote: "5\t孕产妇死亡率（1/10万）\t常住人口\t预期性\t≤7", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 6, area: "十四五", name: "居民健康素养水平", unit: "%", target: "≥36", cityTarget: "", bound: .atLeast(36), indicator: nil,
                   fourteenthFiveYear: true, quote: "6\t居民健康素养水平（%）\t常住人口\t预期性\t≥36", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 7, area: "十四五", name: "常见恶性肿瘤诊断时早期比例", unit: "%", target: "≥35", cityTarget: "", bound: .atLeast(35), indicator: nil,
                   fourteenthFiveYear: true, quote: "7\t常见恶性肿瘤诊断时早期比例（%）\t户籍人口\t预期性\t≥35", nature: "预期性", scope: "户籍人口"),
        PlanTarget(seed: "003", table: "2", row: 8, area: "十四五", name: "千人口献血率", unit: "‰", target: "15", cityTarget: "", bound: .atLeast(15), indicator: nil,
                   fourteenthFiveYear: true, quote: "8\t千人口献血率（‰）\t常住人口\t预期性\t15", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 9, area: "十四五", name: "院前急救平均反应时间", unit: "分钟", target: "≤12", cityTarget: "", bound: .atMost(12), indicator: "emergency-response-minutes",
                   fourteenthFiveYear: true, quote: "9\t院前急救平均反应时间（分钟）\t—\t预期性\t≤12", nature: "预期性", scope: "—"),
        PlanTarget(seed: "003", table: "2", row: 10, area: "十四五", name: "家庭医生签约覆盖率", unit: "%", target: "≥80", cityTarget: "", bound: .atLeast(80), indicator: "key-contract-rate",
                   fourteenthFiveYear: true, quote: "10\t家庭医生签约覆盖率（%）\t重点人群\t预期性\t≥80", nature: "预期性", scope: "重点人群"),
        PlanTarget(seed: "003", table: "2", row: 11, area: "十四五", name: "签约居民签约社区就诊率", unit: "%", target: "≥60", cityTarget: "", bound: .atLeast(60), indicator: nil,
                   fourteenthFiveYear: true, quote: "11\t签约居民签约社区就诊率（%）\t常住人口\t预期性\t≥60", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 12, area: "十四五", name: "千人口医疗卫生机构床位数", unit: "张", target: "7.48", cityTarget: "", bound: .atLeast(7.48), indicator: "beds-per-1000",
                   fourteenthFiveYear: true, quote: "12\t千人口医疗卫生机构床位数（张）\t常住人口\t预期性\t7.48", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 13, area: "十四五", name: "千人口执业（助理）医师数", unit: "人", target: "3.09", cityTarget: "", bound: .atLeast(3.09), indicator: nil,
                   fourteenthFiveYear: true, quote: "13\t千人口执业（助理）医师数（人）\t常住人口\t预期性\t3.09", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 14, area: "十四五", name: "千人口注册护士数", unit: "人", target: "3.42", cityTarget: "", bound: .atLeast(3.42), indicator: nil,
                   fourteenthFiveYear: true, quote: "14\t千人口注册护士数（人）\t常住人口\t预期性\t3.42", nature: "预期性", scope: "常住人口"),
        PlanTarget(seed: "003", table: "2", row: 15, area: "十四五", name: "千人口全科医生数", unit: "人", target: "0.4", cityTarget: "", bound: .atLeast(0.4), indicator: nil,
                   fourteenthFiveYear: true, quote: "15\t千人口全科医生数（人）\t常住人口\t预期性\t0.4", nature: "预期性", scope: "常住人口"),
    ]

    /// Jinshan (004) prints no indicator table: these are the numeric goals of its 发展目标 and of its annex of tasks
    /// (重点任务分工), `area` naming where each stands; the quote is the phrase that sets the goal.
    static let jinshan: [PlanTarget] = [
        PlanTarget(seed: "004", table: "0", row: 1, area: "发展目标", name: "社区卫生服务设施15分钟可达覆盖率", unit: "%", target: "≥90", cityTarget: "", bound: .atLeast(90), indicator: "circle15-residents",
                   fourteenthFiveYear: false, quote: "社区卫生服务设施15分钟可达覆盖率达到90%以上"),
        PlanTarget(seed: "004", table: "0", row: 2, area: "发展目标", name: "社区门诊量占本区常住居民门诊总量的比例", unit: "%", target: "≥40", cityTarget: "", bound: .atLeast(40), indicator: "community-outpatient-share",
                   fourteenthFiveYear: false, quote: "社区门诊量占本区常住居民门诊总量的比例达到40%以上"),
        PlanTarget(seed: "004", table: "0", row: 3, area: "发展目标", name: "社区健康管理中心覆盖率", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "社区健康管理中心实现全覆盖"),
        PlanTarget(seed: "004", table: "0", row: 4, area: "发展目标", name: "社区卫生服务中心中医特色专病（专科）服务覆盖率", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "中医特色专病（专科）服务实现社区卫生服务中心全覆盖"),
        PlanTarget(seed: "004", table: "0", row: 5, area: "重点任务3", name: "完成标准化建设的村卫生室（社区卫生服务站）", unit: "所", target: "34", cityTarget: "", bound: .atLeast(34), indicator: nil,
                   fourteenthFiveYear: false, quote: "完成34所基础设施老旧、功能布局受限的村卫生室(社区卫生服务站)标准化建设"),
        PlanTarget(seed: "004", table: "0", row: 6, area: "重点任务4", name: "常住居民签约服务覆盖率", unit: "%", target: "50", cityTarget: "", bound: .atLeast(50), indicator: "contract-rate",
                   fourteenthFiveYear: false, quote: "本区常住居民签约服务覆盖率达到50%"),
        PlanTarget(seed: "004", table: "0", row: 7, area: "重点任务10", name: "社区卫生服务中心临床路径管理覆盖率", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "实现社区卫生服务中心临床路径管理全覆盖"),
        PlanTarget(seed: "004", table: "0", row: 8, area: "重点任务16", name: "示范性社区康复中心", unit: "家", target: "6", cityTarget: "", bound: .atLeast(6), indicator: nil,
                   fourteenthFiveYear: false, quote: "建成6家示范性社区康复中心"),
        PlanTarget(seed: "004", table: "0", row: 9, area: "重点任务17", name: "标准化社区护理中心", unit: "家", target: "6", cityTarget: "", bound: .atLeast(6), indicator: nil,
                   fourteenthFiveYear: false, quote: "建成6家标准化社区护理中心"),
        PlanTarget(seed: "004", table: "0", row: 10, area: "重点任务17", name: "标准化社区健康管理中心", unit: "家", target: "6", cityTarget: "", bound: .atLeast(6), indicator: nil,
                   fourteenthFiveYear: false, quote: "6家标准化社区健康管理中心"),
        PlanTarget(seed: "004", table: "0", row: 11, area: "重点任务21", name: "每个社区卫生服务中心提供的中医医疗技术", unit: "项", target: "不少于8类20项", cityTarget: "", bound: .atLeast(20), indicator: nil,
                   fourteenthFiveYear: false, quote: "提供不少于8类20项中医医疗技术"),
        PlanTarget(seed: "004", table: "0", row: 12, area: "重点任务21", name: "规范设置中医阁的社区卫生服务站和村卫生室比例", unit: "%", target: "30", cityTarget: "", bound: .atLeast(30), indicator: nil,
                   fourteenthFiveYear: false, quote: "30%的社区卫生服务站和村卫生室规范设置中医阁"),
        PlanTarget(seed: "004", table: "0", row: 13, area: "重点任务22", name: "社区卫生服务中心开设口腔门诊比例", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "各社区卫生服务中心均开设口腔门诊"),
        PlanTarget(seed: "004", table: "0", row: 14, area: "重点任务22", name: "标准化社区口腔诊室建设覆盖率", unit: "%", target: "≥50", cityTarget: "", bound: .atLeast(50), indicator: nil,
                   fourteenthFiveYear: false, quote: "标准化社区口腔诊室建设覆盖率达到50%以上"),
        PlanTarget(seed: "004", table: "0", row: 15, area: "重点任务26", name: "市级老年心理关爱点街镇覆盖率", unit: "%", target: "100", cityTarget: "", bound: .atLeast(100), indicator: nil,
                   fourteenthFiveYear: false, quote: "实现市级老年心理关爱点街镇（高新区社区）全覆盖"),
        PlanTarget(seed: "004", table: "0", row: 16, area: "重点任务30", name: "高质量试点社区卫生服务中心", unit: "家", target: "3", cityTarget: "", bound: .atLeast(3), indicator: nil,
                   fourteenthFiveYear: false, quote: "遴选3家社区卫生服务中心开展高质量试点"),
        PlanTarget(seed: "004", table: "0", row: 17, area: "重点任务31", name: "挂牌医学院校附属社区卫生服务中心", unit: "家", target: "≥1", cityTarget: "", bound: .atLeast(1), indicator: nil,
                   fourteenthFiveYear: false, quote: "至少1家社区卫生服务中心挂牌医学院校附属社区卫生服务中心"),
        PlanTarget(seed: "004", table: "0", row: 18, area: "重点任务32", name: "区级社区卫生特色服务品牌", unit: "个", target: "11", cityTarget: "", bound: .atLeast(11), indicator: nil,
                   fourteenthFiveYear: false, quote: "扶持11个特色服务品牌、11个特色专科（专病）"),
        PlanTarget(seed: "004", table: "0", row: 19, area: "重点任务32", name: "区级社区卫生特色专科（专病）", unit: "个", target: "11", cityTarget: "", bound: .atLeast(11), indicator: nil,
                   fourteenthFiveYear: false, quote: "扶持11个特色服务品牌、11个特色专科（专病）"),
        PlanTarget(seed: "004", table: "0", row: 20, area: "重点任务39", name: "大专及以上学历卫生技术人员比例", unit: "%", target: "≥95", cityTarget: "", bound: .atLeast(95), indicator: nil,
                   fourteenthFiveYear: false, quote: "大专及以上学历卫生技术人员比例达到 95%"),
        PlanTarget(seed: "004", table: "0", row: 21, area: "重点任务39", name: "中级职称及以上卫技人员比例", unit: "%", target: "≥50", cityTarget: "", bound: .atLeast(50), indicator: nil,
                   fourteenthFiveYear: false, quote: "中级职称及以上卫技人员比例达到 50%"),
    ]
}
