/// The roles of the platform. One account holds exactly one role, so the three administrators
/// (系统管理员, 安全管理员, 审计管理员) are always separate accounts (三权分立, as 等保三级 requires).
public enum Role: String, Sendable, Codable, CaseIterable {
    /// 居民: their own record and, with recorded consent, their household's.
    case resident
    /// 家庭医生: their contracted panel (Patient.generalPractitioner).
    case familyDoctor = "family_doctor"
    /// 社区卫生服务中心工作人员: residents registered at their CHC (Patient.managingOrganization).
    case chcStaff = "chc_staff"
    /// 社区卫生服务中心主任: as CHC staff, and manages the CHC's patient index.
    case chcManager = "chc_manager"
    /// 医院临床医生: patients with an encounter or an active referral at their hospital.
    case hospitalClinician = "hospital_clinician"
    /// 疾控流调人员: case data (conditions, results, immunizations) of residents of their district.
    case cdcEpidemiologist = "cdc_epidemiologist"
    /// 卫健委管理人员: aggregates and de-identified rows of their district, never identified rows.
    case commissionManager = "commission_manager"
    /// 卫生监督员: institutions and aggregates, no personal records.
    case healthInspector = "health_inspector"
    /// 急救调度员 (120): emergency calls, ambulances and their journeys in their district; no health records.
    case emergencyDispatcher = "emergency_dispatcher"
    /// 系统管理员: accounts and configuration; no personal data, no audit log.
    case systemAdministrator = "system_admin"
    /// 安全管理员: lockouts, keys, break-glass review; no personal data, no audit log.
    case securityAdministrator = "security_admin"
    /// 审计管理员: reads and verifies the audit log; nothing else.
    case auditAdministrator = "audit_admin"
    /// 接入系统: a system that pushes data (a hospital EMR), by client credentials; its scopes decide.
    case systemClient = "system_client"

    /// The Chinese name shown in the UI.
    public var label: String {
        switch self {
        case .resident: "居民"
        case .familyDoctor: "家庭医生"
        case .chcStaff: "社区卫生服务中心工作人员"
        case .chcManager: "社区卫生服务中心主任"
        case .hospitalClinician: "医院临床医生"
        case .cdcEpidemiologist: "疾控中心流调人员"
        case .commissionManager: "卫健委管理人员"
        case .healthInspector: "卫生监督员"
        case .emergencyDispatcher: "急救调度员"
        case .systemAdministrator: "系统管理员"
        case .securityAdministrator: "安全管理员"
        case .auditAdministrator: "审计管理员"
        case .systemClient: "接入系统"
        }
    }

    /// Roles that treat patients and so may break the glass with a stated reason.
    public var isClinical: Bool {
        switch self {
        case .familyDoctor, .chcStaff, .chcManager, .hospitalClinician: true
        default: false
        }
    }

    /// The three separated administrators.
    public var isAdministrator: Bool {
        self == .systemAdministrator || self == .securityAdministrator || self == .auditAdministrator
    }

    /// Whether the role needs an institution (Organization id) on its account.
    public var needsInstitution: Bool {
        switch self {
        case .familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .systemClient: true
        default: false
        }
    }

    /// Whether the role needs a district (GB/T 2260 code) on its account.
    public var needsDistrict: Bool {
        self == .cdcEpidemiologist || self == .commissionManager || self == .healthInspector || self == .emergencyDispatcher
    }

    /// Roles with any sight of identified personal health data.
    public var seesIdentifiedRecords: Bool {
        switch self {
        case .resident, .familyDoctor, .chcStaff, .chcManager, .hospitalClinician, .cdcEpidemiologist, .systemClient: true
        default: false
        }
    }

    /// Roles that may read aggregate counts (`_summary=count`) without a patient relationship.
    public var readsAggregates: Bool {
        switch self {
        case .resident, .systemAdministrator, .securityAdministrator, .auditAdministrator: false
        default: true
        }
    }
}
