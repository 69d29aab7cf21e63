import ArgumentParser
import Foundation
import SluiceCore
import SluiceFirewall
import SluiceKernel

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write policy as another firewall's ruleset.", subcommands: [ExportNftablesCommand.self])
}

struct ExportNftablesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nftables",
        abstract: "Write policy files as an nftables ruleset for the table inet sluice.",
        discussion: """
            The ruleset replaces the table inet sluice in one transaction (`nft -f FILE`, or \
            `nft -j -f FILE` with --format json) and touches no other table. What nftables cannot \
            express (executable subjects, domain names, redirects, quotas, raw sockets) is listed \
            on stderr and left out; --strict makes any of it an error instead.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "file"))
    var files: [String]

    @Option(help: "text (nft's syntax) or json (nft -j).")
    var format: Format = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the ruleset here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Write what could not be expressed as JSON here.", valueName: "file"))
    var report: String?

    @Flag(help: "Fail, writing nothing, when any rule cannot be expressed.")
    var strict = false

    @Flag(help: "Also decide routed traffic (hook forward) by the node's rules: for a gateway.")
    var forward = false


    func run() async throws {
        let compiled = try FirewallPolicy.compile(files: CommandArguments.policyFiles(files))
        let rendering = try FirewallPolicy.renderer(forward: forward).render(compiled, now: Date())
        for item in rendering.unexpressed {
            FileHandle.standardError.write(Data("\(strict ? "error" : "warning"): \(item)\n".utf8))
        }
        if let report {
            try FirewallPolicy.write(try FleetJSON.encoder().encode(["unexpressed": rendering.unexpressed]), to: report)
        }
        if strict && !rendering.unexpressed.isEmpty {
            throw CommandFailure.inexpressible(count: rendering.unexpressed.count, target: "nftables")
        }
        let text = format == .json ? rendering.ruleset.json + "\n" : rendering.ruleset.text
        if let output {
            try FirewallPolicy.write(Data(text.utf8), to: output)
        } else {
            print(text, terminator: "")
        }
    }
}

/// How `export` and `gateway` turn policy into a firewall's input on this machine.
enum FirewallPolicy {
    /// Loads and compiles policy files against this machine's cgroups; errors fail with every diagnostic.
    static func compile(files: [String]) throws -> CompiledPolicy {
        let result = PolicyLoader.check(files: files)
        if result.hasErrors { throw CommandFailure.invalidPolicy(PolicyValidationError(result.diagnostics)) }
        return try compile(result.policySet)
    }

    static func compile(_ set: PolicySet) throws -> CompiledPolicy {
        let compiled = PolicyCompiler.compile(set, resolver: SystemSubjectResolver(cgroups: try CgroupFS.discover()))
        if compiled.diagnostics.contains(where: { $0.severity == .error }) {
            throw CommandFailure.invalidPolicy(PolicyValidationError(compiled.diagnostics))
        }
        return compiled
    }

    /// A renderer that names cgroups where nft looks for them.
    static func renderer(forward: Bool) throws -> NftablesRenderer {
        let mount = try CgroupFS.discover().mount.mountPoint
        guard let prefix = NftablesIntegrator.cgroupPathPrefix(mountPoint: mount) else {
            throw ValidationError("cgroup2 is mounted at \(mount), outside /sys/fs/cgroup, where nft looks up cgroup paths")
        }
        return NftablesRenderer(forward: forward, cgroupPathPrefix: prefix)
    }

    static func write(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw CommandFailure.file(path: path, .create, reason: String(cString: strerror(errno)))
        }
    }
}
