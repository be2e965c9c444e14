import Access
import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import WeijianTesting

@Suite struct LoginTests {
    @Test func backOffThenLockoutThenUnlock() async throws {
        try await TestDatabase.withPlatform { platform in
            let accounts = AccountDirectory(database: platform.database, hasher: PasswordHasher(cost: 4), policy: LoginPolicy(freeFailures: 3, lockAfter: 6, lockSeconds: 900))
            let account = try await accounts.create(NewAccount(username: "dr.li", displayName: "李医生", role: .familyDoctor, password: "Correct-horse-42",
                                                               institution: "chc1", practitioner: "dr1"))
            var now = Date(timeIntervalSince1970: 1_800_000_000)
            for _ in 0..<3 { #expect(try await accounts.login(username: "dr.li", password: "wrong", now: now) == .invalid) }
            // After three failures, the next attempt must wait 1 s, then 2 s, 4 s …
            #expect(try await accounts.login(username: "dr.li", password: "Correct-horse-42", now: now) == .throttled(retryAfter: 1))
            now += 1
            #expect(try await accounts.login(username: "dr.li", password: "wrong", now: now) == .invalid)
            #expect(try await accounts.login(username: "dr.li", password: "wrong", now: now) == .throttled(retryAfter: 2))
            now += 2
            #expect(try await accounts.login(username: "dr.li", password: "wrong", now: now) == .invalid)
            now += 4
            // The sixth failure in a row locks the account for 15 minutes, even for the right password.
            #expect(try await accounts.login(username: "dr.li", password: "wrong", now: now) == .locked(retryAfter: 900))
            now += 60
            #expect(try await accounts.login(username: "dr.li", password: "Correct-horse-42", now: now) == .locked(retryAfter: 840))
            try await accounts.unlock(id: account.id)
            if case .success = try await accounts.login(username: "dr.li", password: "Correct-horse-42", now: now) {} else { Issue.record("unlock did not work") }
            // An unknown user is refused like a wrong password.
            #expect(try await accounts.login(username: "nobody", password: "x", now: now) == .invalid)
        }
    }

    @Test func passwordRulesAndOneRolePerAccount() async throws {
        try await TestDatabase.withPlatform { platform in
            let accounts = AccountDirectory(database: platform.database, hasher: PasswordHasher(cost: 4))
            for (password, fragment) in [("short1", "10"), ("onlyletterslong", "字母和数字"), ("auditor2026x", "用户名")] {
                do {
                    _ = try await accounts.create(NewAccount(username: "auditor2026x".dropLast().description, displayName: "审计", role: .auditAdministrator, password: password))
                    Issue.record("\(password) accepted")
                } catch let error as AccountError {
                    #expect(error.status == 400 && error.description.contains(fragment), "\(error)")
                }
            }
            _ = try await accounts.create(NewAccount(username: "audit1", displayName: "审计", role: .auditAdministrator, password: "Audit-pass-2026"))
            await #expect(throws: AccountError.self) {
                _ = try await accounts.create(NewAccount(username: "audit1", displayName: "审计", role: .securityAdministrator, password: "Audit-pass-2026"))
            }
            await #expect(throws: AccountError.self) {
                _ = try await accounts.create(NewAccount(username: "admin2", displayName: "管", role: .systemAdministrator, password: "Admin-pass-2026", patient: "p1"))
            }
        }
    }

    static func cookies(_ response: TestResponse) -> [String: String] {
        var jar: [String: String] = [:]
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2 { jar[String(pair[0])] = String(pair[1]) }
        }
        return jar
    }

    @Test func signInWithCSRFOverHTTP() async throws {
        try await TestServer.run { server in
            _ = try await AccountDirectory(database: server.platform.database, hasher: PasswordHasher(cost: 4))
                .create(NewAccount(username: "cdc1", displayName: "流调员", role: .cdcEpidemiologist, password: "Cdc-pass-2026", district: "310105"))
            let client = server.client
            let (csrfCookie, csrfField) = try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.status == .ok)
                let setCookie = response.headers[values: .setCookie].joined(separator: "\n")
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Secure"))
                let html = String(buffer: response.body)
                let field = html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
                return (Self.cookies(response)["weijian_login_csrf"] ?? "", field)
            }
            #expect(!csrfField.isEmpty && csrfCookie == csrfField)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "weijian_login_csrf=\(csrfCookie)"]
            // A forged form (no matching CSRF token) is refused and makes no session.
            try await client.execute(uri: "/login", method: .post, headers: form, body: ByteBuffer(string: "username=cdc1&password=Cdc-pass-2026&csrf=forged")) { response in
                #expect(response.status == .forbidden)
                #expect(Self.cookies(response)["weijian_session"] == nil)
            }
            try await client.execute(uri: "/login", method: .post, headers: form, body: ByteBuffer(string: "username=cdc1&password=wrong&csrf=\(csrfField)")) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("用户名或密码错误"))
            }
            let session = try await client.execute(uri: "/login", method: .post, headers: form, body: ByteBuffer(string: "username=cdc1&password=Cdc-pass-2026&csrf=\(csrfField)")) { response in
                #expect(response.status == .seeOther)
                let setCookie = response.headers[values: .setCookie].first { $0.hasPrefix("weijian_session=") } ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Secure"))
                return Self.cookies(response)["weijian_session"] ?? ""
            }
            #expect(!session.isEmpty)
            let csrf = try await client.execute(uri: "/me", method: .get, headers: [.cookie: "weijian_session=\(session)"]) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("流调员") && html.contains("疾控"))
                return html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "weijian_session=\(session)"]) { #expect($0.status == .ok) }
            // Logging out needs the session's CSRF token.
            let logout: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "weijian_session=\(session)"]
            try await client.execute(uri: "/logout", method: .post, headers: logout, body: ByteBuffer(string: "csrf=wrong")) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/logout", method: .post, headers: logout, body: ByteBuffer(string: "csrf=\(csrf)")) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "weijian_session=\(session)"]) { #expect($0.status == .unauthorized) }
            // Back-off over HTTP: after three failures an attempt within the wait is refused (429 with Retry-After; the
            // per-user rate limit, 5 attempts at once, may answer first — either way the attempt is refused). The
            // wait is 1 s after the third failure and doubles with each further one; on a loaded machine a request
            // can take longer than the first waits, so attempts go on until one falls within the wait (at most 9
            // failures in all: the lockout comes at 10).
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/login", method: .post, headers: form, body: ByteBuffer(string: "username=cdc1&password=wrong&csrf=\(csrfField)")) { $0.status }
            }
            var refused: (status: HTTPResponse.Status, retryAfter: String?, html: String)?
            for _ in 0..<6 where refused == nil {
                try await client.execute(uri: "/login", method: .post, headers: form, body: ByteBuffer(string: "username=cdc1&password=wrong&csrf=\(csrfField)")) { response in
                    #expect(response.status == .tooManyRequests || response.status == .unauthorized, "\(response.status)")
                    if response.status == .tooManyRequests {
                        refused = (response.status, response.headers[HTTPField.Name("Retry-After")!], String(buffer: response.body))
                    }
                }
            }
            #expect(refused?.status == .tooManyRequests, "no attempt was refused within the back-off")
            #expect(refused?.retryAfter != nil)
            #expect(refused.map { $0.html.contains("密码错误次数较多") || $0.html.contains("尝试过于频繁") } == true)
            // Token endpoint: client credentials for a registered system; refusals in OAuth's words.
            let secret = try await server.tokens.registerClient(clientID: "emr-1", name: "医院EMR", institution: "hosp", scopes: ScopeSet.parse("system/Encounter.write system/Patient.read").0)
            let tokenForm: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/auth/token", method: .post, headers: tokenForm, body: ByteBuffer(string: "grant_type=client_credentials&client_id=emr-1&client_secret=\(secret)")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try JSONValue.parseBuffer(response.body)
                #expect(body["token_type"] == .string("Bearer") && body["scope"] == .string("system/Encounter.write system/Patient.read"))
            }
            try await client.execute(uri: "/auth/token", method: .post, headers: tokenForm, body: ByteBuffer(string: "grant_type=client_credentials&client_id=emr-1&client_secret=\(secret)&scope=system/*.*")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("invalid_scope"))
            }
            try await client.execute(uri: "/auth/token", method: .post, headers: tokenForm, body: ByteBuffer(string: "grant_type=client_credentials&client_id=emr-1&client_secret=nope")) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}

import FHIR
extension JSONValue {
    static func parseBuffer(_ buffer: ByteBuffer) throws -> JSONValue { try JSONValue.parse(Data(buffer: buffer)) }
}
