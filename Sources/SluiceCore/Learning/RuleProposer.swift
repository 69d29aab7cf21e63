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
        return LearnedRule(
            id: id, executable: event.exe, cgroup: event.cgroup, destination: destination, port: event.port, transport: transport,
            action: settings.action, reasons: score.contributions.map(\.description), score: score.value,
            threshold: score.threshold, created: event.timeNanoseconds,
            expires: event.timeNanoseconds &+ settings.expirySeconds &* 1_000_000_000, state: .proposed)
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
