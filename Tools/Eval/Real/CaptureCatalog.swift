import Foundation
import SluiceCore

/// The labelled captures of `../shared/datasets/stratosphere-linux-ips` and how each one's ground
/// truth is found.
///
/// Where the log has labels (`label`/`detailedlabel` in Zeek, `Label` in binetflow), they decide.
/// Where it has none, the capture's documented attacking or infected hosts do: every flow they
/// opened is that attack, every other flow is normal. Those hosts come from the dataset's README,
/// the capture's own name and the detections the Slips project's tests expect of it; for two
/// captures (test3, test10) the hosts were picked out by reading the flows (the one address
/// scanning 3389 or 445 across a /16; the documentation-range 192.0.2.0/24 hosts injected into
/// test10), and this is the only place where labels were chosen by looking at the data.
struct CaptureSpec: Sendable {
    enum Format: Sendable { case zeek, binetflow }

    var name: String
    var format: Format
    /// The flow log, relative to the dataset folder.
    var flows: String
    /// Zeek's `dns.log`, relative to the dataset folder, for destination names.
    var dns: String?
    /// Hosts (addresses or prefixes) whose flows are the attack where the log has no label.
    var attackers: [IPPrefix] = []
    /// The attack type of those flows.
    var attack: String = ""
    /// Why these hosts, for the report.
    var source: String = "the log's labels"

    /// The attack type of a flow, nil for normal traffic.
    func attack(of flow: Flow) -> String? {
        if let label = flow.label { return ZeekConn.isAttack(label) ? label : nil }
        return attackers.contains { $0.contains(flow.source) } ? attack : nil
    }
}

enum CaptureCatalog {
    static func prefix(_ text: String) -> IPPrefix {
        guard case .success(let prefix) = IPPrefix.parse(text) else { fatalError("bad prefix \(text) in the capture catalog") }
        return prefix
    }

    /// Every capture with connections, in the report's order. The Suricata capture (test6) is not
    /// read (its flows are Suricata EVE, not one of the two formats), nor test13 (its scan is in
    /// `dhcp.log`; `conn.log` holds two unrelated flows) and test16 (no `conn.log`).
    static let captures: [CaptureSpec] = [
        CaptureSpec(
            name: "test18 CTU-SME-11 Windows 7 (RemcosRAT)", format: .zeek,
            flows: "test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled",
            dns: "test18-malicious-ctu-sme-11-win/zeek-labeled/dns.log.labeled"),
        CaptureSpec(
            name: "test9 mixed (TrickBot host)", format: .zeek, flows: "test9-mixed-zeek-dir/conn.log",
            dns: "test9-mixed-zeek-dir/dns.log", attackers: [prefix("10.0.2.15/32")], attack: "malware (TrickBot)",
            source: "10.0.2.15, the host Slips's tests find TrickBot's JA3 on"),
        CaptureSpec(
            name: "test10 mixed (injected sweeps)", format: .zeek, flows: "test10-mixed-zeek-dir/conn.log",
            dns: "test10-mixed-zeek-dir/dns.log", attackers: [prefix("192.0.2.0/24")], attack: "sweep and port 1337",
            source: "192.0.2.0/24 (documentation range), hosts sweeping 10.0.0.0/24 on 1337 and pinging 156.87.76.0/24; read from the flows"),
        CaptureSpec(
            name: "test14 malicious", format: .zeek, flows: "test14-malicious-zeek-dir/conn.log",
            attackers: [prefix("10.0.2.15/32")], attack: "malware (reconnections)",
            source: "10.0.2.15, the capture's one host, whose reconnections Slips's tests expect"),
        CaptureSpec(
            name: "test15 malicious", format: .zeek, flows: "test15-malicious-zeek-dir/conn.log",
            attackers: [prefix("10.0.2.15/32")], attack: "malware (TrickBot)",
            source: "10.0.2.15, the capture's one host, named by Slips's tests for TrickBot's JA3"),
        CaptureSpec(
            name: "port scan, horizontal", format: .zeek, flows: "port-scans/horizontal/conn.log",
            attackers: [prefix("10.0.2.112/32")], attack: "horizontal port scan",
            source: "10.0.2.112, the capture's one host (the README: a horizontal port scan)"),
        CaptureSpec(
            name: "port scan, vertical", format: .zeek, flows: "port-scans/vertical/conn.log",
            attackers: [prefix("192.168.1.9/32")], attack: "vertical port scan",
            source: "192.168.1.9, the capture's one host (the README: a vertical port scan)"),
        CaptureSpec(
            name: "test2 malicious (binetflow)", format: .binetflow, flows: "test2-malicious.binetflow",
            attackers: [prefix("10.8.0.69/32")], attack: "malware (infected host)",
            source: "10.8.0.69, the infected host (6,731 of 6,751 flows)"),
        CaptureSpec(
            name: "test3 mixed (binetflow)", format: .binetflow, flows: "test3-mixed.binetflow",
            attackers: [prefix("46.166.151.160/32"), prefix("216.73.23.146/32")], attack: "horizontal port scan",
            source: "46.166.151.160 (3389) and 216.73.23.146 (445) scanning 147.32.80.0/20, as Slips's tests expect; read from the flows"),
        CaptureSpec(
            name: "test4 malicious (binetflow)", format: .binetflow, flows: "test4-malicious.binetflow",
            attackers: [prefix("192.168.2.12/32")], attack: "malware (infected host)",
            source: "192.168.2.12, the infected host scanning ports 81 and 23, as Slips's tests expect"),
        CaptureSpec(name: "test5 mixed (binetflow)", format: .binetflow, flows: "test5-mixed.binetflow"),
        CaptureSpec(
            name: "test11 port scan (binetflow)", format: .binetflow, flows: "test11-portscan.binetflow",
            attackers: [prefix("10.8.0.69/32")], attack: "port scan", source: "10.8.0.69, the capture's one host"),
    ]
}

