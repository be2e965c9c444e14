import Foundation
public import FHIR

/// Where a request comes from and what it says about itself.
public struct RequestOrigin: Sendable {
    /// The client's address.
    public var source: String
    /// The stated purpose of use (`X-Purpose-Of-Use`), if any.
    public var purpose: String?
    /// The stated reason for emergency access (`X-Break-Glass`), if any.
    public var breakGlassReason: String?
    /// A bearer token was sent but is invalid or expired.
    public var invalidToken: Bool

    /// Creates an origin.
    public init(source: String, purpose: String? = nil, breakGlassReason: String? = nil, invalidToken: Bool = false) {
        self.source = source
        self.purpose = purpose
        self.breakGlassReason = breakGlassReason
        self.invalidToken = invalidToken
    }
}

/// The FHIR API behind access control: every request is checked against the ``AccessPolicy`` before and
/// after it runs, and every read and change of personal data is appended to the ``AuditLog``.
public struct FHIRGuard: Sendable {
    /// The FHIR interactions.
    public let service: FHIRService
    /// The decisions.
    public let policy: AccessPolicy
    /// The audit chain.
    public let audit: AuditLog

    /// Creates the guard.
    public init(service: FHIRService, policy: AccessPolicy, audit: AuditLog) {
        self.service = service
        self.policy = policy
        self.audit = audit
    }

    /// The shortest break-glass reason accepted.
    public static let minimumReasonLength = 4

    /// The default purpose of use of a role.
    public static func defaultPurpose(_ role: Role) -> String {
        switch role {
        case .resident: "self"
        case .familyDoctor, .chcStaff, .chcManager, .hospitalClinician: "treatment"
        case .cdcEpidemiologist: "public-health"
        case .commissionManager, .healthInspector: "management"
        case .emergencyDispatcher: "emergency"
        case .systemClient: "system"
        case .auditAdministrator: "audit"
        case .systemAdministrator, .securityAdministrator: "operations"
        }
    }

    struct Denied: Error {
        let message: String
        let patient: String
    }

