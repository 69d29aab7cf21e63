import Foundation
import SluiceAPI
import SluiceCore

/// The feed layers a node enforces, and what they are for a set of labels.
extension ServerAPI {
    /// The most changes in one answer; `more` says the next page waits.
    static let intelPageSize = 50_000

    /// Long poll: the changes of the node's feed layers after `after` (the whole set without
    /// it), or 304 when nothing changed within `wait`.
    func pollIntel(_ input: Operations.PollIntel.Input) async throws -> Operations.PollIntel.Output {
        var node = try node()
        let query = try LongPollQuery(after: input.query.after, wait: input.query.wait, cursor: "a cursor this server gave")
        let (after, wait) = (query.after, query.wait)
        // A continuation has its next page waiting: it never waits. A cursor beyond the sequence
        // (a database restored from backup) gets the whole set at once.
        if let after, !IntelCursor.isContinuation(after), after >= app.intelWatcher.revision {
            // Another replica may have changed feeds: its change is in the database.
            var current = try await store.intelSequence()
            app.intelWatcher.advance(to: current)
            if current == after {
                current = await app.intelWatcher.wait(after: after, timeout: .seconds(wait))
                if current <= after {
                    current = try await store.intelSequence()
                    if current <= after { return .notModified }
                }
                // Labels or revocation may have changed while waiting.
                guard let fresh = try await store.node(id: node.id) else { throw APIError.unauthorized("unknown node") }
                if fresh.revokedUs != nil { throw APIError.forbidden("node \(fresh.name) (\(fresh.id)) was revoked") }
                node = fresh
            }
        }
        let delta = try await store.intelDelta(labels: node.labels, after: after, pageSize: Self.intelPageSize)
        return .ok(.init(body: .json(.init(delta))))
    }

    /// What `pollIntel` answers a node with these labels, at once.
    func feedLayers(_ input: Operations.FeedLayers.Input) async throws -> Operations.FeedLayers.Output {
        var labels: [String: String] = [:]
        if let text = input.query.labels {
            switch NodeSelector.parse(text) {
            case .success(let parsed): labels = parsed
            case .failure(let problem): throw APIError.badRequest("labels: \(problem)")
            }
        }
        let query = try LongPollQuery(after: input.query.after, wait: 0, cursor: "a cursor this server gave")
        let delta = try await store.intelDelta(labels: labels, after: query.after, pageSize: Self.intelPageSize)
        return .ok(.init(body: .json(.init(delta))))
    }
}
