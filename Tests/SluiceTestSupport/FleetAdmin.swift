import AsyncHTTPClient
import Foundation
import OpenAPIRuntime
import SluiceAPI
import SluiceCore

/// An administrator of a test server, through the generated client of the documented API only
/// (as the CLI and the console use it).
public struct FleetAdmin: Sendable {
    public let server: String
    public let token: String
    /// The generated client with the admin's token.
    public let client: Client

    init(server: String, token: String?) throws {
        self.server = server
        self.token = token ?? ""
        client = try ServerConnection(server: server, credential: token, userAgent: "sluice-tests", sharing: .shared).client()
    }

    /// Logs in as the bootstrap admin.
    public static func login(_ server: ServerProcess) async throws -> FleetAdmin {
        let anonymous = try FleetAdmin(server: server.url, token: nil)
        let request = Components.Schemas.LoginRequest(name: "admin", password: ServerProcess.adminPassword)
        guard case .APITokenCreated(let created) = try await anonymous.client.login(body: .json(request)).created.body.json else {
            throw SandboxError("login answered with a console session, not a token")
        }
        return try FleetAdmin(server: server.url, token: created.token)
    }

    public func joinToken(name: String = "fleet-test") async throws -> String {
        try await client.createJoinToken(body: .json(.init(name: name))).created.body.json.token
    }

    public func push(_ documents: [String], message: String) async throws -> Components.Schemas.PolicyChangeResponse {
        switch try await client.pushPolicies(body: .json(.init(documents: documents, message: message))) {
        case .created(let created): try created.body.json
        case let other: try other.ok.body.json
        }
    }

    public func rollout() async throws -> Components.Schemas.RolloutStatus {
        try await client.rollout().ok.body.json
    }

    /// Every node, revoked ones too.
    public func nodes() async throws -> [Components.Schemas.NodeInfo] {
        try await client.listNodes(query: .init(includeRevoked: true)).ok.body.json
    }

    public func node(named name: String) async throws -> Components.Schemas.NodeInfo {
        guard let node = try await nodes().first(where: { $0.name == name }) else { throw SandboxError("no node \(name) on the server") }
        return node
    }

    @discardableResult
    public func revoke(nodeID: String) async throws -> Components.Schemas.NodeInfo {
        try await client.revokeNode(path: .init(id: nodeID)).ok.body.json
    }

    /// Open and acknowledged alerts of one policy, newest first.
    public func alerts(policy: String) async throws -> [Components.Schemas.AlertInfo] {
        try await client.listAlerts(query: .init(policy: policy)).ok.body.json.items
    }

    /// The destination ports of the node's stored events, one entry per event (newest first).
    public func eventPorts(node: String) async throws -> [Int] {
        let body = try await client.queryEvents(query: .init(node: node, limit: EventUpload.maximumEvents)).ok.body.applicationXNdjson
        var ports: [Int] = []
        for try await lines in LineGroups(body) {
            for line in lines {
                do {
                    ports.append(Int(try DecisionEvent(jsonLine: line).port))
                } catch {
                    throw SandboxError("not an event line (\(error)): \(line)")
                }
            }
        }
        return ports
    }

    /// A sample of the server's Prometheus `/metrics` (the first line of that name), nil when
    /// the server has none yet.
    public func metric(_ name: String) async throws -> Double? {
        let text = try await client.metrics().ok.body.plainText
        for line in try await String(collecting: text, upTo: 64 << 20).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name || parts[0].hasPrefix(name + "{") { return Double(parts[1]) }
        }
        return nil
    }
}

extension ServerProcess {
    /// A server for one test with its bootstrap admin signed in, killed when `body` ends.
    public static func withAdmin<Result>(name: String, _ body: (ServerProcess, FleetAdmin) async throws -> Result) async throws -> Result {
        let server = try ServerProcess(name: name)
        defer { server.kill() }
        try await server.start()
        return try await body(server, try await FleetAdmin.login(server))
    }
}
