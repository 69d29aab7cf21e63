import Foundation
import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceAPI
import Testing
import Yams

@testable import SluiceServer

/// One operation of the OpenAPI document.
struct DocumentedOperation: Sendable, CustomStringConvertible {
    var id: String
    var method: HTTPRequest.Method
    /// OpenAPI form: `/api/v1/users/{name}`.
    var path: String
    /// Who the document says may call it: a role (`x-sluice-role`), `node`, or `anyone`.
    var caller: String

    var description: String { "\(id) (\(method.rawValue) \(path))" }

    /// Every operation of `openapi.yaml`.
    static func all() throws -> [DocumentedOperation] {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: [DocumentedOperation] = []
        for (path, methods) in paths {
            for (method, operation) in methods where ["get", "post", "put", "patch", "delete"].contains(method) {
                let fields = try #require(operation as? [String: Any])
                let id = try #require(fields["operationId"] as? String, "\(method) \(path) has an operationId")
                let security = (fields["security"] as? [[String: Any]])?.flatMap(\.keys)
                let caller = (fields["x-sluice-role"] as? String) ?? (security == [] ? "anyone" : security == ["nodeCredential"] ? "node" : "?")
                operations.append(DocumentedOperation(id: id, method: HTTPRequest.Method(method.uppercased())!, path: path, caller: caller))
            }
        }
        return operations.sorted { $0.id < $1.id }
    }

    /// A concrete URI: path parameters filled with a value of the right shape (the access check
    /// runs before the handler reads them).
    var uri: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") ? "1" : String(part)
        }.joined(separator: "/")
    }
}

/// Role-based access, checked for every operation of the OpenAPI document, and the access table
/// against the document, both ways.
@Suite struct AccessTests {
    @Test(arguments: Backend.enabled)
    func everyOperationChecksWhoCalls(_ backend: Backend) async throws {
        let operations = try DocumentedOperation.all()
        try await TestServer.with(backend) { server, api in
            let viewer = try await api.user("vera", role: .viewer)
            let operatorToken = try await api.user("otto", role: ._operator)
            let node = try await api.enroll("node-a")
            let tokens: [Role: String] = [.viewer: viewer, .operator: operatorToken]

            var checked = 0
            for operation in operations {
                let rule = try #require(server.rules[operation.id], "\(operation) has an access rule")
                let uri = operation.uri
                switch rule.access {
                case .anyone, .joinToken, .viewerOrLoopback:  // the last: metricsAreForLoopbackAndViewersUnlessPublic
                    continue
                case .node:
                    // Neither nobody nor a user (even the admin) may act as a node.
                    let anonymous = try await api.request(operation.method, uri, token: .some(nil))
                    #expect(anonymous.status == .unauthorized, "\(operation) without a token")
                    let asUser = try await api.request(operation.method, uri)
                    #expect(asUser.status == .unauthorized, "\(operation) with the admin's API token")
                    #expect(api.error(asUser)?.error.contains("node credential") == true)
                case .user(let role):
                    let anonymous = try await api.request(operation.method, uri, token: .some(nil))
                    #expect(anonymous.status == .unauthorized, "\(operation) without a token")
                    // A node credential never passes as a user.
                    let asNode = try await api.request(operation.method, uri, token: .some(node.credential))
                    #expect(asNode.status == .unauthorized, "\(operation) with a node credential")
                    #expect(api.error(asNode)?.error.contains("node credential cannot call user endpoints") == true)
                    let forged = try await api.request(operation.method, uri, token: .some("slu_" + String(repeating: "a", count: 64)))
                    #expect(forged.status == .unauthorized, "\(operation) with an unknown token")
                    for lower in Role.allCases where lower < role {
                        let refused = try await api.request(operation.method, uri, token: .some(tokens[lower]!))
                        #expect(refused.status == .forbidden, "\(operation) as \(lower)")
                        #expect(api.error(refused)?.error.contains("needs the \(role.rawValue) role") == true)
                    }
                }
                checked += 1
            }
            #expect(checked > 30, "every protected operation was checked (\(checked))")
        }
    }

