public import FHIR
import Foundation
import SQLKit
public import Storage

/// A health-education article (健康教育), tagged by the conditions (ICD-10 code prefixes), ages and sex it is for.
public struct Article: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var summary: String
    public var body: String
    /// ICD-10 prefixes (`I10`, `E11`); empty for everyone of the ages and sex.
    public var conditions: [String]
    public var minAge: Int?
    public var maxAge: Int?
    /// `male`, `female`, or nil for both.
    public var sex: String?
    public var publishedAt: String

    public init(id: String, title: String, summary: String, body: String, conditions: [String] = [], minAge: Int? = nil, maxAge: Int? = nil, sex: String? = nil, publishedAt: String) {
        self.id = id
        self.title = title
        self.summary = summary
        self.body = body
        self.conditions = conditions
        self.minAge = minAge
        self.maxAge = maxAge
        self.sex = sex
        self.publishedAt = publishedAt
    }

    /// Whether the article is for a person of this age, sex and diagnoses (ICD-10 codes).
    public func fits(age: Int?, sex: String?, codes: [String]) -> Bool {
        if let minAge { guard let age, age >= minAge else { return false } }
        if let maxAge { guard let age, age <= maxAge else { return false } }
        if let wanted = self.sex, wanted != sex { return false }
        return conditions.isEmpty || conditions.contains { prefix in codes.contains { $0.hasPrefix(prefix) } }
    }
}

/// Who a resident is, for targeting: age, sex and the ICD-10 codes of their current diagnoses.
public struct EducationProfile: Sendable, Codable, Equatable {
    public var age: Int?
    public var sex: String?
    public var codes: [String]
}

/// 精准健康教育 (Portal target): articles as data; a resident is shown those that fit their record (diagnoses from the
/// FHIR store, age and sex from Patient).
public struct Education: Sendable {
    public let store: FHIRStore
    public var database: Database { store.database }

    public init(store: FHIRStore) { self.store = store }

    public static let icd10System = "http://hl7.org/fhir/sid/icd-10"

