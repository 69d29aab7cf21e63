import Foundation
import Logging
import SluiceCore
import SluiceKernel

/// The rule-learning loop: turns anomalies into proposed rules, validates them against the
/// administrator's policy, installs them (learning mode `enforce`) until they expire, counts
/// their hits, and takes the operator's verdicts (`sluice rules approve|reject|revoke`).
public actor RuleLearner {
    let controller: EnforcementController
    let scoring: ScoringService
    let defaults: LearningSettings
    let policyDirectory: String?
    let statePath: String
    let approvedDirectory: String
    let logger: Logger
    let metrics: AgentMetrics
    let cgroups: CgroupFS?
    /// Every rule learned since the state folder was created, by id.
    private var rules: [String: LearnedRule] = [:]
    private var scopes: [LearnedRule.Scope: String] = [:]

    init(
        controller: EnforcementController, scoring: ScoringService, configuration: AgentConfiguration, logger: Logger,
        metrics: AgentMetrics
    ) {
        self.controller = controller
        self.scoring = scoring
        defaults = configuration.learning
        policyDirectory = configuration.policyDirectory
        statePath = configuration.state.learnedRulesPath
        approvedDirectory = configuration.state.directory + "/approved"
        self.logger = logger
        self.metrics = metrics
        cgroups = try? CgroupFS.discover()
        if let data = FileManager.default.contents(atPath: statePath),
            let saved = try? StateJSON.decoder().decode([LearnedRule].self, from: data)
        {
            for rule in saved {
                rules[rule.id] = rule
                scopes[rule.scope] = rule.id
            }
        }
    }

    /// Puts the saved rules that are still active back into the kernel.
    func restore() async {
        let now = Self.now()
        for (id, rule) in rules where rule.state == .installed && rule.expires <= now {
            rules[id]?.state = .expired
        }
        await publish()
    }

    /// An anomalous decision: propose (and in enforce mode install) a rule for it.
    func consider(_ event: DecisionEvent, score: Score) async {
        let settings = await controller.learningSettings(executable: event.exe, cgroup: event.cgroup, defaults: defaults)
        guard let rule = RuleProposer.proposal(for: event, score: score, settings: settings) else { return }
        await propose(rule, for: event, settings: settings)
    }

    /// A finished connection that sent far more than its application's habit: propose a quota
    /// (or a deny) for its destination.
    func consider(_ flow: DecisionEvent, volume: VolumeFinding) async {
        let settings = await controller.learningSettings(executable: flow.exe, cgroup: flow.cgroup, defaults: defaults)
        guard let rule = RuleProposer.proposal(for: flow, volume: volume, settings: settings) else { return }
        await propose(rule, for: flow, settings: settings)
    }

    private func propose(_ proposed: LearnedRule, for event: DecisionEvent, settings: LearningSettings) async {
        var rule = proposed
        if let existing = scopes[rule.scope], var known = rules[existing], [.proposed, .installed].contains(known.state) {
            known.evidence += 1
            rules[existing] = known
            return
        }
        if settings.mode == .enforce {
            switch await controller.validate(rule, flow: flowQuery(for: event), settings: settings, existing: Array(rules.values)) {
            case .accepted:
                rule.state = .installed
            case .refused(let why):
                rule.note = why
            case nil:
                rule.note = "no policy applied yet"
            }
        }
        rules[rule.id] = rule
        scopes[rule.scope] = rule.id
        metrics.ruleLearned(rule)
        logger.notice(
            "learned rule \(rule.state == .installed ? "installed" : "proposed")",
            metadata: [
                "rule.id": "\(rule.id)", "rule.action": "\(rule.action)", "rule.subject": "\(rule.subject?.description ?? "")",
                "rule.destination": "\(rule.destination):\(rule.port)/\(rule.transport)", "rule.note": "\(rule.note ?? "")",
                "anomaly.score": "\(rule.score)", "anomaly.reasons": "\(rule.reasons.joined(separator: "; "))",
            ])
        if rule.state == .installed { await publish() } else { save() }
    }

    /// Counts decisions made by learned rules.
    func recordHits(_ events: [DecisionEvent]) {
        var changed = false
        for event in events where event.flow == nil {
            guard let policy = event.policy, policy.hasPrefix("learned-"), let id = Optional(String(policy.dropFirst(8))),
                var rule = rules[id]
            else { continue }
            rule.hits += 1
            rule.lastHit = event.timeNanoseconds
            rules[id] = rule
            changed = true
        }
        if changed { save() }
    }

    /// Removes installed rules whose time is up.
    func expire() async {
        let now = Self.now()
        let due = rules.values.filter { $0.state == .installed && $0.expires <= now }
        guard !due.isEmpty else { return }
        for rule in due {
            rules[rule.id]?.state = .expired
            logger.info("learned rule expired", metadata: ["rule.id": "\(rule.id)", "rule.hits": "\(rule.hits)"])
        }
        await publish()
    }

    public func list(state: LearnedRule.State? = nil) -> [LearnedRule] {
        rules.values.filter { state == nil || $0.state == state }.sorted { $0.created > $1.created }
    }

    public func rule(_ id: String) -> LearnedRule? { rules[id] }

    /// Makes a rule permanent policy: a policy file in the policy folder (or, if it cannot be
    /// written there, in the state folder's `approved/`, with the rule kept in force meanwhile).
    public func approve(_ id: String, by person: String) async throws -> (LearnedRule, String) {
        guard var rule = rules[id] else { throw LearningError.unknownRule(id) }
        guard [.proposed, .installed].contains(rule.state) else { throw LearningError.wrongState(id, rule.state) }
        let text = rule.approvedPolicyYAML(approvedBy: person, now: Self.now())
        let name = "approved-\(rule.id).yaml"
        var message: String
        if let policyDirectory, (try? text.write(toFile: policyDirectory + "/" + name, atomically: true, encoding: .utf8)) != nil {
            rule.state = .approved
            rule.policyFile = policyDirectory + "/" + name
            message = "written to \(rule.policyFile!); it is now part of the administrator's policy"
        } else {
            try FileManager.default.createDirectory(atPath: approvedDirectory, withIntermediateDirectories: true)
            try text.write(toFile: approvedDirectory + "/" + name, atomically: true, encoding: .utf8)
            rule.state = .approved
            rule.policyFile = nil
            message = "the policy folder is not writable: copy \(approvedDirectory)/\(name) into it; the rule stays in force until then"
        }
        rules[id] = rule
        await publish()
        return (rule, message)
    }

    /// Refuses a rule: it leaves the kernel and the baseline learns its traffic is normal.
    public func reject(_ id: String) async throws -> LearnedRule {
        guard var rule = rules[id] else { throw LearningError.unknownRule(id) }
        guard [.proposed, .installed].contains(rule.state) else { throw LearningError.wrongState(id, rule.state) }
        rule.state = .rejected
        rules[id] = rule
        await scoring.teach(rule)
        await publish()
        return rule
    }

    /// Withdraws an installed or approved rule now (an approved rule's policy file is removed).
    public func revoke(_ id: String) async throws -> LearnedRule {
        guard var rule = rules[id] else { throw LearningError.unknownRule(id) }
        guard [.installed, .approved].contains(rule.state) else { throw LearningError.wrongState(id, rule.state) }
        if let file = rule.policyFile { try? FileManager.default.removeItem(atPath: file) }
        rule.state = .revoked
        rule.policyFile = nil
        rules[id] = rule
        await publish()
        return rule
    }

    /// Carries out an operator's decision made on the server. Returns whether it is done (a
    /// decision about a rule this node does not have, or no longer in that state, is done too:
    /// there is nothing left to do).
    func apply(_ decision: RuleDecision) async -> Bool {
        do {
            switch decision.decision {
            case .approve: _ = try await approve(decision.ruleId, by: decision.decidedBy)
            case .reject: _ = try await reject(decision.ruleId)
            case .revoke: _ = try await revoke(decision.ruleId)
            }
            logger.info("carried out a decision from the server", metadata: ["rule.id": "\(decision.ruleId)", "rule.decision": "\(decision.decision)", "rule.by": "\(decision.decidedBy)"])
        } catch {
            logger.notice("a decision from the server has nothing to act on", metadata: ["rule.id": "\(decision.ruleId)", "error": "\(error)"])
        }
        return true
    }

    /// Sends the rules in force to the controller (which recompiles) and saves.
    private func publish() async {
        let active = rules.values.filter { $0.state == .installed || ($0.state == .approved && $0.policyFile == nil) }
        let refused = await controller.setLearnedRules(active)
        for (id, why) in refused {
            rules[id]?.state = .proposed
            rules[id]?.note = why
        }
        metrics.learnedRules(Array(rules.values))
        save()
    }

    private func save() {
        do {
            try StateJSON.encoder().encode(Array(rules.values)).write(to: URL(fileURLWithPath: statePath), options: .atomic)
        } catch {
            logger.warning("could not save learned rules", metadata: ["error": "\(error)"])
        }
    }

    /// The connection as the kernel saw it, for validation against policy.
    private func flowQuery(for event: DecisionEvent) -> FlowQuery {
        let ancestry = event.cgroup.flatMap { try? cgroups?.ancestry(of: $0) } ?? []
        return FlowQuery(
            executable: event.exeID.flatMap(ExecutableIdentity.init(text:)), cgroupAncestry: ancestry,
            destination: event.destination, port: event.port, transport: TransportProtocol(rawValue: event.transport) ?? .any)
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1e9).rounded())
    }
}

/// Operator requests the learner cannot carry out.
public enum LearningError: Error, CustomStringConvertible {
    case unknownRule(String)
    case wrongState(String, LearnedRule.State)

    public var description: String {
        switch self {
        case .unknownRule(let id): return "no learned rule \(id)"
        case .wrongState(let id, let state): return "rule \(id) is \(state.rawValue)"
        }
    }
}
