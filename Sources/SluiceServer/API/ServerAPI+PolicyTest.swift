import Foundation
import SluiceAPI
import SluiceCore

/// What candidate policy texts would have done to the stored decisions (issue 15): the nodes the
/// push would change, their recent decisions read a page at a time from the read-only
/// connections, replayed by the core off the cooperative pool under each node's policies and
/// feed layers. Nothing is stored.
extension ServerAPI {
    /// Decisions read per query: a page never holds a reader long.
    static let policyTestPage = 20_000

    func testPolicies(_ input: Operations.TestPolicies.Input) async throws -> Operations.TestPolicies.Output {
        let body = switch input.body { case .json(let body): body }
        guard !body.documents.isEmpty, body.documents.count <= 512 else { throw APIError.badRequest("documents must hold 1 to 512 policy texts") }
        if let names = body.fileNames, names.count != body.documents.count {
            throw APIError.badRequest("file_names has \(names.count) names for \(body.documents.count) documents")
        }
        let selector = body.nodeSelector?.additionalProperties
        if let selector, let problem = NodeSelector.validate(selector) { throw APIError.badRequest("node_selector: \(problem)") }
        let window = try ReplayWindow(since: body.since, limit: body.limit, budgetSeconds: body.budgetSeconds, rows: body.rows)
        let sources = body.documents.enumerated().map { index, text in (file: body.fileNames?[index] ?? "document[\(index)]", text: text) }

        let current = try await store.latestPolicies(includeDeleted: false)
        let pushed: [PolicyContent]
        switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: selector, current: current) }) {
        case .failure(let rejection): throw APIError.unprocessable("the candidate policies were rejected", details: rejection.details)
        case .success(let plan): pushed = plan.contents
        }
        let nodes = try await store.nodes()
        let sets: PolicyTestSets
        do {
            sets = try await Offload.run { try PolicyTestSets(nodes: nodes, current: current, pushed: pushed) }
        } catch let failure as PolicyTestSets.Failure {
            throw APIError.unprocessable(failure.description, details: failure.details)
        }

        // The feed layers a node holds decide over either set, as its kernel does: what a feed
        // decided is then reproduced rather than unknown.
        let replayed = nodes.filter { sets.byNode[$0.name] != nil }
        var policies = sets.byNode
        var layers: [[String: String]: IntelLayerSet] = [:]
        let now = Date()
        for node in replayed {
            if layers[node.labels] == nil { layers[node.labels] = try await feedLayers(labels: node.labels, now: now) }
            policies[node.name]?.currentIntel = layers[node.labels]
            policies[node.name]?.candidateIntel = layers[node.labels]
        }
        var report = try await replayStored(nodes: replayed, policies: policies, window: window)
        if sets.byNode.isEmpty { report.notes.insert("the push would change no node's policies: nothing to replay", at: 0) }
        return .ok(.init(body: .json(try WireForm.schema(report))))
    }

    /// Replays the stored decisions of `nodes` in `window` under each node's two policy sets
    /// (`policies` by node name), off the cooperative pool: the policy test's and the previews'
    /// one way to do it.
    func replayStored(
        nodes: [NodeRecord], policies byNode: [String: PolicyReplay.NodePolicies], window: ReplayWindow
    ) async throws -> ReplayReport {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: window.budget)
        let (events, readLimit) = try await policyTestEvents(nodeIDs: nodes.map(\.id), sinceUs: window.sinceUs, limit: window.limit, deadline: deadline)
        // A million events take a good part of a second to free: after the answer, at nice 10.
        defer { LowPriority.detach { events.removeAll() } }
        // Every core, at a nice value that leaves them to ingest and the other requests whenever
        // those want them.
        let limits = PolicyReplay.Limits(rows: window.rows, budget: max(.zero, deadline - clock.now))
        var report: ReplayReport
        do {
            report = try await LowPriority.run {
                try events.withEvents { recorded throws(PolicyReplayError) in
                    try PolicyReplay.run(events: recorded, policies: { byNode[$0] ?? .init(current: .empty, candidate: .empty) }, limits: limits)
                }
            }
        } catch let error as PolicyReplayError {
            throw APIError.unprocessable("the replay could not run", details: [error.description])
        }
        report.incomplete = [readLimit, report.incomplete].compactMap { $0 }.joined(separator: "; ").nilIfEmpty
        if events.unreadable > 0 {
            report.notes.append("\(events.unreadable) stored decisions could not be read by this server's version and were left out")
        }
        return report
    }

    /// The newest decisions of `nodeIDs` since `sinceUs`, at most `limit`, and why reading
    /// stopped early when it did. Pages are parsed in order, each over every core at nice 10,
    /// while the next are read: the read waits for a parse only when two pages wait already.
    private func policyTestEvents(
        nodeIDs: [String], sinceUs: Int64?, limit: Int, deadline: ContinuousClock.Instant
    ) async throws -> (events: ReplayEventBuffer, incomplete: String?) {
        let parsed = ReplayEventBuffer(capacity: limit)
        let lanes = ProcessInfo.processInfo.activeProcessorCount
        var parsing: [Task<Void, any Error>] = []
        func parseAfterThoseBefore(_ lines: [String]) {
            let previous = parsing.last
            parsing.append(Task {
                try await previous?.value
                try await LowPriority.run { parsed.parse(lines, lanes: lanes) }
            })
        }
        var read = 0
        var cursor: Int64?
        var incomplete: String?
        do {
            while true {
                if parsing.count >= 2 { try await parsing.removeFirst().value }
                let page = try await store.replayLines(nodeIDs: nodeIDs, sinceUs: sinceUs, cursor: cursor, limit: min(Self.policyTestPage, limit - read))
                read += page.lines.count
                if !page.lines.isEmpty { parseAfterThoseBefore(page.lines) }
                guard let next = page.nextCursor else { break }
                if read >= limit {
                    incomplete = "only the newest \(limit) decisions of the range were read: raise limit or shorten since"
                    break
                }
                if ContinuousClock.now >= deadline {
                    incomplete = "the time budget ran out while reading: only the newest \(read) decisions of the range were read"
                    break
                }
                cursor = next
            }
            for task in parsing { try await task.value }
        } catch {
            // No parse outlives the request.
            for task in parsing { _ = try? await task.value }
            throw error
        }
        return (parsed, incomplete)
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
