import Foundation

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

        /// Nodes decided at once, each on a thread of its own.
        public var parallelism: Int

        public init(rows: Int = 500, examplesPerRow: Int = 3, budget: Duration = .seconds(30), parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.rows = rows
            self.examplesPerRow = examplesPerRow
            self.budget = budget
            self.parallelism = max(1, parallelism)
        }
    }

    /// The policies of one node: those in force and those the change would leave, with the feed
    /// layers the node enforces over each (none: no layer is modelled).
    public struct NodePolicies: Sendable {
        public var current: PolicySet
        public var candidate: PolicySet
        /// The feed layers the node holds now.
        public var currentIntel: IntelLayerSet?
        /// The feed layers after the change (a feed added, changed or dropped).
        public var candidateIntel: IntelLayerSet?

        public init(current: PolicySet, candidate: PolicySet, currentIntel: IntelLayerSet? = nil, candidateIntel: IntelLayerSet? = nil) {
            self.current = current
            self.candidate = candidate
            self.currentIntel = currentIntel
            self.candidateIntel = candidateIntel
        }
    }

    /// - Parameters:
    ///   - events: recorded events, any order, any nodes; flow records are skipped.
    ///   - policies: each node's two policy sets, by node name.
    ///   - mounts: where an absolute cgroup path in a policy may start (`ReplayResolver`).
    ///   - now: when feed indicators' expiry is judged.
    public static func run(
        events: [DecisionEvent], policies: (String) -> NodePolicies, limits: Limits = Limits(),
        mounts: [String] = ReplayResolver.commonMounts, now: Date = Date()
    ) throws(PolicyReplayError) -> ReplayReport {
        try events.withUnsafeBufferPointer { buffer throws(PolicyReplayError) in
            try run(events: RecordedEvents(buffer), policies: policies, limits: limits, mounts: mounts, now: now)
        }
    }

    /// `run(events:)` over events read where they are held.
    public static func run(
        events: RecordedEvents, policies: (String) -> NodePolicies, limits: Limits = Limits(),
        mounts: [String] = ReplayResolver.commonMounts, now: Date = Date()
    ) throws(PolicyReplayError) -> ReplayReport {
        var tally = ReplayTally(limits: limits)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limits.budget)
        var byNode: [String: [Int]] = [:]
        var skipped = 0
        for index in events.indices {
            if events[index].kind == .flow || events[index].closed {
                skipped += 1
            } else {
                byNode[events[index].node, default: []].append(index)
            }
        }
        let total = events.count - skipped
        let nodes = byNode.keys.sorted()
        let sets = nodes.map(policies)
        // Each node decided and counted on its own, its tables freed on its own lane (all of it
        // grows with the events); then the nodes' counts are merged in node order, which costs
        // what the rows do, not what the events do.
        let counted = Self.parallel(nodes.count, threads: limits.parallelism) { [byNode] slot -> Result<CountedNode, PolicyReplayError> in
            Result { () throws(PolicyReplayError) -> CountedNode in
                var node = try DecidedNode(node: nodes[slot], indices: byNode[nodes[slot]]!, sets: sets[slot], events: events, mounts: mounts, now: now, deadline: deadline)
                return CountedNode(node: &node, events: events, limits: limits)
            }
        }
        tally.report.skipped = skipped
        tally.reserveRows(counted.reduce(0) { $0 + ((try? $1.get())?.tally.rowCount ?? 0) })
        var replayed = 0
        for result in counted {
            let node = try result.get()
            tally.note(node.unresolved)
            tally.report.nodes.append(node.name)
            replayed += node.tally.report.events
            tally.merge(node.tally)
            if node.outOfTime {
                tally.report.incomplete =
                    "the time budget of \(limits.budget) ran out after \(replayed) of \(total) decisions: narrow the time range or the nodes"
                break
            }
        }
        tally.finish(events)
        return tally.report
    }
}

