import ArgumentParser
import SluiceCore

/// The attacks the workload injects; an event of an attack carries its kind as its label.
enum AttackKind: String, CaseIterable, Codable, Sendable {
    case exfiltration
    case portScanFast = "port-scan-fast"
    case portScanSlow = "port-scan-slow"
    case sweepFast = "sweep-fast"
    case sweepSlow = "sweep-slow"
    case beaconing
    case reverseShell = "reverse-shell"
    case lateralMovement = "lateral-movement"
    case flood

    var summary: String {
        switch self {
        case .exfiltration: return "uploads to a never-seen external host (443/8443/9443), 10–60 connections over minutes"
        case .portScanFast: return "one internal host, 300–1000 ports in 10–60 s"
        case .portScanSlow: return "one internal host, one new port a minute for 2–6 hours"
        case .sweepFast: return "one port (22/445/3389) on 200–500 internal hosts in 20–60 s"
        case .sweepSlow: return "one port on a new internal host each minute for 2–4 hours"
        case .beaconing: return "command and control: every 60 s or 300 s (±3–5%) to a new external host for 6–12 hours"
        case .reverseShell: return "1–3 connections to 4444/1337/9001/31337 on a new host"
        case .lateralMovement: return "5–15 internal hosts the app never used, on 22/445/3389/5985/6379, over 10–30 minutes"
        case .flood: return "2,000–20,000 connections in 30–120 s to 1–3 destinations"
        }
    }
}

/// One decision event of the workload with its ground truth.
struct LabelledEvent: Sendable {
    var event: DecisionEvent
    /// nil for normal traffic.
    var attack: AttackKind?
    /// The incident the event belongs to (-1 for normal traffic).
    var incident: Int32

    /// The event's JSON line with two extra fields, `label` and `incident`.
    var jsonLine: String {
        var line = event.jsonLine
        line.removeLast()
        line += ",\"label\":" + (attack.map { "\"\($0.rawValue)\"" } ?? "null") + ",\"incident\":\(incident)}"
        return line
    }
}
extension AttackKind: ExpressibleByArgument {}
