import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// `sluice gateway`: keeps this host's nftables in step with the server's policy and feed layers
/// for machines without the BPF agent. It polls the server, and when the policies or the feed
/// indicators meant for this host change it compiles, renders and applies them in one transaction. Whatever is installed stays in force
/// while the server is away or sends policy that does not compile: the kernel keeps the last good
/// table across restarts of the gateway too.
public struct GatewayService: Service {
    /// The server's current policies (every node's; this host keeps those its labels select).
    public typealias Fetch = @Sendable () async throws -> [PolicyVersion]
    /// Compiles policy against this host's cgroups.
    public typealias Compile = @Sendable (PolicySet) throws -> CompiledPolicy
    /// The feed layers for this host's labels after a cursor (the whole set without one), as a
    /// node receives them.
    public typealias FetchLayers = @Sendable (UInt64?) async throws -> IntelDelta

    let integrator: NftablesIntegrator
    let labels: [String: String]
    let interval: Duration
    let fetch: Fetch
    let fetchLayers: FetchLayers
    let compile: Compile
    let logger: Logger

    public init(
        integrator: NftablesIntegrator, labels: [String: String], interval: Duration, logger: Logger, fetch: @escaping Fetch,
        fetchLayers: @escaping FetchLayers, compile: @escaping Compile
    ) {
        self.integrator = integrator
        self.labels = labels
        self.interval = interval
        self.fetch = fetch
        self.fetchLayers = fetchLayers
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

    /// Applies the server's policy whenever the versions or the feed indicators meant for this
    /// host change.
    private func poll() async throws {
        var applied: [PolicyVersion]?
        var layers = IntelLayerSet()
        while !Task.isCancelled {
            do {
                let versions = try await fetch().filter { !$0.deleted && NodeSelector.matches($0.nodeSelector, labels: labels) }
                    .sorted { $0.name < $1.name }
                var feedsChanged = false
                var more = true
                while more {
                    let delta = try await fetchLayers(layers.cursor)
                    feedsChanged = !layers.apply(delta, now: Date()).isEmpty || feedsChanged
                    more = delta.more
                }
                // nft drops expired set elements itself; the set held here follows for the next render.
                _ = layers.expire(now: Date())
                if versions != applied || feedsChanged {
                    // Set first: policy that does not compile is not tried again until it changes.
                    applied = versions
                    try await apply(versions, feeds: layers.held.values.map(\.indicator))
                }
            } catch {
                logger.warning("gateway sync failed; the installed ruleset stays in force", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Compiles, renders and applies one set of policy versions with the feed layers' indicators.
    func apply(_ versions: [PolicyVersion], feeds: [IntelIndicator]) async throws {
        let loaded = PolicyLoader.check(sources: versions.map { (file: "server:\($0.name)@v\($0.version)", text: $0.yaml) })
        if loaded.hasErrors { throw PolicyValidationError(loaded.diagnostics) }
        let rendering = try integrator.render(try compile(loaded.policySet), feeds: feeds, now: Date())
        for item in rendering.unexpressed {
            logger.warning("rule not expressible in nftables", metadata: ["nft.unexpressed": "\(item)", "nft.reason": "\(item.reason.rawValue)"])
        }
        try await integrator.sync(rendering.ruleset)
        logger.info(
            "server policy applied",
            metadata: ["fleet.policies": "\(versions.map { "\($0.name)@v\($0.version)" })", "intel.indicators": "\(feeds.count)"])
    }
}
