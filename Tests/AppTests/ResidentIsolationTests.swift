import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import Testing
import WeijianTesting

/// A resident can never see or change another person's data through any route: on the demo district, resident
/// B (another household) calls every route the server has — pages and API, with every path parameter set to
/// each id resident A can see and with A's Patient id in the query and the body — and nothing B gets back
/// carries A's name, phone, ID number or the ids of A's records, and afterwards A's record and A's own lists
/// are exactly as they were.
@Suite struct ResidentIsolationTests {
    static let district = "310105"
    static let residentA = "p310105-0"

    /// Every string value named `id` (or ending in `Id`) in a JSON document.
    static func ids(in value: JSONValue) -> Set<String> {
        switch value {
        case .object(let members):
            var found = Set<String>()
            for (key, member) in members {
                if key == "id" || key.hasSuffix("Id"), let text = member.stringValue, !text.isEmpty, text.count < 80 { found.insert(text) }
                found.formUnion(ids(in: member))
            }
            return found
        case .array(let items): return items.reduce(into: Set<String>()) { $0.formUnion(ids(in: $1)) }
        default: return []
        }
    }

    /// `path` with its parameters (`:name`, `{name}`) set to `value`; nil for catch-alls.
    static func fill(_ path: String, _ value: String) -> String? {
        guard !path.contains("*") else { return nil }
        let escaped = value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? escaped : String(segment)
        }.joined(separator: "/")
    }

    static func hasParameter(_ path: String) -> Bool { path.split(separator: "/").contains { $0.hasPrefix(":") || $0.hasPrefix("{") } }

    @Test func noRouteShowsOrChangesAnotherResidentsData() async throws {
        try await TestServer.run(writeBurst: 100_000) { server in
            let platform = server.platform
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            _ = try await DemoDistrictSeeder(store: platform.fhir, registry: registry).seed(district: Self.district, residents: 40, randomSeed: 20231)
            try await DemoDistrict.seedServices(platform: platform, district: Self.district, bcryptCost: 4) { _ in }
            // B: a resident of another household, with an account of their own.
            let storedA = try #require(try await platform.fhir.read(type: "Patient", id: Self.residentA))
            let patientA = try JSONValue.parse(Data(storedA.content.utf8))
            let householdA = PatientExtensions.household(of: patientA)
            var residentB = ""
            try await platform.fhir.forEachMatch("Patient", []) { stored in
                guard residentB.isEmpty, stored.id != Self.residentA, let patient = try? JSONValue.parse(Data(stored.content.utf8)),
                      PatientExtensions.household(of: patient) != householdA else { return }
                residentB = stored.id
            }
            #expect(!residentB.isEmpty)
            _ = try await AccountDirectory(database: platform.database, hasher: PasswordHasher(cost: 4))
                .create(NewAccount(username: "resident.b", displayName: "居民乙", role: .resident, password: "Resident-b-2026", patient: residentB))
            let a = try await server.client(as: Principal(subject: "resident", role: .resident, displayName: "居民甲", patient: Self.residentA))
            let b = try await server.client(as: Principal(subject: "resident.b", role: .resident, displayName: "居民乙", patient: residentB))
            let routes = await WeijianServer.routes(platform: platform, configuration: AppConfiguration(database: .init(location: .sqliteFile(path: "/dev/null")), secrets: platform.secrets))
            #expect(routes.count > 250)
            let getRoutes = routes.filter { $0.method == "GET" && !$0.path.hasPrefix("/fhir/") && !$0.path.hasPrefix("/static") }

            // What A sees: A's record (its resource ids, name, phone, ID number) and every id A's own API lists carry.
            let bundle = try await a.execute(uri: "/api/v1/me/record", method: .get) { try JSONValue.parse(Data(String(buffer: $0.body).utf8)) }
            let recordIDs = Set((bundle["entry"]?.arrayValue ?? []).compactMap { $0["resource"]?["id"]?.stringValue })
            #expect(recordIDs.count > 5)
            var markers = recordIDs.filter { $0.count >= 6 }
            if let name = patientA["name"]?.arrayValue?.first?["text"]?.stringValue { markers.insert(name) }
            for telecom in patientA["telecom"]?.arrayValue ?? [] { if let phone = telecom["value"]?.stringValue { markers.insert(phone) } }
            for identifier in patientA["identifier"]?.arrayValue ?? [] { if let number = identifier["value"]?.stringValue, number.count >= 15 { markers.insert(number) } }
            // The ids to aim at: up to three of each type of A's records, and every id in A's own lists (the API's
            // routes about the signed-in resident; the directory lists every resident may read are left out).
            var seenByA: Set<String> = [Self.residentA]
            var perType: [String: Int] = [:]
            for entry in bundle["entry"]?.arrayValue ?? [] {
                guard let type = entry["resource"]?["resourceType"]?.stringValue, let id = entry["resource"]?["id"]?.stringValue, perType[type, default: 0] < 3 else { continue }
                perType[type, default: 0] += 1
                seenByA.insert(id)
            }
            var ownLists: [String] = []
            for route in getRoutes where route.path.hasPrefix("/api/") && !Self.hasParameter(route.path) {
                let (status, body) = try await a.execute(uri: route.path, method: .get) { ($0.status, String(buffer: $0.body)) }
                guard status == .ok, let json = try? JSONValue.parse(Data(body.utf8)) else { continue }
                // A list is A's own when it carries A's Patient id or one of A's records.
                guard body.contains(Self.residentA) || recordIDs.contains(where: { body.contains("\"\($0)\"") }) else { continue }
                seenByA.formUnion(Self.ids(in: json))
                ownLists.append(route.path)
            }
            // A has return visits, home-service orders and payments of their own in the demo, so those routes are aimed at too.
            #expect(ownLists.contains("/api/v1/portal/visits") && ownLists.contains("/api/v1/portal/nursing"), "\(ownLists)")
            // B's refused attempts are rightly recorded in A's access log; the record is compared version by version below.
            ownLists.removeAll { ["/api/v1/me/access-log", "/api/v1/me/record"].contains($0) }
            func snapshot() async throws -> [JSONValue] {
                var parts: [JSONValue] = [try await a.execute(uri: "/api/v1/me/record", method: .get) { response in
                    (try JSONValue.parse(Data(String(buffer: response.body).utf8))["entry"]?.arrayValue ?? [])
                        .map { "\($0["resource"]?["resourceType"]?.stringValue ?? "")/\($0["resource"]?["id"]?.stringValue ?? "")/\($0["resource"]?["meta"]?["versionId"]?.stringValue ?? "")" }.sorted().joined(separator: ",")
                }].map(JSONValue.string)
                for path in ownLists {
                    parts.append(.object(["path": .string(path), "body": try await a.execute(uri: path, method: .get) { try JSONValue.parse(Data(String(buffer: $0.body).utf8)) }]))
                }
                return parts
            }
            let before = try await snapshot()

            // B reads every route, with every parameter set to each id A sees, and A's Patient id in the query.
            var leaks: [String] = []
            var serverErrors: [String] = []
            let values = Array(seenByA).sorted()
            /// Whether `body` shows one of A's markers other than those the request itself carried (`sent`).
            func leak(_ body: String, sent: Set<String>) -> String? { markers.first { marker in !sent.contains { $0.contains(marker) } && body.contains(marker) } }
            var requests = 0
            for route in getRoutes {
                let aims: [(String, String)] = Self.hasParameter(route.path)
                    ? values.compactMap { value in Self.fill(route.path, value).map { ($0, value) } }
                    : [(route.path, ""), (route.path + "?patient=\(Self.residentA)&id=\(Self.residentA)&subject=Patient/\(Self.residentA)", Self.residentA)]
                for (uri, value) in aims {
                    requests += 1
                    let (status, body) = try await b.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
                    if status.code >= 500 { serverErrors.append("GET \(uri) → \(status.code)") }
                    if let marker = leak(body, sent: [value, Self.residentA]) { leaks.append("GET \(uri) → \(status.code) shows \(marker)") }
                }
            }
            // B writes to every route (JSON API; forms with B's own session and CSRF token), aimed at A's ids and A's record.
            let aimedBody = #"{"patient":"\#(Self.residentA)","patientId":"\#(Self.residentA)","grantee":"\#(Self.residentA)","resident":"\#(Self.residentA)","subject":"Patient/\#(Self.residentA)","reason":"x","note":"x"}"#
            for route in routes where ["POST", "PUT", "PATCH", "DELETE"].contains(route.method) && route.path.hasPrefix("/api/") {
                let aims: [(String, String)] = Self.hasParameter(route.path) ? values.compactMap { value in Self.fill(route.path, value).map { ($0, value) } } : [(route.path, "")]
                for (uri, value) in aims {
                    for body in ["{}", aimedBody] {
                        requests += 1
                        let (status, text) = try await b.execute(uri: uri, method: HTTPRequest.Method(route.method) ?? .post, headers: [.contentType: "application/json"],
                                                                 body: ByteBuffer(string: body)) { ($0.status, String(buffer: $0.body)) }
                        if status.code >= 500 { serverErrors.append("\(route.method) \(uri) → \(status.code)") }
                        if let marker = leak(text, sent: [value, Self.residentA]) { leaks.append("\(route.method) \(uri) → \(status.code) shows \(marker)") }
                    }
                }
            }
            let session = try await Self.signIn(server.client, username: "resident.b", password: "Resident-b-2026")
            let csrf = try await server.client.execute(uri: "/portal", method: .get, headers: [.cookie: session]) { response in
                String(buffer: response.body).components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
            }
            #expect(!csrf.isEmpty)
            for route in routes where route.method == "POST" && !route.path.hasPrefix("/api/") && !route.path.hasPrefix("/fhir/")
                && !["/logout", "/login", "/auth/token"].contains(route.path) && !route.path.hasPrefix("/login/") {
                let aims: [(String, String)] = Self.hasParameter(route.path) ? values.compactMap { value in Self.fill(route.path, value).map { ($0, value) } } : [(route.path, "")]
                for (uri, value) in aims {
                    requests += 1
                    let form = "csrf=\(csrf)&patient=\(Self.residentA)&id=\(Self.residentA)&grantee=\(Self.residentA)&member=\(Self.residentA)&grant=1&reason=x&note=x"
                    let (status, text) = try await server.client.execute(uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: session],
                                                                         body: ByteBuffer(string: form)) { ($0.status, String(buffer: $0.body)) }
                    if status.code >= 500 { serverErrors.append("POST \(uri) → \(status.code)") }
                    if let marker = leak(text, sent: [value, Self.residentA]) { leaks.append("POST \(uri) → \(status.code) shows \(marker)") }
                }
            }
            #expect(leaks.isEmpty, "\(leaks.prefix(20).joined(separator: "\n"))")
            #expect(serverErrors.isEmpty, "\(serverErrors.prefix(20).joined(separator: "\n"))")
            #expect(requests > 1000)
            // Nothing of A's changed.
            let after = try await snapshot()
            #expect(before == after)
            // And A still sees A's own record (the markers are live, not stale).
            try await a.execute(uri: "/portal/record", method: .get) { response in
                #expect(response.status == .ok && markers.contains { String(buffer: response.body).contains($0) })
            }
        }
    }

    /// A web session for `username` (the cookie header value).
    static func signIn(_ client: any TestClientProtocol, username: String, password: String) async throws -> String {
        let (cookie, field) = try await client.execute(uri: "/login", method: .get) { response in
            let value = response.headers[values: .setCookie].first { $0.hasPrefix("weijian_login_csrf=") }.map { String($0.split(separator: ";")[0]) } ?? ""
            let html = String(buffer: response.body)
            return (value, html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? "")
        }
        return try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                                        body: ByteBuffer(string: "csrf=\(field)&username=\(username)&password=\(password)")) { response in
            #expect(response.status == .seeOther)
            return response.headers[values: .setCookie].first { $0.hasPrefix("weijian_session=") }.map { String($0.split(separator: ";")[0]) } ?? ""
        }
    }
}