    @Test(arguments: Backend.enabled)
    func aViewerCannotPushAndNothingChanges(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            _ = try await api.pushed([Fixtures.policy("curl")], message: "first")
            let viewer = try await api.user("vera", role: .viewer)

            let refused = try await api.push([Fixtures.policy("curl", port: 22)], message: "sneaky", token: .some(viewer))
            #expect(refused.status == .forbidden)
            let asViewer = api.client(token: .some(viewer))
            let rollback = try await api.refusal {
                try await asViewer.rollbackPolicy(path: .init(name: "curl"), body: .json(.init(version: 1, message: "no")))
            }
            #expect(rollback.status == 403)
            // Reading is allowed, and shows the first push only.
            let history = try await asViewer.policyHistory(path: .init(name: "curl")).ok.body.json
            #expect(history.map(\.message) == ["first"])
            // The operator may push.
            let operatorToken = try await api.user("otto", role: ._operator)
            #expect(try await api.push([Fixtures.policy("curl", port: 22)], message: "second", token: .some(operatorToken)).status == .created)
            // But not manage users.
            let promote = try await api.refusal {
                try await api.client(token: .some(operatorToken)).updateUser(path: .init(name: "vera"), body: .json(.init(role: .admin)))
            }
            #expect(promote.status == 403)
        }
    }

    @Test(arguments: Backend.enabled)
    func revokedAndDisabledCredentialsAreRefusedAndAudited(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let viewer = try await api.user("vera", role: .viewer)
            func me(_ token: String) async throws -> Int {
                try await api.status { try await api.client(token: .some(token)).me().ok.body.json }
            }
            let admin = api.client()
            #expect(try await me(viewer) == 200)

            // Disabling a user refuses their tokens at once.
            _ = try await admin.updateUser(path: .init(name: "vera"), body: .json(.init(disabled: true))).ok.body.json
            let disabled = try await api.refusal { try await api.client(token: .some(viewer)).me().ok.body.json }
            #expect(disabled.status == 401)
            #expect(disabled.message.contains("revoked"), "disabling ends the user's login sessions")
            #expect(try await api.refusal { try await api.login("vera", "password-123") }.status == 401)

            // A password reset ends every token of the user, whatever its name (CLI tokens too).
            let operatorToken = try await api.user("otto", role: ._operator)
            let cliToken = try await api.client(token: .some(operatorToken)).createToken(body: .json(.init(name: "cli@laptop"))).created.body.json.token
            _ = try await admin.updateUser(path: .init(name: "otto"), body: .json(.init(password: "new-password-456"))).ok.body.json
            #expect(try await me(cliToken) == 401)
            #expect(try await me(operatorToken) == 401)

            // Your own password needs the current one; the session you change it from goes on.
            let own = try await api.login("otto", "new-password-456")
            let asOwn = api.client(token: .some(own))
            let without = try await api.refusal {
                try await asOwn.updateUser(path: .init(name: "otto"), body: .json(.init(password: "stolen-session-1")))
            }
            #expect(without.status == 403)
            _ = try await asOwn.updateUser(
                path: .init(name: "otto"), body: .json(.init(password: "newer-password-789", currentPassword: "new-password-456"))
            ).ok.body.json
            #expect(try await me(own) == 200)

            // Logging out revokes the token used.
            _ = try await asOwn.logout().noContent
            #expect(try await me(own) == 401)

            // A wrong password is refused and recorded; passwords are stored as bcrypt hashes.
            #expect(try await api.refusal { try await api.login("otto", "nope-nope") }.status == 401)
            let hash = try await server.app.store.database.read { sql in
                try await sql.raw("SELECT password_hash FROM users WHERE name = 'otto'").first()!.string("password_hash")
            }
            #expect(hash.hasPrefix("$2"))

            let audit = try await admin.audit().ok.body.json.items
            let actions = Set(audit.map(\.action))
            for expected in ["user.create", "user.update", "login", "login.failed"] {
                #expect(actions.contains(expected), "audit has \(expected): \(actions.sorted())")
            }
            #expect(audit.contains { $0.action == "user.update" && $0.actor == "user:admin" && $0.target == "vera" })
        }
    }

    @Test func parallelGuessesCannotOutrunTheLoginThrottle() async throws {
        try await TestServer.with(.sqlite) { server, api in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<30 {
                    group.addTask {
                        let login = Components.Schemas.LoginRequest(name: "admin", password: "guess-\(attempt)")
                        return try await api.request(.post, "/api/v1/login", token: .some(nil), json: login).status.code
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let checked = statuses.filter { $0 == 401 }.count
            #expect(checked <= server.app.configuration.logins.freeFailuresPerUser, "passwords checked: \(checked)")
            #expect(statuses.filter { $0 == 429 }.count == 30 - checked)
        }
    }

    @Test func everyOperationOfTheDocumentHasAnAccessRuleAndNoOther() async throws {
        let table = try await TestServer.with(.sqlite) { server, _ in server.rules }
        let rules = Set(table.keys)
        let documented = Set(try DocumentedOperation.all().map(\.id))
        #expect(documented.count == 65)
        #expect(documented.subtracting(rules).sorted() == [], "documented without an access rule")
        #expect(rules.subtracting(documented).sorted() == [], "access rules of no operation")
        // The table says what the document says of each operation.
        for operation in try DocumentedOperation.all() {
            let access = try #require(table[operation.id]?.access)
            let expected: String =
                switch access {
                case .anyone, .joinToken: "anyone"
                case .node: "node"
                case .user(let role): role.rawValue
                case .viewerOrLoopback: "viewer"
                }
            #expect(operation.caller == expected, "\(operation): the document says \(operation.caller), the table \(access)")
        }
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let schemes = (document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
        #expect(schemes?["apiToken"] != nil && schemes?["sessionCookie"] != nil, "both ways to authenticate are documented")
    }

    /// Tokens for people and scripts expire by default, and an expired one is refused with a message.
    @Test(arguments: Backend.enabled)
    func apiTokensExpire(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let admin = api.client()
            let login = try await admin.login(body: .json(.init(name: "admin", password: TestServer.adminPassword))).created.body.json
            guard case .APITokenCreated(let cli) = login else { throw TestFailure("a token, not a session") }
            let month = try #require(cli.info.expires).timeIntervalSinceNow
            #expect((29 * 86_400.0)...(30 * 86_400.0) ~= month, "a CLI login lasts 30 days: \(month) s")

            let script = try await admin.createToken(body: .json(.init(name: "backup"))).created.body.json
            #expect((89 * 86_400.0)...(90 * 86_400.0) ~= (try #require(script.info.expires).timeIntervalSinceNow))
            let forever = try await admin.createToken(body: .json(.init(name: "forever", expiresIn: 0))).created.body.json
            #expect(forever.info.expires == nil)
            #expect(try await api.refusal { try await admin.createToken(body: .json(.init(name: "blink", expiresIn: 5))).created.body.json }.status == 400)

            let asScript = api.client(token: .some(script.token))
            #expect(try await api.status { try await asScript.me().ok.body.json } == 200)
            try await server.app.store.database.transaction { session in
                try await session.sql.raw("UPDATE api_tokens SET expires_us = \(bind: Micros.now() - 1) WHERE id = \(bind: script.info.id)").run()
            }
            let expired = try await api.refusal { try await asScript.me().ok.body.json }
            #expect(expired.status == 401)
            #expect(expired.message.contains("expired"))
            #expect(try await api.status { try await api.client(token: .some(forever.token)).me().ok.body.json } == 200)
        }
    }

    /// Metrics tell an attacker how many nodes and logins there are: from another host they need a
    /// viewer's token, unless the server was started with public metrics.
    @Test func metricsAreForLoopbackAndViewersUnlessPublic() async throws {
        try await TestServer.with(.sqlite) { server, api in
            let viewer = try await api.user("prom", role: .viewer)
            func scrape(from peer: String, token: String?, rules: [String: OperationRule]) async throws -> Int {
                var request = HTTPRequest(method: .get, scheme: "http", authority: "sluice", path: "/metrics")
                if let token { request.headerFields[.authorization] = "Bearer \(token)" }
                let guarded = OperationGuard(rules: rules, authenticator: Authenticator(store: server.app.store))
                do {
                    let (response, _) = try await RequestScope.$current.withValue(RequestScope(peer: peer, request: request)) {
                        try await guarded.intercept(request, body: nil, metadata: .init(), operationID: "metrics") { _, _, _ in
                            (HTTPResponse(status: .ok), nil)
                        }
                    }
                    return response.status.code
                } catch let error as APIError {
                    return error.status.code
                }
            }
            let guarded = server.rules
            #expect(try await scrape(from: "127.0.0.1", token: nil, rules: guarded) == 200)
            #expect(try await scrape(from: "::1", token: nil, rules: guarded) == 200)
            #expect(try await scrape(from: "192.0.2.7", token: nil, rules: guarded) == 401)
            #expect(try await scrape(from: "2001:db8::7", token: "sla_not-a-token", rules: guarded) == 401)
            #expect(try await scrape(from: "192.0.2.7", token: viewer, rules: guarded) == 200)
            let open = OperationRule.table(limits: .init(), publicMetrics: true)
            #expect(try await scrape(from: "192.0.2.7", token: nil, rules: open) == 200)
        }
    }

    @Test func theServerServesItsOwnDocumentByteForByte() async throws {
        try await TestServer.with(.sqlite) { _, api in
            let response = try await api.request(.get, "/api/v1/openapi.yaml", token: .some(nil))
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == OpenAPIDocument.yaml)
        }
    }
}

