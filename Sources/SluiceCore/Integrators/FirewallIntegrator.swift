import Foundation

/// A firewall that can carry a Sluice policy, so another vendor is one more conformance.
/// Rendering is pure and lives here in the core; applying, reading back and removing talk to
/// the firewall and live outside it (SluiceFirewall).
public protocol FirewallIntegrator: Sendable {
    /// What the firewall loads: a whole ruleset of the tables Sluice owns.
    associatedtype Ruleset: Sendable
    /// What a read-back shows, comparable with what a ruleset should install.
    associatedtype Installed: Sendable & Equatable

    /// The policy (and the node's feed layers) for this firewall, with what it cannot express.
    func render(_ compiled: CompiledPolicy, feeds: [IntelIndicator], now: Date) throws -> FirewallRendering<Ruleset>
    /// Replaces what Sluice owns in one transaction; on failure the previous ruleset stays.
    func apply(_ ruleset: Ruleset) async throws
    /// What is installed now; nil when Sluice owns nothing there.
    func readBack() async throws -> Installed?
    /// What a read-back must show once `ruleset` is applied.
    func expected(_ ruleset: Ruleset) -> Installed
    /// Removes what Sluice owns, and nothing else.
    func remove() async throws
}

/// A rendered ruleset and what of the policy it could not express.
public struct FirewallRendering<Ruleset: Sendable>: Sendable {
    public var ruleset: Ruleset
    /// Rules and indicators left out or weakened, each with why.
    public var unexpressed: [UnexpressedRule]

    public init(ruleset: Ruleset, unexpressed: [UnexpressedRule]) {
        self.ruleset = ruleset
        self.unexpressed = unexpressed
    }
}
