import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore
import SluiceKernel

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check and explain policy; push and manage it on the server.",
        subcommands: [
            ValidateCommand.self, ExplainCommand.self, PolicyServerCommands.Push.self, PolicyServerCommands.List.self,
            PolicyServerCommands.History.self, PolicyServerCommands.Diff.self, PolicyServerCommands.Rollback.self,
            PolicyServerCommands.Delete.self, PolicyServerCommands.Rollout.self,
        ])
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check policy files together; print every problem with file, line and field.",
        discussion: "Exits 1 when any problem is an error. A folder checks every policy file in it.")

    @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "file"))
    var files: [String]

    func run() async throws {
        let paths = CommandArguments.policyFiles(files)
        let result = PolicyLoader.check(files: paths)
        for diagnostic in PolicyValidationError(result.diagnostics).diagnostics {
            let text = diagnostic.description
            print(diagnostic.severity == .error ? Terminal.paint(text, .red) : Terminal.paint(text, .yellow))
        }
        let policies = result.policySet.policies.count
        if result.hasErrors {
            print("\(result.errors.count) error\(result.errors.count == 1 ? "" : "s"), \(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s") in \(paths.count) file\(paths.count == 1 ? "" : "s")")
            throw ExitCode.failure
        }
        print("ok: \(policies) polic\(policies == 1 ? "y" : "ies") in \(paths.count) file\(paths.count == 1 ? "" : "s")\(result.warnings.isEmpty ? "" : ", \(result.warnings.count) warnings")")
    }
}

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Which policy and rule decide a connection, by the same precedence as the kernel.",
        discussion: """
            Without --policy-dir it asks the running agent about the policy in force; with it, it \
            compiles that folder on this machine.
            """)

    @Option(help: ArgumentHelp("The executable making the connection.", valueName: "path"))
    var exe: String?

    @Option(help: ArgumentHelp("The cgroup it runs in (default: the root).", valueName: "path"))
    var cgroup: String?

    @Option(help: ArgumentHelp("Destination: IP:PORT[/tcp|udp|icmp|icmpv6|raw]; IPv6 as [addr]:port. Default protocol tcp. raw: may the caller create a raw or ping socket (give 0.0.0.0:0/raw).", valueName: "destination"))
    var to: String

    @Option(name: .customLong("policy-dir"), help: ArgumentHelp("Explain this folder instead of the agent's policy.", valueName: "dir"))
    var policyDirectory: String?

    @Option(help: ArgumentHelp("The name the application looked up (api.github.com), as the kernel attributes it from the DNS answer. Needs --policy-dir.", valueName: "name"))
    var domain: String?

    @Option(name: .shortAndLong, help: "text or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var state: StateOptions

    func validate() throws {
        guard Destination(to) != nil else {
            throw ValidationError("--to must be IP:PORT[/tcp|udp|icmp|icmpv6|raw] (IPv6 as [addr]:port), not \(to)")
        }
        if let domain {
            if case .failure(let error) = DomainName.parse(domain) { throw ValidationError("--domain: \(error)") }
            // The agent's /v1/explain request has no name yet; a folder is compiled right here.
            guard policyDirectory != nil else {
                throw ValidationError("--domain needs --policy-dir: the running agent does not take a name to explain yet")
            }
        }
    }

    func run() async throws {
        let destination = Destination(to)!
        let request = ExplainRequest(
            executable: exe, cgroup: cgroup, destination: destination.address, port: destination.port,
            transport: destination.transport)
        let explanation: Explanation
        if let policyDirectory {
            explanation = try Self.explainLocally(request, domain: domain.flatMap(DomainName.init), policyDirectory: policyDirectory)
        } else {
            let client = AgentClient(layout: try state.layout())
            explanation = try client.decode(Explanation.self, from: try await client.post("/v1/explain", json: request))
        }
        if output == .json {
            print(String(decoding: try FleetJSON.encoder().encode(explanation), as: UTF8.self))
        } else {
            print(explanation.text)
        }
    }

    static func explainLocally(_ request: ExplainRequest, domain: DomainName?, policyDirectory: String) throws -> Explanation {
        let set: PolicySet
        do {
            set = try PolicyLoader.load(directory: policyDirectory)
        } catch {
            throw CommandFailure.invalidPolicy(error)
        }
        let cgroups = try CgroupFS.discover()
        let compiled = PolicyCompiler.compile(set, resolver: SystemSubjectResolver(cgroups: cgroups))
        if compiled.diagnostics.contains(where: { $0.severity == .error }) {
            throw CommandFailure.invalidPolicy(PolicyValidationError(compiled.diagnostics))
        }
        var flow = try request.flowQuery(cgroups: cgroups)
        flow.domain = domain
        let decision = DecisionEngine(image: try DatapathImage(compiled)).decide(flow)
        return Explanation(decision: decision, rule: compiled.rule(decision.verdict.ruleID), generation: nil)
    }
}

/// `10.0.0.1:443/tcp`, `[2001:db8::1]:53/udp`.
struct Destination {
    let address: String
    let port: UInt16
    let transport: String

    init?(_ text: String) {
        var rest = Substring(text)
        var transport = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            transport = String(rest[rest.index(after: slash)...]).lowercased()
            rest = rest[..<slash]
            guard ["tcp", "udp", "icmp", "icmpv6", "raw"].contains(transport) else { return nil }
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":"), !rest[..<colon].contains(":") else { return nil }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard IPAddress(host) != nil, let port = UInt16(portText), port > 0 else { return nil }
        address = String(host)
        self.port = port
        self.transport = transport
    }
}
