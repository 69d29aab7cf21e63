import ArgumentParser
import Foundation
import Logging
import SluiceAgent
import SluiceCore
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

    @Option(name: .customLong("policy-dir"), help: ArgumentHelp("Folder of policy files (*.yaml, *.yml); merged with the server's policies when --server is given.", valueName: "dir"))
    var policyDirectory: String?

    @Option(help: ArgumentHelp("The central server to join (https://host:port).", valueName: "url"))
    var server: String?

    @Option(name: .customLong("join-token"), help: "Token to enroll with the server (once; or $SLUICE_JOIN_TOKEN).")
    var joinToken: String?

    @Option(name: .customLong("server-ca"), help: ArgumentHelp("CA certificate (PEM) that signed the server's certificate.", valueName: "file"))
    var serverCA: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// server URL.")
    var allowInsecureHTTP = false

    @Option(name: .customLong("node-label"), help: ArgumentHelp("A label of this node, key=value (repeatable).", valueName: "label"))
    var nodeLabels: [String] = []

    @Option(name: .customLong("upload-buffer"), help: "Most bytes of events kept on disk while the server is away.")
    var uploadBufferBytes: Int = 256 << 20

    @Option(name: .customLong("history-size"), help: "Most bytes of recent decisions kept in the state folder for `sluice policy test --local` (0: none).")
    var historyBytes: Int = 64 << 20

    @Option(name: .customLong("feed-file"), help: ArgumentHelp("A local threat-intelligence list (one address, CIDR or domain per line), its own feed layer 'file:<name>'; prefix alert: to alert instead of deny (repeatable; read again when it changes).", valueName: "[alert:]file"))
    var feedFiles: [String] = []

    @Option(help: ArgumentHelp("Cgroup to attach to, relative to the cgroup2 mount or absolute (default: the root).", valueName: "path"))
    var cgroup: String?

    @OptionGroup var state: StateOptions

    @Option(name: .customLong("cgroup-mount"), help: ArgumentHelp("The host's cgroup2 mount, when it is not the first one (in a container: where the host's /sys/fs/cgroup is mounted).", valueName: "dir"))
    var cgroupMount: String?

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

    @Option(help: "Rule learning where no policy sets it: off, suggest (proposals to review) or enforce (installed at once).")
    var learning: LearningMode = .suggest

    @Option(name: .customLong("learning-action"), help: "What learned rules do: deny or alert.")
    var learningAction: RuleAction = .deny

    @Option(name: .customLong("learning-expiry"), help: ArgumentHelp("How long a learned rule lives unless approved (90s, 30m, 24h, 7d).", valueName: "duration"))
    var learningExpiry: DurationArgument = DurationArgument(seconds: 24 * 3600)

    @Option(name: .customLong("learning-protect"), help: ArgumentHelp("Destinations learned rules never target, comma-separated (loopback always is).", valueName: "cidrs"))
    var learningProtect: String = ""

    @Option(name: .customLong("warmup-events"), help: "Events an application needs before its anomalies alert.")
    var warmupEvents: Int = 100

    @Option(name: .customLong("warmup"), help: ArgumentHelp("Time an application needs before its anomalies alert.", valueName: "duration"))
    var warmup: DurationArgument = DurationArgument(seconds: 3600)

    @Option(name: .customLong("flow-interval"), help: ArgumentHelp("How often an open connection gets a flow record with its bytes so far (each also gets one when it ends).", valueName: "duration"))
    var flowInterval: DurationArgument = DurationArgument(seconds: 10)

    @Option(name: .customLong("verify-interval"), help: ArgumentHelp("How often links, pins and kernel state are checked for tampering and repaired.", valueName: "duration"))
    var verifyInterval: DurationArgument = DurationArgument(seconds: 1)

    @Flag(help: "Protect mode (BPF LSM): the kernel refuses changes to Sluice's links, maps and pins by anyone but this agent, and signals and ptrace against it. Needs --stop-token-file.")
    var protect = false

    @Option(name: .customLong("stop-token-file"), help: ArgumentHelp("Root-only file (0600) with the token `sluice stop --token-file` must present to stop a protected agent.", valueName: "file"))
    var stopTokenFile: String?

    @Option(name: .customLong("origin-socket"), help: ArgumentHelp("Unix socket where redirect targets, root or not, pass a connection to learn where it meant to go (default: \(AgentConfiguration.defaultOriginSocket) with the default state folder, else none; 'none' for none).", valueName: "path"))
    var originSocket: String?

    func validate() throws {
        if protect && stopTokenFile == nil {
            throw ValidationError("--protect needs --stop-token-file: without it nobody could stop the agent short of a reboot")
        }
        guard policyDirectory != nil || server != nil else {
            throw ValidationError("give --policy-dir, --server, or both")
        }
        for label in nodeLabels where !label.contains("=") {
            throw ValidationError("--node-label must be key=value, not \(label)")
        }
        guard ringBufferBytes >= 4096, ringBufferBytes & (ringBufferBytes - 1) == 0 else {
            throw ValidationError("--ring-buffer-size must be a power of two of at least 4096, not \(ringBufferBytes)")
        }
        if metrics != "none" && MetricsAddress(metrics) == nil {
            throw ValidationError("--metrics must be host:port or none, not \(metrics)")
        }
        guard learningAction != .allow else { throw ValidationError("--learning-action must be deny or alert") }
        _ = try protectedPrefixes()
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "sluice.agent")
        // Set once, before anything discovers the cgroup2 mount.
        CgroupFS.overrideMountPoint = cgroupMount
        var capacity = DatapathCapacity()
        capacity.ringBufferBytes = ringBufferBytes
        capacity.destinationsPerFamily = maxDestinations
        capacity.subjects = maxSubjects
        let environment = ProcessInfo.processInfo.environment
        var detector = DetectorConfiguration()
        detector.warmUpEvents = warmupEvents
        detector.warmUpDuration = .seconds(warmup.seconds)
        let learningSettings = LearningSettings(
            mode: learning, action: learningAction, expirySeconds: learningExpiry.seconds, protected: try protectedPrefixes())
        var configuration = AgentConfiguration(
            policyDirectory: policyDirectory, cgroup: cgroup, state: try state.layout(),
            nodeName: nodeName ?? environment["SLUICE_NODE_NAME"] ?? environment["NODE_NAME"] ?? ProcessInfo.processInfo.hostName,
            eventMode: events, metricsAddress: MetricsAddress(metrics).map { ($0.host, $0.port) }, capacity: capacity,
            learning: learningSettings, detector: detector,
            fleet: server.map { url in
                FleetConfiguration(
                    serverURL: url, joinToken: joinToken ?? environment["SLUICE_JOIN_TOKEN"], certificateAuthorityFile: serverCA,
                    allowPlainHTTP: allowInsecureHTTP,
                    labels: Dictionary(nodeLabels.map { label in
                        let parts = label.split(separator: "=", maxSplits: 1)
                        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                    }, uniquingKeysWith: { _, last in last }),
                    uploadBufferBytes: uploadBufferBytes)
            })
        configuration.verifyInterval = .seconds(max(1, verifyInterval.seconds))
        configuration.flowInterval = .seconds(max(1, flowInterval.seconds))
        configuration.feedFiles = feedFiles.map(FeedFile.parse)
        configuration.historyBytes = max(0, historyBytes)
        switch originSocket {
        case "none": configuration.originSocket = nil
        case nil: configuration.originSocket = state.stateDirectory == StateLayout.defaultDirectory ? AgentConfiguration.defaultOriginSocket : nil
        case let path?: configuration.originSocket = path
        }
        do {
            if protect, let stopTokenFile { configuration.protect = try ProtectSettings.load(tokenFile: stopTokenFile) }
            try await Agent(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("agent failed: \(error)")
            throw ExitCode.failure
        }
    }
}

extension AgentCommand {
    func protectedPrefixes() throws -> [IPPrefix] {
        var prefixes: [IPPrefix] = []
        for text in learningProtect.split(separator: ",") {
            switch IPPrefix.parse(text.trimmingCharacters(in: .whitespaces)) {
            case .success(let prefix):
                prefixes.append(prefix)
            case .failure(let error):
                throw ValidationError("--learning-protect: \(error)")
            }
        }
        return prefixes
    }
}

/// A duration on the command line: `90s`, `30m`, `24h`, `7d`, or plain seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = argument.last, let factor = units[unit], let value = Int64(argument.dropLast()), value >= 0 {
            seconds = value * factor
        } else if let value = Int64(argument), value >= 0 {
            seconds = value
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        seconds % 86400 == 0 ? "\(seconds / 86400)d" : seconds % 3600 == 0 ? "\(seconds / 3600)h" : "\(seconds)s"
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
extension LearningMode: ExpressibleByArgument {}
extension RuleAction: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