/// Malformed or oversized input gets a 4xx that says what is wrong, never a crash.
@Suite struct InputLimitTests {
    @Test func badInputIsRefusedWithAMessage() async throws {
        try await TestServer.with(.sqlite) { server, api in
            func expect(_ status: HTTPResponse.Status, _ response: TestResponse, says text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
                #expect(response.status == status, sourceLocation: sourceLocation)
                let message = api.error(response)?.error ?? String(buffer: response.body)
                #expect(message.contains(text), "message: \(message)", sourceLocation: sourceLocation)
            }
            expect(.badRequest, try await api.request(.post, "/api/v1/users", body: .init(string: "{\"name\": ")), says: "invalid JSON body")
            expect(.badRequest, try await api.request(.post, "/api/v1/users", body: .init(string: "{\"name\": \"x\"}")), says: "password")
            expect(.badRequest, try await api.request(.post, "/api/v1/users", body: .init(string: "")), says: "a JSON body is required")
            // A password too short is refused before it is hashed, on create and on update alike.
            let short = "{\"name\": \"kim\", \"password\": \"short\", \"role\": \"viewer\"}"
            expect(.badRequest, try await api.request(.post, "/api/v1/users", body: .init(string: short)), says: "at least 8 characters")
            #expect(!String(buffer: try await api.request(.get, "/api/v1/users").body).contains("kim"))
            let lee = "{\"name\": \"lee\", \"password\": \"long-enough-1\", \"role\": \"viewer\"}"
            #expect(try await api.request(.post, "/api/v1/users", body: .init(string: lee)).status == .created)
            expect(.badRequest, try await api.request(.patch, "/api/v1/users/lee", body: .init(string: "{\"password\": \"short\"}")), says: "at least 8 characters")
            let huge = String(repeating: "a", count: 100_000)
            expect(.contentTooLarge, try await api.request(.post, "/api/v1/users", body: .init(string: "{\"name\": \"\(huge)\"}")), says: "at most")
            expect(.badRequest, try await api.request(.get, "/api/v1/events?limit=100000"), says: "limit")
            expect(.badRequest, try await api.request(.get, "/api/v1/events?since=yesterday"), says: "since")
            expect(.badRequest, try await api.request(.get, "/api/v1/events?since=999999999999999d"), says: "since")
            expect(.badRequest, try await api.request(.get, "/api/v1/stats/timeline?from=9223372036854775807s"), says: "from")
            expect(.badRequest, try await api.request(.get, "/api/v1/events?dst=10.0.0.300"), says: "dst")
            expect(.badRequest, try await api.request(.get, "/api/v1/events?verdict=maybe"), says: "verdict")
            let node = try await api.enroll("node-a")
            let tooLong = [Fixtures.event(exe: "/" + String(repeating: "x", count: 10_000)).jsonLine]
            let refused = try await api.upload(tooLong + ["not json"], sequence: 0, credential: node.credential)
            #expect((400..<500).contains(Int(refused.status.code)), "a malformed batch: \(refused.status)")
            // The server is still answering.
            _ = try await api.client().me().ok.body.json
        }
    }
}