    /// Handles one request for a principal (nil: not signed in).
    public func handle(_ request: FHIRRequest, principal: Principal?, origin: RequestOrigin, base: String) async -> FHIRResponse {
        if request.method == "GET", request.path == ["metadata"] {
            return Self.describeAccess(await service.handle(request, base: base), base: base)
        }
        guard let principal else {
            if origin.invalidToken {
                return FHIRResponse(error: FHIRError(status: 401, code: "login", "The bearer token is invalid or has expired; get a new one from POST /auth/token"))
                    .with(headers: [("WWW-Authenticate", "Bearer realm=\"weijian\", error=\"invalid_token\"")])
            }
            return FHIRResponse(error: FHIRError(status: 401, code: "login", "Sign in, or send a bearer token from POST /auth/token (Authorization: Bearer …)"))
                .with(headers: [("WWW-Authenticate", "Bearer realm=\"weijian\"")])
        }
        var template = AuditRecord(by: principal, action: "", entity: "", source: origin.source)
        if let purpose = origin.purpose { template.purpose = purpose }
        let reason = origin.breakGlassReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let mayBreakGlass = principal.role.isClinical && reason.count >= Self.minimumReasonLength
        if mayBreakGlass { template.reason = reason }
        let cache = AccessPolicy.Cache()
        do {
            let type = request.path.first
            if type == "AuditEvent" {
                return try await auditEvents(request, principal: principal, template: template, base: base)
            }
            let isSearch = request.method == "GET" && (request.path.count == 1 || request.path.last == "_history")
                || (request.method == "POST" && request.path.last == "_search")
            let isCount = isSearch && request.query.contains { $0.0 == "_summary" && $0.1 == "count" }
                && !request.query.contains { $0.0 == "_include" || $0.0 == "_revinclude" }
            if isCount, principal.role.readsAggregates, let type, request.path.count <= 2 {
                // Aggregates: counts carry no personal data.
                guard principal.scopes.allows(type, write: false) else { throw Denied(message: "Your token's scopes do not include \(type)", patient: "") }
                return await service.handle(request, base: base)
            }
            if isCount, !principal.role.readsAggregates {
                throw Denied(message: "\(principal.role.label)无权查看汇总统计", patient: "")
            }
            let writes = !(request.method == "GET" || (request.method == "POST" && request.path.last == "_search"))
            var breakGlass = false
            if writes {
                breakGlass = try await checkWrite(request, principal: principal, mayBreakGlass: mayBreakGlass, cache: cache)
                template.action = request.path.isEmpty ? (request.body?["type"]?.stringValue ?? "bundle")
                    : (request.method == "DELETE" ? "delete" : (request.method == "PUT" ? "update" : "create"))
                template.breakGlass = breakGlass
                let stated = template.reason
                if !breakGlass { template.reason = "" }
                let scope = AuditScope(template: template)
                let response = await AuditScope.$current.withValue(scope) { await service.handle(request, base: base) }
                if request.method == "POST", request.path.count == 1, response.status == 200 {
                    // A conditional create that matched returns the existing record, written by nobody now:
                    // it is a read, and must be the caller's to see.
                    var read = template
                    read.breakGlass = false
                    read.reason = mayBreakGlass ? stated : ""
                    try await audit.append(try await checkRead(response, request: request, principal: principal, template: read, mayBreakGlass: mayBreakGlass, cache: cache))
                    return response
                }
                if response.status >= 400 && response.status != 412 && response.status != 409 {
                    var failed = template
                    failed.entity = Self.entity(request)
                    failed.outcome = "failed"
                    failed.reason = "HTTP \(response.status)" + (stated.isEmpty ? "" : "; " + stated)
                    try await audit.append([failed])
                }
                return response
            }
            if let type {
                guard principal.role.seesIdentifiedRecords || PatientCompartment.directoryTypes.contains(type) else {
                    throw Denied(message: "\(principal.role.label)只能查看汇总数据（_summary=count）或去标识化数据", patient: "")
                }
                guard policy.typeAllowed(principal, type: type, write: false) else {
                    throw Denied(message: "\(principal.role.label)无权查看 \(type)", patient: "")
                }
            } else if !principal.role.isClinical && principal.role != .systemClient {
                throw Denied(message: "\(principal.role.label)无权查看全部历史", patient: "")
            }
            let response = await service.handle(request, base: base)
            guard response.status < 300 else { return response }
            let records = try await checkRead(response, request: request, principal: principal, template: template, mayBreakGlass: mayBreakGlass, cache: cache)
            try await audit.append(records)
            if principal.role != .systemClient, case .json(let value) = response.body, value["resourceType"]?.stringValue == "Bundle" {
                // Lists show ID numbers and phones masked; the record itself, read alone, shows them in full.
                var masked = response
                masked.body = .json(ListMasking.maskBundle(value))
                return masked
            }
            return response
        } catch let denied as Denied {
            var record = template
            record.action = request.method == "GET" ? "read" : request.method.lowercased()
            record.entity = Self.entity(request)
            record.patient = denied.patient
            record.outcome = "denied"
            record.breakGlass = false
            record.reason = denied.message
            do {
                try await audit.append([record])
            } catch {
                return FHIRResponse(error: FHIRError(status: 503, code: "transient", "The access could not be recorded; try again"))
            }
            return FHIRResponse(error: FHIRError(status: 403, code: "forbidden", denied.message
                + (principal.role.isClinical && !denied.patient.isEmpty ? "。如为急救等紧急情况，可在请求头 X-Break-Glass 中说明理由后访问（将被记录并复核）" : "")))
        } catch let error as FHIRError {
            return FHIRResponse(error: error)
        } catch {
            return FHIRResponse(error: FHIRError(status: 503, code: "transient", "The request could not be checked or recorded; try again"))
        }
    }

