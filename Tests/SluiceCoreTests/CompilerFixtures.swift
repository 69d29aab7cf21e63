import Testing

@testable import SluiceCore

/// The test double for `stat()`: paths map to fixed identities or to a resolution error. The real
/// resolver is covered by the kernel tests.
struct TableResolver: SubjectResolver {
    var executables: [String: Result<[ExecutableIdentity], SubjectResolutionError>] = [:]
    var cgroups: [String: Result<CgroupIdentity, SubjectResolutionError>] = [:]

    func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        executables[path] ?? .failure(.missing("executable \(path) does not exist yet"))
    }

    func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
        cgroups[path] ?? .failure(.missing("cgroup \(path) does not exist yet"))
    }
}

/// A small node: a few executables and a cgroup tree.
///
///     /                        id 1,  level 0
///     /app.slice               id 10, level 1
///     /app.slice/web.service   id 11, level 2
///     /app.slice/web.service/worker   id 12, level 3
///     /batch.slice             id 20, level 1
enum World {
    static let curl = ExecutableIdentity(device: 8 << 20 | 1, inode: 1001)
    static let python = ExecutableIdentity(device: 8 << 20 | 1, inode: 1002)
    static let wget = ExecutableIdentity(device: 259 << 20 | 3, inode: 77)
    /// Not named by any policy.
    static let stranger = ExecutableIdentity(device: 8 << 20 | 2, inode: 5)

    static let root = CgroupIdentity(id: 1, level: 0, path: "")
    static let app = CgroupIdentity(id: 10, level: 1, path: "/app.slice")
    static let web = CgroupIdentity(id: 11, level: 2, path: "/app.slice/web.service")
    static let worker = CgroupIdentity(id: 12, level: 3, path: "/app.slice/web.service/worker")
    static let batch = CgroupIdentity(id: 20, level: 1, path: "/batch.slice")
    static let cgroups = [root, app, web, worker, batch]

    static let resolver = TableResolver(
        executables: [
            "/usr/bin/curl": .success([curl]),
            "/usr/bin/python3": .success([python]),
            "/usr/bin/wget": .success([wget]),
        ],
        cgroups: [
            "app.slice": .success(app),
            "app.slice/web.service": .success(web),
            "app.slice/web.service/worker": .success(worker),
            "batch.slice": .success(batch),
        ])

    /// The cgroup and its ancestors, indexed by level, from a tree given as identities whose paths
    /// nest.
    static func ancestry(of cgroup: CgroupIdentity, in tree: [CgroupIdentity] = cgroups) -> [CgroupIdentity] {
        tree.filter { $0.path.isEmpty || cgroup.path == $0.path || cgroup.path.hasPrefix($0.path + "/") }
            .sorted { $0.level < $1.level }
    }

    static func flow(
        _ executable: ExecutableIdentity?, in cgroup: CgroupIdentity = root, to destination: String, port: UInt16,
        _ transport: TransportProtocol = .tcp
    ) -> FlowQuery {
        guard let address = IPAddress(destination) else { preconditionFailure("bad fixture address \(destination)") }
        return FlowQuery(
            executable: executable, cgroupAncestry: ancestry(of: cgroup), destination: address, port: port,
            transport: transport)
    }
}

/// Policy YAML as users write it, compiled the way the agent does.
enum Policies {
    /// One policy document: the header on lines 1–4, `spec` lines from line 5, indented by two.
    static func document(_ name: String, _ spec: String) -> String {
        if spec.isEmpty { return "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: \(name)}\nspec: {}\n" }
        return "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: \(name)}\nspec:\n"
            + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
            + "\n"
    }

    /// Several documents in one file.
    static func file(_ documents: String...) -> String {
        file(documents)
    }

    static func file(_ documents: [String]) -> String {
        documents.joined(separator: "---\n")
    }

    /// Parses YAML that must be free of problems.
    static func set(_ yaml: String, file: String = "p.yaml", sourceLocation: Testing.SourceLocation = #_sourceLocation)
        -> PolicySet
    {
        let result = PolicyParser.parse(yaml, file: file)
        #expect(result.diagnostics == [], sourceLocation: sourceLocation)
        return PolicySet(result.policies)
    }

    static func compile(
        _ yaml: String, resolver: TableResolver = World.resolver, previous: CompiledPolicy? = nil,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> CompiledPolicy {
        PolicyCompiler.compile(set(yaml, sourceLocation: sourceLocation), resolver: resolver, previous: previous)
    }

    /// Compiles and builds the image, expecting no compile diagnostics.
    static func engine(
        _ yaml: String, resolver: TableResolver = World.resolver, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> (compiled: CompiledPolicy, engine: DecisionEngine) {
        let compiled = compile(yaml, resolver: resolver, sourceLocation: sourceLocation)
        #expect(compiled.diagnostics == [], sourceLocation: sourceLocation)
        return (compiled, DecisionEngine(image: try DatapathImage(compiled)))
    }
}

/// A decision reduced to what a person reads: which rule of which policy, and what it did.
struct Outcome: Hashable, Sendable, CustomStringConvertible {
    var policy: String?
    var rule: String
    var action: RuleAction
    var monitor: Bool = false
    var byDefault: Bool = false

    init(_ policy: String?, _ rule: String, _ action: RuleAction, monitor: Bool = false, byDefault: Bool = false) {
        self.policy = policy
        self.rule = rule
        self.action = action
        self.monitor = monitor
        self.byDefault = byDefault
    }

    init(_ decision: Decision, _ compiled: CompiledPolicy) {
        let info = compiled.rule(decision.verdict.ruleID)
        self.init(
            info?.policy, info?.rule ?? "?", decision.verdict.action, monitor: decision.verdict.monitor,
            byDefault: decision.byDefault)
    }

    /// The built-in node default: rule 0, allow.
    static let builtIn = Outcome(nil, "node-default", .allow, byDefault: true)

    var description: String {
        "\(policy ?? "built-in")/\(rule) -> \(action)\(monitor ? " (monitor)" : "")\(byDefault ? " by default" : "")"
    }
}

/// Port entries written compactly for table comparisons.
func portEntry(_ ports: PortRange, _ transport: TransportProtocol, _ action: RuleAction, rule: UInt32, monitor: Bool = false)
    -> PortEntry
{
    PortEntry(ports: ports, protocolNumber: transport.number, verdict: Verdict(ruleID: rule, action: action, monitor: monitor))
}

/// An entry for any protocol.
func portEntry(_ ports: PortRange, _ action: RuleAction, rule: UInt32, monitor: Bool = false) -> PortEntry {
    portEntry(ports, .any, action, rule: rule, monitor: monitor)
}

func cidr(_ text: String) -> IPPrefix { PolicyFixtures.prefix(text) }

extension PortEntry {
    /// The same entry as written for a full-length block of its own route.
    var exact: PortEntry {
        var entry = self
        entry.exactAddress = true
        return entry
    }

    /// The entry as an exact-name rule's own (an allow of it outranks feed layers).
    var exactNamed: PortEntry {
        var entry = self
        entry.exactName = true
        return entry
    }
}

func portRange(_ lower: UInt16, _ upper: UInt16) -> PortRange { PortRange(lower, upper)! }