/// A capture read into the agent's event schema, in time order, with its ground truth.
struct Capture {
    var spec: CaptureSpec
    var events: [CaptureEvent]
    /// Rows skipped as not IP (binetflow).
    var skipped = 0
    /// Connections that carry a name from `dns.log`.
    var named: Int { events.count(where: { $0.event.dstDomain != nil }) }

    init(spec: CaptureSpec, flows: [Flow], skipped: Int = 0) {
        self.spec = spec
        self.skipped = skipped
        let ordered = flows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        var incidents: [String: Int32] = [:]
        events = ordered.map { flow in
            let attack = spec.attack(of: flow)
            let incident: Int32 = attack.map { kind -> Int32 in
                let key = "\(flow.source) \(kind)"
                if let known = incidents[key] { return known }
                let number = Int32(incidents.count)
                incidents[key] = number
                return number
            } ?? -1
            return CaptureEvent(event: CaptureMapping.event(flow, node: spec.name), attack: attack, incident: incident)
        }
    }

    /// Reads the capture's files from `folder` (the dataset folder).
    init(spec: CaptureSpec, folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(spec.flows)
        switch spec.format {
        case .zeek:
            var flows = try ZeekConn.flows(ZeekLog.read(path: path))
            if let dns = spec.dns {
                flows = try DNSAttribution(ZeekLog.read(path: (folder as NSString).appendingPathComponent(dns))).name(flows)
            }
            self.init(spec: spec, flows: flows)
        case .binetflow:
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw CaptureInputError(file: path, line: 0, field: nil, problem: "cannot read: \(error.localizedDescription)")
            }
            let (flows, skipped) = try Binetflow.parse(text, file: path)
            self.init(spec: spec, flows: flows, skipped: skipped)
        }
    }

    var attackEvents: Int { events.count(where: { $0.attack != nil }) }
    var incidentCount: Int { Set(events.filter { $0.attack != nil }.map(\.incident)).count }
}