    /// The CapabilityStatement made true to access control: how to authenticate (SMART-on-FHIR-style
    /// OAuth token endpoint), and AuditEvent as the read-only view of the audit chain.
    static func describeAccess(_ response: FHIRResponse, base: String) -> FHIRResponse {
        guard case .json(var statement) = response.body, var rest = statement["rest"]?.items.first?.objectValue else { return response }
        let root = base.hasSuffix("/fhir/r4") ? String(base.dropLast("/fhir/r4".count)) : base
        rest["security"] = .object([
            "cors": .bool(false),
            "service": .array([.object(["coding": .array([.object([
                "system": .string("http://terminology.hl7.org/CodeSystem/restful-security-service"), "code": .string("SMART-on-FHIR"),
            ])])])]),
            "extension": .array([.object([
                "url": .string("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"),
                "extension": .array([.object(["url": .string("token"), "valueUri": .string(root + "/auth/token")])]),
            ])]),
            "description": .string("Bearer tokens from POST /auth/token (password or client_credentials grant) with SMART scopes such as patient/*.read, user/Observation.write, system/*.write; every access to personal data is written to the audit chain."),
        ])
        rest["resource"] = .array((rest["resource"]?.items ?? []).map { resource in
            guard resource["type"]?.stringValue == "AuditEvent", var object = resource.objectValue else { return resource }
            object["interaction"] = .array([.object(["code": .string("read")]), .object(["code": .string("search-type")])])
            object["searchParam"] = .array(["patient": "reference", "agent": "token", "purpose": "token"].sorted { $0.key < $1.key }.map {
                .object(["name": .string($0.key), "type": .string($0.value)])
            })
            for key in ["versioning", "readHistory", "updateCreate", "conditionalCreate", "conditionalUpdate", "conditionalDelete", "referencePolicy", "searchInclude"] {
                object[key] = nil
            }
            return .object(object)
        })
        statement["rest"] = .array([.object(rest)])
        var described = response
        described.body = .json(statement)
        return described
    }

    /// `Type/id`, or `Type?param,param` (names only: values may be personal data).
    static func entity(_ request: FHIRRequest) -> String {
        let path = request.path
        if path.count >= 2, path[1] != "_search", path[1] != "_history" { return "\(path[0])/\(path[1])" }
        let names = Array(Set(request.query.map(\.0))).sorted().joined(separator: ",")
        return (path.first ?? "") + (names.isEmpty ? "" : "?" + names)
    }

    /// Checks that the principal may see each patient; returns whether the glass was broken.
    private func requirePatients(_ patients: [String], principal: Principal, mayBreakGlass: Bool, cache: AccessPolicy.Cache) async throws -> Bool {
        var broke = false
        for patient in patients where !patient.hasPrefix("urn:") {
            if try await policy.relationship(principal, patient: patient, cache: cache) != nil { continue }
            guard mayBreakGlass else { throw Denied(message: "无权访问该居民的健康档案", patient: patient) }
            broke = true
        }
        return broke
    }

    // MARK: writes

    private func checkWrite(_ request: FHIRRequest, principal: Principal, mayBreakGlass: Bool, cache: AccessPolicy.Cache) async throws -> Bool {
        if request.path.isEmpty {
            guard let body = request.body, body["resourceType"]?.stringValue == "Bundle" else { return false }
            var broke = false
            for entry in body["entry"]?.items ?? [] {
                let method = entry["request"]?["method"]?.stringValue ?? ""
                let url = (entry["request"]?["url"]?.stringValue ?? "").split(separator: "?").first.map(String.init) ?? ""
                let parts = url.split(separator: "/").map(String.init)
                guard let type = parts.first else { continue }
                if method == "GET" {
                    // Reads inside a batch are checked like reads: only the writer's own patients.
                    guard policy.typeAllowed(principal, type: type, write: false) else { throw Denied(message: "\(principal.role.label)无权查看 \(type)", patient: "") }
                    if parts.count >= 2, PatientCompartment.isPersonal(type) {
                        let patients = type == "Patient" ? [parts[1]] : try await storedPatients(type: type, id: parts[1])
                        broke = try await requirePatients(patients, principal: principal, mayBreakGlass: mayBreakGlass, cache: cache) || broke
                    } else if parts.count == 1, PatientCompartment.isPersonal(type), !AccessPolicy.isDistrictPlatform(principal) {
                        throw Denied(message: "Searches inside a Bundle are not allowed for access-controlled users; search directly", patient: "")
                    }
                    continue
                }
                broke = try await checkOneWrite(type: type, id: parts.count >= 2 ? parts[1] : nil, method: method, body: entry["resource"],
                                                principal: principal, mayBreakGlass: mayBreakGlass, cache: cache) || broke
            }
            return broke
        }
        let type = request.path[0]
        let id = request.path.count >= 2 ? request.path[1] : nil
        return try await checkOneWrite(type: type, id: id, method: request.method, body: request.body, principal: principal, mayBreakGlass: mayBreakGlass, cache: cache)
    }

