import Testing

@testable import SluiceCore

/// The `host` alias, the unspecified address, and `spec.existingConnections`: parsed with
/// file:line diagnostics, compiled from the node's addresses, and decided as the kernel does.
@Suite struct HostAndOpenConnectionPolicyTests {
    typealias F = PolicyFixtures

    /// `World.resolver` on a node with two interface addresses.
    struct NodeResolver: SubjectResolver {
        var addresses: [IPAddress]

        func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
            World.resolver.resolveExecutable(path)
        }

        func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
            World.resolver.resolveCgroup(path)
        }

        func hostAddresses() -> [IPAddress] { addresses }
    }

    static let node = NodeResolver(addresses: [IPAddress("192.0.2.7")!, IPAddress("2001:db8::7")!, IPAddress("127.0.0.1")!])

    func engine(_ yaml: String, resolver: NodeResolver = node) throws -> (CompiledPolicy, DecisionEngine) {
        let parsed = PolicyParser.parse(yaml, file: F.file)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let set = PolicySet(parsed.policies)
        #expect(PolicyValidator.validate(set).filter { $0.severity == .error }.isEmpty)
        let compiled = PolicyCompiler.compile(set, resolver: resolver)
        #expect(compiled.diagnostics.isEmpty, "\(compiled.diagnostics)")
        return (compiled, DecisionEngine(image: try DatapathImage(compiled)))
    }

    func decide(_ engine: DecisionEngine, _ address: String, port: UInt16 = 80) -> Decision {
        engine.decide(
            FlowQuery(
                executable: nil, cgroupAncestry: [World.root], destination: IPAddress(address)!, port: port, transport: .tcp))
    }

    @Test func hostStandsForTheNodesAddressesAndTheLoopbackBlocks() throws {
        let (compiled, engine) = try engine(F.document(spec: "egress:", "  - {action: deny, to: [host], ports: [80]}"))
        #expect(compiled.hostAddresses == Self.node.addresses)
        for address in ["192.0.2.7", "2001:db8::7", "127.0.0.1", "127.9.9.9", "::1"] {
            #expect(decide(engine, address).verdict.blocks, "\(address)")
        }
        for address in ["192.0.2.8", "2001:db8::8", "10.0.0.1"] {
            #expect(!decide(engine, address).verdict.blocks, "\(address) is not this node's")
        }
        #expect(!decide(engine, "192.0.2.7", port: 81).verdict.blocks, "the rule's ports still apply")
    }

    @Test func hostWithOtherDestinationsKeepsThemAndAPolicyWithoutHostRecordsNoAddresses() throws {
        let (compiled, engine) = try engine(F.document(spec: "egress:", "  - {action: deny, to: [host, 10.0.0.0/8]}"))
        #expect(decide(engine, "10.1.2.3").verdict.blocks)
        #expect(decide(engine, "192.0.2.7").verdict.blocks)
        #expect(!decide(engine, "198.51.100.1").verdict.blocks)
        #expect(compiled.entryCount > 0)
        let (plain, _) = try self.engine(F.document(spec: "egress:", "  - {action: deny, to: [loopback]}"))
        #expect(plain.hostAddresses == nil, "an address change must not recompile a policy that does not name host")
    }

    @Test func aNewAddressChangesTheCompiledPolicy() throws {
        let yaml = F.document(spec: "egress:", "  - {action: deny, to: [host]}")
        let (_, before) = try engine(yaml)
        let (_, after) = try engine(yaml, resolver: NodeResolver(addresses: Self.node.addresses + [IPAddress("198.18.0.9")!]))
        #expect(!decide(before, "198.18.0.9").verdict.blocks)
        #expect(decide(after, "198.18.0.9").verdict.blocks)
    }

    @Test(arguments: ["0.0.0.0", "::", "::ffff:0.0.0.0"])
    func theUnspecifiedAddressIsDecidedAsLoopback(_ address: String) throws {
        let (_, engine) = try engine(F.document(spec: "egress:", "  - {action: deny, to: [loopback]}"))
        let decision = decide(engine, address)
        #expect(decision.verdict.blocks)
        #expect(decision.trace.first?.contains("unspecified address") == true)
    }

    @Test func existingConnectionsKeepMarksTheVerdicts() throws {
        let (keep, keepEngine) = try engine(
            F.document(spec: "existingConnections: keep", "default: deny", "egress:", "  - {action: deny, to: [10.0.0.0/8]}"))
        #expect(keep.node.fallback?.keepOpen == true)
        #expect(decide(keepEngine, "10.0.0.1").verdict.keepOpen)
        let (_, closeEngine) = try engine(F.document(spec: "egress:", "  - {action: deny, to: [10.0.0.0/8]}"))
        #expect(!decide(closeEngine, "10.0.0.1").verdict.keepOpen, "close is the default")
    }

    @Test func newFieldsReportProblemsAtTheirLine() {
        let bad = PolicyParser.parse(F.document(spec: "existingConnections: sometimes"), file: F.file)
        #expect(
            bad.diagnostics.map(Problem.init) == [
                Problem(6, 24, "spec.existingConnections", "\"sometimes\" is not a valid existingConnections; use close or keep")
            ])
        let misspelt = PolicyParser.parse(F.document(spec: "egress:", "  - {action: deny, to: [hosts]}"), file: F.file)
        #expect(misspelt.diagnostics.map(\.message).first?.contains("did you mean the alias \"host\"?") == true)
        let protect = PolicyParser.parse(F.document(spec: "learning: {mode: suggest, protect: [host]}"), file: F.file)
        #expect(
            protect.diagnostics.map(Problem.init) == [
                Problem(
                    6, 39, "spec.learning.protect[0]",
                    "the alias \"host\" (this node's own addresses) is allowed only in a rule's \"to\"")
            ])
    }
}
