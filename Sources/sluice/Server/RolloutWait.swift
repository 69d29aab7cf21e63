import ArgumentParser
import Foundation
import SluiceAPI

/// `policy push --wait`: follows the rollout until every node has applied the pushed revision or
/// refused it, so a script learns whether its push took effect, not only that the server took it.
struct RolloutWait {
    let server: ServerOptions
    let revision: Int
    let timeout: DurationArgument

    /// Exit 1 when a node refused the revision, 2 when one did not answer in time (or is stale).
    func run() async throws {
        let deadline = ContinuousClock.now + .seconds(timeout.seconds)
        var reported: [String: Components.Schemas.RolloutState] = [:]
        while true {
            let status = try await server.call { try await $0.rollout().ok.body.json }
            let nodes = status.nodes.filter { $0.state != .revoked }
            for node in nodes where reported[node.nodeId] != node.state && node.state != .pending {
                reported[node.nodeId] = node.state
                print(Self.line(node))
            }
            let pending = nodes.filter { $0.state == .pending }
            if pending.isEmpty || ContinuousClock.now >= deadline {
                try finish(nodes, pending: pending)
                return
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private func finish(_ nodes: [Components.Schemas.NodeRollout], pending: [Components.Schemas.NodeRollout]) throws {
        for node in pending { print(Self.line(node) + " (gave up after \(timeout.seconds) s)") }
        let failed = nodes.filter { $0.state == .failed }.count
        let silent = pending.count + nodes.filter { $0.state == .stale }.count
        let applied = nodes.filter { $0.state == .applied }.count
        print("revision \(revision): \(applied) of \(nodes.count) node(s) applied it, \(failed) refused it, \(silent) did not answer")
        if failed > 0 { throw ExitCode(1) }
        if silent > 0 { throw ExitCode(2) }
    }

    private static func line(_ node: Components.Schemas.NodeRollout) -> String {
        let color: Terminal.Color = node.state == .applied ? .green : node.state == .failed ? .red : .yellow
        let what = node.state == .stale ? "stale (not reporting)" : node.state.rawValue
        return "  \(Terminal.fit(node.name, 30)) \(Terminal.fit(node.nodeId, 18)) \(Terminal.paint(what, color))\(node.error.map { "  \($0)" } ?? "")"
    }
}
