import CoreMetrics
import Metrics
import struct Prometheus.PrometheusMetricsFactory
import class Prometheus.PrometheusCollectorRegistry
import SluiceCore
import SluiceKernel
import Synchronization

/// The agent's metrics through swift-metrics, exported in Prometheus text format. The factory
/// is passed explicitly (not bootstrapped globally) so tests may build several agents' metrics.
public final class AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let decisions: [String: Counter]
    private let eventsLost: [String: Counter]
    private let received: Counter
    private let exempt: Counter
    private let failClosed: Counter
    private let dns: [String: Counter]
    private let generation: Gauge
    private let entries: Gauge
    private let reloadsApplied: Counter
    private let reloadsRejected: Counter
    private let applySeconds: Metrics.Timer
    private let enforceSeconds: Metrics.Timer
    private let anomalies: Counter
    private let scores: Recorder
    private let learned: [String: Counter]
    private let learnedNow: [String: Gauge]
    private let tamper: [TamperKind: Counter]
    /// Bytes by direction per application (`sluice_flow_bytes_total`), made on first use: at
    /// most `applicationLabels` applications get a label of their own, the rest share `other`.
    private let flowBytes = Mutex<[String: (sent: Counter, received: Counter)]>([:])
    private let flows: Counter
    let factory: PrometheusMetricsFactory
    /// Feed layers' gauges and hit counters by feed, made on first use (AgentMetrics+Intel).
    let intelGauges = Mutex<[String: Gauge]>([:])
    let intelHits = Mutex<[String: Counter]>([:])
    static let applicationLabels = 50
    /// Kernel counters last seen, to turn totals into increments.
    private let lastKernel = Mutex(DatapathCounters())

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Scores are bits: 0 for the habitual, 16 and up for the anomalous.
        factory.valueHistogramBuckets["sluice_anomaly_score"] = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128]
        decisions = Dictionary(
            uniqueKeysWithValues: ["allow", "alert", "deny", "monitor_deny", "rate_limited", "redirected", "quota"].map {
                ($0, Counter(label: "sluice_decisions_total", dimensions: [("verdict", $0)], factory: factory))
            })
        eventsLost = Dictionary(
            uniqueKeysWithValues: ["kernel", "agent"].map {
                ($0, Counter(label: "sluice_events_lost_total", dimensions: [("stage", $0)], factory: factory))
            })
        received = Counter(label: "sluice_events_received_total", factory: factory)
        flows = Counter(label: "sluice_flows_total", factory: factory)
        exempt = Counter(label: "sluice_agent_exempt_total", factory: factory)
        failClosed = Counter(label: "sluice_fail_closed_total", factory: factory)
        dns = Dictionary(
            uniqueKeysWithValues: ["read", "refused", "skipped", "untrusted"].map {
                ($0, Counter(label: "sluice_dns_answers_total", dimensions: [("result", $0)], factory: factory))
            } + [("learned", Counter(label: "sluice_dns_addresses_named_total", factory: factory))])
        generation = Gauge(label: "sluice_policy_generation", factory: factory)
        entries = Gauge(label: "sluice_policy_entries", factory: factory)
        reloadsApplied = Counter(label: "sluice_policy_reloads_total", dimensions: [("result", "applied")], factory: factory)
        reloadsRejected = Counter(label: "sluice_policy_reloads_total", dimensions: [("result", "rejected")], factory: factory)
        applySeconds = Metrics.Timer(label: "sluice_policy_apply_seconds", factory: factory)
        enforceSeconds = Metrics.Timer(label: "sluice_policy_enforce_seconds", factory: factory)
        anomalies = Counter(label: "sluice_anomalies_total", factory: factory)
        scores = Recorder(label: "sluice_anomaly_score", factory: factory)
        learned = Dictionary(
            uniqueKeysWithValues: ["proposed", "installed"].map {
                ($0, Counter(label: "sluice_learned_rules_total", dimensions: [("result", $0)], factory: factory))
            })
        learnedNow = Dictionary(
            uniqueKeysWithValues: LearnedRule.State.allCases.map {
                ($0.rawValue, Gauge(label: "sluice_learned_rules", dimensions: [("state", $0.rawValue)], factory: factory))
            })
        // Every kind exists from the start at 0, so an alerting rule can use increase().
        tamper = Dictionary(
            uniqueKeysWithValues: TamperKind.allCases.map {
                ($0, Counter(label: "sluice_tamper_total", dimensions: [("kind", $0.rawValue)], factory: factory))
            })
        self.factory = factory
    }

    /// Counts what a flow record added for its application.
    func flowed(application: String, _ delta: FlowTotals.Counts) {
        let counters = flowBytes.withLock { table in
            if let known = table[application] { return known }
            let label = table.count < Self.applicationLabels ? application : "other"
            if let shared = table[label] { return shared }
            let made = (
                sent: Counter(label: "sluice_flow_bytes_total", dimensions: [("direction", "sent"), ("application", label)], factory: factory),
                received: Counter(label: "sluice_flow_bytes_total", dimensions: [("direction", "received"), ("application", label)], factory: factory)
            )
            table[label] = made
            return made
        }
        if delta.bytesSent > 0 { counters.sent.increment(by: Int64(clamping: delta.bytesSent)) }
        if delta.bytesReceived > 0 { counters.received.increment(by: Int64(clamping: delta.bytesReceived)) }
        if delta.connections > 0 { flows.increment(by: Int64(clamping: delta.connections)) }
    }

    /// Counts one tamper finding (`sluice_tamper_total{kind}`).
    func tamperDetected(_ kind: TamperKind) {
        tamper[kind]!.increment()
    }

    /// Records the scores of a batch; anomalies are counted.
    func scored(_ values: [Double], anomalies count: Int) {
        for value in values where !value.isNaN { scores.record(value) }
        if count > 0 { anomalies.increment(by: count) }
    }

    func ruleLearned(_ rule: LearnedRule) {
        learned[rule.state == .installed ? "installed" : "proposed"]!.increment()
    }

    /// Current learned rules by state.
    func learnedRules(_ rules: [LearnedRule]) {
        for state in LearnedRule.State.allCases {
            learnedNow[state.rawValue]!.record(Double(rules.filter { $0.state == state }.count))
        }
    }

    func policyApplied(_ applied: AppliedPolicy, secondsToEnforce: Double) {
        reloadsApplied.increment()
        generation.record(Double(applied.generation))
        entries.record(Double(applied.entries))
        applySeconds.recordSeconds(applied.secondsToApply)
        enforceSeconds.recordSeconds(secondsToEnforce)
    }

    func policyRejected() {
        reloadsRejected.increment()
    }

    func eventsReceived(_ count: Int) {
        received.increment(by: count)
    }

    /// Records drops in the agent (slow subscribers, malformed records).
    func agentDropped(_ count: Int) {
        eventsLost["agent"]!.increment(by: count)
    }

    /// Mirrors the kernel's per-CPU totals as Prometheus counters.
    func observe(kernel counters: DatapathCounters) {
        let previous = lastKernel.withLock { last in
            defer { last = counters }
            return last
        }
        func delta(_ keyPath: KeyPath<DatapathCounters, UInt64>) -> Int {
            let now = counters[keyPath: keyPath]
            let before = previous[keyPath: keyPath]
            return now >= before ? Int(now - before) : Int(now)  // maps replaced: start over
        }
        decisions["allow"]!.increment(by: delta(\.allow))
        decisions["alert"]!.increment(by: delta(\.alert))
        decisions["deny"]!.increment(by: delta(\.deny))
        decisions["monitor_deny"]!.increment(by: delta(\.monitorDeny))
        decisions["rate_limited"]!.increment(by: delta(\.rateLimited))
        decisions["redirected"]!.increment(by: delta(\.redirected))
        decisions["quota"]!.increment(by: delta(\.quota))
        eventsLost["kernel"]!.increment(by: delta(\.eventsLost))
        exempt.increment(by: delta(\.exempt))
        failClosed.increment(by: delta(\.failClosed))
        dns["read"]!.increment(by: delta(\.dnsAnswers))
        dns["refused"]!.increment(by: delta(\.dnsRefused))
        dns["skipped"]!.increment(by: delta(\.dnsSkipped))
        dns["untrusted"]!.increment(by: delta(\.dnsUntrusted))
        dns["learned"]!.increment(by: delta(\.dnsLearned))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
