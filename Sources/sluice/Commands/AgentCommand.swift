import ArgumentParser
import Foundation
import Logging
import SluiceAgent
import SluiceKernel

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Enforce a policy folder in the kernel and stream every decision.",
        discussion: """
            Attaches Sluice's programs to the cgroup (the cgroup2 root by default), applies the policy \
            folder and watches it: an edit is enforced within milliseconds, an invalid edit is rejected \
            whole and the previous policy stays in force. SIGTERM/SIGINT stop the agent; the policy stays \
            enforced through bpffs pins, and a restarted agent adopts it without a gap.
            """)

    @Option(name: .customLong("policy-dir"), help: ArgumentHelp("Folder of policy files (*.yaml, *.yml).", valueName: "dir"))
    var policyDirectory: String

    @Option(help: ArgumentHelp("Cgroup to attach to, relative to the cgroup2 mount or absolute (default: the root).", valueName: "path"))
    var cgroup: String?

    @OptionGroup var state: StateOptions

    @Option(name: .customLong("node-name"), help: "Name events carry (default: $SLUICE_NODE_NAME, $NODE_NAME, then the host name).")
    var nodeName: String?

    @Option(help: "Which decisions produce events: all, deny-alert or none.")
    var events: EventMode = .all

    @Option(help: ArgumentHelp("host:port for /metrics, /healthz and /readyz, or none.", valueName: "address"))
    var metrics: String = "127.0.0.1:9477"

    @Option(name: .customLong("ring-buffer-size"), help: "Event ring buffer bytes (a power of two).")
    var ringBufferBytes: UInt32 = 4 << 20

    @Option(name: .customLong("max-destinations"), help: "Capacity of each destination trie (two generations share it).")
    var maxDestinations: UInt32 = 262_144

    @Option(name: .customLong("max-subjects"), help: "Capacity of the subject map (two generations share it).")
    var maxSubjects: UInt32 = 16384

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard ringBufferBytes >= 4096, ringBufferBytes & (ringBufferBytes - 1) == 0 else {
            throw ValidationError("--ring-buffer-size must be a power of two of at least 4096, not \(ringBufferBytes)")
        }
        if metrics != "none" && MetricsAddress(metrics) == nil {
            throw ValidationError("--metrics must be host:port or none, not \(metrics)")
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice.agent")
        var capacity = DatapathCapacity()
        capacity.ringBufferBytes = ringBufferBytes
        capacity.destinationsPerFamily = maxDestinations
        capacity.subjects = maxSubjects
        let environment = ProcessInfo.processInfo.environment
        let configuration = AgentConfiguration(
            policyDirectory: policyDirectory, cgroup: cgroup, state: try state.layout(),
            nodeName: nodeName ?? environment["SLUICE_NODE_NAME"] ?? environment["NODE_NAME"] ?? ProcessInfo.processInfo.hostName,
            eventMode: events, metricsAddress: MetricsAddress(metrics).map { ($0.host, $0.port) }, capacity: capacity)
        do {
            try await Agent(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("agent failed: \(error)")
            throw ExitCode.failure
        }
    }
}

/// `host:port` for the metrics listener.
struct MetricsAddress {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
    }
}

extension EventMode: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
