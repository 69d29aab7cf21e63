import Foundation
import NIOCore
import OpenAPIRuntime
import SluiceAPI
import SluiceCore

/// The agent protocol: enroll with a join token, then everything with the node credential.
extension ServerAPI {
    func enroll(_ input: Operations.Enroll.Input) async throws -> Operations.Enroll.Output {
        let peer = try scope.peer
        let peerKey = LoginThrottle.Key(name: "enroll:" + ClientAddress.key(peer), freeFailures: configuration.logins.freeFailuresPerUser)
        if let wait = app.throttle.retryAfter([peerKey]) {
            throw APIError.tooManyRequests("too many failed enrollments from \(peer); wait \(wait) s", retryAfter: wait)
        }
        let enroll = switch input.body { case .json(let body): body }
        try Limits.check(nodeName: enroll.nodeName)
        let labels = enroll.labels.additionalProperties
        if let problem = NodeSelector.validate(labels) { throw APIError.badRequest(problem.description) }
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
            app.logger.info("node enrolled", metadata: ["node.id": "\(node.id)", "node.name": "\(node.name)"])
            return .created(.init(body: .json(.init(nodeId: node.id, credential: credential, heartbeatSeconds: configuration.heartbeatSeconds))))
        case .failure(let refusal):
            app.throttle.failed([peerKey])
            switch refusal {
            case .unknownToken: throw APIError.unauthorized("unknown join token")
            case .revoked: throw APIError.forbidden("this join token was revoked; ask an admin for a new one")
            case .expired: throw APIError.forbidden("this join token has expired; ask an admin for a new one")
            case .usedUp(let limit): throw APIError.forbidden("this join token has enrolled its \(limit) node(s); ask an admin for a new one")
            case .label(let refusal): throw APIError.forbidden(refusal.description)
            case .nameInUse(let holder):
                throw APIError.conflict(
                    "a node named \(enroll.nodeName) is enrolled (id \(holder)); revoke it first (sluice nodes revoke \(holder)), "
                        + "pick another --node-name, or enroll with a token that allows reusing names (--reuse-names)")
            }
        }
    }

    func heartbeat(_ input: Operations.Heartbeat.Input) async throws -> Operations.Heartbeat.Output {
        let node = try node()
        var heartbeat = switch input.body { case .json(let body): body }
        heartbeat.applyError = heartbeat.applyError.map { Limits.truncate($0, to: 16 << 10) }
        heartbeat.agentVersion = Limits.truncate(heartbeat.agentVersion, to: 128)
        try await clampRevisions(&heartbeat)
        let decisions = try await store.heartbeat(nodeID: node.id, heartbeat)
        return .ok(
            .init(
                body: .json(
                    .init(
                        revoked: false, ruleDecisions: decisions, revision: Int(max(0, app.watcher.revision)),
                        heartbeatSeconds: configuration.heartbeatSeconds))))
    }

    /// A node cannot have applied (or failed) a revision nobody pushed: a report beyond the
    /// current revision is taken as the current one, so the rollout never shows as done early.
    private func clampRevisions(_ heartbeat: inout Components.Schemas.Heartbeat) async throws {
        let reported = max(heartbeat.appliedRevision ?? 0, heartbeat.failedRevision ?? 0, 0)
        var current = Int(clamping: app.watcher.revision)
        guard reported > current else { return }
        // Another replica may be ahead of this one's view; ask the database.
        current = Int(clamping: try await store.catchUp(app.watcher))
        heartbeat.appliedRevision = heartbeat.appliedRevision.map { min(max($0, 0), current) }
        heartbeat.failedRevision = heartbeat.failedRevision.map { min(max($0, 0), current) }
    }

    /// Long poll: the node's bundle as soon as the revision passes `after`, or 304 after `wait`.
    func pollPolicy(_ input: Operations.PollPolicy.Input) async throws -> Operations.PollPolicy.Output {
        let authenticated = try authenticatedNode()
        var node = authenticated.node
        let query = try LongPollQuery(after: input.query.after, wait: input.query.wait, cursor: "a revision number")
        let (after, wait) = (query.after, query.wait)
        let watcher = app.watcher
        if let after {
            var current = watcher.revision
            if after > current {
                // Another replica may be ahead of this one's view; ask the database.
                current = try await store.catchUp(watcher)
            }
            if after == current {
                current = await watcher.wait(after: after, timeout: .seconds(wait))
                if current <= after { return .notModified }
                // Labels or revocation may have changed while waiting: if any node's did (here, or
                // on a replica whose notification came, or while this replica was not listening),
                // read this one again. A push alone changes no node: thousands of polls it wakes
                // answer from the record they authenticated with.
                if !store.credentials.unchanged(since: authenticated.generation) {
                    guard let fresh = try await app.nodeRefresh.node(id: node.id, wokenAt: .now) else { throw APIError.unauthorized("unknown node") }
                    if fresh.revokedUs != nil { throw APIError.forbidden("node \(fresh.name) (\(fresh.id)) was revoked") }
                    node = fresh
                }
            }
        }
        let bundle = try await app.catalog.bundle(labels: node.labels, atLeast: watcher.revision)
        return .ok(.init(body: .json(Components.Schemas.PolicyBundle(bundle))))
    }

    /// The node's bundle at every new revision on one stream (`PolicyWatchLines`).
    func watchPolicy(_ input: Operations.WatchPolicy.Input) async throws -> Operations.WatchPolicy.Output {
        let authenticated = try authenticatedNode()
        var after = try LongPollQuery(after: input.query.after, wait: nil, cursor: "a revision number").after
        if let known = after, known > app.watcher.revision {
            // Another replica may be ahead of this one's view; ask the database. A node that
            // claims a revision nobody pushed gets the current bundle.
            if known > (try await store.catchUp(app.watcher)) { after = nil }
        }
        guard app.policyWatches.allows(nodeID: authenticated.node.id) else {
            throw APIError.unavailable(
                "node \(authenticated.node.name) (\(authenticated.node.id)) has \(PolicyWatchCount.perNode) policy watches open already",
                retryAfter: 10)
        }
        let lines = PolicyWatchLines(
            app: app, node: authenticated.node, generation: authenticated.generation, after: after,
            keepalive: configuration.policyWatchKeepalive)
        return .ok(.init(headers: .init(xAccelBuffering: "no"), body: .applicationXNdjson(HTTPBody(lines, length: .unknown, iterationBehavior: .single))))
    }

    func uploadEvents(_ input: Operations.UploadEvents.Input) async throws -> Operations.UploadEvents.Output {
        let node = try node()
        guard input.query.sequence >= 0 else {
            throw APIError.badRequest("the query parameter sequence (the batch's number, from 0) is required")
        }
        let body = switch input.body { case .applicationXNdjson(let body): body }
        // `OperationGuard` collected the body within the batch limit already.
        let bytes = try await [UInt8](collecting: body, upTo: EventUpload.maximumBytes)
        let stored = try await app.ingest.ingest(node: node, sequence: Int64(input.query.sequence), body: ByteBuffer(bytes: bytes))
        return .ok(.init(body: .json(stored)))
    }

    func uploadLearnedRules(_ input: Operations.UploadLearnedRules.Input) async throws -> Operations.UploadLearnedRules.Output {
        let node = try node()
        let snapshot = switch input.body { case .json(let body): body }
        guard snapshot.count <= 20_000 else { throw APIError.tooLarge("\(snapshot.count) learned rules; at most 20000 in a snapshot") }
        for rule in snapshot where rule.id.isEmpty || rule.id.count > 64 {
            throw APIError.badRequest("a learned rule id must have 1 to 64 characters")
        }
        let rules: [LearnedRule]
        do {
            rules = try snapshot.map(LearnedRule.init)
        } catch {
            throw APIError.badRequest("a learned rule: \(error)")
        }
        try await store.replaceLearnedRules(nodeID: node.id, rules: rules)
        return .ok(.init(body: .json(.init(stored: rules.count))))
    }
}
