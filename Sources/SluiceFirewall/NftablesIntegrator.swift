import Foundation
import Logging
import SluiceCore

/// nftables as a firewall target: renders with `NftablesRenderer`, applies with one `nft -f -`
/// transaction that deletes and recreates the table Sluice owns (`inet sluice`), reads back
/// with `nft -j list table`, and never touches another table.
///
/// The batch is nft's text, not its JSON: Debian 12's nft (1.0.6) refuses `socket cgroupv2` in
/// JSON ("Invalid socket key value"), and cgroup subjects need it. Both are one transaction.
public struct NftablesIntegrator: FirewallIntegrator {
    public var renderer: NftablesRenderer
    /// How to run nft: `["nft"]`, or with a prefix that enters a network namespace
    /// (`["nsenter", "--net=/run/netns/gw", "nft"]`).
    public var command: [String]
    public let logger: Logger

    public init(renderer: NftablesRenderer, command: [String] = ["nft"], logger: Logger) {
        self.renderer = renderer
        self.command = command
        self.logger = logger
    }

    public func render(_ compiled: CompiledPolicy, feeds: [IntelIndicator], now: Date) throws -> FirewallRendering<NftRuleset> {
        try renderer.render(compiled, feeds: feeds, now: now)
    }

    public func apply(_ ruleset: NftRuleset) async throws {
        try await nft(["-f", "-"], input: Data(ruleset.text.utf8))
        logger.info("nftables ruleset applied", metadata: ["nft.table": "\(NftRuleset.family) \(ruleset.table)", "nft.summary": "\(ruleset.summary)"])
    }

    /// Applies, then reads back and checks the table holds what was rendered.
    public func sync(_ ruleset: NftRuleset) async throws {
        try await apply(ruleset)
        let installed = try await readBack(table: ruleset.table)
        guard installed == ruleset.summary else { throw NftablesError.readBackMismatch(expected: ruleset.summary, installed: installed) }
    }

    public func readBack() async throws -> NftTableSummary? {
        try await readBack(table: NftRuleset().table)
    }

    public func readBack(table: String) async throws -> NftTableSummary? {
        let outcome = try await run(["-j", "list", "table", NftRuleset.family, table])
        if outcome.status != 0 {
            if outcome.errorOutput.contains("No such file or directory") { return nil }
            throw NftablesError.refused(command: describe(["-j", "list", "table"]), status: outcome.status, message: outcome.errorOutput)
        }
        do {
            return try NftTableSummary.parse(nftJSON: outcome.output)
        } catch {
            throw NftablesError.unreadable(error)
        }
    }

    public func expected(_ ruleset: NftRuleset) -> NftTableSummary { ruleset.summary }

    public func remove() async throws {
        let table = NftRuleset().table
        // `destroy` is newer than Debian's nft: create-then-delete removes it whether or not it was there.
        try await nft(["-f", "-"], input: Data("add table \(NftRuleset.family) \(table)\ndelete table \(NftRuleset.family) \(table)\n".utf8))
        logger.info("nftables table removed", metadata: ["nft.table": "\(NftRuleset.family) \(table)"])
    }

    private func nft(_ arguments: [String], input: Data = Data()) async throws {
        let outcome = try await run(arguments, input: input)
        guard outcome.status == 0 else {
            throw NftablesError.refused(command: describe(arguments), status: outcome.status, message: outcome.errorOutput)
        }
    }

    private func run(_ arguments: [String], input: Data = Data()) async throws -> CommandRunner.Outcome {
        do {
            return try await CommandRunner.run(command + arguments, input: input)
        } catch {
            throw NftablesError.cannotRun(command: describe(arguments), reason: "\(error)")
        }
    }

    private func describe(_ arguments: [String]) -> String { (command + arguments).joined(separator: " ") }
}

extension NftablesIntegrator {
    /// nft resolves `socket cgroupv2` paths under `/sys/fs/cgroup`: the cgroup2 mount's place
    /// there (`unified` for `/sys/fs/cgroup/unified`, empty for `/sys/fs/cgroup`), or nil when
    /// the hierarchy is mounted elsewhere and nft cannot find its cgroups.
    public static func cgroupPathPrefix(mountPoint: String) -> String? {
        let base = "/sys/fs/cgroup"
        if mountPoint == base { return "" }
        guard mountPoint.hasPrefix(base + "/") else { return nil }
        return String(mountPoint.dropFirst(base.count + 1))
    }
}
