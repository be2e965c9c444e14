import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Registry
import Storage
import Surveillance
import Synchronization
import Testing
import WeijianTesting

/// The resident portal's sign-in with one-time SMS codes, "my record", household consent and the record's
/// download as a FHIR Bundle, over real HTTP on both engines.
@Suite struct ResidentPortalTests {
    /// A sender that keeps what it was given, to read the code a resident would get by SMS.
    final class Inbox: NotificationSender {
        let messages = Mutex<[(String, String)]>([])
        func send(_ message: OutboundMessage, to address: String) async throws { messages.withLock { $0.append((address, message.body)) } }
        /// The last six-digit code sent to `phone`.
        func code(for phone: String) -> String? {
            messages.withLock { list in
                list.last { $0.0 == phone }.flatMap { message in message.1.firstMatch(of: /(\d{6})/).map { String($0.1) } }
            }
        }
        var count: Int { messages.withLock { $0.count } }
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    static func patient(_ id: String, phone: String, household: String) throws -> JSONValue {
        try json("""
        {"resourceType":"Patient","id":"\(id)",\(id == "pa2" ? "" : #""active":true,"#)"name":[{"text":"居民\(id)"}],"gender":"female","birthDate":"1960-03-04",
         "telecom":[{"system":"phone","value":"\(phone)"}],
         "extension":[{"url":"https://weijian.health/StructureDefinition/household","valueIdentifier":{"system":"https://weijian.health/sid/household","value":"\(household)"}}]}
        """)
    }

    /// Residents A and A2 (one household), B (another, sharing no phone); an account each; a high glucose result for A.
    static func seed(_ server: TestServer) async throws {
        let store = server.platform.fhir
        for (id, phone, household) in [("pa", "13911110001", "H1"), ("pa2", "13911110002", "H1"), ("pb", "13911110003", "H2")] {
            _ = try await store.update(try patient(id, phone: phone, household: household), type: "Patient", id: id)
            _ = try await AccountDirectory(database: server.platform.database, hasher: PasswordHasher(cost: 4))
                .create(NewAccount(username: "res.\(id)", displayName: "居民\(id)", role: .resident, password: "Resident-pass-2026", patient: id))
        }
        _ = try await store.update(try json("""
            {"resourceType":"Observation","id":"glu-a","status":"final","code":{"text":"空腹血糖"},"subject":{"reference":"Patient/pa"},
             "effectiveDateTime":"2026-10-01T08:00:00+08:00","valueQuantity":{"value":7.8,"unit":"mmol/L"},
             "referenceRange":[{"low":{"value":3.9,"unit":"mmol/L"},"high":{"value":6.1,"unit":"mmol/L"}}]}
            """), type: "Observation", id: "glu-a")
        // Blood pressure recorded without a range: judged against the usual adult range of its LOINC codes.
        _ = try await store.update(try json("""
            {"resourceType":"Observation","id":"bp-a","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/pa"},"effectiveDateTime":"2026-10-02",
             "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}],"text":"收缩压"},"valueQuantity":{"value":146,"unit":"mmHg"}},
                          {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}],"text":"舒张压"},"valueQuantity":{"value":71,"unit":"mmHg"}}]}
            """), type: "Observation", id: "bp-a")
        _ = try await store.update(try json("""
            {"resourceType":"Immunization","id":"imm-a","status":"completed","vaccineCode":{"text":"流感疫苗"},"patient":{"reference":"Patient/pa"},
             "occurrenceDateTime":"2026-10-10","lotNumber":"L2026-77"}
            """), type: "Immunization", id: "imm-a")
        _ = try await store.update(try json("""
            {"resourceType":"Observation","id":"bp-b","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/pb"},"valueString":"118/76"}
            """), type: "Observation", id: "bp-b")
    }

