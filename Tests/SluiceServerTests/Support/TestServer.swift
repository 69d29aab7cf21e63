import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OpenAPIRuntime
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceAPI
@testable import SluiceServer

/// The databases server tests run on. PostgreSQL needs `SLUICE_TEST_POSTGRES_URL`; without it
/// those cases are left out (and `PostgresAvailability` says why), except under CI=true, where
/// they run and fail.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let postgresURL = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var postgresShouldRun: Bool { postgresURL != nil || isCI }
    static let skipComment: Comment = "SLUICE_TEST_POSTGRES_URL is not set: PostgreSQL server tests skipped (e.g. postgres://sluice:sluice@127.0.0.1:5432/sluice_test)"

    /// The backends to run: SQLite always, PostgreSQL when configured or under CI.
    static var enabled: [Backend] { postgresShouldRun ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }
}

/// A throwaway database: a temporary SQLite file, or a fresh PostgreSQL schema dropped after.
struct TestDatabase: Sendable {
    let backend: Backend
    let url: String
    private let cleanup: @Sendable () async -> Void

    static func make(_ backend: Backend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-server-test-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return TestDatabase(backend: backend, url: "sqlite://\(folder)/sluice.db") {
                try? FileManager.default.removeItem(atPath: folder)
            }
        case .postgres:
            guard let base = Backend.postgresURL else {
                Issue.record("CI=true but SLUICE_TEST_POSTGRES_URL is not set: PostgreSQL server tests cannot run")
                throw TestFailure("SLUICE_TEST_POSTGRES_URL is not set")
            }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
            return TestDatabase(backend: backend, url: url) {
                guard case .success(.postgres(let plain, _)) = DatabaseLocation.parse(base),
                    let database = try? await ServerDatabase.open(.postgres(url: plain, schema: nil), logger: Logger(label: "test"))
                else { return }
                _ = try? await database.read { try await $0.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run() }
                await database.close()
            }
        }
    }

    private init(backend: Backend, url: String, cleanup: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.url = url
        self.cleanup = cleanup
    }

    func remove() async { await cleanup() }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A server in process on a throwaway database, with an admin whose token tests use.
struct TestServer: Sendable {
    static let adminPassword = "admin-password-1"

    let app: ServerApp
    /// The access rule and body limit of every operation, by operationId.
    let rules: [String: OperationRule]
    let database: TestDatabase

    static func configuration(database: String) -> ServerConfiguration {
        var configuration = ServerConfiguration(
            database: database, allowPlainHTTP: true,
            bootstrapAdmin: .init(name: "admin", password: adminPassword), heartbeatSeconds: 10, bcryptCost: 4,
            revisionPollMilliseconds: 200, serverName: "test-server")
        configuration.notificationRetrySchedule = [.milliseconds(50), .milliseconds(100)]
        return configuration
    }

    static var logger: Logger {
        var logger = Logger(label: "sluice-server-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return logger
    }

    /// Runs `body` against a fresh server (router test client: requests go straight to the
    /// router, the background services run).
    static func with<T: Sendable>(
        _ backend: Backend, _ setup: TestingSetup = .router, configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer, APIClient) async throws -> T
    ) async throws -> T {
        let database = try await TestDatabase.make(backend)
        return try await withCleanup({ await database.remove() }) {
            var configuration = Self.configuration(database: database.url)
            configure(&configuration)
            let app = try await ServerApp.open(configuration: configuration, logger: logger)
            let router = try app.router()
            let server = TestServer(app: app, rules: app.operationRules, database: database)
            let application = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: app.services, logger: logger)
            return try await withCleanup({ await app.close() }) {
                try await application.test(setup) { client in
                    let api = APIClient(client: client)
                    api.token = try await api.login("admin", adminPassword)
                    return try await body(server, api)
                }
            }
        }
    }
}

/// The API as tests call it: the generated client over the router, and raw requests beside it.
final class APIClient: @unchecked Sendable {
    let router: any TestClientProtocol
    private let lock = NSLock()
    private var _token: String?

    init(client: any TestClientProtocol) {
        router = client
    }

    /// The default bearer token.
    var token: String? {
        get { lock.withLock { _token } }
        set { lock.withLock { _token = newValue } }
    }

    var port: Int? { router.port }

