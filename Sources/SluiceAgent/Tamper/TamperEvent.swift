import Foundation
import SluiceCore
import SluiceKernel

/// A tamper finding as a record of the event stream, so that `sluice events`, the fleet upload
/// and the server's alerts carry it with no new route: verdict `alert` (the server opens an
/// alert for every alert verdict), hook `tamper`, policy `sluice-tamper`, rule `<kind> <subject>`.
/// The rule text is stable per kind and subject, so repeats fold into one alert on the server.
public enum TamperEvent {
    public static let hook = "tamper"
    public static let policy = "sluice-tamper"

    static func event(_ finding: TamperFinding, node: String, generation: UInt32, time: Date) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: Int64(time.timeIntervalSince1970 * 1e9), node: node, pid: UInt32(getpid()), uid: getuid(),
            comm: "sluice-agent", exe: nil, exeID: nil, cgroup: nil, cgroupID: 0, transport: "none", family: .ipv4,
            destination: IPAddress(family: .ipv4, low: 0), port: 0, verdict: .alert, enforced: true, policy: policy,
            rule: "\(finding.kind.rawValue) \(finding.subject)\(finding.repaired ? "" : " (not repaired)")", hook: hook,
            generation: generation, mapped: false)
    }

    /// Whether an event of the stream is a tamper report rather than a decision.
    public static func isTamper(_ event: DecisionEvent) -> Bool {
        event.hook == hook && event.policy == policy
    }
}