    /// The resident's profile from their record: age on `today` from Patient.birthDate, Patient.gender, and the
    /// ICD-10 codes of their Conditions that are not resolved or inactive.
    public func profile(patient: String, today: String = CalendarDay.today()) async throws -> EducationProfile {
        guard FHIRID.isValid(patient), let stored = try await store.read(type: "Patient", id: patient), !stored.deleted,
              let resource = try? JSONValue.parse(Data(stored.content.utf8)) else { throw FHIRError.notFound("居民 Patient/\(patient) 不存在") }
        var age: Int?
        if let birth = resource["birthDate"]?.stringValue, birth.count >= 10, let by = Int(birth.prefix(4)), let ty = Int(today.prefix(4)) {
            age = ty - by - (String(today.dropFirst(5).prefix(5)) < String(birth.dropFirst(5).prefix(5)) ? 1 : 0)
        }
        var codes: [String] = []
        try await store.forEachMatch("Condition", [("subject", "Patient/\(patient)")]) { match in
            guard let condition = try? JSONValue.parse(Data(match.content.utf8)) else { return }
            if let clinical = condition["clinicalStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue, ["resolved", "inactive", "remission"].contains(clinical) { return }
            for coding in condition["code"]?["coding"]?.arrayValue ?? [] where coding["system"]?.stringValue == Self.icd10System {
                if let code = coding["code"]?.stringValue { codes.append(code) }
            }
        }
        return EducationProfile(age: age, sex: resource["gender"]?.stringValue, codes: Array(Set(codes)).sorted())
    }

    /// The articles that fit the resident, those about their diagnoses first, then newest first.
    public func forResident(_ patient: String, today: String = CalendarDay.today()) async throws -> (EducationProfile, [Article]) {
        let profile = try await profile(patient: patient, today: today)
        let fitting = try await all().filter { $0.fits(age: profile.age, sex: profile.sex, codes: profile.codes) }
        let sorted = fitting.enumerated().sorted { a, b in
            (a.element.conditions.isEmpty ? 1 : 0, a.offset) < (b.element.conditions.isEmpty ? 1 : 0, b.offset)
        }.map(\.element)
        return (profile, sorted)
    }

    /// Every article, newest first.
    public func all() async throws -> [Article] {
        try await database.read { sql in try await sql.raw("SELECT * FROM portal_article ORDER BY published_at DESC, id").all().map(Self.decode) }
    }

    public func find(_ id: String) async throws -> Article? {
        try await database.read { sql in try await sql.raw("SELECT * FROM portal_article WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    /// Adds or replaces articles.
    @discardableResult
    public func save(_ articles: [Article]) async throws -> Int {
        try await database.write { sql in
            for article in articles {
                try await sql.raw("""
                    INSERT INTO portal_article (id, title, summary, body, conditions, min_age, max_age, sex, published_at)
                    VALUES (\(bind: article.id), \(bind: article.title), \(bind: article.summary), \(bind: article.body), \(bind: article.conditions.joined(separator: ",")),
                        \(bind: article.minAge), \(bind: article.maxAge), \(bind: article.sex), \(bind: article.publishedAt))
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, summary = excluded.summary, body = excluded.body, conditions = excluded.conditions,
                        min_age = excluded.min_age, max_age = excluded.max_age, sex = excluded.sex, published_at = excluded.published_at
                    """).run()
            }
            return articles.count
        }
    }

    static func decode(_ row: any SQLRow) throws -> Article {
        Article(id: try row.decode(column: "id", as: String.self), title: try row.decode(column: "title", as: String.self),
                summary: try row.decode(column: "summary", as: String.self), body: try row.decode(column: "body", as: String.self),
                conditions: try row.decode(column: "conditions", as: String.self).split(separator: ",").map(String.init),
                minAge: try row.decode(column: "min_age", as: Int?.self), maxAge: try row.decode(column: "max_age", as: Int?.self),
                sex: try row.decode(column: "sex", as: String?.self), publishedAt: try row.decode(column: "published_at", as: String.self))
    }

    /// The platform's starter articles (the district's health-education team replaces and adds to them).
    public static let starterArticles: [Article] = [
        Article(id: "edu-htn-salt", title: "高血压患者如何减盐：每天不超过 5 克", summary: "限盐是控制血压最简单有效的办法之一。",
                body: "每日食盐摄入量控制在 5 克以内（约一啤酒瓶盖）。少用酱油、蚝油、味精，少吃咸菜、腊肉和加工食品；烹调时使用限盐勺，出锅前再放盐。坚持减盐 4 周，收缩压平均可下降 5 mmHg 左右。",
                conditions: ["I10", "I11", "I12", "I13", "I15"], minAge: 18, publishedAt: "2026-09-01"),
        Article(id: "edu-htn-home-bp", title: "家庭自测血压的正确方法", summary: "早晚各测一次，连续记录 7 天，复诊时带给家庭医生。",
                body: "测量前 30 分钟不吸烟、不喝咖啡，安静休息 5 分钟；坐位，上臂与心脏同高，袖带下缘在肘窝上 2–3 厘米。每次测 2 遍，间隔 1 分钟，取平均值。家庭血压 ≥ 135/85 mmHg 提示血压未控制，请联系家庭医生。",
                conditions: ["I10", "I11", "I15"], minAge: 18, publishedAt: "2026-09-15"),
        Article(id: "edu-dm-diet", title: "2 型糖尿病饮食：“控总量、调结构”", summary: "主食定量、粗细搭配，先吃菜、再吃肉、最后吃饭。",
                body: "每餐主食约一拳头大小，用杂粮、燕麦替换一半白米白面；每天蔬菜 500 克，水果放在两餐之间且选择低升糖指数的品种。进餐顺序先蔬菜、后蛋白质、再主食，有助于降低餐后血糖。",
                conditions: ["E11", "E14"], minAge: 18, publishedAt: "2026-08-20"),
        Article(id: "edu-dm-foot", title: "糖尿病足的日常预防", summary: "每天检查双脚，水温不超过 37℃。",
                body: "每天用镜子检查足底有无破损、水疱、颜色改变；洗脚水温用手肘试温，不超过 37℃，洗后擦干趾缝；穿宽松透气的鞋袜，不赤脚行走。发现伤口久不愈合，请尽快到社区卫生服务中心就诊。",
                conditions: ["E10", "E11", "E14"], minAge: 18, publishedAt: "2026-10-05"),
        Article(id: "edu-dm-hba1c", title: "糖化血红蛋白：三个月血糖的“成绩单”", summary: "多数 2 型糖尿病患者糖化血红蛋白目标 < 7%。",
                body: "糖化血红蛋白反映近 2–3 个月的平均血糖水平，建议每 3 个月检测一次，达标后可每半年一次。老年或有低血糖风险的患者，目标可放宽至 < 8%，请与家庭医生商定个人目标。",
                conditions: ["E11"], publishedAt: "2026-10-20"),
        Article(id: "edu-copd-breathing", title: "慢阻肺患者的缩唇呼吸训练", summary: "每天 3–4 次，每次 10 分钟，改善气促。",
                body: "用鼻子吸气 2 秒，然后像吹口哨一样缩起嘴唇，缓慢呼气 4–6 秒，呼气时间是吸气的两倍。配合腹式呼吸效果更好。冬春季节注意保暖，按时接种流感疫苗和肺炎球菌疫苗。",
                conditions: ["J44"], minAge: 40, publishedAt: "2026-07-10"),
        Article(id: "edu-stroke-signs", title: "识别卒中：记住“中风 120”", summary: "一看脸不对称，二查手臂无力，零听说话不清，立即拨打 120。",
                body: "卒中救治“时间就是大脑”。发现口角歪斜、一侧手臂无力、言语含糊，即使症状短暂缓解，也要立即拨打 120，记下发病时间，不要自行服药或等待观察。",
                conditions: ["I63", "I64", "I10", "G45"], minAge: 45, publishedAt: "2026-10-29"),
        Article(id: "edu-elderly-falls", title: "老年人居家防跌倒十条", summary: "浴室防滑、夜间照明、起身“三个半分钟”。",
                body: "卫生间铺防滑垫并安装扶手；夜间保持走道照明；醒后躺半分钟、坐起半分钟、双腿下垂半分钟再起身；穿合脚防滑的鞋；服用降压药、安眠药后动作放慢。每年到社区参加一次跌倒风险评估。",
                minAge: 65, publishedAt: "2026-06-18"),
        Article(id: "edu-women-screening", title: "女性“两癌”筛查：宫颈癌和乳腺癌", summary: "35–64 岁女性可在社区免费筛查。",
                body: "宫颈癌筛查建议每 3–5 年一次，乳腺癌筛查建议每 1–2 年一次乳腺超声或钼靶检查。上海市社区卫生服务中心为适龄女性提供免费筛查，可通过家庭医生预约。",
                minAge: 35, maxAge: 64, sex: "female", publishedAt: "2026-05-12"),
        Article(id: "edu-men-colorectal", title: "大肠癌筛查：粪便隐血检测", summary: "50–74 岁居民每年可在社区免费筛查。",
                body: "上海市大肠癌筛查项目面向 50–74 岁常住居民，社区卫生服务中心提供风险评估问卷和两次粪便隐血检测；阳性者转诊肠镜检查。早发现的大肠癌 5 年生存率可达 90% 以上。",
                minAge: 50, maxAge: 74, publishedAt: "2026-04-22"),
        Article(id: "edu-vaccine-flu", title: "秋冬季接种流感疫苗", summary: "60 岁以上老人、慢病患者是重点人群。",
                body: "流感疫苗每年接种一次，最好在 10 月底前完成。60 岁及以上户籍老人可在社区免费接种。患有高血压、糖尿病、慢阻肺等慢性病的居民感染流感后更易发生并发症，更应接种。",
                publishedAt: "2026-09-25"),
    ]
}
