import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// `sluice gateway`: keeps this host's nftables in step with the server's policy for machines
/// without the BPF agent. It polls the server, and when the policies meant for this host change
/// it compiles, renders and applies them in one transaction. Whatever is installed stays in force
/// while the server is away or sends policy that does not compile: the kernel keeps the last good
/// table across restarts of the gateway too.
public struct GatewayService: Service {
    /// The server's current policies (every node's; this host keeps those its labels select).
    public typealias Fetch = @Sendable () async throws -> [PolicyVersion]
    /// Compiles policy against this host's cgroups.
    public typealias Compile = @Sendable (PolicySet) throws -> CompiledPolicy

    let integrator: NftablesIntegrator
    let labels: [String: String]
    let interval: Duration
    let fetch: Fetch
    let compile: Compile
    let logger: Logger

    public init(
        integrator: NftablesIntegrator, labels: [String: String], interval: Duration, logger: Logger, fetch: @escaping Fetch,
        compile: @escaping Compile
    ) {
        self.integrator = integrator
        self.labels = labels
        self.interval = interval
        self.fetch = fetch
        self.compile = compile
        self.logger = logger
    }

    public func run() async throws {
        if let installed = try? await integrator.readBack() {
            logger.info("a ruleset is installed; it stays in force until the server's policy is applied", metadata: ["nft.installed": "\(installed)"])
        } else {
            logger.info("no ruleset installed yet (or nft could not list it)")
        }
        try? await cancelWhenGracefulShutdown { try await poll() }
    }

    /// Applies the server's policy whenever the versions meant for this host change.
    private func poll() async throws {
        var applied: [PolicyVersion]?
        while !Task.isCancelled {
            do {
                let versions = try await fetch().filter { !$0.deleted && NodeSelector.matches($0.nodeSelector, labels: labels) }
                    .sorted { $0.name < $1.name }
                if versions != applied {
                    // Set first: policy that does not compile is not tried again until it changes.
                    applied = versions
                    try await apply(versions)
                }
            } catch {
                logger.warning("gateway sync failed; the installed ruleset stays in force", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Compiles, renders and applies one set of policy versions.
    func apply(_ versions: [PolicyVersion]) async throws {
        let loaded = PolicyLoader.check(sources: versions.map { (file: "server:\($0.name)@v\($0.version)", text: $0.yaml) })
        if loaded.hasErrors { throw PolicyValidationError(loaded.diagnostics) }
        let rendering = try integrator.render(try compile(loaded.policySet), feeds: [], now: Date())
        for item in rendering.unexpressed {
            logger.warning("rule not expressible in nftables", metadata: ["nft.unexpressed": "\(item)", "nft.reason": "\(item.reason.rawValue)"])
        }
        try await integrator.sync(rendering.ruleset)
        logger.info("server policy applied", metadata: ["fleet.policies": "\(versions.map { "\($0.name)@v\($0.version)" })"])
    }
}