    /// The generated client of the API document over this router, with `token` (default: the
    /// default token) as its bearer credential; error answers throw `APIClientError.refused`.
    func client(token: String?? = .none) -> Client {
        Client(
            serverURL: URL(string: "http://127.0.0.1")!, configuration: .sluice, transport: RouterTransport(client: router),
            middlewares: [
                HeadersMiddleware(credential: bearer(token), userAgent: "sluice-server-tests"), ErrorAnswerMiddleware(server: "test router"),
            ])
    }

    private func bearer(_ token: String??) -> String? {
        switch token {
        case .none: self.token
        case .some(let explicit): explicit
        }
    }

    /// A raw request, for what the generated client would refuse to send or hide (wrong tokens,
    /// malformed bodies, status codes and headers).
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, token: String?? = .none, body: ByteBuffer? = nil, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let bearer = bearer(token) { headers[.authorization] = "Bearer \(bearer)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await router.execute(uri: uri, method: method, headers: headers, body: body)
    }

    /// A raw request with a generated type of the document as its JSON body.
    func request<Body: Encodable>(_ method: HTTPRequest.Method, _ uri: String, token: String?? = .none, json: Body) async throws
        -> TestResponse
    {
        try await request(method, uri, token: token, body: ByteBuffer(data: try SchemaJSON.encoder.encode(json)))
    }

    /// Decodes a 2xx answer into a generated type; records an issue with the server's message otherwise.
    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> T {
        guard (200..<300).contains(response.status.code) else {
            let message = String(buffer: response.body)
            Issue.record("expected success, got \(response.status.code): \(message)", sourceLocation: sourceLocation)
            throw TestFailure("HTTP \(response.status.code): \(message)")
        }
        return try SchemaJSON.decoder.decode(T.self, from: Data(buffer: response.body))
    }

    func error(_ response: TestResponse) -> Components.Schemas._Error? {
        try? SchemaJSON.decoder.decode(Components.Schemas._Error.self, from: Data(buffer: response.body))
    }

    /// The server's refusal of `call` (its status and message), nil when `call` succeeded.
    func outcome<Answer>(_ call: () async throws -> Answer) async throws -> (status: Int, message: String)? {
        do {
            _ = try await call()
            return nil
        } catch {
            // The generated client wraps what its middleware threw.
            guard case .refused(let status, let message, _, _) = APIClientError(error, server: "test router") else { throw error }
            return (status, message)
        }
    }

    /// The status and message with which the server refused `call`; a test failure when it did not.
    func refusal<Answer>(
        sourceLocation: Testing.SourceLocation = #_sourceLocation, _ call: () async throws -> Answer
    ) async throws -> (status: Int, message: String) {
        guard let refused = try await outcome(call) else {
            Issue.record("expected the server to refuse", sourceLocation: sourceLocation)
            throw TestFailure("not refused")
        }
        return refused
    }

    /// 200 when `call` succeeds, else the status the server refused it with.
    func status<Answer>(_ call: () async throws -> Answer) async throws -> Int {
        try await outcome(call)?.status ?? 200
    }

    func login(_ name: String, _ password: String) async throws -> String {
        let answer = try await client(token: .some(nil)).login(body: .json(.init(name: name, password: password))).created.body.json
        guard case .APITokenCreated(let created) = answer else { throw TestFailure("login answered with a console session, not a token") }
        return created.token
    }

    /// Creates a user and returns a token of theirs.
    func user(_ name: String, role: Components.Schemas.Role, password: String = "password-123") async throws -> String {
        _ = try await client().createUser(body: .json(.init(name: name, password: password, role: role))).created.body.json
        return try await login(name, password)
    }

    /// A join token; `claims` are the labels its nodes may set themselves (none by default, as on a real server).
    func joinToken(labels: [String: String] = [:], claims: [String] = [], reuseNames: Bool = false, name: String = "fleet") async throws
        -> String
    {
        try await client().createJoinToken(
            body: .json(.init(name: name, labels: .init(additionalProperties: labels), claimableLabels: claims, reuseNames: reuseNames))
        ).created.body.json.token
    }

    /// Enrolls a node; returns its id and credential.
    func enroll(_ name: String, labels: [String: String] = [:], joinToken: String? = nil) async throws -> (id: String, credential: String) {
        // Without a token of the test's own: one that lets the node claim the labels it asks for.
        let token = if let joinToken { joinToken } else { try await self.joinToken(claims: labels.isEmpty ? [] : ["*"]) }
        let request = Components.Schemas.EnrollRequest(
            joinToken: token, nodeName: name, labels: .init(additionalProperties: labels), kernel: "6.1.0-test",
            agentVersion: "0.1.0")
        let enrolled = try await client(token: .some(nil)).enroll(body: .json(request)).created.body.json
        return (enrolled.nodeId, enrolled.credential)
    }

