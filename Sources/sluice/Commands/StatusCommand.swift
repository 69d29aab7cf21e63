import SluiceCore
import ArgumentParser
import Foundation
import SluiceAgent
import SluiceKernel

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Attached programs, policy generation, rules loaded, decisions by verdict, events lost.",
        discussion: "Works with the agent stopped too: then it reads the pinned maps directly.")

    @Option(name: .shortAndLong, help: "text or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var state: StateOptions

    func run() async throws {
        let layout = try state.layout()
        if let path = layout.deniedPath() { throw CommandFailure.permissionDenied(path: path) }
        let client = AgentClient(layout: layout)
        if let body = try? await client.get("/v1/status", timeout: .seconds(5)) {
            let status = try client.decode(AgentStatus.self, from: body)
            if output == .json {
                print(String(decoding: try FleetJSON.encoder().encode(status), as: UTF8.self))
            } else {
                print(StatusText.agent(status))
            }
            return
        }
        let pinned = PinnedDatapath(pins: layout.pins)
        guard pinned.exists else {
            throw CommandFailure.noAgent(stateDirectory: layout.directory, pinDirectory: layout.pinDirectory)
        }
        let status = try pinned.status()
        if output == .json {
            print(String(decoding: try FleetJSON.encoder().encode(status), as: UTF8.self))
        } else {
            print(StatusText.pinned(status, layout: layout))
        }
    }
}

enum StatusText {
    static func agent(_ status: AgentStatus) -> String {
        var lines = [
            "agent        running (pid \(status.pid), node \(status.node), version \(status.version), since \(status.started.formatted(date: .omitted, time: .standard)))",
            "attached     \(status.datapath.hooks.joined(separator: ", ")) on \(status.datapath.cgroup)",
            "pins         \(status.datapath.pinDirectory)",
        ]
        if let policy = status.policy {
            lines.append("policy       generation \(policy.generation), \(policy.policies.count) policies, \(policy.entries) rules loaded (\(policy.subjects) subjects), applied \(policy.time.formatted(date: .omitted, time: .standard)) (\(policy.reason))")
            for warning in policy.warnings { lines.append("  warning: \(warning)") }
        } else {
            lines.append("policy       none applied")
        }
        if let rejection = status.lastRejection {
            lines.append(Terminal.paint("rejected     \(rejection.time.formatted(date: .omitted, time: .standard)): \(rejection.message); the previous policy stays in force", .red))
            for diagnostic in rejection.diagnostics { lines.append("  \(diagnostic)") }
        }
        if let open = status.datapath.openConnections { lines.append("open conns   \(open)") }
        if let fleet = status.fleet { lines.append(Self.fleet(fleet)) }
        if let tamper = status.tamper { lines += Self.tamper(tamper) }
        if let intel = status.intel, !intel.indicators.isEmpty || intel.lastError != nil {
            let feeds = intel.indicators.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("feeds        \(feeds.isEmpty ? "none" : feeds); \(status.decisions.intel) decisions by a feed")
            if let error = intel.lastError { lines.append(Terminal.paint("  \(error)", .red)) }
        }
        lines.append(decisions(status.decisions))
        lines.append(names(status.decisions, held: status.datapath.nameAttributions, capacity: status.datapath.nameAttributionCapacity))
        if let traffic = status.traffic {
            lines.append(
                "traffic      ↑\(ByteCount.text(traffic.bytesSent)) ↓\(ByteCount.text(traffic.bytesReceived)) "
                    + "(\(traffic.packetsSent) / \(traffic.packetsReceived) packets), \(traffic.connections) connections ended (sluice top)")
        }
        lines.append(
            "events       \(status.events.published) streamed, lost: \(status.events.lostInKernel) in the kernel (ring buffer full), \(status.events.lostInAgent) in the agent, \(status.events.droppedForSubscribers) dropped for slow readers; \(status.events.subscribers) readers; mode \(status.datapath.eventMode)")
        return lines.joined(separator: "\n")
    }

