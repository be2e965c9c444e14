import Access
import FHIR
import Foundation
import Registry

/// One account per role for the demo district, all with the demo password (for trying the system; never in production).
public enum DemoAccounts {
    /// The password of every demo account.
    public static let password = "weijian-demo-2026"

    /// A demo account: login name, role and whom it stands for.
    public struct Made: Sendable {
        /// Login name.
        public var username: String
        /// Role.
        public var role: Role
        /// Institution, practitioner or patient it is anchored to.
        public var anchor: String
    }

    /// Creates the demo accounts unless accounts exist already; returns those made.
    @discardableResult
    public static func create(platform: Platform, district: String, bcryptCost: UInt8 = 12) async throws -> [Made] {
        let accounts = AccountDirectory(database: platform.database, hasher: PasswordHasher(cost: bcryptCost))
        guard try await accounts.all().isEmpty else { return [] }
        // The first resident of the demo, their family doctor and CHC; the district's first hospital.
        let residentID = "p\(district)-0"
        guard let stored = try await platform.fhir.read(type: "Patient", id: residentID), let patient = try? JSONValue.parse(Data(stored.content.utf8)) else { return [] }
        let references = (patient["generalPractitioner"]?.items ?? []).compactMap { $0["reference"]?.stringValue }
        let doctor = references.first { $0.hasPrefix("Practitioner/") }.map { String($0.dropFirst("Practitioner/".count)) }
        let chc = patient["managingOrganization"]?["reference"]?.stringValue.map { String($0.dropFirst("Organization/".count)) }
        let hospital = Catalog.institutions.first { $0.district == district && $0.type == "hospital" }
        let name = patient["name"]?.items.first?["text"]?.stringValue ?? "居民"
        var plan: [NewAccount] = [
            NewAccount(username: "resident", displayName: name, role: .resident, password: password, patient: residentID),
            NewAccount(username: "cdc", displayName: "疾控流调员", role: .cdcEpidemiologist, password: password, district: district),
            NewAccount(username: "manager", displayName: "卫健委管理员", role: .commissionManager, password: password, district: district),
            NewAccount(username: "inspector", displayName: "卫生监督员", role: .healthInspector, password: password, district: district),
            NewAccount(username: "dispatcher", displayName: "急救调度员", role: .emergencyDispatcher, password: password, district: district),
            NewAccount(username: "sysadmin", displayName: "系统管理员", role: .systemAdministrator, password: password),
            NewAccount(username: "secadmin", displayName: "安全管理员", role: .securityAdministrator, password: password),
            NewAccount(username: "auditor", displayName: "审计管理员", role: .auditAdministrator, password: password),
        ]
        if let doctor, let chc {
            plan.append(NewAccount(username: "doctor", displayName: "家庭医生", role: .familyDoctor, password: password, institution: chc, practitioner: doctor))
        }
        if let chc {
            plan.append(NewAccount(username: "chc.staff", displayName: "社区工作人员", role: .chcStaff, password: password, institution: chc))
            plan.append(NewAccount(username: "chc.manager", displayName: "社区中心主任", role: .chcManager, password: password, institution: chc))
        }
        if let hospital {
            plan.append(NewAccount(username: "clinician", displayName: "医院医生", role: .hospitalClinician, password: password, institution: hospital.id, practitioner: "\(hospital.id)-dr1"))
        }
        var made: [Made] = []
        for account in plan {
            _ = try await accounts.create(account)
            made.append(Made(username: account.username, role: account.role, anchor: account.patient ?? account.practitioner ?? account.institution ?? account.district ?? ""))
        }
        return made
    }
}