    func push(_ documents: [String], message: String = "test", selector: [String: String]? = nil, token: String?? = .none) async throws
        -> TestResponse
    {
        let request = Components.Schemas.PolicyPushRequest(
            documents: documents, message: message, nodeSelector: selector.map { .init(additionalProperties: $0) })
        return try await self.request(.post, "/api/v1/policies", token: token, json: request)
    }

    /// Pushes policies that must be accepted (whether they change anything or not).
    func pushed(_ documents: [String], message: String = "test", selector: [String: String]? = nil, token: String?? = .none) async throws
        -> Components.Schemas.PolicyChangeResponse
    {
        try decode(Components.Schemas.PolicyChangeResponse.self, try await push(documents, message: message, selector: selector, token: token))
    }

    func upload(_ lines: [String], sequence: Int, credential: String) async throws -> TestResponse {
        try await request(
            .post, "/api/v1/agent/events?sequence=\(sequence)", token: .some(credential),
            body: ByteBuffer(string: lines.map { $0 + "\n" }.joined()), headers: [.contentType: "application/x-ndjson"])
    }

    /// Uploads a batch that must be accepted.
    func uploaded(_ lines: [String], sequence: Int, credential: String) async throws -> Components.Schemas.EventBatchResponse {
        try decode(Components.Schemas.EventBatchResponse.self, try await upload(lines, sequence: sequence, credential: credential))
    }

    func heartbeat(_ credential: String, applied: Int? = nil, error: String? = nil, failed: Int? = nil)
        async throws -> Components.Schemas.HeartbeatResponse
    {
        let heartbeat = Components.Schemas.Heartbeat(
            appliedRevision: applied, applyError: error, failedRevision: failed, policyGeneration: 1, rulesLoaded: 3,
            decisions: .init(allow: 10, alert: 0, deny: 2, monitorDeny: 0), eventsLost: .init(kernel: 0, agent: 0, upload: 0),
            eventsBuffered: 0, agentVersion: "0.1.0")
        return try await client(token: .some(credential)).heartbeat(body: .json(heartbeat)).ok.body.json
    }
}

/// JSON of the generated types as the server writes it: their own snake_case keys, RFC 3339 times.
enum SchemaJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try RFC3339DateTranscoder().encode(date))
        }
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try RFC3339DateTranscoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }
}

/// The generated client's requests sent straight to the router under test.
struct RouterTransport: ClientTransport {
    let client: any TestClientProtocol

    func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
        let bytes: ByteBuffer? =
            if let body { ByteBuffer(bytes: try await [UInt8](collecting: body, upTo: 64 << 20)) } else { nil }
        let response = try await client.execute(uri: request.path ?? "/", method: request.method, headers: request.headerFields, body: bytes)
        return (HTTPResponse(status: response.status, headerFields: response.headers), HTTPBody(Array(buffer: response.body)))
    }
}

/// Policy texts and events for tests.
enum Fixtures {
    static func policy(_ name: String, port: Int = 443, action: String = "allow", extra: String = "", labels: String = "") -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata:
          name: \(name)\(labels.isEmpty ? "" : "\n  labels:\n    \(labels)")
        spec:
          subjects:
            - executable: /usr/bin/\(name)
        \(extra)  egress:
            - name: out
              action: \(action)
              to: ["10.0.0.0/8"]
              ports: [\(port)]

        """
    }

    static func event(
        node: String = "node-1", exe: String? = "/usr/bin/curl", destination: String = "10.1.2.3", port: UInt16 = 443,
        verdict: RuleAction = .allow, policy: String? = "web", rule: String = "out", time: Int64 = Int64(Date().timeIntervalSince1970 * 1e9),
        anomaly: Bool? = nil, domain: String? = nil
    ) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: time, node: node, pid: 42, uid: 0, comm: "curl", exe: exe, exeID: "254:0:1234", cgroup: "/app.slice",
            cgroupID: 77, transport: "tcp", family: IPAddress(destination)!.family, destination: IPAddress(destination)!, port: port,
            verdict: verdict, enforced: true, policy: policy, rule: rule, hook: "connect4", generation: 1, mapped: false, dstDomain: domain,
            score: anomaly.map { EventScore(value: $0 ? 40 : 1, isAnomaly: $0, reasons: ["destination"]) })
    }
}

extension ByteBuffer {
    var lines: [String] {
        String(buffer: self).split(separator: "\n").map(String.init)
    }
}
