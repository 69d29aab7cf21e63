import Foundation
import Hummingbird
import SluiceCore

/// The agent protocol (`AgentProtocol.swift`): enroll with a join token, then everything with
/// the node credential.
extension ServerApp {
    func addAgentRoutes(_ routes: RouteBuilder) {
        routes.anyone(.post, AgentPaths.enroll, access: .joinToken) { request, context in
            try await self.enroll(request, context)
        }
        routes.node(.post, AgentPaths.heartbeat) { request, _, node in
            var heartbeat = try await request.decode(Heartbeat.self, limit: 64 << 10)
            heartbeat.applyError = heartbeat.applyError.map { Limits.truncate($0, to: 16 << 10) }
            heartbeat.agentVersion = Limits.truncate(heartbeat.agentVersion, to: 128)
            let decisions = try await self.store.heartbeat(nodeID: node.id, heartbeat)
            return try JSONResponse.make(
                HeartbeatResponse(
                    revoked: false, ruleDecisions: decisions, revision: UInt64(max(0, self.watcher.revision)),
                    heartbeatSeconds: self.configuration.heartbeatSeconds))
        }
        routes.node(.get, AgentPaths.policy) { request, _, node in
            try await self.policy(request, node: node)
        }
        routes.node(.post, AgentPaths.events) { request, _, node in
            guard let text = try request.query("sequence", maxLength: 20), let sequence = UInt64(text), sequence <= UInt64(Int64.max) else {
                throw APIError.badRequest("the query parameter sequence (the batch's number, from 0) is required")
            }
            let body = try await request.readBody(limit: EventUpload.maximumBytes)
            return try JSONResponse.make(try await self.ingest.ingest(node: node, sequence: Int64(sequence), body: body))
        }
        routes.node(.post, AgentPaths.rules) { request, _, node in
            let rules = try await request.decode([LearnedRule].self, limit: 8 << 20)
            guard rules.count <= 20_000 else { throw APIError.tooLarge("\(rules.count) learned rules; at most 20000 in a snapshot") }
            for rule in rules where rule.id.isEmpty || rule.id.count > 64 {
                throw APIError.badRequest("a learned rule id must have 1 to 64 characters")
            }
            try await self.store.replaceLearnedRules(nodeID: node.id, rules: rules)
            return try JSONResponse.make(RuleSnapshotResponse(stored: rules.count))
        }
    }

    private func enroll(_ request: Request, _ context: ServerContext) async throws -> Response {
        let peerKey = "enroll:" + context.peer
        if let wait = throttle.retryAfter([peerKey]) {
            throw APIError.tooManyRequests("too many failed enrollments from \(context.peer); wait \(wait) s", retryAfter: wait)
        }
        let enroll = try await request.decode(EnrollRequest.self, limit: 64 << 10)
        try Limits.check(nodeName: enroll.nodeName)
        if let problem = NodeSelector.validate(enroll.labels) { throw APIError.badRequest(problem.description) }
        try Limits.check(enroll.kernel, "kernel", max: 256)
        try Limits.check(enroll.agentVersion, "agent_version", max: 128)
        guard Secrets.kind(of: enroll.joinToken) == .joinToken || Secrets.kind(of: enroll.joinToken) == nil, enroll.joinToken.count <= 256 else {
            throw APIError.unauthorized("that is not a join token; create one with: sluice tokens create NAME")
        }
        let credential = Secrets.make(.nodeCredential)
        let nodeID = "n-" + Secrets.randomHex(bytes: 8)
        switch try await store.enroll(
            joinTokenHash: Secrets.digest(enroll.joinToken), request: enroll, nodeID: nodeID, credentialHash: Secrets.digest(credential))
        {
        case .success(let node):
            logger.info("node enrolled", metadata: ["node.id": "\(node.id)", "node.name": "\(node.name)"])
            return try JSONResponse.make(
                EnrollResponse(nodeId: node.id, credential: credential, heartbeatSeconds: configuration.heartbeatSeconds), status: .created)
        case .failure(let refusal):
            throttle.failed([peerKey])
            switch refusal {
            case .unknownToken: throw APIError.unauthorized("unknown join token")
            case .revoked: throw APIError.forbidden("this join token was revoked; ask an admin for a new one")
            case .expired: throw APIError.forbidden("this join token has expired; ask an admin for a new one")
            }
        }
    }

    /// Long poll: the node's bundle as soon as the revision passes `after`, or 304 after `wait`.
    private func policy(_ request: Request, node: NodeRecord) async throws -> Response {
        let wait = try request.queryInt("wait", range: 0...AgentPaths.maximumPolicyWait) ?? 30
        var after: Int64?
        if let text = try request.query("after", maxLength: 20) {
            guard let value = UInt64(text), value <= UInt64(Int64.max) else {
                throw APIError.badRequest("after must be a revision number (0 or more)")
            }
            after = Int64(value)
        }
        var node = node
        if let after {
            var current = watcher.revision
            if after > current {
                // Another replica may be ahead of this one's view; ask the database.
                current = try await store.currentRevision()
                watcher.advance(to: current)
            }
            if after == current {
                current = await watcher.wait(after: after, timeout: .seconds(wait))
                if current <= after { return Response(status: .notModified) }
                // Labels or revocation may have changed while waiting.
                guard let fresh = try await store.node(id: node.id) else { throw APIError.unauthorized("unknown node") }
                if fresh.revokedUs != nil { throw APIError.forbidden("node \(fresh.name) (\(fresh.id)) was revoked") }
                node = fresh
            }
        }
        let bundle = try await catalog.bundle(labels: node.labels, atLeast: watcher.revision)
        return try JSONResponse.make(bundle)
    }
}

/// Field limits of request bodies.
enum Limits {
    static func check(_ value: String, _ field: String, max: Int, allowEmpty: Bool = true) throws {
        if !allowEmpty && value.isEmpty { throw APIError.badRequest("\(field) must not be empty") }
        if value.count > max { throw APIError.badRequest("\(field) is longer than \(max) characters") }
    }

    /// Node names: host-name-like, 1 to 253 characters.
    static func check(nodeName: String) throws {
        guard !nodeName.isEmpty, nodeName.count <= 253,
            nodeName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
        else {
            throw APIError.badRequest("node_name must be 1 to 253 letters, digits, '-', '.' or '_'")
        }
    }

    /// User, token and policy names: 1 to 64 characters, letters, digits, `-`, `_`, `.`, `@`.
    static func check(name: String, _ field: String) throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }) else {
            throw APIError.badRequest("\(field) must be 1 to 64 letters, digits, '-', '_', '.' or '@'")
        }
    }

    static func truncate(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length)) + "…"
    }
}
