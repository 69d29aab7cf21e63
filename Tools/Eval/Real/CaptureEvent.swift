import SluiceCore

/// One connection of a real capture as the agent's event schema holds it, with its ground truth.
struct CaptureEvent: Sendable {
    var event: DecisionEvent
    /// The attack type (the capture's label text), nil for normal traffic.
    var attack: String?
    /// The incident it belongs to: the source host and the attack type together (-1 for normal
    /// traffic). Every connection of one host's one attack is one incident, however long it runs.
    var incident: Int32
}

/// One connection as a flow log records it, before it becomes an event.
struct Flow: Sendable {
    /// Nanoseconds since the Unix epoch (or since the capture's start, where the log's clock is relative).
    var time: Int64
    /// The side that opened the connection: the host an agent would run on.
    var source: IPAddress
    var destination: IPAddress
    var port: UInt16
    /// `tcp`, `udp`, or the IP protocol number, as `DecisionEvent.transport` holds it.
    var transport: String
    /// The name looked up for `destination` (filled in by `DNSAttribution`).
    var domain: String?
    /// The log's own label text, when it has a label column and the row a label.
    var label: String?
}

/// How a flow becomes a decision event: the application is the source host, run by one stable
/// synthetic executable, so each host of a capture is one application to the detector.
enum CaptureMapping {
    /// The executable every capture application has: flow logs do not say which program connected.
    static let executable = "/usr/libexec/sluice-eval/capture-host"

    /// The application of `source`: the synthetic executable in the cgroup `/capture/<address>`.
    static func cgroup(_ source: IPAddress) -> String { "/capture/\(source)" }

    /// The IP protocol number of a protocol name, or nil for one that is not an IP protocol.
    static func transport(_ name: String) -> String? {
        switch name.lowercased() {
        case "tcp": return "tcp"
        case "udp": return "udp"
        case "icmp": return "1"
        case "igmp": return "2"
        case "ipv6-icmp", "icmp6", "icmpv6": return "58"
        case "gre": return "47"
        case "esp": return "50"
        case "sctp": return "132"
        default: return UInt8(name).map(String.init)
        }
    }

    /// The decision event the agent would have recorded for `flow` on a node named `node`.
    static func event(_ flow: Flow, node: String) -> DecisionEvent {
        let v6 = flow.destination.family == .ipv6
        let hook = (flow.transport == "tcp" ? "connect" : "sendmsg") + (v6 ? "6" : "4")
        return DecisionEvent(
            timeNanoseconds: flow.time, node: node, pid: 0, uid: 0, comm: "capture-host", exe: executable, exeID: nil,
            cgroup: cgroup(flow.source), cgroupID: 0, transport: flow.transport, family: flow.destination.family,
            destination: flow.destination, port: flow.port, verdict: .allow, enforced: false, policy: nil, rule: "capture",
            hook: hook, generation: 0, mapped: false, dstDomain: flow.domain)
    }
}