extension PolicyReplay {
    /// One node's events decided under both sets, not yet counted.
    struct DecidedNode {
        let name: String
        let indices: [Int]
        var replay: NodeReplay
        /// One per decided position of `indices`; nil for an event that is not replayed.
        var pairs: [ReplayPair?] = []
        /// The budget ran out before every event was decided.
        var outOfTime = false

        init(
            node: String, indices: [Int], sets: NodePolicies, events: RecordedEvents, mounts: [String], now: Date,
            deadline: ContinuousClock.Instant
        ) throws(PolicyReplayError) {
            name = node
            self.indices = indices
            let resolver = ReplayResolver(node: node, events: events, indices: indices, mounts: mounts)
            replay = try NodeReplay(
                current: NodeDecider(sets.current, intel: sets.currentIntel, now: now, resolver: resolver, side: "current"),
                candidate: NodeDecider(sets.candidate, intel: sets.candidateIntel, now: now, resolver: resolver, side: "candidate"),
                resolver: resolver, flows: indices.count)
            pairs.reserveCapacity(indices.count)
            for (position, index) in indices.enumerated() {
                if position & 1023 == 0, ContinuousClock.now >= deadline {
                    outOfTime = true
                    break
                }
                pairs.append(ReplayKey(events, index).map { replay.outcomes($0, of: events, at: index) })
            }
        }
    }

    /// One node's events counted, with what the merge needs of its replay.
    struct CountedNode {
        let name: String
        let tally: ReplayTally
        /// The subjects either side could not resolve.
        let unresolved: [String]
        let outOfTime: Bool

        /// Settles `node`'s rate limits and counts its decided events.
        init(node: inout DecidedNode, events: RecordedEvents, limits: Limits) {
            name = node.name
            outOfTime = node.outOfTime
            unresolved = node.replay.current.unresolved + node.replay.candidate.unresolved
            ReplayRateLimits.run(&node.pairs, events: events, indices: node.indices, replay: &node.replay)
            var tally = ReplayTally(limits: limits)
            let candidateHasNameRules = node.replay.candidate.hasNameRules
            for (position, pair) in node.pairs.enumerated() {
                let index = node.indices[position]
                guard let pair else {
                    tally.report.skipped += 1
                    continue
                }
                if events[index].dstDomain == nil && candidateHasNameRules { tally.eventsWithoutName += 1 }
                tally.add(events, at: index, before: node.replay.current.outcomes[Int(pair.before)], after: node.replay.candidate.outcomes[Int(pair.after)])
            }
            self.tally = tally
        }
    }

    /// `work` for each of `count` slots, at most `threads` at once, answers in slot order. Each
    /// lane is a thread of its own, started by the caller's thread: not Swift's cooperative pool
    /// nor Dispatch's, whose threads the server's requests run on, and on Linux a new thread
    /// takes its creator's nice value, so a caller that lowered its own priority lowers the lanes'.
    static func parallel<T: Sendable>(_ count: Int, threads: Int, _ work: @escaping @Sendable (Int) -> T) -> [T] {
        guard threads > 1, count > 1 else { return (0..<count).map(work) }
        let lanes = min(threads, count)
        let answers = Answers<T>(count)
        let finished = DispatchGroup()
        // Each lane takes every `lanes`-th slot; the caller's thread is the last lane.
        for lane in 0..<lanes - 1 {
            finished.enter()
            let thread = Thread {
                for slot in stride(from: lane, to: count, by: lanes) { answers.set(slot, work(slot)) }
                finished.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for slot in stride(from: lanes - 1, to: count, by: lanes) { answers.set(slot, work(slot)) }
        finished.wait()
        return answers.all
    }

    /// What the lanes of `parallel` answer, one slot each.
    private final class Answers<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [T?]

        init(_ count: Int) {
            slots = Array(repeating: nil, count: count)
        }

        func set(_ slot: Int, _ value: T) {
            lock.withLock { slots[slot] = value }
        }

        var all: [T] { lock.withLock { slots.map { $0! } } }
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
