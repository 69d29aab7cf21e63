import Foundation
import Logging
import SluiceCore
import SluiceKernel

/// Keeps the kernel's maps in sync with policy: reads the sources, validates, compiles against
/// this node, and applies each good generation atomically. A rejected change leaves the previous
/// generation in force and is reported with every diagnostic.
public actor EnforcementController {
    public let configuration: AgentConfiguration
    let datapath: Datapath
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
    /// The subject identities the applied generation was compiled with, to notice upgrades.
    private var resolvedIdentities: ResolvedIdentities?

    public init(configuration: AgentConfiguration, logger: Logger, metrics: AgentMetrics) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        cgroups = try CgroupFS.discover()
        let attachPath = try cgroups.absolutePath(configuration.cgroup ?? "")
        datapath = try Datapath(
            configuration: DatapathConfiguration(
                pins: configuration.state.pins, cgroupPath: attachPath, capacity: configuration.capacity),
            logger: logger)
    }

    /// Exempts this process, applies the first generation, then attaches (or adopts the links an
    /// earlier agent pinned). If the policy is invalid at start and an earlier agent's policy is
    /// pinned, that one stays in force; with nothing pinned, starting fails.
    public func start(agent: ProcessIdentity) async throws {
        try datapath.setRuntime(DatapathRuntime(agent: agent, eventMode: configuration.eventMode))
        let adopted = datapath.report.reusedMaps || datapath.report.replacedMaps
        do {
            try await applyFromSources(reason: "start")
        } catch let error as PolicyRejection where adopted {
            logger.error(
                "policy rejected at start; the pinned policy of the earlier agent stays in force",
                metadata: ["policy.errors": "\(error.diagnostics.count)"])
            if let saved = try? SavedPolicy.load(from: configuration.state.appliedPolicyPath) {
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
            return .rejected(rejection)
        } catch {
            let rejection = PolicyRejection(
                time: Date(), reason: reason, message: "\(error)", diagnostics: [])
            record(rejection)
            return .rejected(rejection)
        }
    }

    /// Re-resolves the executables and cgroups the policy names; when one changed (an upgrade
    /// replaced a binary, a cgroup was recreated) the policy is recompiled and applied.
    public func refreshIdentities() async {
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

    private func applyFromSources(reason: String) async throws {
        let sources: [PolicySource]
        do {
            sources = try PolicySource.read(directory: configuration.policyDirectory)
        } catch let error as PolicyValidationError {
            throw reject(reason: reason, message: "policy folder unreadable", diagnostics: error.diagnostics)
        }
        try await applySources(sources, reason: reason)
    }

    private func applySources(_ sources: [PolicySource], reason: String) async throws {
        let started = ContinuousClock.now
        let loaded = PolicyLoader.check(sources: sources.map { ($0.file, $0.text) })
        if loaded.hasErrors {
            throw reject(reason: reason, message: "invalid policy", diagnostics: loaded.diagnostics)
        }
        let resolver = SystemSubjectResolver(cgroups: cgroups, tracker: executables)
        let compiled = PolicyCompiler.compile(loaded.policySet, resolver: resolver, previous: self.compiled)
        let diagnostics = loaded.diagnostics + compiled.diagnostics
        if diagnostics.contains(where: { $0.severity == .error }) {
            throw reject(reason: reason, message: "policy does not compile on this node", diagnostics: diagnostics)
        }
        let newImage: DatapathImage
        let result: ApplyResult
        do {
            newImage = try DatapathImage(compiled, previous: image)
            result = try datapath.apply(newImage)
        } catch {
            throw reject(reason: reason, message: "\(error)", diagnostics: diagnostics)
        }
        image = newImage
        self.compiled = compiled
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
                "policy.writes": "\(result.writes)", "policy.seconds": "\(elapsed.seconds)",
            ])
        do {
            try SavedPolicy(generation: result.generation, sources: sources, rules: compiled.rules)
                .save(to: configuration.state.appliedPolicyPath)
        } catch {
            logger.warning("could not save the applied policy", metadata: ["error": "\(error)"])
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

    public nonisolated var events: BPFMap { datapath.events }
    public nonisolated var execs: BPFMap { datapath.execs }

    public func datapathSummary() -> DatapathSummary {
        DatapathSummary(
            cgroup: datapath.configuration.cgroupPath, pinDirectory: datapath.configuration.pins.directory,
            hooks: datapath.links.keys.map(\.rawValue).sorted(), generation: datapath.generation, activeSlot: datapath.activeSlot,
            adoptedLinks: datapath.report.adoptedLinks.map(\.rawValue), reusedMaps: datapath.report.reusedMaps,
            eventMode: configuration.eventMode.rawValue)
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
