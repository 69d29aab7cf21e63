import Foundation
import Logging
import SluiceCore
import SluiceKernel

/// Keeps the kernel's maps in sync with policy: reads the sources, validates, compiles against
/// this node, and applies each good generation atomically. A rejected change leaves the previous
/// generation in force and is reported with every diagnostic.
///
/// Runs on a thread of its own (`ThreadExecutor`): applying a generation is thousands of `bpf()`
/// calls and a wait for a grace period, which must not hold a thread of the cooperative pool.
/// The datapath is not `Sendable`; this actor owns it, so only that thread touches it.
public actor EnforcementController {
    public let configuration: AgentConfiguration
    let datapath: Datapath
    private let executor = ThreadExecutor(name: "sluice-enforce")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// The ring buffers the programs write to, for the event pipeline's reading thread.
    public nonisolated let events: BPFMap
    public nonisolated let execs: BPFMap
    /// Reads open connections' flow records.
    public nonisolated let flowSweeper: FlowSweeper
    /// The names behind events' name ids.
    public nonisolated let domainNames: DomainNames
    /// Where redirected connections meant to go, for the origin socket.
    public nonisolated let redirectOrigins: RedirectOrigins
    let cgroups: CgroupFS
    /// What policy paths resolved to, across compiles: a renamed executable stays governed.
    let executables = ExecutableTracker()
    let logger: Logger
    let metrics: AgentMetrics

    /// The policy in force and what it was made from.
    public private(set) var applied: AppliedPolicy?
    /// The last rejected change; cleared by the next good one.
    public private(set) var lastRejection: PolicyRejection?
    /// Rule tables of recent generations, to name the rules of events still in flight.
    private var rulesByGeneration: [UInt32: [RuleInfo]] = [:]
    private var image: DatapathImage?
    private var compiled: CompiledPolicy?
    private var parsed = ParsedSources()
    /// Learned rules in force, compiled with the administrator's policy.
    private var learned: [LearnedRule] = []
    /// Policies from the server, merged with the local folder's; and the revision they came at.
    private var serverSources: [PolicySource] = []
    public private(set) var serverRevision: UInt64?
    /// The last server revision that was refused, and why.
    public private(set) var serverFailure: ServerFailure?
    /// The agent's own executable: learned rules never target it.
    private let ownExecutable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    private let saver: SavedPolicyWriter
    /// The subject identities the applied generation was compiled with, to notice upgrades.
    private var resolvedIdentities: ResolvedIdentities?

    public init(configuration: AgentConfiguration, logger: Logger, metrics: AgentMetrics) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        cgroups = try CgroupFS.discover()
        saver = SavedPolicyWriter(path: configuration.state.appliedPolicyPath, logger: logger)
        if configuration.fleet != nil, let bundle = ServerPolicyStore.load(configuration.state) {
            // The last good server policy, enforced from the first apply even with the server away.
            serverSources = ServerPolicyStore.sources(of: bundle)
            serverRevision = bundle.revision
        }
        let attachPath = try cgroups.absolutePath(configuration.cgroup ?? "")
        let datapath = try Datapath(
            configuration: DatapathConfiguration(
                pins: configuration.state.pins, cgroupPath: attachPath, capacity: configuration.capacity,
                protect: configuration.protect != nil),
            logger: logger)
        events = datapath.events
        execs = datapath.execs
        flowSweeper = datapath.flowSweeper
        domainNames = datapath.domainNames
        redirectOrigins = datapath.redirectOrigins
        self.datapath = datapath
    }

    /// Exempts this process, applies the first generation, then attaches (or adopts the links an
    /// earlier agent pinned). If the policy is invalid at start and an earlier agent's policy is
    /// pinned, that one stays in force; with nothing pinned, starting fails.
    public func start(agent: ProcessIdentity) async throws {
        try datapath.setRuntime(DatapathRuntime(agent: agent, eventMode: configuration.eventMode))
        let adopted = datapath.report.reusedMaps || datapath.report.replacedMaps
        let saved = try? SavedPolicy.load(from: configuration.state.appliedPolicyPath)
        if let saved, datapath.report.reusedMaps, saved.generation == datapath.generation {
            // Records written while no agent ran carry the pinned generation: keep their names.
            rulesByGeneration[saved.generation] = saved.rules
        }
        do {
            try await applyFromSources(reason: "start")
        } catch let error as PolicyRejection where adopted {
            logger.error(
                "policy rejected at start; the pinned policy of the earlier agent stays in force",
                metadata: ["policy.errors": "\(error.diagnostics.count)"])
            if let saved {
                try await applySources(saved.sources, reason: "restore saved policy")
            }
        }
        try datapath.attach()
        logger.info(
            "enforcing",
            metadata: [
                "policy.generation": "\(datapath.generation)", "agent.maps": datapath.report.reusedMaps ? "adopted" : "new",
                "links.adopted": "\(datapath.report.adoptedLinks.count)",
            ])
    }

    /// Re-reads the sources and applies them when valid. Returns the outcome for callers (the
    /// local API); failures are also logged and kept in `lastRejection`.
    @discardableResult
    public func reload(reason: String) async -> ReloadOutcome {
        do {
            try await applyFromSources(reason: reason)
            return .applied(applied!)
        } catch let rejection as PolicyRejection {
            Self.returnFreedMemory()
            return .rejected(rejection)
        } catch {
            Self.returnFreedMemory()
            let rejection = PolicyRejection(
                time: Date(), reason: reason, message: "\(error)", diagnostics: [])
            record(rejection)
            return .rejected(rejection)
        }
    }

    /// A rejected policy may have been large: give the pages its parse used back to the system
    /// instead of keeping the high-water mark until restart.
    private static func returnFreedMemory() {
        ProcessMemory.returnFreedPages()
    }

    /// Re-resolves the executables and cgroups the policy names; when one changed (an upgrade
    /// replaced a binary, a cgroup was recreated) the policy is recompiled and applied.
    public func refreshIdentities() async {
        await refreshHostAddresses()
        guard let applied, let previous = resolvedIdentities else { return }
        let current = ResolvedIdentities.resolve(
            executables: applied.executablePaths, cgroups: applied.cgroupPaths, resolver: SystemSubjectResolver(cgroups: cgroups, tracker: executables))
        guard current != previous else { return }
        logger.info("an executable or cgroup named by policy changed; recompiling")
        do {
            try await applySources(applied.sources, reason: "identity change")
        } catch {
            logger.error("recompiling after an identity change failed", metadata: ["error": "\(error)"])
        }
    }

    /// Recompiles when a policy names `host` and the node's addresses changed since it was
    /// compiled (an interface came up, an address was added or removed).
    public func refreshHostAddresses() async {
        guard let applied, let used = compiled?.hostAddresses else { return }
        let current = HostAddresses.current()
        guard current != used else { return }
        logger.info("host addresses changed; recompiling", metadata: ["host.addresses": "\(current.count)"])
        do {
            try await applySources(applied.sources, reason: "host addresses changed")
        } catch {
            logger.error("recompiling after an address change failed", metadata: ["error": "\(error)"])
        }
    }

    private func applyFromSources(reason: String) async throws {
        let sources: [PolicySource]
        do {
            sources = try PolicySource.read(directory: configuration.policyDirectory)
        } catch let error as PolicyValidationError {
            throw reject(reason: reason, message: "policy folder unreadable", diagnostics: error.diagnostics)
        }
        try await applySources(sources + serverSources, reason: reason)
    }

    /// Applies a server revision together with the local folder. A refused revision leaves the
    /// previous one in force; the error goes back to the server in the next heartbeat.
    public func setServerPolicies(_ bundle: PolicyBundle) async -> Bool {
        let previous = serverSources
        serverSources = ServerPolicyStore.sources(of: bundle)
        do {
            try await applyFromSources(reason: "server revision \(bundle.revision)")
            serverRevision = bundle.revision
            serverFailure = nil
            ServerPolicyStore.save(bundle, configuration.state, logger: logger)
            return true
        } catch {
            serverSources = previous
            let message = lastRejection.map { ([$0.message] + $0.diagnostics).joined(separator: "\n") } ?? "\(error)"
            serverFailure = ServerFailure(revision: bundle.revision, error: message)
            return false
        }
    }

    private func applySources(_ sources: [PolicySource], reason: String) async throws {
        let started = ContinuousClock.now
        var stages = StageClock()
        let loaded = parsed.check(sources)
        stages.mark("parse")
        if loaded.hasErrors {
            throw reject(reason: reason, message: "invalid policy", diagnostics: loaded.diagnostics)
        }
        let resolver = RecordingResolver(SystemSubjectResolver(cgroups: cgroups, tracker: executables))
        let (compiled, refusedLearned) = compileWithLearned(loaded.policySet, resolver: resolver)
        stages.mark("compile")
        droppedLearned = refusedLearned
        let diagnostics = loaded.diagnostics + compiled.diagnostics
        if diagnostics.contains(where: { $0.severity == .error }) {
            throw reject(reason: reason, message: "policy does not compile on this node", diagnostics: diagnostics)
        }
        let newImage: DatapathImage
        let result: ApplyResult
        do {
            newImage = try DatapathImage(compiled, previous: image)
            stages.mark("image")
            if let image, newImage == image, compiled.rules == self.compiled?.rules {
                // Nothing the kernel decides or events name changed (an editor's temporary file,
                // a comment, learning settings): no new generation, no map writes.
                result = ApplyResult(generation: datapath.generation, slot: datapath.activeSlot, writes: 0, secondsToEnforce: 0)
            } else {
                result = try datapath.apply(newImage)
                closeDeniedConnections(generation: result.generation)
            }
            stages.mark("kernel")
        } catch {
            throw reject(reason: reason, message: "\(error)", diagnostics: diagnostics)
        }
        image = newImage
        self.compiled = compiled
        let mount = cgroups
        learningScopes = LearningScopes(policies: loaded.policySet.policies) { path in
            path.hasPrefix("/") ? mount.relativePath(path) : path
        }
        resolvedIdentities = ResolvedIdentities.resolve(
            executables: compiled.executablePaths, cgroups: compiled.cgroupPaths, resolver: resolver)
        rulesByGeneration[result.generation] = compiled.rules
        rulesByGeneration = rulesByGeneration.filter { $0.key &+ 16 > result.generation }
        let elapsed = ContinuousClock.now - started
        let applied = AppliedPolicy(
            generation: result.generation, time: Date(), reason: reason,
            policies: loaded.policySet.policies.map(\.name), files: sources.map(\.file), entries: compiled.entryCount,
            subjects: compiled.subjects.count, rules: compiled.rules.count, mapWrites: result.writes,
            secondsToApply: elapsed.seconds, warnings: diagnostics.filter { $0.severity == .warning }.map(\.description),
            executablePaths: compiled.executablePaths.sorted(), cgroupPaths: compiled.cgroupPaths.sorted(), sources: sources)
        self.applied = applied
        lastRejection = nil
        metrics.policyApplied(applied, secondsToEnforce: result.secondsToEnforce)
        for warning in applied.warnings {
            logger.warning("\(warning)")
        }
        logger.info(
            "policy applied",
            metadata: [
                "policy.generation": "\(result.generation)", "policy.reason": "\(reason)", "policy.entries": "\(compiled.entryCount)",
                "policy.writes": "\(result.writes)", "policy.seconds": "\(elapsed.seconds)", "policy.stages": "\(stages)",
            ])
        // Off the reload path: a large policy takes a while to encode, and the next edit must not wait.
        await saver.submit(SavedPolicy(generation: result.generation, sources: sources, rules: compiled.rules))
    }

    /// Ends the open connections the new generation denies; each one is also an event. A
    /// failure leaves them open and is logged: the generation itself is in force already.
    private func closeDeniedConnections(generation: UInt32) {
        do {
            if let closed = try datapath.closeDeniedConnections(), closed > 0 {
                logger.info("open connections the new policy denies were ended", metadata: ["policy.generation": "\(generation)", "connections.closed": "\(closed)"])
            }
        } catch {
            logger.error("ending open connections the new policy denies failed", metadata: ["error": "\(error)"])
        }
    }

    private func reject(reason: String, message: String, diagnostics: [PolicyDiagnostic]) -> PolicyRejection {
        let rejection = PolicyRejection(time: Date(), reason: reason, message: message, diagnostics: diagnostics.map(\.description))
        record(rejection)
        return rejection
    }

    private func record(_ rejection: PolicyRejection) {
        lastRejection = rejection
        metrics.policyRejected()
        logger.error(
            "policy change rejected; the previous policy stays in force",
            metadata: [
                "policy.reason": "\(rejection.reason)", "policy.generation": "\(datapath.generation)",
                "error": "\(rejection.message)",
            ])
        for diagnostic in rejection.diagnostics {
            logger.error("\(diagnostic)")
        }
    }

    /// Compiles the administrator's set with the learned rules. A learned rule the compiler finds
    /// in conflict with policy is left out (and reported) rather than failing the whole policy.
    private func compileWithLearned(_ set: PolicySet, resolver: some SubjectResolver) -> (CompiledPolicy, [String: String]) {
        var refused: [String: String] = [:]
        while true {
            let extra = learned.filter { refused[$0.id] == nil }.compactMap { $0.policy() }
            let compiled = PolicyCompiler.compile(PolicySet(set.policies + extra), resolver: resolver, previous: self.compiled)
            let conflicts = compiled.diagnostics.filter { $0.severity == .error && $0.location.file.hasPrefix("learned:") }
            if conflicts.isEmpty { return (compiled, refused) }
            for diagnostic in conflicts {
                refused[String(diagnostic.location.file.dropFirst("learned:".count))] = diagnostic.message
            }
        }
    }

    private var learningScopes = LearningScopes(policies: [], cgroupPath: { $0 })

    /// Learned rules left out of the last compile, with why.
    private var droppedLearned: [String: String] = [:]

    /// Puts `rules` in force with the current policy sources; returns the ones the compiler refused.
    public func setLearnedRules(_ rules: [LearnedRule]) async -> [String: String] {
        guard Set(rules.map(\.id)) != Set(learned.map(\.id)) else { return droppedLearned.filter { id, _ in rules.contains { $0.id == id } } }
        learned = rules
        guard let applied else { return [:] }
        do {
            try await applySources(applied.sources, reason: "learned rules changed")
        } catch {
            logger.error("applying learned rules failed", metadata: ["error": "\(error)"])
        }
        return droppedLearned
    }

    /// Checks a proposed rule against the policy in force (see `LearnedRuleValidator`); nil when
    /// no policy has been applied yet.
    public func validate(
        _ rule: LearnedRule, flow: FlowQuery, settings: LearningSettings, existing: [LearnedRule]
    ) -> LearnedRuleValidator.Outcome? {
        guard let image, let compiled else { return nil }
        return LearnedRuleValidator(image: image, rules: compiled.rules, agentExecutable: ownExecutable)
            .validate(rule, flow: flow, settings: settings, existing: existing)
    }

    /// The learning settings for an application: its policies' `spec.learning`, or the defaults.
    public func learningSettings(executable: String?, cgroup: String?, defaults: LearningSettings) -> LearningSettings {
        learningScopes.settings(executable: executable, cgroup: cgroup, defaults: defaults)
    }

    /// The names of rule `id` of `generation`, if that generation is recent enough.
    public func rule(generation: UInt32, id: UInt32) -> RuleInfo? {
        guard let rules = rulesByGeneration[generation], Int(id) < rules.count else { return nil }
        return rules[Int(id)]
    }

    /// Rule tables of recent generations, for the event pipeline's cache.
    public func ruleTables() -> [UInt32: [RuleInfo]] { rulesByGeneration }

    /// The executables the applied policy names, path by identity, to name events.
    public func executableNames() -> [ExecutableIdentity: String] {
        resolvedIdentities?.executableNames ?? [:]
    }

    /// Decides a flow over the applied generation, as the kernel does.
    public func explain(_ query: FlowQuery) -> (Decision, RuleInfo?)? {
        guard let image else { return nil }
        let decision = DecisionEngine(image: image).decide(query)
        return (decision, rule(generation: datapath.generation, id: decision.verdict.ruleID))
    }

    public func kernelCounters() throws -> DatapathCounters { try datapath.counters() }

    /// Turns protect mode on (after `start`): see `Datapath.engageProtection`.
    public func engageProtection(agent: ProcessIdentity) throws {
        try datapath.engageProtection(agent: agent)
    }

    /// After a repair made new links or maps, guards them too; and says how many operations
    /// protect mode refused so far.
    func refreshProtection(afterRepair: Bool) -> UInt64 {
        if afterRepair {
            do {
                try datapath.refreshProtectedObjects()
            } catch {
                logger.error("guarding repaired objects failed", metadata: ["error": "\(error)"])
            }
        }
        return datapath.protectRefusals()
    }

    /// Checks the kernel state against what this agent made and wrote, repairing what differs
    /// (see `Datapath.verifyAndRepair`; `rules` adds the entry-by-entry comparison of the rule
    /// maps); returns the findings and the generation in force.
    public func verifyKernelState(rules: Bool) -> (findings: [TamperFinding], generation: UInt32) {
        (datapath.verifyAndRepair(rules: rules), datapath.generation)
    }

    public func datapathSummary() -> DatapathSummary {
        DatapathSummary(
            cgroup: datapath.configuration.cgroupPath, pinDirectory: datapath.configuration.pins.directory,
            hooks: datapath.links.keys.map(\.rawValue).sorted(), generation: datapath.generation, activeSlot: datapath.activeSlot,
            adoptedLinks: datapath.report.adoptedLinks.map(\.rawValue), reusedMaps: datapath.report.reusedMaps,
            eventMode: configuration.eventMode.rawValue,
            openConnections: {
                switch datapath.closing {
                case .available: return "ended when a new policy denies them (unless existingConnections: keep)"
                case .unavailable(let reason): return "stay open when a new policy denies them: \(reason)"
                }
            }(), nameAttributions: try? datapath.attributionCount(), nameAttributionCapacity: datapath.attributionCapacity)
    }
}