    private func checkOneWrite(type: String, id: String?, method: String, body: JSONValue?, principal: Principal, mayBreakGlass: Bool, cache: AccessPolicy.Cache) async throws -> Bool {
        guard policy.typeAllowed(principal, type: type, write: true) else {
            throw Denied(message: "\(principal.role.label)无权修改 \(type)", patient: "")
        }
        guard PatientCompartment.isPersonal(type) else { return false }
        var patients: [String] = []
        if let body { patients += PatientCompartment.patients(of: body, type: type).filter { !(type == "Patient" && $0 == id) } }
        if let id, method == "PUT" || method == "DELETE" {
            // The record as it is now must be the principal's too (no taking over someone else's record).
            patients += try await storedPatients(type: type, id: id)
        }
        if type == "Patient", method == "POST" { patients.removeAll { $0 == body?["id"]?.stringValue } }
        if principal.role == .resident {
            guard let own = principal.patient, !patients.isEmpty, patients.allSatisfy({ $0 == own }) else {
                throw Denied(message: "居民只能提交与本人有关的记录", patient: patients.first { $0 != principal.patient } ?? "")
            }
            return false
        }
        if patients.isEmpty, principal.role != .systemClient, !principal.role.isClinical {
            throw Denied(message: "\(principal.role.label)无权修改 \(type)", patient: "")
        }
        return try await requirePatients(patients, principal: principal, mayBreakGlass: mayBreakGlass, cache: cache)
    }

    private func storedPatients(type: String, id: String) async throws -> [String] {
        guard let stored = try await policy.store.read(type: type, id: id), !stored.deleted,
              let resource = try? JSONValue.parse(Data(stored.content.utf8)) else { return [] }
        return PatientCompartment.patients(of: resource, type: type)
    }

    // MARK: reads

    private func checkRead(_ response: FHIRResponse, request: FHIRRequest, principal: Principal, template: AuditRecord,
                           mayBreakGlass: Bool, cache: AccessPolicy.Cache) async throws -> [AuditRecord] {
        var resources: [JSONValue] = []
        switch response.body {
        case .none: break
        case .text(let text): resources = [try JSONValue.parse(Data(text.utf8))]
        case .json(let value):
            if value["resourceType"]?.stringValue == "Bundle" {
                resources = (value["entry"]?.items ?? []).compactMap { $0["resource"] }
            } else {
                resources = [value]
            }
        }
        var byPatient: [String: Bool] = [:]   // patient → glass broken
        var order: [String] = []
        var unattached = false
        for resource in resources {
            guard let type = resource["resourceType"]?.stringValue, PatientCompartment.isPersonal(type), type != "OperationOutcome", type != "Bundle" else { continue }
            var patients = PatientCompartment.patients(of: resource, type: type)
            if patients.isEmpty, let id = resource["id"]?.stringValue {
                // A subset (_elements, _summary) may hide the subject: look at the stored record.
                patients = try await storedPatients(type: type, id: id)
            }
            if patients.isEmpty {
                guard principal.role.isClinical || principal.role == .systemClient else {
                    throw Denied(message: "\(principal.role.label)无权查看未关联居民的 \(type)", patient: "")
                }
                unattached = true
                continue
            }
            for patient in patients where byPatient[patient] == nil {
                if try await policy.relationship(principal, patient: patient, cache: cache) != nil {
                    byPatient[patient] = false
                } else if mayBreakGlass {
                    byPatient[patient] = true
                } else {
                    throw Denied(message: "结果中含有您无权查看的居民健康档案；请缩小查询范围（例如 patient=…）", patient: patient)
                }
                order.append(patient)
            }
        }
        let action = request.path.count >= 2 && request.path[1] != "_search" && request.path.last != "_history" ? "read" : "search"
        var records: [AuditRecord] = order.map { patient in
            var record = template
            record.action = action
            record.entity = Self.entity(request)
            record.patient = patient
            record.breakGlass = byPatient[patient] ?? false
            if !record.breakGlass { record.reason = "" }
            return record
        }
        if unattached {
            var record = template
            record.action = action
            record.entity = Self.entity(request)
            record.reason = ""
            records.append(record)
        }
        return records
    }

