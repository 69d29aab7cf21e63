import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// The web console's cookie sessions: cookie attributes, CSRF on state changes, roles, sign-out.
// Serialized: each case opens a server with its own PostgreSQL pool, and the test cluster allows
// 100 connections for every suite running beside these.
@Suite(.serialized) struct ConsoleSessionTests {
    /// Signs in for a session; returns the cookie header value and the CSRF token.
    static func session(_ api: APIClient, _ name: String, _ password: String) async throws -> (cookie: String, csrf: String, setCookie: String) {
        let response = try await api.request(.post, "/api/v1/login", token: .some(nil), json: Components.Schemas.LoginRequest(name: name, password: password, session: true))
        let created = try api.decode(Components.Schemas.SessionCreated.self, response)
        let setCookie = try #require(response.headers[.setCookie])
        let pair = try #require(setCookie.split(separator: ";").first)
        #expect(!String(buffer: response.body).contains("slu_"), "the session secret must not be in the body")
        return (String(pair), created.csrfToken, setCookie)
    }

    static func withCookie(_ cookie: String, csrf: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.cookie: cookie]
        if let csrf { headers[SessionCookie.csrfHeader] = csrf }
        return headers
    }

    static func push(_ api: APIClient, headers: HTTPFields, name: String = "web") async throws -> TestResponse {
        let body = ByteBuffer(data: try SchemaJSON.encoder.encode(Components.Schemas.PolicyPushRequest(documents: [Fixtures.policy(name)], message: "from the console")))
        return try await api.request(.post, "/api/v1/policies", token: .some(nil), body: body, headers: headers)
    }

    @Test(arguments: Backend.enabled)
    func cookieSessionNeedsCSRFAndSignsOut(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let (cookie, csrf, setCookie) = try await Self.session(api, "admin", TestServer.adminPassword)
            #expect(setCookie.hasPrefix("sluice_session=slu_"))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
                #expect(setCookie.contains(attribute), "\(attribute) missing from \(setCookie)")
            }
            #expect(!setCookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back")

            // Reads need no CSRF token; the session route gives the same token again after a reload.
            let me = try api.decode(Components.Schemas.MeResponse.self, try await api.request(.get, "/api/v1/me", token: .some(nil), headers: Self.withCookie(cookie)))
            #expect(me.user.name == "admin" && me.token.name == SessionCookie.tokenName)
            let again = try api.decode(Components.Schemas.SessionCreated.self, try await api.request(.get, "/api/v1/session", token: .some(nil), headers: Self.withCookie(cookie)))
            #expect(again.csrfToken == csrf && again.user.role == .admin)

            // A state change with the cookie: refused without the token or with a wrong one.
            let missing = try await Self.push(api, headers: Self.withCookie(cookie))
            #expect(missing.status == .forbidden)
            #expect(api.error(missing)?.error.contains("X-CSRF-Token") == true)
            let wrong = try await Self.push(api, headers: Self.withCookie(cookie, csrf: String(repeating: "0", count: 64)))
            #expect(wrong.status == .forbidden)
            let right = try await Self.push(api, headers: Self.withCookie(cookie, csrf: csrf))
            #expect(right.status == .created, "\(String(buffer: right.body))")

            // Bearer tokens are unaffected: no CSRF token needed.
            #expect(try await api.push([Fixtures.policy("db")]).status == .created)
            // The session route is for cookies only.
            #expect(try await api.request(.get, "/api/v1/session").status == .badRequest)

            // Sign-out: needs the token too, clears the cookie, and the cookie stops working.
            #expect(try await api.request(.post, "/api/v1/logout", token: .some(nil), headers: Self.withCookie(cookie)).status == .forbidden)
            let out = try await api.request(.post, "/api/v1/logout", token: .some(nil), headers: Self.withCookie(cookie, csrf: csrf))
            #expect(out.status == .noContent)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let after = try await api.request(.get, "/api/v1/me", token: .some(nil), headers: Self.withCookie(cookie))
            #expect(after.status == .unauthorized)
        }
    }

    @Test(arguments: Backend.enabled)
    func viewerSessionCannotDeployAndTokensAreNotSessions(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let viewerToken = try await api.user("vera", role: .viewer)
            let (cookie, csrf, _) = try await Self.session(api, "vera", "password-123")
            let refused = try await Self.push(api, headers: Self.withCookie(cookie, csrf: csrf))
            #expect(refused.status == .forbidden)
            #expect(api.error(refused)?.error.contains("operator") == true)
            // Reads work for a viewer.
            #expect(try await api.request(.get, "/api/v1/policies", token: .some(nil), headers: Self.withCookie(cookie)).status == .ok)
            // Signing in again in the same browser ends the previous session.
            let response = try await api.request(
                .post, "/api/v1/login", token: .some(nil),
                body: ByteBuffer(data: try SchemaJSON.encoder.encode(Components.Schemas.LoginRequest(name: "vera", password: "password-123", session: true))),
                headers: Self.withCookie(cookie))
            #expect(response.status == .created)
            #expect(try await api.request(.get, "/api/v1/me", token: .some(nil), headers: Self.withCookie(cookie)).status == .unauthorized)
            // A CLI token put into a cookie is not a session.
            let forged = try await api.request(.get, "/api/v1/me", token: .some(nil), headers: Self.withCookie("sluice_session=\(viewerToken)"))
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func sessionsAreSecureOverTLS() {
        #expect(SessionCookie.setCookie(secret: "slu_x", secure: true).hasSuffix("; Secure"))
        #expect(SessionCookie.clearCookie(secure: true).contains("Max-Age=0"))
        #expect(SessionCookie.csrfToken(secret: "a") != SessionCookie.csrfToken(secret: "b"))
    }
}
