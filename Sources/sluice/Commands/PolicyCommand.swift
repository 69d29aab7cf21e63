import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore
import SluiceKernel

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check and explain policy; push and manage it on the server.",
        subcommands: [
            ValidateCommand.self, ExplainCommand.self, PolicyTestCommand.self, PolicyServerCommands.Push.self, PolicyServerCommands.List.self,
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

    @Option(
        help: ArgumentHelp(
            "Destination: ADDRESS:PORT or NAME:PORT, then /tcp, /udp, /icmp, /icmpv6 or /raw (default tcp); IPv6 as [addr]:port. A name is looked up here and explained as the name the application resolved. raw: may the caller create a raw or ping socket (give 0.0.0.0:0/raw).",
            valueName: "destination"))
    var to: String

    @Option(name: .customLong("policy-dir"), help: ArgumentHelp("Explain this folder instead of the agent's policy.", valueName: "dir"))
    var policyDirectory: String?

    @Option(help: ArgumentHelp("The name the application looked up (api.github.com), as the kernel attributes it from the DNS answer, for an ADDRESS:PORT destination.", valueName: "name"))
    var domain: String?

    @Option(name: .shortAndLong, help: "text or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var state: StateOptions

    func validate() throws {
        let target: ConnectTarget
        switch ConnectTarget.parse(to) {
        case .success(let parsed): target = parsed
        case .failure(let error): throw ValidationError("--to: \(error)")
        }
        if let domain {
            if case .failure(let error) = DomainName.parse(domain) { throw ValidationError("--domain: \(error)") }
            if case .name(let name) = target.host {
                throw ValidationError("--to already names \(name); give --domain with --to ADDRESS:PORT, or leave it out")
            }
        }
    }

    func run() async throws {
        guard case .success(let target) = ConnectTarget.parse(to) else { preconditionFailure("checked in validate()") }
        let request = try Self.request(to: target, domain: domain, executable: exe, cgroup: cgroup)
        let explanation: Explanation
        if let policyDirectory {
            explanation = try Self.explainLocally(request, policyDirectory: policyDirectory)
        } else {
            let client = AgentClient(layout: try state.layout())
            explanation = try client.decode(Explanation.self, from: try await client.post("/v1/explain", json: request))
        }
        if output == .json {
            print(String(decoding: try FleetJSON.encoder().encode(explanation), as: UTF8.self))
        } else {
            // The address came from this machine's resolver, which may answer differently than
            // the application's did: say which one was decided.
            if case .name(let name) = target.host { print("\(name) looked up here: \(request.destination)") }
            print(explanation.text)
        }
    }

    /// The same request for the agent and for a folder; a name is resolved here, so both decide
    /// the address rules with the address the application would reach.
    static func request(to target: ConnectTarget, domain: String?, executable: String?, cgroup: String?) throws -> ExplainRequest {
        let address: IPAddress
        var name = domain.flatMap(DomainName.init)
        switch target.host {
        case .address(let given):
            address = given
        case .name(let given):
            address = try NameLookup.firstAddress(of: given)
            name = given
        }
        return ExplainRequest(
            executable: executable, cgroup: cgroup, destination: address.description, port: target.port,
            transport: target.transport.rawValue, domain: name?.text)
    }

    static func explainLocally(_ request: ExplainRequest, policyDirectory: String) throws -> Explanation {
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
        let decision = DecisionEngine(image: try DatapathImage(compiled)).decide(try request.flowQuery(cgroups: cgroups))
        return Explanation(decision: decision, rule: compiled.rule(decision.verdict.ruleID), generation: nil)
    }
}