    // MARK: AuditEvent

    private func auditEvents(_ request: FHIRRequest, principal: Principal, template: AuditRecord, base: String) async throws -> FHIRResponse {
        guard principal.role == .auditAdministrator, principal.scopes.allows("AuditEvent", write: false) else {
            throw Denied(message: "只有审计管理员可以查看审计日志", patient: "")
        }
        guard request.method == "GET" else {
            return FHIRResponse(error: FHIRError(status: 405, code: "not-supported", "The audit log is append-only: AuditEvent cannot be written through the API"))
        }
        var record = template
        record.entity = Self.entity(request)
        if request.path.count == 2 {
            guard let seq = Int64(request.path[1]), let entry = try await audit.entry(seq: seq) else {
                throw FHIRError.notFound("AuditEvent/\(request.path[1]) does not exist")
            }
            record.action = "read"
            try await audit.append([record])
            return FHIRResponse(status: 200, body: .json(AuditEventRenderer.render(entry)))
        }
        guard request.path.count == 1 else { throw FHIRError(status: 405, code: "not-supported", "Only read and search of AuditEvent are supported") }
        var count = 50
        var before: Int64?
        var patient: String?
        var actor: String?
        var breakGlass = false
        for (name, value) in request.query {
            switch name {
            case "_count": count = max(1, min(1000, Int(value) ?? 50))
            case "_before-seq": before = Int64(value)
            case "patient", "entity": patient = value.hasPrefix("Patient/") ? String(value.dropFirst(8)) : value
            case "agent": actor = value
            case "purpose": breakGlass = value == "BTG"
            case "_format", "_pretty": break
            default: throw FHIRError.badRequest("AuditEvent search supports patient, agent, purpose=BTG, _count and _before-seq; not '\(name)'")
            }
        }
        let entries = patient != nil
            ? try await audit.entries(patient: patient ?? "", limit: count + 1, before: before)
            : try await audit.entries(breakGlassOnly: breakGlass, actor: actor, limit: count + 1, before: before)
        record.action = "search"
        try await audit.append([record])
        let page = Array(entries.prefix(count))
        var links: [JSONValue] = [.object(["relation": .string("self"), "url": .string("\(base)/AuditEvent")])]
        if entries.count > count, let last = page.last {
            var query = request.query.filter { $0.0 != "_before-seq" }.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            query.append("_before-seq=\(last.seq)")
            links.append(.object(["relation": .string("next"), "url": .string("\(base)/AuditEvent?" + query.joined(separator: "&"))]))
        }
        let bundle: JSONValue = .object([
            "resourceType": .string("Bundle"), "type": .string("searchset"),
            "link": .array(links),
            "entry": .array(page.map { entry in
                .object([
                    "fullUrl": .string("\(base)/AuditEvent/\(entry.seq)"),
                    "resource": AuditEventRenderer.render(entry),
                    "search": .object(["mode": .string("match")]),
                ])
            }),
        ])
        return FHIRResponse(status: 200, body: .json(bundle))
    }
}
