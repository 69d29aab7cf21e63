import ArgumentParser
import Foundation
import SluiceCore

/// What-if replay (issue 15): stored event lines parsed and replayed under the policies in force
/// and a tightened candidate, per node, by the core engine the server and `policy test` use.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Replay of stored decisions under a candidate policy set.")

    @Option(help: "Recorded decisions.")
    var events: Int = 1_000_000

    @Option(help: "Distinct flows (application, destination, port) among them, comma-separated for several runs.")
    var distinct: String = "10000,200000"

    @Option(help: "Applications, each with its own policy.")
    var applications: Int = 200

    @Option(help: "Nodes the decisions come from.")
    var nodes: Int = 10

    @Option(
        name: .customLong("feed-indicators"),
        help: "Instead of a policy change, preview a feed of this many indicators (addresses, /24 prefixes, names) over the policies in force.")
    var feedIndicators: Int = 0

    func run() async throws {
        print("## Replay of \(events) recorded decisions (\(applications) applications, \(nodes) nodes)\n")
        print("| distinct flows | parse lines s | replay s | total s | decisions/s | newly denied | unknown |")
        print("|---|---|---|---|---|---|---|")
        let current = PolicySet(policies(allowing: true))
        let candidate = feedIndicators > 0 ? current : current.replacing(with: policies(allowing: false))
        let layers = feedIndicators > 0 ? IntelLayerSet().replacingFeed("bench", with: feed(), now: Date()) : nil
        if feedIndicators > 0 { print("(a feed of \(feedIndicators) indicators added; the policies unchanged)\n") }
        for flows in distinct.split(separator: ",").compactMap({ Int($0) }) {
            let lines = (0..<events).map { event($0, flows: flows).jsonLine }
            let clock = ContinuousClock()
            let started = clock.now
            let parsed = lines.compactMap { try? DecisionEvent(jsonLine: $0) }
            let parsedAt = clock.now
            let report = try PolicyReplay.run(
                events: parsed, policies: { _ in .init(current: current, candidate: candidate, currentIntel: layers.map { _ in IntelLayerSet() }, candidateIntel: layers) }, limits: .init(budget: .seconds(600)))
            let done = clock.now
            let total = (done - started).seconds
            print(
                "| \(flows) | \(String(format: "%.2f", (parsedAt - started).seconds)) | \(String(format: "%.2f", (done - parsedAt).seconds)) | \(String(format: "%.2f", total)) | \(Int(Double(report.events) / total)) | \(report.newlyDenied) | \(report.unknown) |"
            )
        }
    }

    /// One policy per application: in force, `default: allow`; the candidate denies by default
    /// and allows HTTPS to 10.0.0.0/8 (but not 10.66.0.0/16) and to `*.example.com`.
    func policies(allowing: Bool) -> [Policy] {
        let text = (0..<applications).map { app in
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: app-\(app)}
            spec:
              subjects: [{executable: /opt/app-\(app)/bin/app}]
              default: \(allowing ? "allow" : "deny")
            \(allowing ? "" : """
                  egress:
                    - {name: https, action: allow, to: ["10.0.0.0/8", "*.example.com"], ports: [443]}
                    - {name: quarantine, action: deny, to: ["10.66.0.0/16"]}

                """)
            """
        }.joined(separator: "\n---\n")
        let parsed = PolicyParser.parse(text, file: "bench.yaml")
        precondition(!parsed.diagnostics.contains { $0.severity == .error }, "\(parsed.diagnostics)")
        return parsed.policies
    }

    /// A deny feed: a third single addresses, a third /24 prefixes, a third names, some of each
    /// meeting the recorded traffic (10.0–99.x.x, `svc-N.example.com`).
    func feed() -> [IntelIndicator] {
        (0..<feedIndicators).map { index in
            let text = switch index % 3 {
            case 0: "10.\(index % 200).\(index / 200 % 256).\(index % 250 + 1)"
            case 1: "10.\(100 + index % 150).\(index / 150 % 256).0/24"
            default: index % 1000 == 2 ? "svc-\(index / 1000 % 50).example.com" : "host-\(index).bad.example"
            }
            return IntelIndicator(feed: "bench", indicator: text, target: try! IntelTarget.parse(text).get(), action: .deny, expires: nil)
        }
    }

    /// Decision `index`, one of `flows` distinct ones, as the agent records it under the
    /// policies in force.
    func event(_ index: Int, flows: Int) -> DecisionEvent {
        let flow = index % flows
        let app = flow % applications
        let node = (flow / applications) % nodes
        let host = flow / (applications * nodes)
        let ports: [UInt16] = [443, 443, 80, 5432]
        return DecisionEvent(
            timeNanoseconds: 1_795_276_501_000_000_000 + Int64(index) * 1_000_000, node: "node-\(node)", pid: UInt32(1000 + app), uid: 0,
            comm: "app", exe: "/opt/app-\(app)/bin/app", exeID: "8:1:\(1000 + app)", cgroup: "/system.slice/app-\(app).service", cgroupID: UInt64(app),
            transport: "tcp", family: .ipv4, destination: IPAddress("10.\(host % 100).\(host / 100 % 256).\(flow % 250 + 1)")!,
            port: ports[flow % ports.count], verdict: .allow, enforced: true, policy: "app-\(app)", rule: "default", hook: "connect4", generation: 1,
            mapped: false, dstDomain: flow % 5 == 0 ? "svc-\(flow % 50).example.com" : nil)
    }
}
