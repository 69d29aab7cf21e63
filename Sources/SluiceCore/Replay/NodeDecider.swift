import Foundation

/// What one replayed event asks: the fields the kernel decides by. Recorded traffic repeats
/// itself, so decisions are kept per key and each distinct flow is decided once.
struct ReplayKey: Hashable {
    /// `exe_id` as recorded (parsed only when a flow is decided), else the path.
    var exeID: String?
    var exe: String?
    var cgroup: String?
    var destination: IPAddress
    var port: UInt16
    var transport: TransportProtocol
    var domain: String?

    /// The key of the event at `index`, its fields read in place; nil for a transport the policy
    /// language has no rules for (a protocol number).
    init?(_ events: RecordedEvents, _ index: Int) {
        guard let transport = TransportProtocol(rawValue: events[index].transport) ?? UInt8(events[index].transport).flatMap(TransportProtocol.init(number:))
        else { return nil }
        exeID = events[index].exeID
        exe = exeID == nil ? events[index].exe : nil
        cgroup = events[index].cgroup
        destination = events[index].destination
        port = events[index].port
        self.transport = transport
        domain = events[index].dstDomain
    }
}

/// One policy set compiled for one node.
struct NodeDecider {
    let compiled: CompiledPolicy
    let engine: DecisionEngine
    /// What the resolver could not find: the subjects the replay cannot judge.
    let unresolved: [String]
    /// Whether any rule or feed indicator is by name, which events without a recorded name
    /// cannot meet.
    let hasNameRules: Bool
    /// The feed layers the node enforces over the policy, and when their expiry is judged.
    let intel: IntelIndex?
    let now: Date
    /// Whether any rule is a rate limit, which `ReplayRateLimits` then settles.
    let hasRateLimits: Bool
    /// Every outcome this node's replay met, each once: events refer to them by index.
    private(set) var outcomes: [ReplayOutcome] = []
    private var known: [OutcomeKey: Int32] = [:]
    private var admittedVariants: [Int32: Int32] = [:]

    /// What an outcome depends on.
    private struct OutcomeKey: Hashable {
        var verdict: Verdict
        var byDefault: Bool
        var feed: IntelIndicator?
        var explicitAllow: Bool
    }

    init(_ set: PolicySet, intel: IntelLayerSet? = nil, now: Date = Date(), resolver: ReplayResolver, side: String) throws(PolicyReplayError) {
        self.intel = intel.map(IntelIndex.init)
        self.now = now
        compiled = PolicyCompiler.compile(set, resolver: resolver)
        let errors = compiled.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { throw .doesNotCompile(node: resolver.node, side: side, diagnostics: errors.map(\.description)) }
        do {
            engine = DecisionEngine(image: try DatapathImage(compiled))
        } catch {
            throw .doesNotFit(node: resolver.node, side: side, reason: "\(error)")
        }
        unresolved = compiled.diagnostics.filter { $0.severity == .warning }.map(\.message)
        hasNameRules = compiled.subjects.values.contains { $0.entries.contains { $0.namePattern != nil } }
            || compiled.node.entries.contains { $0.namePattern != nil }
            || self.intel?.hasNames == true
        hasRateLimits = compiled.rules.contains { $0.action == .rateLimit }
    }

    /// The index in `outcomes` of the outcome of `flow`, after the feed layers; each rule's
    /// outcome is made once.
    mutating func decide(_ flow: FlowQuery) -> Int32 {
        var decision = engine.decide(flow, explaining: false)
        let hit = intel?.match(destination: flow.destination, domain: flow.domain, now: now)
        // Whether an allow names the exact destination needs the block the rule was written
        // for, which only the explaining path finds; feed hits are rare.
        if hit != nil, decision.verdict.action == .allow { decision = engine.decide(flow, explaining: true) }
        let key = OutcomeKey(verdict: decision.verdict, byDefault: decision.byDefault, feed: hit, explicitAllow: hit != nil && decision.explicitAllow)
        if let index = known[key] { return index }
        outcomes.append(ReplayOutcome(decision: decision, rule: compiled.rule(decision.verdict.ruleID), feed: hit))
        let index = Int32(outcomes.count - 1)
        known[key] = index
        return index
    }

    /// The index of `ReplayOutcome.admitted` of the outcome at `index`.
    mutating func admitted(_ index: Int32) -> Int32 {
        if let variant = admittedVariants[index] { return variant }
        outcomes.append(outcomes[Int(index)].admitted)
        let variant = Int32(outcomes.count - 1)
        admittedVariants[index] = variant
        return variant
    }
}
