import Foundation
import SQLKit
public import Storage

/// A task of a plan's task list (重点任务分工), as the seed prints it: Jinshan's annex of 76 tasks (004) with their
/// lead (牵头部门) and partner departments (配合部门), and the 19 tasks of Changning's three-year community health
/// plan (000, annex 4) with their responsible departments (责任部门).
public struct PlanTask: Sendable, Codable, Equatable {
    /// `004`, `000`.
    public var seed: String
    /// `004-12`; `000-4-2-3` (annex 4, section 二, task 3).
    public var id: String
    /// The heading above the section (004: 一、推进硬件提升工程).
    public var category: String
    /// The section (分类), e.g. (三)做优家庭医生签约服务.
    public var section: String
    /// The task's number as printed.
    public var number: String
    /// Its first phrase.
    public var title: String
    /// The task as printed (line breaks removed).
    public var text: String
    /// 牵头部门 (Changning: 责任部门).
    public var lead: [String]
    /// 配合部门.
    public var partners: [String]
    /// The deadline: the end of the year the task names (到2025年), else the plan's last year.
    public var due: String

    /// The district whose plan it is.
    public var district: String? { PlanTasks.districts[seed] }
}

/// A task with where it stands: status, progress, the person responsible and the last note.
public struct TrackedTask: Sendable, Codable, Equatable {
    public var task: PlanTask
    /// `not-started`, `in-progress`, `blocked` (受阻) or `done`.
    public var status: String
    /// Percent, 0–100.
    public var progress: Int
    /// Who answers for it at the commission (a person or office; not a resident).
    public var owner: String?
    public var updatedAt: String?
    /// Past its deadline and not done.
    public var overdue: Bool
    public var notes: [TaskNote]
}

/// A progress note (进展): what was done, and the status and progress it left.
public struct TaskNote: Sendable, Codable, Equatable {
    public var note: String
    public var status: String
    public var progress: Int
    public var by: String
    public var at: String
}

/// A refused task update (422).
public enum PlanTaskError: Error, Equatable {
    case invalid(String)
    case notFound(String)
}

