/// Turns an anomalous decision into a proposed rule scoped as narrowly as the evidence allows:
/// this executable (within this cgroup when known), this single address, this port and protocol.
public enum RuleProposer {
    /// A proposal, or nil when nothing should be learned from the event: not an anomaly, learning
    /// off, already denied, or nothing to scope a rule by.
    public static func proposal(for event: DecisionEvent, score: Score, settings: LearningSettings) -> LearnedRule? {
        guard settings.mode != .off, score.isAnomaly, event.verdict != .deny else { return nil }
        guard event.exe != nil || event.cgroup != nil else { return nil }
        let destination = event.destination.description
        let transport = TransportProtocol(rawValue: event.transport) ?? .any
        let id = identifier(executable: event.exe, cgroup: event.cgroup, destination: destination, port: event.port, transport: transport, created: event.timeNanoseconds)
        let choice = verdict(for: score.evidence, settings: settings)
        var rule = LearnedRule(
            id: id, executable: event.exe, cgroup: event.cgroup, destination: destination, port: event.port, transport: transport,
            action: choice.action, reasons: [choice.why] + score.contributions.map(\.description), score: score.value,
            threshold: score.threshold, created: event.timeNanoseconds,
            expires: event.timeNanoseconds &+ settings.expirySeconds &* 1_000_000_000, state: .proposed)
        rule.rate = choice.rate
        return rule
    }

    /// The verdict the evidence calls for, as the brief has it: a flood gets a rate limit (its
    /// normal traffic keeps flowing), a scan or anything else the configured action. A learning
    /// action of `alert` only ever alerts: an administrator who asked to watch is never blocked.
    static func verdict(for evidence: Score.Evidence, settings: LearningSettings) -> (action: RuleAction, rate: ConnectionRate?, why: String) {
        guard settings.action == .deny else {
            return (settings.action, nil, "verdict \(settings.action.rawValue): learning.action is \(settings.action.rawValue)")
        }
        switch evidence {
        case .flood(let connections, let usual, let seconds) where seconds > 0:
            let rate = floodLimit(usual: usual, seconds: seconds)
            return (
                .rateLimit, rate,
                "verdict rate-limit \(rate): a flood of \(connections) connections in \(Int(seconds)) s against a usual \(usual); "
                    + "twice the usual level keeps its normal traffic"
            )
        case .scan:
            return (.deny, nil, "verdict deny: a sweep or scan of many destinations or ports")
        default:
            return (.deny, nil, "verdict deny: learning.action is deny")
        }
    }

    /// Twice the application's usual high level, per second when that is at least one a second,
    /// else per minute.
    static func floodLimit(usual: Int, seconds: Double) -> ConnectionRate {
        let perMinute = max(1, Int((2 * Double(usual) * 60 / seconds).rounded(.up)))
        guard perMinute >= 60 else { return ConnectionRate(count: UInt32(perMinute), periodSeconds: 60) }
        return ConnectionRate(count: UInt32(min(Int(ConnectionRate.maximumCount), (perMinute + 59) / 60)), periodSeconds: 1)
    }

    /// `lr-` and 8 hex digits of an FNV-1a hash of the scope and creation time.
    static func identifier(
        executable: String?, cgroup: String?, destination: String, port: UInt16, transport: TransportProtocol, created: Int64
    ) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [executable ?? "-", cgroup ?? "-", destination, String(port), transport.rawValue, String(created)] {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash & 0xffff_ffff, radix: 16)
        return "lr-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
