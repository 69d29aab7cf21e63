import Foundation
import SluiceAPI
import SluiceCore

/// What a feed's layer would have done to the recorded traffic of the nodes it targets (issue 15):
/// the feed fetched and parsed as a sync does (same limits, nothing stored), each node's feed
/// layers now against the same with this feed added or changed, over its policies, replayed like
/// a policy test with the kernel's precedence (`IntelPrecedence`); and what a stored feed's layer
/// decides, the same replay with and without it.
extension ServerAPI {
    func previewFeed(_ input: Operations.PreviewFeed.Input) async throws -> Operations.PreviewFeed.Output {
        _ = try user()
        let query = input.query
        let window = try ReplayWindow(since: query.since, limit: query.limit, budgetSeconds: query.budgetSeconds, rows: query.rows)
        let request = switch input.body { case .json(let body): body }
        let spec = try FeedSpec(request)
        let now = Date()
        let indicators = try await previewIndicators(spec, now: now)

        // A feed of this name keeps its layer where its selector matches now: a changed selector
        // drops it from nodes the new one leaves out, which are replayed too.
        let existing = try await store.feed(name: spec.name)?.spec.nodeSelector
        let targets: @Sendable ([String: String]) -> Bool = { NodeSelector.matches(spec.nodeSelector, labels: $0) }
        let nodes = try await store.nodes().filter { node in
            node.revokedUs == nil && (targets(node.labels) || existing.map { NodeSelector.matches($0, labels: node.labels) } == true)
        }
        var report = try await replayFeedChange(nodes: nodes, window: window, now: now) { layers, labels in
            (layers, layers.replacingFeed(spec.name, with: targets(labels) ? indicators : [], now: now))
        }
        report.notes.insert("feed \(spec.name) would hold \(indicators.count) indicators (\(spec.action.rawValue))", at: 0)
        if nodes.isEmpty { report.notes.insert("the feed's node selector matches no node: nothing to replay", at: 1) }
        return .ok(.init(body: .json(try WireForm.schema(report))))
    }

    /// What a stored feed's layer does to the recorded traffic of the nodes it targets: each node
    /// replayed with its feed layers as they are and without this feed. The side that matches the
    /// recording is the current one (the other way round, every decision the feed made would be
    /// `unknown`), so what the feed decides reads as what its removal would change.
    func feedImpact(_ input: Operations.FeedImpact.Input) async throws -> Operations.FeedImpact.Output {
        _ = try user()
        let query = input.query
        let window = try ReplayWindow(since: query.since, limit: query.limit, budgetSeconds: query.budgetSeconds, rows: query.rows)
        guard let feed = try await store.feed(name: input.path.name) else { throw APIError.notFound("no feed named \(input.path.name)") }
        let now = Date()
        let nodes = try await store.nodes().filter { $0.revokedUs == nil && NodeSelector.matches(feed.spec.nodeSelector, labels: $0.labels) }
        var report = try await replayFeedChange(nodes: nodes, window: window, now: now) { layers, _ in
            (layers, layers.replacingFeed(feed.spec.name, with: [], now: now))
        }
        report.notes.insert(
            "feed \(feed.spec.name) holds \(feed.indicatorCount) indicators (\(feed.spec.action.rawValue)); the candidate is each node without its layer, so each change is one the feed makes",
            at: 0)
        if nodes.isEmpty { report.notes.insert("the feed's node selector matches no node: nothing to replay", at: 1) }
        return .ok(.init(body: .json(try WireForm.schema(report))))
    }

    /// Replays `nodes` under their policies in force with the two feed layer sets `sides` makes
    /// of each node's layers now; nodes with the same labels share one read and parse.
    private func replayFeedChange(
        nodes: [NodeRecord], window: ReplayWindow, now: Date,
        sides: @escaping @Sendable (IntelLayerSet, [String: String]) -> (current: IntelLayerSet, candidate: IntelLayerSet)
    ) async throws -> ReplayReport {
        let current = try await store.latestPolicies(includeDeleted: false)
        var byLabels: [[String: String]: PolicyReplay.NodePolicies] = [:]
        var byNode: [String: PolicyReplay.NodePolicies] = [:]
        for node in nodes {
            if byLabels[node.labels] == nil {
                let layers = try await feedLayers(labels: node.labels, now: now)
                do {
                    byLabels[node.labels] = try await Offload.run {
                        let policies = try PolicyTestSets.policies(labels: node.labels, current: current)
                        let (before, after) = sides(layers, node.labels)
                        return PolicyReplay.NodePolicies(current: policies, candidate: policies, currentIntel: before, candidateIntel: after)
                    }
                } catch let failure as PolicyTestSets.Failure {
                    throw APIError.unprocessable(failure.description, details: failure.details)
                }
            }
            byNode[node.name] = byLabels[node.labels]
        }
        return try await replayStored(nodes: nodes, policies: byNode, window: window)
    }

    /// The feed's indicators as a sync would store them; a fetch or parse that fails is a 422.
    private func previewIndicators(_ spec: FeedSpec, now: Date) async throws -> [IntelIndicator] {
        let items: [FeedItem]
        do {
            switch try await app.feedPoller.sync.fetch(StoredFeed(previewing: spec), now: now).change {
            case .replace(let all): items = all
            case .merge(let sources): items = sources.flatMap(\.items)
            case .unchanged: items = []
            }
        } catch let error as FeedError {
            throw APIError.unprocessable("feed \(spec.name) could not be read", details: [error.description])
        } catch {
            throw APIError.unprocessable("feed \(spec.name) could not be read", details: ["\(error)"])
        }
        let maximum = configuration.feedLimits.maximumIndicators
        if items.count > maximum {
            throw APIError.unprocessable(
                "feed \(spec.name) could not be read", details: [FeedError(feed: spec.name, reason: .tooManyIndicators(limit: maximum)).description])
        }
        return items.map { $0.indicator(feed: spec.name, action: spec.action) }
    }

    /// The feed layers a node with `labels` holds now: every page of what its poll would answer.
    func feedLayers(labels: [String: String], now: Date) async throws -> IntelLayerSet {
        var indicators: [IntelIndicator] = []
        var after: Int64?
        while true {
            let delta = try await store.intelDelta(labels: labels, after: after, pageSize: Self.intelPageSize)
            indicators += delta.upserts
            guard delta.more else { break }
            after = Int64(delta.cursor)
        }
        let all = indicators
        return try await Offload.run { IntelLayerSet(indicators: all, now: now) }
    }
}

extension StoredFeed {
    /// A feed not stored: what a preview fetches whole (no cursor, no conditional request).
    init(previewing spec: FeedSpec) {
        id = 0
        self.spec = spec
        createdBy = ""
        createdUs = 0
        indicatorCount = 0
        unusable = 0
        fetches = 0
        notModified = 0
    }
}