/// Tracking the plans' tasks (规划任务跟踪): each district's managers record status, progress, the person
/// responsible and a note; every update is kept.
public struct PlanTaskService: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public static let statuses = ["not-started": "未开始", "in-progress": "进行中", "blocked": "受阻", "done": "已完成"]
    /// The statuses in the order a task moves through them (for lists, counts and forms).
    public static let statusOrder = ["not-started", "in-progress", "blocked", "done"]

    /// The district's tasks with where each stands on `day` (not started until someone reports).
    public func tasks(district: String, on day: String = CalendarDay.today(), withNotes: Bool = false) async throws -> [TrackedTask] {
        let tasks = PlanTasks.all.filter { $0.district == district }
        guard !tasks.isEmpty else { return [] }
        return try await database.read { sql in
            var states: [String: (status: String, progress: Int, owner: String?, at: String)] = [:]
            for row in try await sql.raw("SELECT task_id, status, progress, owner, updated_at FROM plan_task_state WHERE district = \(bind: district)").all() {
                states[try row.decode(column: "task_id", as: String.self)] = (try row.decode(column: "status", as: String.self), try row.decode(column: "progress", as: Int.self),
                                                                             try row.decode(column: "owner", as: String?.self), try row.decode(column: "updated_at", as: String.self))
            }
            var notes: [String: [TaskNote]] = [:]
            if withNotes {
                for row in try await sql.raw("SELECT task_id, note, status, progress, noted_by, noted_at FROM plan_task_note WHERE district = \(bind: district) ORDER BY id").all() {
                    notes[try row.decode(column: "task_id", as: String.self), default: []].append(TaskNote(
                        note: try row.decode(column: "note", as: String.self), status: try row.decode(column: "status", as: String.self),
                        progress: try row.decode(column: "progress", as: Int.self), by: try row.decode(column: "noted_by", as: String.self), at: try row.decode(column: "noted_at", as: String.self)))
                }
            }
            return tasks.map { task in
                let state = states[task.id]
                let status = state?.status ?? "not-started"
                return TrackedTask(task: task, status: status, progress: state?.progress ?? 0, owner: state?.owner, updatedAt: state?.at,
                                   overdue: status != "done" && day > task.due, notes: notes[task.id] ?? [])
            }
        }
    }

    /// Records progress on a task of the district's plan. 404 for a task of no plan or another district's; 422
    /// for an unknown status, progress outside 0–100, `done` below 100%, an empty or over-long note or owner.
    public func update(task id: String, district: String, status: String, progress: Int, owner: String?, note: String, by actor: String) async throws {
        guard let task = PlanTasks.all.first(where: { $0.id == id }), task.district == district else {
            throw PlanTaskError.notFound("本区规划中没有任务 \(id)")
        }
        guard Self.statuses[status] != nil else { throw PlanTaskError.invalid("status 须为 not-started、in-progress、blocked 或 done") }
        guard (0...100).contains(progress) else { throw PlanTaskError.invalid("progress 须在 0 到 100 之间") }
        guard status != "done" || progress == 100 else { throw PlanTaskError.invalid("已完成的任务进度须为 100") }
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 2000 else { throw PlanTaskError.invalid("请填写进展说明（不超过 2000 字）") }
        let owner = owner?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (owner?.count ?? 0) <= 100 else { throw PlanTaskError.invalid("负责人不超过 100 字") }
        let now = ISO8601Timestamp.now()
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO plan_task_state (task_id, district, status, progress, owner, updated_at, updated_by) VALUES (\(bind: task.id), \(bind: district), \(bind: status), \(bind: progress), \(bind: owner?.isEmpty == false ? owner : nil), \(bind: now), \(bind: actor))
                ON CONFLICT (task_id, district) DO UPDATE SET status = excluded.status, progress = excluded.progress,
                    owner = COALESCE(excluded.owner, plan_task_state.owner), updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """).run()
            try await sql.raw("""
                INSERT INTO plan_task_note (task_id, district, note, status, progress, noted_by, noted_at) VALUES (\(bind: task.id), \(bind: district), \(bind: note), \(bind: status), \(bind: progress), \(bind: actor), \(bind: now))
                """).run()
        }
    }
}

/// The Indicators target's task-tracking tables.
public enum PlanTaskMigrations {
    public static let all: [Migration] = [
        Migration(id: "0902_plan_tasks") { sql in
            [
                """
                CREATE TABLE plan_task_state (task_id TEXT NOT NULL, district TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL, owner TEXT,
                    updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (task_id, district))
                """,
                """
                CREATE TABLE plan_task_note (id \(sql.autoIncrementPrimaryKey), task_id TEXT NOT NULL, district TEXT NOT NULL, note TEXT NOT NULL, status TEXT NOT NULL,
                    progress INTEGER NOT NULL, noted_by TEXT NOT NULL, noted_at TEXT NOT NULL)
                """,
                "CREATE INDEX plan_task_note_task ON plan_task_note (district, task_id)",
            ]
        },
    ]
}

/// The plans' task lists, transcribed from the seeds (`tests/seeds`), checked against them by `IndicatorTests`.
public enum PlanTasks {
    /// The district each seed's tasks bind.
    public static let districts = ["000": "310105", "004": "310116"]

    public static let all: [PlanTask] = [
        PlanTask(seed: "004", id: "004-1", category: "一、推进硬件提升工程", section: "(一)稳步推进社区卫生服务中心硬件建设", number: "1", title: "有序推进社区卫生服务机构新建、迁建或改(扩)建",
                 text: "1.有序推进社区卫生服务机构新建、迁建或改(扩)建,到2025年,启用枫泾镇社区卫生服务中心新址,基本建成山阳镇社区卫生服务中心,实施吕巷镇社区卫生服务中心迁建项目,同步开展朱泾镇、高新区社区、亭林镇、廊下镇等社区卫生服务中心达标建设前期研究工作。",
                 lead: ["区卫健委", "区发改委"], partners: ["区规划资源局", "区建管委", "区财政局", "区民政局", "相关镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-2", category: "一、推进硬件提升工程", section: "(一)稳步推进社区卫生服务中心硬件建设", number: "2", title: "合理增加社区卫生服务机构床位设置",
                 text: "2.合理增加社区卫生服务机构床位设置,促进社区住院与家庭病床服务有序衔接。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-3", category: "一、推进硬件提升工程", section: "(二)加快村卫生室(社区卫生服务站)标准化建设", number: "3", title: "加大村卫生室(社区卫生服务站)标准化建设力度",
                 text: "3.加大村卫生室(社区卫生服务站)标准化建设力度,到2025年,完成34所基础设施老旧、功能布局受限的村卫生室(社区卫生服务站)标准化建设;力争到2030年,全区所有村卫生室(社区卫生服务站)基本达到标准化建设要求。",
                 lead: ["各街镇", "高新区社区党工委"], partners: ["区卫健委", "区发改委", "区规划资源局", "区农业农村委", "区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-4", category: "二、实施提质惠民工程", section: "(三)做优家庭医生签约服务", number: "4", title: "推进以家庭为单元的签约服务",
                 text: "4.推进以家庭为单元的签约服务，重点人群应签尽签，将签约服务延伸至养老机构，推进辖区企事业单位、产业园区、学校等功能社区人群签约服务，到2025年，本区常住居民签约服务覆盖率达到50%。",
                 lead: ["区卫健委"], partners: ["区民政局", "区总工会", "区教育局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-5", category: "二、实施提质惠民工程", section: "(三)做优家庭医生签约服务", number: "5", title: "丰富签约服务内容",
                 text: "5.丰富签约服务内容，根据居民需求提供适宜服务，开展健康评估，提供个性化健康管理。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-6", category: "二、实施提质惠民工程", section: "(三)做优家庭医生签约服务", number: "6", title: "鼓励二、三级医院全科、内科、妇科、儿科、中医、康复医师等专技人员加入服务团队",
                 text: "6.鼓励二、三级医院全科、内科、妇科、儿科、中医、康复医师等专技人员加入服务团队，鼓励社会工作者、健康管理师、长护险护理员、志愿者等积极参与，充实服务力量。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-7", category: "二、实施提质惠民工程", section: "(三)做优家庭医生签约服务", number: "7", title: "支持社会办医疗机构和功能社区内设医疗机构提供家庭医生签约服务",
                 text: "7.支持社会办医疗机构和功能社区内设医疗机构提供家庭医生签约服务，将符合条件且有意愿的相关机构纳入医保定点。",
                 lead: ["区卫健委", "区医保局"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-8", category: "二、实施提质惠民工程", section: "(三)做优家庭医生签约服务", number: "8", title: "加强签约服务质量管理",
                 text: "8.加强签约服务质量管理，以有效签约、有效服务、有效健康管理、有效控费等为重点，不断优化签约服务质量评价机制和签约服务费分配机制。",
                 lead: ["区卫健委"], partners: ["区医保局", "区人社局", "区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-9", category: "二、实施提质惠民工程", section: "(四)推进基本医疗服务同质化", number: "9", title: "优化社区门诊诊疗科室设置",
                 text: "9.优化社区门诊诊疗科室设置，建立社区医疗服务基本病种清单，实行动态调整机制，推进社区基本医疗服务同质化。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-10", category: "二、实施提质惠民工程", section: "(四)推进基本医疗服务同质化", number: "10", title: "开展适宜病种临床路径工作",
                 text: "10.开展适宜病种临床路径工作，强化日常监管和培训考核，到2025年，实现社区卫生服务中心临床路径管理全覆盖。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-11", category: "二、实施提质惠民工程", section: "(四)推进基本医疗服务同质化", number: "11", title: "推动人工智能辅助诊断在社区卫生服务机构的应用",
                 text: "11.推动人工智能辅助诊断在社区卫生服务机构的应用，提升社区医生疾病诊断能力。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-12", category: "二、实施提质惠民工程", section: "(四)推进基本医疗服务同质化", number: "12", title: "以高血压、糖尿病等社区常见病为切入点",
                 text: "12.以高血压、糖尿病等社区常见病为切入点，开展社区诊疗服务与区内二、三级医院纵向同质化试点。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-13", category: "二、实施提质惠民工程", section: "(五)提升公共卫生服务水平", number: "13", title: "健全社区发热哨点诊室监测预警网络",
                 text: "13.健全社区发热哨点诊室监测预警网络，完善社区重点疾病多病共防模式。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-14", category: "二、实施提质惠民工程", section: "(五)提升公共卫生服务水平", number: "14", title: "推进村（居）委公共卫生委员会建设",
                 text: "14.推进村（居）委公共卫生委员会建设，完善常态化管理和应急联动工作机制，强化联防联控、群防群控，提升基层传染病、精神卫生等突发事件预防处置能力。",
                 lead: ["区民政局", "区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-15", category: "二、实施提质惠民工程", section: "(五)提升公共卫生服务水平", number: "15", title: "加强阵地建设",
                 text: "15.加强阵地建设，强化社区健康教育和科普宣传。",
                 lead: ["区卫健委"], partners: ["区文明办", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-16", category: "二、实施提质惠民工程", section: "(六)提升社区康复护理能力", number: "16", title: "推进社区康复体系建设",
                 text: "16.推进社区康复体系建设，将康复服务延伸至社区卫生服务站、居家、功能社区等场所。到2025年，建成6家示范性社区康复中心。",
                 lead: ["区卫健委"], partners: ["区财政局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-17", category: "二、实施提质惠民工程", section: "(六)提升社区康复护理能力", number: "17", title: "推进社区护理中心和健康管理中心建设",
                 text: "17.推进社区护理中心和健康管理中心建设，到2025年，建成6家标准化社区护理中心、6家标准化社区健康管理中心。",
                 lead: ["区卫健委"], partners: ["区财政局", "区政务服务中心", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-18", category: "二、实施提质惠民工程", section: "(七)提升中医药服务能力", number: "18", title: "依托上海中医药大学优质资源",
                 text: "18.依托上海中医药大学优质资源，加大中医优势病种诊疗方案和特色诊疗技术在中医专科专病联盟成员单位间推广应用力度，扩大龙华医院自制制剂在社区调剂使用的品种。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-19", category: "二、实施提质惠民工程", section: "(七)提升中医药服务能力", number: "19", title: "开展区域中药审方",
                 text: "19.开展区域中药审方，强化中药饮片代煎配送可追溯全流程管理。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-20", category: "二、实施提质惠民工程", section: "(七)提升中医药服务能力", number: "20", title: "对社区非中医类别医务人员开展中医药技能培训",
                 text: "20.对社区非中医类别医务人员开展中医药技能培训。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-21", category: "二、实施提质惠民工程", section: "(七)提升中医药服务能力", number: "21", title: "到2025年",
                 text: "21.到2025年，各社区卫生服务中心均规范设置中医馆，开设中医特色专病（专科），提供不少于8类20项中医医疗技术；30%的社区卫生服务站和村卫生室规范设置中医阁。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-22", category: "二、实施提质惠民工程", section: "(八)提升口腔诊疗服务能力", number: "22", title: "开展社区卫生服务机构口腔门诊标准化建设",
                 text: "22.开展社区卫生服务机构口腔门诊标准化建设，到2025年，各社区卫生服务中心均开设口腔门诊，标准化社区口腔诊室建设覆盖率达到50%以上，到2030年，基本实现标准化社区口腔诊室建设全覆盖。",
                 lead: ["区卫健委"], partners: ["区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-23", category: "二、实施提质惠民工程", section: "(八)提升口腔诊疗服务能力", number: "23", title: "探索区牙防所、社区卫生服务中心口腔诊疗一体化管理",
                 text: "23.探索区牙防所、社区卫生服务中心口腔诊疗一体化管理，全面提升社区口腔诊治能力。",
                 lead: ["区卫健委"], partners: ["区委编办", "区医保局", "区人社局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-24", category: "二、实施提质惠民工程", section: "(九)提升老年健康服务水平", number: "24", title: "建立机构、居家相结合的老年医疗护理服务体系",
                 text: "24.建立机构、居家相结合的老年医疗护理服务体系，强化社区卫生服务机构老年护理、安宁疗护床位设置，开展居家和医疗机构、养老机构相衔接的安宁疗护服务，促进医疗、护理和养老保健服务的有序衔接。优化社区卫生服务机构与养老机构、社区托养机构签约服务。",
                 lead: ["区卫健委"], partners: ["区民政局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-25", category: "二、实施提质惠民工程", section: "(九)提升老年健康服务水平", number: "25", title: "探索建立基于互联网的医养结合服务新模式",
                 text: "25.探索建立基于互联网的医养结合服务新模式，依托互联网医院服务平台，推进面向医养结合机构的远程医疗；开展社区医养结合能力提升行动。",
                 lead: ["区卫健委", "区民政局"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-26", category: "二、实施提质惠民工程", section: "(九)提升老年健康服务水平", number: "26", title: "实施老年心理关爱、营养改善、口腔健康专项行动",
                 text: "26.实施老年心理关爱、营养改善、口腔健康专项行动，到2025年，实现市级老年心理关爱点街镇（高新区社区）全覆盖，建成吕巷镇国家级老年心理关爱点。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-27", category: "二、实施提质惠民工程", section: "(十)提升妇幼健康服务水平", number: "27", title: "聚焦妇幼健康核心指标",
                 text: "27.聚焦妇幼健康核心指标，筑牢母婴安全防线；开展妇科、儿科常见病诊治，做好妇幼全生命周期健康管理服务。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-28", category: "二、实施提质惠民工程", section: "(十)提升妇幼健康服务水平", number: "28", title: "加强与区教育局、团区委、区妇联等部门协同",
                 text: "28.加强与区教育局、团区委、区妇联等部门协同，完善“医教养”有机融合工作机制，强化社区优生优育指导功能，持续推进儿童早期发展基地建设和服务项目扩容提能。",
                 lead: ["区卫健委"], partners: ["区教育局", "团区委", "区妇联"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-29", category: "二、实施提质惠民工程", section: "(十)提升妇幼健康服务水平", number: "29", title: "关注儿童心理健康",
                 text: "29.关注儿童心理健康，全面开展0-6岁儿童孤独症筛查干预服务；完善“一幼（托）一医”制度，加强对托幼（育）机构卫生保健业务指导。",
                 lead: ["区卫健委"], partners: ["区教育局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-30", category: "三、实施示范引领工程", section: "(十一)建设高质量社区卫生服务中心", number: "30", title: "制定社区卫生服务“一中心一策”实施方案",
                 text: "30.制定社区卫生服务“一中心一策”实施方案，落实支持政策，建立综合评价机制，促进社区卫生服务中心高质量发展。到2025年，遴选3家社区卫生服务中心开展高质量试点。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-31", category: "三、实施示范引领工程", section: "(十一)建设高质量社区卫生服务中心", number: "31", title: "建设市住院医师规范化培训全科医学临床培训基地、社区教学基地",
                 text: "31.建设市住院医师规范化培训全科医学临床培训基地、社区教学基地，争创医学院校附属社区卫生服务中心，到2025年，至少1家社区卫生服务中心挂牌医学院校附属社区卫生服务中心。",
                 lead: ["区卫健委"], partners: ["区教育局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-32", category: "三、实施示范引领工程", section: "(十二)做强社区特色品牌", number: "32", title: "持续推进社区卫生服务提质惠民“四张清单”建设",
                 text: "32.持续推进社区卫生服务提质惠民“四张清单”建设，实施区级社区卫生特色服务品牌和专科（专病）扶持计划，扶持11个特色服务品牌、11个特色专科（专病）。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-33", category: "三、实施示范引领工程", section: "(十二)做强社区特色品牌", number: "33", title: "加大区属医院对社区卫生服务中心的能力支撑",
                 text: "33.加大区属医院对社区卫生服务中心的能力支撑，围绕重点学科建设，以医防融合、全专结合、医联体联动为纽带，发展社区专科专病，促进适宜技术应用推广",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-34", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "34", title: "强化社区医生继续教育和进修制度",
                 text: "34.强化社区医生继续教育和进修制度，原则上社区医生每年至上级医院进修或多点执业3-6个月。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-35", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "35", title: "实施全科医生积分制管理",
                 text: "35.实施全科医生积分制管理，结合“1+2+X”能力提升项目，开展全科医生轮训和能力考核评估，培养社区全科医生骨干人才。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-36", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "36", title: "探索“双向”“双聘”机制",
                 text: "36.探索“双向”“双聘”机制，选拔优秀社区全科医生至上级医院全科（专科）参与门诊坐诊和住院查房，鼓励上级医院重点专科学术带头人在社区开设专家工作室。",
                 lead: ["区卫健委"], partners: ["区医保局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-37", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "37", title: "合理配置公共卫生人员",
                 text: "37.合理配置公共卫生人员，区疾控机构新招录人员下沉社区时间 3-6 个月。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-38", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "38", title: "建立医防融合培训机制",
                 text: "38.建立医防融合培训机制，开展公共卫生医师临床技能、全科医生公共卫生相关技能培训。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-39", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "39", title: "开展郊区定向医学生免费培养",
                 text: "39.开展郊区定向医学生免费培养，加大社区卫生专业技术人员尤其是高层次人才、“双一流”毕业规培生和应届毕业生招引力度。到 2025 年，大专及以上学历卫生技术人员比例达到 95%，中级职称及以上卫技人员比例达到 50%。",
                 lead: ["区卫健委"], partners: ["区人社局", "区财政局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-40", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "40", title: "鼓励社区全科主治医师退休返聘村卫生室工作",
                 text: "40.鼓励社区全科主治医师退休返聘村卫生室工作，加强乡村医生业务能力培训与考核。",
                 lead: ["区卫健委"], partners: ["区人社局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-41", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "41", title: "将全科医学纳入区卫生健康系统学科建设计划",
                 text: "41.将全科医学纳入区卫生健康系统学科建设计划，在临床研究、科研项目立项中给予一定倾斜。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-42", category: "四、强化人才支撑工程", section: "(十三)强化人才学科支撑", number: "42", title: "搭建服务平台",
                 text: "42.搭建服务平台，充分发挥区卫生工作者协会、区医学会等在学术交流、课题研究、社区管理、技术咨询等方面作用。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-43", category: "五、深化资源联动工程", section: "(十四)做实分级诊疗", number: "43", title: "强化门诊号源统筹管理",
                 text: "43.强化门诊号源统筹管理，号源分配向社区倾斜，紧密型医联体牵头医院要为家庭医生或社区卫生服务机构留出一定比例的门诊号源和住院床位。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-44", category: "五、深化资源联动工程", section: "(十四)做实分级诊疗", number: "44", title: "优化门诊和转诊预约服务",
                 text: "44.优化门诊和转诊预约服务，在区属医院推行非急诊预约服务制度，引导非急诊患者通过社区预约转诊就诊。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-45", category: "五、深化资源联动工程", section: "(十四)做实分级诊疗", number: "45", title: "家庭医生可为签约居民开具二、三级医院适宜检查项目、预约住院床位",
                 text: "45.家庭医生可为签约居民开具二、三级医院适宜检查项目、预约住院床位，对住院签约居民开展查房、随访。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-46", category: "五、深化资源联动工程", section: "(十四)做实分级诊疗", number: "46", title: "建立转诊工作责任制",
                 text: "46.建立转诊工作责任制，加强管理和考核，鼓励区属医院向社区转诊，在区属医院门诊总服务台设立服务专窗，对经家庭医生转诊的签约居民，做实优先就诊、优先检查、优先住院。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-47", category: "五、深化资源联动工程", section: "(十四)做实分级诊疗", number: "47", title: "推进优质医疗资源下沉",
                 text: "47.推进优质医疗资源下沉，加大区属医院对社区卫生服务中心学科、人力、技术等支撑力度，巩固疫情防控期间专家下社区分片指导机制，推动适宜科室专家下沉社区，鼓励在社区设立专家工作站。",
                 lead: ["区卫健委"], partners: ["区人社局", "区医保局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-48", category: "五、深化资源联动工程", section: "(十五)合理配置设备", number: "48", title: "加强社区检查检验设备配置",
                 text: "48.加强社区检查检验设备配置，加快推进除颤仪、心电监护仪、雾化仪、简易肺功能仪、供氧、中医诊疗等必备医疗设备配置。有条件的社区卫生服务中心配备无创呼吸机、CT等设备。",
                 lead: ["区卫健委"], partners: ["区财政局", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-49", category: "五、深化资源联动工程", section: "(十五)合理配置设备", number: "49", title: "依托集约化诊断中心建设",
                 text: "49.依托集约化诊断中心建设，提高心电、影像、检验、超声等服务能力；加强医务人员操作技能培训，提升设备使用能力，提高利用效率。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-50", category: "五、深化资源联动工程", section: "(十六)优化药品供应", number: "50", title: "放宽社区基本药物用药比例限制",
                 text: "50.放宽社区基本药物用药比例限制，扩展药物配备范围，加强与二、三级医院用药目录衔接，实现区域医疗机构常见病用药目录一致。",
                 lead: ["区卫健委"], partners: ["区医保局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-51", category: "五、深化资源联动工程", section: "(十六)优化药品供应", number: "51", title: "建立社区卫生服务中心统一的药品采购目录和供应保障机制",
                 text: "51.建立社区卫生服务中心统一的药品采购目录和供应保障机制，允许院内制剂经审批后在医联体对口社区卫生服务机构内调剂使用。",
                 lead: ["区卫健委"], partners: ["区医保局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-52", category: "五、深化资源联动工程", section: "(十六)优化药品供应", number: "52", title: "加强上级医院药师下沉社区开展用药指导和帮扶",
                 text: "52.加强上级医院药师下沉社区开展用药指导和帮扶，强化区域处方前置审核中心功能，提升社区合理用药水平。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-53", category: "五、深化资源联动工程", section: "(十六)优化药品供应", number: "53", title: "强化互联网医疗平台功能",
                 text: "53.强化互联网医疗平台功能，为保障社区用药提供补充渠道。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-54", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "54", title: "推进社区智慧医疗、智慧服务、智慧管理应用场景建设",
                 text: "54.推进社区智慧医疗、智慧服务、智慧管理应用场景建设；建设移动家庭医生工作站、智能健康管理系统、门诊预约系统、诊后随访系统，加快智能康复护理设备应用。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-55", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "55", title: "开展互联网诊疗、康复、护理等社区卫生服务",
                 text: "55.开展互联网诊疗、康复、护理等社区卫生服务。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-56", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "56", title: "推进5G平台运用",
                 text: "56.推进5G平台运用，在区域性医疗中心、医联体牵头医院加强远程医疗中心建设，向社区提供远程会诊、预约转诊、互联网复诊、远程检查等服务。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-57", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "57", title: "加强社区与上级医院电子病历、电子健康档案互通共享",
                 text: "57.加强社区与上级医院电子病历、电子健康档案互通共享，推进电子处方流转和信息调阅，推进检验检查结果互联互通互认。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-58", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "58", title: "完成社区卫生服务中心云HIS建设",
                 text: "58.完成社区卫生服务中心云HIS建设，完善居民电子健康档案疾控信息化项目，促进社区康复中心、护理中心和健康管理中心业务与社区卫生原有服务无缝衔接。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-59", category: "六、强化数智赋能工程", section: "(十七)推动数字化转型", number: "59", title: "加强社区健康科普共享平台应用",
                 text: "59.加强社区健康科普共享平台应用，精准推送健康科普知识。",
                 lead: ["区卫健委"], partners: ["区政务服务办"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-60", category: "七、完善激励保障工程", section: "(十八)优化人事薪酬机制", number: "60", title: "积极保障社区卫生服务机构人员编制",
                 text: "60.积极保障社区卫生服务机构人员编制，加强区域内人员编制统筹使用。",
                 lead: ["区卫健委"], partners: ["区委编办", "区人社局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-61", category: "七、完善激励保障工程", section: "(十八)优化人事薪酬机制", number: "61", title: "着力破解社区职称评聘瓶颈",
                 text: "61.着力破解社区职称评聘瓶颈，想方设法畅通人才成长渠道，努力提振社区专业技术人才干事创业精气神。",
                 lead: ["区卫健委"], partners: ["区人社局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-62", category: "七、完善激励保障工程", section: "(十八)优化人事薪酬机制", number: "62", title: "做实区属医院医生晋升职称前服务基层制度",
                 text: "62.做实区属医院医生晋升职称前服务基层制度，对晋升职称前服务基层的上级医院医生进行区级统筹调配。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-63", category: "七、完善激励保障工程", section: "(十八)优化人事薪酬机制", number: "63", title: "加强社区卫生服务机构绩效考核",
                 text: "63.加强社区卫生服务机构绩效考核，以标化工作量和绩效考核结果核定绩效工资总量，重点向关键岗位、一线岗位、业务骨干和贡献突出人员倾斜，体现优绩优酬。",
                 lead: ["区卫健委"], partners: ["区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-64", category: "七、完善激励保障工程", section: "(十八)优化人事薪酬机制", number: "64", title: "统筹家庭医生绩效分配",
                 text: "64.统筹家庭医生绩效分配，发挥家庭医生签约服务费激励作用。",
                 lead: ["区卫健委"], partners: ["区医保局", "区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-65", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "65", title: "完善政府主导、社会参与的社区卫生多元化投入机制",
                 text: "65.完善政府主导、社会参与的社区卫生多元化投入机制，发挥财政资金、医保基金支付的引导作用，保障社区卫生服务中心公益性运行。",
                 lead: ["区财政局", "区医保局"], partners: ["区卫健委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-66", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "66", title: "强化区、镇财政支出保障责任",
                 text: "66.强化区、镇财政支出保障责任，建立区财政资金投入稳定增长机制，加强项目成本预算绩效管理、资金使用绩效评价，提升财政预算执行质效。",
                 lead: ["区财政局"], partners: ["区卫健委", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-67", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "67", title: "基本医保基金增量向社区卫生服务机构倾斜",
                 text: "67.基本医保基金增量向社区卫生服务机构倾斜，根据诊疗比例情况，落实社区卫生服务机构医保预算总额动态调整。",
                 lead: ["区医保局"], partners: ["区卫健委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-68", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "68", title: "落实远郊地区部分医疗项目准入等向基层倾斜支持政策",
                 text: "68.落实远郊地区部分医疗项目准入等向基层倾斜支持政策。",
                 lead: ["区卫健委"], partners: ["区医保局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-69", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "69", title: "对合理控费的社区卫生服务机构",
                 text: "69.对合理控费的社区卫生服务机构，落实医保基金实行结余留存、合理超支分担。",
                 lead: ["区医保局"], partners: ["区卫健委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-70", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "70", title: "强化社区卫生服务中心门诊、住院业务运行管理",
                 text: "70.强化社区卫生服务中心门诊、住院业务运行管理，扣除成本业务收入用于机构高质量可持续发展。",
                 lead: ["区卫健委"], partners: ["区财政局"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-71", category: "七、完善激励保障工程", section: "(十九)加强多元投入保障", number: "71", title: "探索完善人口导入导出区域社区卫生服务要素保障机制",
                 text: "71.探索完善人口导入导出区域社区卫生服务要素保障机制。",
                 lead: ["区卫健委"], partners: ["各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-72", category: "八、推动党建强基工程", section: "(二十)深入实施党建融合发展", number: "72", title: "持续推进社区卫生服务中心党支部标准化规范化建设",
                 text: "72.持续推进社区卫生服务中心党支部标准化规范化建设，加强支部班子建设特别是支部书记队伍建设，选优配强支委班子。",
                 lead: ["区卫健委"], partners: ["区委组织部"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-73", category: "八、推动党建强基工程", section: "(二十)深入实施党建融合发展", number: "73", title: "全面实施“党建+业务”“党建+服务”“党建+人才”等工作",
                 text: "73.全面实施“党建+业务”“党建+服务”“党建+人才”等工作，推动党建与社区卫生服务各项工作同频共振，深入推进“双培养”机制，加强优秀业务骨干、年轻干部，特别是懂业务、会管理、善协调复合型人才的培养使用。",
                 lead: ["区卫健委"], partners: ["区委组织部"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-74", category: "八、推动党建强基工程", section: "(二十)深入实施党建融合发展", number: "74", title: "深化医联体党建联盟、医村（居）结对共建、医企健康园（厂）区结对共建等工作",
                 text: "74.深化医联体党建联盟、医村（居）结对共建、医企健康园（厂）区结对共建等工作。",
                 lead: ["区卫健委"], partners: ["区委组织部", "各街镇", "高新区社区党工委"], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-75", category: "八、推动党建强基工程", section: "(二十)深入实施党建融合发展", number: "75", title: "健全完善政风行风建设工作体系",
                 text: "75.健全完善政风行风建设工作体系，加强对社区卫生服务中心“一把手”和领导班子监督。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "004", id: "004-76", category: "八、推动党建强基工程", section: "(二十)深入实施党建融合发展", number: "76", title: "到2025年",
                 text: "76.到2025年，每家社区卫生服务中心至少打造一个特色支部品牌，选树1个区级及以上先进典型，创建一批区级党支部建设示范点和星级示范性党群服务站点。",
                 lead: ["区卫健委"], partners: ["区委组织部"], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-1-1", category: "三、主要任务", section: "（一）优化资源配置", number: "1", title: "完善设施规划布局",
                 text: "1.完善设施规划布局。按照街镇常住人口规模结构，以落实功能和满足需求为出发点，因地制宜开展社区卫生服务中心、分中心、服务站的新建、改扩建、租赁租借等，为开展基本医疗、公共卫生和住院诊疗等服务，提供必要的场地空间和硬件条件。社区卫生服务中心、站的标准化建设，纳入各街镇 15 分钟社区美好生活圈行动方案，做到与新建居民住宅同步规划、同步建设、同步投入使用。到 2025 年，华阳社区异地迁建启动并推进，新泾社区完成分中心选址装修，新华、江苏、周家桥、程家桥社区逐步扩大中心业务用房面积。对仙霞社区现有房屋拆落地重建、天山社区整合周边资源扩大中心业务用房进行专题论证。虹桥社区新建 2 家、新华、仙霞、北新泾、新泾社区各新建 1 家社区卫生服务站，升级更新华阳苏一、仙霞茅花、天山纺大、周家桥范北、新泾绿五社区卫生服务站，优化完善江苏福世、北新泾新泾七村、新泾新家苑、淞五、虹康、刘四社区卫生服务站，实现超过一半数量站的业务用房面积达到标准化要求（至少 200 平方米，建议达到 300 平方米）。进一步完善与街镇综合为老服务中心同址设置的新华牛桥、华阳华一、虹桥虹东、江苏长新、仙霞天五社区卫生服务站，实现均有独立出入口通道，均有显著对外标识，增强站对周边区域的医疗辐射功能。",
                 lead: ["区卫健委", "区规资局", "区机管局", "区发改委", "区财政局", "区民政局", "各街道（镇）"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-1-2", category: "三、主要任务", section: "（一）优化资源配置", number: "2", title: "合理配置医疗设备",
                 text: "2.合理配置医疗设备。结合实际，加快推进社区卫生服务中心新冠救治场所扩容建设，落实相关设施设备等增能储备，包括诊疗区域、输液区域、氧疗区域、病房病区等。做好心电监护、血氧监测、供氧等设施设备配置，有条件的可配置CT等设备，全面夯实社区救治工作基础。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-1-3", category: "三、主要任务", section: "（一）优化资源配置", number: "3", title: "优化药品配备供应",
                 text: "3.优化药品配备供应。放宽社区基本药物用药比例限制，扩展药物配备范围，加强与二、三级医院用药目录衔接，力争实现区域内医疗机构常见病用药目录一致。根据服务人口、重点人群底数等情况，配足社区救治物资，包括发热诊疗药品、抗病毒药物、指氧仪等，并结合社区感染者数量变化，动态调整储备，保障物资储备。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-1-4", category: "三、主要任务", section: "（一）优化资源配置", number: "4", title: "强化学科人才支撑",
                 text: "4.强化学科人才支撑。建设一支以全科医生为重点，数量适宜、素质优良的基层医疗卫生人才队伍。拓展与复旦大学、交通大学、同济大学、上海健康医学院等医学院校和市级医疗机构规培点的合作，鼓励社区卫生服务中心作为其临床教学或实习基地。全面实施社区全科医生引进“提速”计划。通过扩大全科规培生招录、全科执业注册、鼓励全科医生转岗培训等多种途径，充实全科医师队伍。到 2025 年，社区全科医生数达到 4.5 名每万常住人口。扩大社区公共卫生人员招录，探索区疾控机构、区疾控精卫分中心、区妇幼所和社区公共卫生人员双向流动培养机制。完善社区医生继续教育和进修制度，加强全科、公共卫生和中医药服务能力培训，选拔优秀的社区医生至上级医院、专业机构多点执业，培养全科医学骨干人才。创新社区人培养社区人的教学新模式，支持虹桥社区建设成为长宁区家庭医生岗位胜任能力培育基地，加强规范化、系统化建设，提高社区医务人员的应用实践能力，提升社区师资队伍的培养带教能力，培育基地立足长宁、辐射上海，形成具有竞争力的社区教学品牌。",
                 lead: ["区人社局", "区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-1-5", category: "三、主要任务", section: "（一）优化资源配置", number: "5", title: "加强政府投入保障",
                 text: "5.加强政府投入保障。建立符合区域经济发展水平、适应经济社会发展的基层卫生健康服务投入机制。优化财政支出结构，财政支出向社区卫生服务机构倾斜。到 2026 年，区级财政对社区基本公共卫生服务经费投入标准达到 120 元/人年。在增加签约服务内容、提高服务质量的基础上，建立签约服务费标准动态调整机制。",
                 lead: ["区财政局", "区卫健委"], partners: [], due: "2026-12-31"),
        PlanTask(seed: "000", id: "000-4-2-1", category: "三、主要任务", section: "（二）强化分级诊疗", number: "1", title: "推进医疗公卫服务同质化",
                 text: "1.推进医疗公卫服务同质化。做实基本医疗卫生服务，以全科服务为导向，提升社区常见病、多发病的诊疗、鉴别诊断和分诊、转诊服务能力。根据市社区医疗服务基本病种清单要求，落实社区医疗服务工作。社区门诊以全科为主，提升中医诊疗和急救服务水平，有条件的可以开展适宜外科手术。中医特色专病（专科）服务实现社区卫生服务中心全覆盖。住院治疗以康复、护理、安宁疗护为主，拓展家庭病床服务。强化社区卫生服务站常见病、多发病的简易诊疗、巡诊和中医药等服务。做细基本公共卫生服务，加强社区公共卫生应急处置能力建设，完善社区发热哨点诊室（发热门诊）功能，落实社区卫生服务站传染病疫情报告制度，提升重大传染病社区预警能力和应急医疗救治能力，协同做好社区疫情调查处置。聚焦失能失智老年人、发育障碍儿童、孕产妇、肿瘤患者、精神障碍患者等重点人群和主要慢性病，坚持医防融合，强化社区综合防治。推进慢性病健康管理支持中心建设，提高标准化、精细化、交互式的慢病评估、筛查及干预服务覆盖面，提升社区慢病管理质量及效率。到 2025 年，全覆盖建成“康复、护理、健康管理”三大中心，推进康复、护理服务同质化，健康管理全程化。社区卫生服务中心、站全覆盖建成智慧健康驿站，社区居民在“家门口”便捷获得健康自测、自评及干预指导服务。社区卫生服务中心全覆盖建成“互联网+诊疗”服务模式，丰富服务供给。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-2-2", category: "三、主要任务", section: "（二）强化分级诊疗", number: "2", title: "优化门诊和转诊预约服务",
                 text: "2.优化门诊和转诊预约服务。在二、三级医院开设签约居民转诊绿色通道，鼓励签约居民通过基层预约转诊就诊。加强门诊号源统筹管理，二、三级医院号源分配向社区倾斜，区域医疗中心预留 20%的专家号源，优先分配给社区卫生服务中心，为社区预约上级号源提供支撑。在区域性医疗中心建立转诊工作责任制，设立专门服务诊室和服务团队，对经家庭医生转诊至上级医院的签约居民，优先就诊、优先检查、优先住院。家庭医生可协助签约居民预约上级医院适宜检查检验项目。推进社区与上级医院之间的双向转诊，并加强管理和考核，鼓励二、三级医院向社区转诊。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-2-3", category: "三、主要任务", section: "（二）强化分级诊疗", number: "3", title: "推进医联体内资源下沉",
                 text: "3.推进医联体内资源下沉。强化医联体内各级医疗机构之间的分工协作，加大上级医院对社区卫生服务中心学科、人才、技术等支撑，建立信息数据统一归口和共享机制。推动医联体上级医院适宜科室专家下沉社区，巩固新冠救治期间专家下社区分片指导机制，鼓励在社区设立专家门诊。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-2-4", category: "三、主要任务", section: "（二）强化分级诊疗", number: "4", title: "加强与医保、价格政策联动",
                 text: "4.加强与医保、价格政策联动。充分发挥医保基金对医疗服务实行战略性购买的作用，基本医保基金增量向社区卫生服务机构倾斜，根据诊疗比例情况，动态调整社区卫生服务机构医保预算总额，探索建立按人头、按病种、按床日付费等医保支付机制。对合理控费的社区卫生服务机构，医保基金实行结余留用、合理超支分担。完善社区卫生服务价格目录，合理确定适宜项目价格并纳入医保支付。优先调整社区卫生服务项目价格，调价额度向社区倾斜。",
                 lead: ["区医保局", "区财政局", "区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-2-5", category: "三、主要任务", section: "（二）强化分级诊疗", number: "5", title: "推进社区“一中心、一特色、一品牌”建设",
                 text: "5.推进社区“一中心、一特色、一品牌”建设。各社区卫生服务中心确定具有竞争力的社区专科优势和医疗服务品牌，以项目化建设为抓手，进一步做实做细“全专结合”、“医防融合”、— 54 —“医养结合”，到 2025 年，形成差异化、个性化的 10 个服务特色/医疗品牌：新华探索“社区心脏康复”服务模式、江苏建设以中医适宜技术为特色“童宝稚康园”、华阳优化“石向东精品工作室”、周家桥打造“桃子姐姐爱儿工作室”儿科医联体模式、天山建立整链式社区护理服务模式、仙霞打造“康复——公卫联盟”、虹桥建设全生命周期眼健康能力提升、程家桥建立以安宁疗护（生命教育）为特色专科、北新泾打造沉浸式体验社区健康科普站、新泾建设糖尿病健康管理中心。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-3-1", category: "三、主要任务", section: "（三）签约高质量发展", number: "1", title: "扩大签约覆盖面",
                 text: "1.扩大签约覆盖面。推进以家庭为单元的签约服务，改善居民体验，形成长期、稳定的签约服务关系，落实家庭医生健康守门人的责任。实施重点人群分类分级管理。将家庭医生签约服务延伸至养老机构，促进医养结合。推进企事业单位、产业园区、商务楼宇、校园等功能社区人群的签约服务，稳步扩大签约服务覆盖面。计划生育特殊家庭成员、“四医联动”对象、失能老年人、残疾人实现家庭医生签约服务应签尽签，中青年职业人群、在校学生家庭医生签约、健康管理覆盖面逐步提升。",
                 lead: ["区民政局", "区医保局", "区教育局", "区退役军人局", "区残联", "区总工会"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-3-2", category: "三、主要任务", section: "（三）签约高质量发展", number: "2", title: "拓展服务内涵",
                 text: "2.拓展服务内涵。拓展家庭医生签约服务内容，在全科服务基础上，结合居民需求，开展公共卫生、康复、护理、儿科、口腔等适宜服务。对签约居民开展健康评估，制定个性化健康管理方案，做好分类管理，开展健康指导与干预。利用市、区两级“互联网+签约服务”平台，为签约居民提供互联网诊疗咨询和健康管理服务。进一步优化签约居民在就医、转诊、用药、医保等方面差异化政策，逐步形成家庭医生首诊、转诊和下转接诊的服务模式，提高社区居民接受签约服务、开展健康管理的积极性。加强签约服务提供政策支撑。二、三级医院因地制宜建立签约居民转诊“一站式”服务窗口，为转诊患者提供便捷服务。推进行政助手、健康管理师等参与家庭医生团队建设，为家庭医生开展签约服务“减负增效”。支持社会办医疗机构和功能社区内设医疗机构提供家庭医生签约服务，将符合条件且有意愿的相关机构纳入医保试点。",
                 lead: ["区卫健委", "区医保局"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-3-3", category: "三、主要任务", section: "（三）签约高质量发展", number: "3", title: "提升服务质量",
                 text: "3.提升服务质量。专题培育 15 名卓越家庭医生工作室主管，提升签约服务的综合管理能力与水平；新增培育 10 个优秀家庭医生工作室，从“全专结合”打造社区特色专科服务，“医防融合”优化重点人群健康管理，“医养结合”积极应对人口老龄化战略三个维度重点培养发展。推荐优秀家庭医生代表，定期送到发达国家、先进地区学习交流，进一步拓宽视野，提升能级，完善服务。依托区家庭医生签约服务质控中心、区社区卫生协会平台，加强签约服务质量控制和满意度评价，优化质量评价机制，完善评价指标体系，评价结果与签约服务费拨付相挂钩。",
                 lead: ["区医保局", "区财政局", "区人社局", "区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-3-4", category: "三、主要任务", section: "（三）签约高质量发展", number: "4", title: "加强宣传推广",
                 text: "4.加强宣传推广。充分利用世界家庭医生日等主题宣传日契机，开展世界家庭医生日宣传、新春送健康等主题活动，提高社区居民对家庭医生、签约服务的知晓度、满意度，引导合理预期。开展十佳社区“家庭医生”、“护理人员”、“公共卫生医师”、“中医医师”、“康复医技师”、“行政助手”等评选，展现家庭医生工作团队的感人事迹和动人风采，树立优秀典型，激励更多医务人员投身家庭医生签约服务。",
                 lead: ["区委宣传部", "区卫健委", "各街道（镇）"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-4-1", category: "三、主要任务", section: "（四）完善治理机制", number: "1", title: "深化医防融合机制",
                 text: "1.深化医防融合机制。建立健全资源整合、布局合理、设施完善、功能齐全的社区公共卫生中心标准化建设，充分调动居委会、企事业单位等各方力量，加强联动合作，推动基层公共卫生治理体系和治理能力的现代化。健全社区发热门诊（哨点诊室）监测预警网络，建设儿童早期发展基地，做实社区心理咨询点。推动公共卫生专业机构、医院和社区卫生服务中心健康管理信息互联互通。加强公共卫生专业机构对社区卫生服务机构的业务指导和支撑，完善社区重点疾病多病共防模式。通过社区卫生服务中心衔接各级各类医疗资源，推进社区健康管理中心建设，加强重点人群分类分级健康管理。推进居委会公共卫生委员会建设，建立常态化管理和应急管理动态衔接的基层公共卫生管理机制。",
                 lead: ["区卫健委", "区民政局", "区公安分局", "各街道（镇）"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-4-2", category: "三、主要任务", section: "（四）完善治理机制", number: "2", title: "优化人事薪酬机制",
                 text: "2.优化人事薪酬机制。根据社区卫生服务中心定编标准，结合新增床位数、诊疗服务下沉等因素，积极保障社区卫生服务机构人员编制。加强区域内人员编制统筹使用，盘活用好存量编制。在坚持“收支两条线”管理基础上，加强绩效考核，重点向一线岗位医务人员倾斜，鼓励优劳优得、优绩优酬。社区公共卫生医师收入不低于中心全部医务人员收入平均水平。合理提高社区卫生服务中心高级专业技术岗位结构比例。建立“基准+激励”的岗位结构比例动态核增机制，激励提高比例重点向全科、公共卫生、中医药、康复等紧缺急需人才倾斜。",
                 lead: ["区委编办", "区人社局", "区财政局", "区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-4-3", category: "三、主要任务", section: "（四）完善治理机制", number: "3", title: "完善评价考核机制",
                 text: "3.完善评价考核机制。以基本医疗、签约服务、转诊服务、健康管理、中医药服务、康复护理、公共卫生服务和合理控费等为考核重点，建立包括服务能力、服务质量、服务满意度在内的社区卫生服务综合评价机制，并将考核评价结果与医保支付、绩效核定等挂钩，促进社区卫生服务中心高质量发展。依托电子健康档案和电子病历系统，整合居民疾病诊疗和健康管理数据，实现社区卫生服务机构考核定量指标客观采集。明确全科医生临床能力要求，定期开展全科医生能力评估考核。完善公立医院考核和激励机制，引导二、三级医院支持社区提升诊疗服务能力。组织开展国家“优质服务基层行”、上海市“社区卫生服务综合评价”等活动，补短板、强弱项、提能力，巩固并达到国家社区卫生服务能力标准推荐型社区全覆盖，进一步加强社区卫生服务中心的资源配置、服务能力提升和管理制度完善。",
                 lead: ["区卫健委"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-4-4", category: "三、主要任务", section: "（四）完善治理机制", number: "4", title: "强化数智赋能机制",
                 text: "4.强化数智赋能机制。以社区健康管理中心建设为切入点，推动以居民个体为单位的基本医疗、公共卫生、健康管理等健康管理数据的信息汇集、健康评估、报告反馈、干预指导，并汇总形成以家庭医生工作室、社区卫生服务中心、区级层面的人群特征和总体健康状况，为制定人群健康管理策略提供数据支撑。推进“互联网+签约服务”，基于区域卫生健康信息平台，为签约居民提供网上签约、在线随访、健康管理、报告查询等服务。建立全区统一的社区卫生服务中心互联网诊疗信息化平台，实现居民健康档案、电子病历、家庭医生签约服务等，均可以在平台上完成。实现区域内居民健康档案、老年人健康体检、慢病随访管理、智慧健康驿站信息数据的互联互通。",
                 lead: ["区科委", "区体育局", "区财政局", "区卫健委", "各街道（镇）"], partners: [], due: "2025-12-31"),
        PlanTask(seed: "000", id: "000-4-4-5", category: "三、主要任务", section: "（四）完善治理机制", number: "5", title: "落实协调会商机制",
                 text: "5.落实协调会商机制。以程家桥市级高质量社区卫生服务中心建设试点为契机，建立健全社区卫生高质量发展与服务能力提升部门会商协调机制，定期召开街镇主任、社区中心主任“双主任例会”，共同推进本区社区卫生服务中心改革创新、提质增效，提升社区卫生服务整体能级。",
                 lead: ["区卫健委", "区规资局", "区机管局", "区发改委", "区财政局", "区民政局", "区人社局", "区医保局", "区委编办", "区科委", "区体育局", "区委宣传部", "区教育局", "区退役军人局", "区公安分局", "各街道（镇）"], partners: [], due: "2025-12-31"),
    ]
}
