/// Re-decides recorded decisions under the policies in force and under a candidate set, node by
/// node (each node's policies as deployed there, its subjects resolved from its own events), with
/// the core's decision engine and so the kernel's precedence, and counts what changes per
/// application and destination.
///
/// An event the current policies do not decide as recorded is counted `unknown`, not compared:
/// the node knew something the replay does not (a node-local policy, a learned rule, an
/// executable matched by inode, a policy changed since).
public enum PolicyReplay {
    /// How much work one replay may do.
    public struct Limits: Sendable, Hashable {
        /// Rows in the report; the rest are counted in `rowsOmitted`.
        public var rows: Int
        public var examplesPerRow: Int
        /// Wall-clock time for the replay; it stops with `incomplete` set when spent.
        public var budget: Duration

        public init(rows: Int = 500, examplesPerRow: Int = 3, budget: Duration = .seconds(30)) {
            self.rows = rows
            self.examplesPerRow = examplesPerRow
            self.budget = budget
        }
    }

    /// The policies of one node: those in force and those the change would leave.
    public struct NodePolicies: Sendable {
        public var current: PolicySet
        public var candidate: PolicySet

        public init(current: PolicySet, candidate: PolicySet) {
            self.current = current
            self.candidate = candidate
        }
    }

    /// - Parameters:
    ///   - events: recorded events, any order, any nodes; flow records are skipped.
    ///   - policies: each node's two policy sets, by node name.
    ///   - mounts: where an absolute cgroup path in a policy may start (`ReplayResolver`).
    public static func run(
        events: [DecisionEvent], policies: (String) -> NodePolicies, limits: Limits = Limits(),
        mounts: [String] = ReplayResolver.commonMounts
    ) throws(PolicyReplayError) -> ReplayReport {
        var tally = ReplayTally(limits: limits)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limits.budget)
        var byNode: [String: [Int]] = [:]
        for (index, event) in events.enumerated() {
            if event.kind == .flow || event.closed {
                tally.report.skipped += 1
            } else {
                byNode[event.node, default: []].append(index)
            }
        }
        var replayed = 0
        let total = events.count - tally.report.skipped
        for node in byNode.keys.sorted() {
            let indices = byNode[node]!
            let resolver = ReplayResolver(node: node, events: indices.lazy.map { events[$0] }, mounts: mounts)
            let sets = policies(node)
            var replay = try NodeReplay(
                current: NodeDecider(sets.current, resolver: resolver, side: "current"),
                candidate: NodeDecider(sets.candidate, resolver: resolver, side: "candidate"), resolver: resolver)
            tally.note(replay.current.unresolved + replay.candidate.unresolved)
            tally.report.nodes.append(node)
            // Decided first, then rate limits run in time order over the whole node, then counted.
            var pairs: [ReplayPair?] = []
            pairs.reserveCapacity(indices.count)
            var outOfTime = false
            for (position, index) in indices.enumerated() {
                if position & 1023 == 0, clock.now >= deadline {
                    tally.report.incomplete =
                        "the time budget of \(limits.budget) ran out after \(replayed + position) of \(total) decisions: narrow the time range or the nodes"
                    outOfTime = true
                    break
                }
                let event = events[index]
                pairs.append(ReplayKey(event).map { replay.outcomes($0, event: event) })
            }
            ReplayRateLimits.run(&pairs, events: events, indices: indices)
            let candidateHasNameRules = replay.candidate.hasNameRules
            for (position, pair) in pairs.enumerated() {
                let event = events[indices[position]]
                guard let pair else {
                    tally.report.skipped += 1
                    continue
                }
                replayed += 1
                if event.dstDomain == nil && candidateHasNameRules { tally.eventsWithoutName += 1 }
                tally.add(event, before: pair.before, after: pair.after)
            }
            if outOfTime { break }
        }
        tally.finish()
        return tally.report
    }
}

/// Why a replay could not run.
public enum PolicyReplayError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A policy set does not compile for a node (contradicting rules once subjects are resolved).
    case doesNotCompile(node: String, side: String, diagnostics: [String])
    /// A policy set does not fit the kernel's maps.
    case doesNotFit(node: String, side: String, reason: String)

    public var description: String {
        switch self {
        case .doesNotCompile(let node, let side, let diagnostics):
            return "the \(side) policies do not compile for node \(node):\n" + diagnostics.joined(separator: "\n")
        case .doesNotFit(let node, let side, let reason):
            return "the \(side) policies do not fit the kernel's maps for node \(node): \(reason)"
        }
    }
}
