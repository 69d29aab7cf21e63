import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore

/// An administrator of a test server, through the documented REST API only (as the CLI and
/// the console use it).
public struct FleetAdmin: Sendable {
    public let server: String
    public let token: String

    /// Logs in as the bootstrap admin.
    public static func login(_ server: ServerProcess) async throws -> FleetAdmin {
        let anonymous = FleetAdmin(server: server.url, token: "")
        let created: APITokenCreated = try await anonymous.call(
            .POST, "/api/v1/login", json: LoginRequest(name: "admin", password: ServerProcess.adminPassword))
        return FleetAdmin(server: server.url, token: created.token)
    }

    public func joinToken(name: String = "fleet-test") async throws -> String {
        let created: JoinTokenCreated = try await call(.POST, "/api/v1/join-tokens", json: CreateJoinTokenRequest(name: name, labels: [:]))
        return created.token
    }

    public func push(_ documents: [String], message: String) async throws -> PolicyChangeResponse {
        try await call(.POST, "/api/v1/policies", json: PolicyPushRequest(documents: documents, message: message))
    }

    public func rollout() async throws -> RolloutStatus {
        try await call(.GET, "/api/v1/rollout")
    }

    /// Every node, revoked ones too.
    public func nodes() async throws -> [NodeInfo] {
        try await call(.GET, "/api/v1/nodes?include_revoked=true")
    }

    public func node(named name: String) async throws -> NodeInfo {
        guard let node = try await nodes().first(where: { $0.name == name }) else { throw SandboxError("no node \(name) on the server") }
        return node
    }

    @discardableResult
    public func revoke(nodeID: String) async throws -> NodeInfo {
        try await call(.POST, "/api/v1/nodes/\(nodeID)/revoke")
    }

    /// The destination ports of the node's stored events, one entry per event (newest first).
    public func eventPorts(node: String) async throws -> [Int] {
        let (status, body) = try await send(.GET, "/api/v1/events?node=\(node)&limit=\(EventUpload.maximumEvents)", body: nil)
        guard status == 200 else { throw SandboxError("GET /api/v1/events: HTTP \(status): \(String(decoding: body, as: UTF8.self))") }
        return try String(decoding: body, as: UTF8.self).split(separator: "\n").map { line in
            do {
                return Int(try DecisionEvent(jsonLine: String(line)).port)
            } catch {
                throw SandboxError("not an event line (\(error)): \(line)")
            }
        }
    }

    /// A sample of the server's Prometheus `/metrics` (the first line of that name), nil when
    /// the server has none yet.
    public func metric(_ name: String) async throws -> Double? {
        let (status, body) = try await send(.GET, "/metrics", body: nil)
        guard status == 200 else { throw SandboxError("GET /metrics: HTTP \(status)") }
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name || parts[0].hasPrefix(name + "{") { return Double(parts[1]) }
        }
        return nil
    }

    private func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String) async throws -> Answer {
        try await decode(send(method, path, body: nil), method, path)
    }

    private func call<Body: Encodable, Answer: Decodable>(_ method: HTTPMethod, _ path: String, json: Body) async throws -> Answer {
        try await decode(send(method, path, body: ByteBuffer(bytes: try FleetJSON.encoder().encode(json))), method, path)
    }

    private func decode<Answer: Decodable>(_ answer: (Int, Data), _ method: HTTPMethod, _ path: String) throws -> Answer {
        guard (200..<300).contains(answer.0) else {
            throw SandboxError("\(method) \(path): HTTP \(answer.0): \(String(decoding: answer.1, as: UTF8.self))")
        }
        return try FleetJSON.decoder().decode(Answer.self, from: answer.1)
    }

    /// One request with the admin's token: the status and the body.
    public func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(data.readableBytesView))
    }
}
