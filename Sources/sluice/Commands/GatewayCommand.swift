import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceAPI
import SluiceCore
import SluiceFirewall

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Keep this host's nftables in step with the server's policy (hosts without the BPF agent).",
        discussion: """
            Polls the server's policies and feed layers with a viewer token and applies those whose \
            node selector this host's --label values match, as the table inet sluice (see `sluice \
            export nftables`); feed indicators become sets whose elements time out when they expire. The installed ruleset stays in force while the server is away, when its \
            policy does not compile, and across restarts of the gateway.
            """)

    @OptionGroup var server: ServerOptions

    @Option(help: ArgumentHelp("API token (viewer role); default: $SLUICE_TOKEN or the one `sluice login` saved.", valueName: "token"))
    var token: String?

    @Option(name: .customLong("label"), help: ArgumentHelp("This host's labels (key=value), which policy node selectors match.", valueName: "key=value"))
    var labels: [String] = []

    @Option(help: ArgumentHelp("Seconds between polls of the server.", valueName: "seconds"))
    var interval: Int = 10

    @Flag(inversion: .prefixedNo, help: "Also decide routed traffic (hook forward) by the node's rules.")
    var forward = true

    @Option(help: ArgumentHelp("Keep the table of this network namespace (ip netns) instead of this host's: a router namespace.", valueName: "name"))
    var netns: String?

    func validate() throws {
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
        if let netns, !FileManager.default.fileExists(atPath: "/run/netns/\(netns)") {
            throw ValidationError("--netns \(netns): no such namespace (/run/netns/\(netns)); see ip netns list")
        }
        _ = try CommandArguments.labels(labels, option: "--label")
    }

    func run() async throws {
        bootstrapLogging(level: .info)
        let logger = Logger(label: "sluice.gateway")
        let command = (netns.map { ["nsenter", "--net=/run/netns/\($0)"] } ?? []) + ["nft"]
        let integrator = NftablesIntegrator(renderer: try FirewallPolicy.renderer(forward: forward), command: command, logger: logger)
        let labels = try CommandArguments.labels(labels, option: "--label")
        try await server.with(token: token) { connection in
            let service = GatewayService(
                integrator: integrator, labels: labels, interval: .seconds(interval), logger: logger,
                fetch: { try await connection.call { try await $0.listPolicies().ok.body.json }.map { PolicyVersion($0) } },
                fetchLayers: { after in
                    let query = Operations.FeedLayers.Input.Query(labels: NodeSelector.format(labels), after: after.map { Int(clamping: $0) })
                    return try IntelDelta(try await connection.call { try await $0.feedLayers(query: query).ok.body.json })
                },
                compile: { try FirewallPolicy.compile($0) })
            let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