    @Test func phoneNumbersAreNormalised() {
        #expect(OneTimeCodes.normalisedPhone("139 1111-0001") == "13911110001")
        #expect(OneTimeCodes.normalisedPhone("+8613911110001") == "13911110001")
        for bad in ["1391111000", "23911110001", "12911110001", "1391111000x", ""] { #expect(OneTimeCodes.normalisedPhone(bad) == nil, "\(bad)") }
    }

    @Test func codesExpireAreUsedOnceAndSurviveFewGuesses() async throws {
        try await TestDatabase.withPlatform { platform in
            let codes = OneTimeCodes(database: platform.database, secrets: AccessSecrets.generate())
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let code = try await codes.issue(phone: "13911110001", now: start)
            #expect(code.count == 6)
            // No second code within a minute.
            await #expect(throws: OneTimeCodes.IssueError.tooSoon(retryAfter: 30)) { _ = try await codes.issue(phone: "13911110001", now: start + 30) }
            // The right code for another phone is no good; a right code is good once.
            #expect(try await codes.verify(phone: "13911110002", code: code, now: start + 1) == false)
            #expect(try await codes.verify(phone: "13911110001", code: code, now: start + 2))
            #expect(try await codes.verify(phone: "13911110001", code: code, now: start + 3) == false)
            // Expired after five minutes.
            let second = try await codes.issue(phone: "13911110001", now: start + 61)
            #expect(try await codes.verify(phone: "13911110001", code: second, now: start + 61 + 301) == false)
            // Five wrong guesses void it, the right one after them too.
            let third = try await codes.issue(phone: "13911110001", now: start + 500)
            let wrong = third == "000000" ? "111111" : "000000"
            for _ in 0..<5 { #expect(try await codes.verify(phone: "13911110001", code: wrong, now: start + 501) == false) }
            #expect(try await codes.verify(phone: "13911110001", code: third, now: start + 502) == false)
            // Neither the phone nor the code is stored.
            let stored = try await platform.database.read { sql in
                try await sql.raw("SELECT phone_key, code_hash FROM access_one_time_code").all().map { try $0.decode(column: "phone_key", as: String.self) + $0.decode(column: "code_hash", as: String.self) }
            }
            #expect(stored.count == 1 && !stored[0].contains("13911110001") && !stored[0].contains(third))
        }
    }

    static func csrf(_ response: TestResponse) -> (cookie: String, field: String) {
        let html = String(buffer: response.body)
        let field = html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
        var cookie = ""
        for value in response.headers[values: .setCookie] where value.hasPrefix("weijian_code_csrf=") {
            cookie = String(value.split(separator: ";")[0])
        }
        return (cookie, field)
    }

    static func cookies(_ response: TestResponse) -> [String: String] {
        var jar: [String: String] = [:]
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2 { jar[String(pair[0])] = String(pair[1]) }
        }
        return jar
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
    }

    @Test func signInWithASMSCodeOnTheWeb() async throws {
        let inbox = Inbox()
        try await TestServer.run(notificationSender: inbox) { server in
            try await Self.seed(server)
            let client = server.client
            let (cookie, field) = try await client.execute(uri: "/login/code", method: .get) { Self.csrf($0) }
            #expect(!field.isEmpty && cookie.hasSuffix(field))
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]
            // A bad number is refused with a message; an unregistered one gets the same answer as a registered one, and no SMS.
            try await client.execute(uri: "/login/code/send", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "12345"])) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("11位手机号码"))
            }
            try await client.execute(uri: "/login/code/send", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "13800000000"])) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("验证码已发送"))
            }
            #expect(inbox.count == 0)
            try await client.execute(uri: "/login/code/send", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "139 1111 0001"])) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("name=\"code\""))
            }
            let code = try #require(inbox.code(for: "13911110001"))
            // Without the page's token nothing is sent or checked.
            try await client.execute(uri: "/login/code", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: Self.form(["csrf": field, "phone": "13911110001", "code": code])) { #expect($0.status == .forbidden) }
            let wrong = code == "000000" ? "111111" : "000000"
            try await client.execute(uri: "/login/code", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "13911110001", "code": wrong])) { response in
                #expect(response.status == .unauthorized && String(buffer: response.body).contains("验证码错误"))
            }
            let session = try await client.execute(uri: "/login/code", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "13911110001", "code": code])) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/portal")
                return Self.cookies(response)["weijian_session"] ?? ""
            }
            #expect(!session.isEmpty)
            try await client.execute(uri: "/portal", method: .get, headers: [.cookie: "weijian_session=\(session)"]) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("居民pa") && html.contains("/portal/record"))
            }
            // The code was used up.
            try await client.execute(uri: "/login/code", method: .post, headers: headers, body: Self.form(["csrf": field, "phone": "13911110001", "code": code])) { #expect($0.status == .unauthorized) }
            // The phone on the record also works as the user name with the password.
            let login = try await client.execute(uri: "/login", method: .get) { response in
                (Self.cookies(response)["weijian_login_csrf"] ?? "", String(buffer: response.body).components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? "")
            }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "weijian_login_csrf=\(login.0)"],
                                     body: Self.form(["csrf": login.1, "username": "13911110002", "password": "Resident-pass-2026"])) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/portal")
            }
            // Staff are not shown the portal.
            let doctor = try await server.client(as: Principal(subject: "d", role: .familyDoctor, displayName: "医生", institution: "chc", practitioner: "dr"))
            try await doctor.execute(uri: "/portal", method: .get) { #expect($0.status == .forbidden) }
        }
    }

    @Test func appsSignInWithACodeAndDownloadTheRecord() async throws {
        let inbox = Inbox()
        try await TestServer.run(notificationSender: inbox) { server in
            try await Self.seed(server)
            try await server.client.execute(uri: "/api/v1/auth/sms-code", method: .post, headers: [.contentType: "application/json"],
                                            body: ByteBuffer(string: #"{"phone":"13911110001"}"#)) { #expect($0.status == .accepted) }
            try await server.client.execute(uri: "/api/v1/auth/sms-code", method: .post, headers: [.contentType: "application/json"],
                                            body: ByteBuffer(string: #"{"phone":"13911110001"}"#)) { response in
                #expect(response.status == .tooManyRequests && response.headers[.retryAfter] != nil)
            }
            // A phone no resident has is answered alike, the second time too: the answers do not tell it apart.
            for expected in [HTTPResponse.Status.accepted, .tooManyRequests] {
                try await server.client.execute(uri: "/api/v1/auth/sms-code", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: #"{"phone":"13911119999"}"#)) { #expect($0.status == expected) }
            }
            #expect(inbox.code(for: "13911119999") == nil)
            let code = try #require(inbox.code(for: "13911110001"))
            let token = try await server.client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                        body: Self.form(["grant_type": "sms_code", "phone": "13911110001", "code": code])) { response in
                #expect(response.status == .ok)
                return try Self.json(String(buffer: response.body))["access_token"]?.stringValue ?? ""
            }
            let resident = AuthorizedClient(base: server.client, token: token)
            let bundle = try await resident.execute(uri: "/api/v1/me/record", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/fhir+json") == true)
                return try Self.json(String(buffer: response.body))
            }
            #expect(bundle["resourceType"]?.stringValue == "Bundle" && bundle["type"]?.stringValue == "collection")
            let entries = bundle["entry"]?.arrayValue ?? []
            let ids = Set(entries.compactMap { $0["resource"]?["id"]?.stringValue })
            #expect(ids == ["pa", "glu-a", "bp-a", "imm-a"])
            #expect(entries.allSatisfy { $0["fullUrl"]?.stringValue?.hasPrefix("http://") == true })
            // The own record keeps the full phone; the token cannot write.
            #expect(entries.first?["resource"]?["telecom"]?.arrayValue?.first?["value"]?.stringValue == "13911110001")
            try await resident.execute(uri: "/fhir/r4/Observation", method: .post, headers: [.contentType: "application/fhir+json"],
                                       body: ByteBuffer(string: #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}}"#)) {
                #expect($0.status == .forbidden)
            }
            // A wrong code is refused in the OAuth way.
            try await server.client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                            body: Self.form(["grant_type": "sms_code", "phone": "13911110001", "code": code])) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("invalid_grant"))
            }
            // The export is in the resident's access log.
            let entriesLogged = try await server.platform.audit.entries(patient: "pa", limit: 20, before: nil)
            #expect(entriesLogged.contains { $0.record.action == "export" && $0.record.entity == "portal/record" })
        }
    }

    @Test func aHouseholdMemberSeesTheRecordOnlyWithConsent() async throws {
        try await TestServer.run { server in
            try await Self.seed(server)
            let a = try await server.client(as: Principal(subject: "res.pa", role: .resident, displayName: "居民pa", patient: "pa"))
            let a2 = try await server.client(as: Principal(subject: "res.pa2", role: .resident, displayName: "居民pa2", patient: "pa2"))
            let b = try await server.client(as: Principal(subject: "res.pb", role: .resident, displayName: "居民pb", patient: "pb"))
            // Her own record: the glucose result against its range, the vaccination with its lot.
            try await a.execute(uri: "/portal/record", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(html.contains("空腹血糖：7.8mmol/L（参考 3.9–6.1） 偏高"), "\(html)")
                #expect(html.contains("流感疫苗（批号 L2026-77）"))
                #expect(html.contains("血压：收缩压 146mmHg（参考 90–139） 偏高，舒张压 71mmHg（参考 60–89） ⚠"), "\(html)")
                #expect(!html.contains("118/76"))
            }
            for uri in ["/portal/record?patient=pa", "/portal/record/download?patient=pa", "/api/v1/me/record?patient=pa"] {
                try await a2.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
                try await b.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
            }
            // A consents for A2 (same household); B cannot be granted (another household).
            try await a.execute(uri: "/api/v1/me/consents", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"grantee":"pa2"}"#)) {
                #expect($0.status == .created)
            }
            try await a.execute(uri: "/api/v1/me/consents", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"grantee":"pb"}"#)) {
                #expect($0.status == .badRequest)
            }
            try await a2.execute(uri: "/portal/record?patient=pa", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("空腹血糖"))
            }
            try await a2.execute(uri: "/api/v1/me/record?patient=pa", method: .get) { response in
                let ids = Set((try Self.json(String(buffer: response.body))["entry"]?.arrayValue ?? []).compactMap { $0["resource"]?["id"]?.stringValue })
                #expect(response.status == .ok && ids == ["pa", "glu-a", "bp-a", "imm-a"])
            }
            try await a2.execute(uri: "/portal/family", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("/portal/record?patient=pa") && !html.contains("居民pb"))
            }
            try await b.execute(uri: "/portal/record?patient=pa", method: .get) { #expect($0.status == .notFound) }
            try await b.execute(uri: "/api/v1/me/record?patient=pa", method: .get) { #expect($0.status == .notFound) }
            // Staff have no portal record route.
            let doctor = try await server.client(as: Principal(subject: "d", role: .familyDoctor, displayName: "医生", institution: "chc", practitioner: "dr"))
            try await doctor.execute(uri: "/api/v1/me/record?patient=pa", method: .get) { #expect($0.status == .forbidden) }
        }
    }

    @Test func aParentBooksAndCancelsAChildsVaccination() async throws {
        try await TestServer.run { server in
            try await Self.seed(server)
            let store = server.platform.fhir
            // pa's child (born five months ago, at 周家桥's CHC) lets pa see and book for them.
            let birth = CalendarDay.shift(CalendarDay.today(), days: -150)
            _ = try await store.update(try Self.json(#"{"resourceType":"Organization","id":"cn-chc-zhouqiao","name":"周家桥街道社区卫生服务中心"}"#), type: "Organization", id: "cn-chc-zhouqiao")
            _ = try await store.update(try Self.json("""
                {"resourceType":"Patient","id":"kid","active":true,"name":[{"text":"小宝"}],"gender":"male","birthDate":"\(birth)",
                 "managingOrganization":{"reference":"Organization/cn-chc-zhouqiao"},
                 "extension":[{"url":"https://weijian.health/StructureDefinition/household","valueIdentifier":{"system":"https://weijian.health/sid/household","value":"H1"}}]}
                """), type: "Patient", id: "kid")
            try await ConsentRegistry(database: server.platform.database).grant(grantor: "kid", grantee: "pa")
            let session = try await SurveillanceService(store: store).openVaccinationSession(organization: "cn-chc-zhouqiao", district: "310105",
                                                                                          day: CalendarDay.shift(CalendarDay.today(), days: 2), period: "am", capacity: 5, actor: "chc")
            let cookie = try await ResidentIsolationTests.signIn(server.client, username: "res.pa", password: "Resident-pass-2026")
            let (csrf, html) = try await server.client.execute(uri: "/portal/vaccination", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                return (html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? "", html)
            }
            #expect(html.contains("小宝") && html.contains("乙肝疫苗") && html.contains(session.id), "\(html)")
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]
            try await server.client.execute(uri: "/portal/vaccination", method: .post, headers: form,
                                            body: Self.form(["csrf": csrf, "patient": "kid", "dose": "HepB|2", "session": session.id])) { response in
                #expect(response.status == .seeOther && (response.headers[.location] ?? "").contains("m="))
            }
            let booked = try await SurveillanceService(store: store).vaccinationAppointments(patient: "kid")
            #expect(booked.count == 1 && booked.first?.vaccine == "HepB" && booked.first?.dose == 2 && booked.first?.status == "booked")
            // The booked dose is no longer offered; B (no consent) cannot book for the child or cancel.
            try await server.client.execute(uri: "/portal/vaccination", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("已预约 乙肝疫苗 第2剂") && !page.contains("value=\"HepB|2\""))
            }
            let other = try await ResidentIsolationTests.signIn(server.client, username: "res.pb", password: "Resident-pass-2026")
            try await server.client.execute(uri: "/portal/vaccination", method: .get, headers: [.cookie: other]) { #expect(!String(buffer: $0.body).contains("小宝")) }
            let otherCSRF = try await server.client.execute(uri: "/portal", method: .get, headers: [.cookie: other]) { response in
                String(buffer: response.body).components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
            }
            let otherForm: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: other]
            try await server.client.execute(uri: "/portal/vaccination", method: .post, headers: otherForm,
                                            body: Self.form(["csrf": otherCSRF, "patient": "kid", "dose": "HepB|3", "session": session.id])) { response in
                #expect((response.headers[.location] ?? "").removingPercentEncoding?.contains("只能为本人或已授权您的家人预约") == true)
            }
            try await server.client.execute(uri: "/portal/vaccination/\(booked[0].id)/cancel", method: .post, headers: otherForm, body: Self.form(["csrf": otherCSRF])) { _ in }
            #expect(try await SurveillanceService(store: store).vaccinationAppointments(patient: "kid").map(\.status) == ["booked"])
            // The parent cancels.
            try await server.client.execute(uri: "/portal/vaccination/\(booked[0].id)/cancel", method: .post, headers: form, body: Self.form(["csrf": csrf])) { response in
                #expect(response.status == .seeOther)
            }
            #expect(try await SurveillanceService(store: store).vaccinationAppointments(patient: "kid").map(\.status) == ["cancelled"])
        }
    }
}
