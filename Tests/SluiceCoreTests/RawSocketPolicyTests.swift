import Testing

@testable import SluiceCore

/// `spec.rawSockets`, `protocol: raw` and `protocol: icmp`: parsed with file:line diagnostics,
/// compiled into entries of protocol raw, decided as the socket-creation hook does.
@Suite struct RawSocketPolicyTests {
    typealias F = PolicyFixtures

    func creating(_ engine: DecisionEngine, in cgroup: CgroupIdentity, family: IPAddress.Family = .ipv4) -> Decision {
        engine.decide(
            FlowQuery(
                executable: nil, cgroupAncestry: World.ancestry(of: cgroup),
                destination: IPAddress(family: family, low: 0), port: 0, transport: .raw))
    }

    @Test func rawSocketsDenyRefusesCreationToTheSubjectOnly() throws {
        let (compiled, engine) = try Policies.engine(
            Policies.document("web", "subjects: [{cgroup: app.slice/web.service}]\nrawSockets: deny"))
        for family in [IPAddress.Family.ipv4, .ipv6] {
            let decision = creating(engine, in: World.worker, family: family)
            #expect(decision.verdict.blocks)
            #expect(compiled.rule(decision.verdict.ruleID)?.rule == "rawSockets")
            #expect(!creating(engine, in: World.batch, family: family).verdict.blocks)
        }
        let tcp = engine.decide(World.flow(nil, in: World.web, to: "0.0.0.0", port: 80, .tcp))
        #expect(!tcp.verdict.blocks, "rawSockets decides only socket creation")
    }

    @Test func aMoreSpecificSubjectAllowsAndIcmpRulesMatchOnlyIcmp() throws {
        let (_, engine) = try Policies.engine(
            Policies.file(
                Policies.document(
                    "app",
                    """
                    subjects: [{cgroup: app.slice}]
                    rawSockets: deny
                    egress: [{action: deny, to: ["10.0.0.0/8"], protocol: icmp}]
                    """),
                Policies.document("web", "subjects: [{cgroup: app.slice/web.service}]\negress: [{action: allow, protocol: raw}]")))
        #expect(!creating(engine, in: World.web).verdict.blocks)
        #expect(creating(engine, in: World.app).verdict.blocks)
        func ping(_ transport: TransportProtocol) -> Bool {
            engine.decide(World.flow(nil, in: World.app, to: "10.1.2.3", port: 0, transport)).verdict.blocks
        }
        #expect(ping(.icmp))
        #expect(!ping(.udp))
    }

    @Test func badValuesAreReportedAtTheirLine() {
        let bad = PolicyParser.parse(F.document(spec: "rawSockets: never"), file: F.file)
        #expect(
            bad.diagnostics.map(Problem.init) == [
                Problem(6, 15, "spec.rawSockets", "\"never\" is not a valid rawSockets; use allow or deny")
            ])
        let withDestination = PolicyParser.parse(
            F.document(spec: "egress:", "  - {action: deny, to: [10.0.0.0/8], protocol: raw}"), file: F.file)
        #expect(
            withDestination.diagnostics.map(Problem.init) == [
                Problem(
                    7, 50, "spec.egress[0].protocol",
                    "protocol raw decides creating raw and ping sockets, which have no destination or port yet; "
                        + "leave out \"to\" and \"ports\" (or write spec.rawSockets: allow or deny)")
            ])
    }
}