    /// The verifier's findings: one summary line, then the latest few.
    static func tamper(_ tamper: TamperStatus) -> [String] {
        let protection = tamper.protected ? "protect mode on" : "protect mode off"
        guard tamper.total > 0 else {
            return ["tamper       none detected (\(tamper.checks) checks of links, pins and state; \(protection))"]
        }
        let kinds = tamper.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let repair = tamper.unrepaired == 0 ? "all repaired" : "\(tamper.unrepaired) NOT repaired"
        var lines = [Terminal.paint("tamper       \(tamper.total) detected since start (\(kinds)); \(repair); \(protection)", .red)]
        for record in tamper.recent.suffix(5) {
            let outcome = record.repaired ? "repaired" : "not repaired: \(record.repairError ?? "?")"
            lines.append("  \(record.time.formatted(date: .omitted, time: .standard)) \(record.kind.rawValue) \(record.subject): \(record.detail) (\(outcome))")
        }
        return lines
    }

    static func fleet(_ fleet: FleetStatus) -> String {
        let node = fleet.nodeID.map { " as \($0)" } ?? ""
        let line = "fleet        \(fleet.connection.rawValue.replacingOccurrences(of: "_", with: " ")) \(fleet.server)\(node); \(fleet.eventsBuffered) events buffered for upload, \(fleet.eventsDropped) dropped"
        guard let error = fleet.error else { return line }
        return Terminal.paint(line + " (\(error))", fleet.connection == .revoked ? .red : .yellow)
    }

    static func pinned(_ status: PinnedDatapath.Status, layout: StateLayout) -> String {
        [
            "agent        not running; the pinned programs keep enforcing generation \(status.generation)",
            "attached     \(status.links.map { "\($0.hook.rawValue)\($0.cgroupID == 0 ? " (DETACHED: its cgroup is gone or it was detached)" : "")" }.joined(separator: ", ")) (cgroup id \(status.links.first?.cgroupID ?? 0))",
            "pins         \(layout.pinDirectory)",
            "policy       generation \(status.generation), \(status.destinationsIPv4 + status.destinationsIPv6) destination entries (\(status.destinationsIPv4) IPv4, \(status.destinationsIPv6) IPv6), \(status.subjects) subjects",
            decisions(status.counters),
            "events       lost in the kernel: \(status.counters.eventsLost) (nobody reads them while the agent is down)",
        ].joined(separator: "\n")
    }

    /// DNS answers read in the kernel and what they left: attributions held (expired ones stay
    /// until pushed out), and those the LRU map evicted for newer ones when it was full.
    static func names(_ counters: DatapathCounters, held: Int?, capacity: Int?) -> String {
        var line = "dns names    \(counters.dnsAnswers) answers read, \(counters.dnsLearned) addresses named"
        if let held, let capacity {
            line += ", \(held) held of \(capacity), \(counters.dnsNew >= UInt64(held) ? counters.dnsNew - UInt64(held) : 0) evicted"
        }
        if counters.dnsRefused > 0 { line += ", \(counters.dnsRefused) malformed answers refused" }
        if counters.dnsSkipped > 0 { line += ", \(counters.dnsSkipped) not read (over 4 KiB, TCP segments out of order, or fragmented)" }
        if counters.dnsUntrusted > 0 { line += ", \(counters.dnsUntrusted) not believed (from a network namespace an unprivileged user could make, or a server the socket never asked)" }
        return line
    }

    static func decisions(_ counters: DatapathCounters) -> String {
        "decisions    allow \(counters.allow), alert \(counters.alert), deny \(counters.deny), monitor-deny \(counters.monitorDeny)\(counters.rateLimited > 0 ? ", rate-limited \(counters.rateLimited)" : "")\(counters.redirected > 0 ? ", redirected \(counters.redirected)" : "")\(counters.quota > 0 ? ", quota \(counters.quota)" : ""), agent exempt \(counters.exempt)\(counters.failClosed > 0 ? ", fail-closed \(counters.failClosed)" : "")\(counters.closed > 0 ? ", open connections ended \(counters.closed)" : "")"
    }
}
