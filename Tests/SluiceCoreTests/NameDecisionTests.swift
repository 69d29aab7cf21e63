import Testing

@testable import SluiceCore

/// How a name rule weighs against the others (DESIGN.md, rule precedence 4): as specific as an
/// exact address, exact names before wildcards, longer suffixes before shorter.
@Suite struct NameDecisionTests {
    func engine(_ egress: String) throws -> (CompiledPolicy, DecisionEngine) {
        try Policies.engine(Policies.document("names", "egress:\n" + egress))
    }

    func decide(
        _ engine: DecisionEngine, _ domain: String?, to address: String = "192.0.2.10", port: UInt16 = 443,
        _ transport: TransportProtocol = .tcp
    ) -> Decision {
        var flow = World.flow(nil, to: address, port: port, transport)
        flow.domain = domain.map { DomainName($0)! }
        return engine.decide(flow)
    }

    func rule(_ decision: Decision, _ compiled: CompiledPolicy) -> String {
        compiled.rule(decision.verdict.ruleID)?.rule ?? "?"
    }

    @Test func exactNameBeatsWildcardAndLongerSuffixBeatsShorter() throws {
        let (compiled, engine) = try engine(
            """
              - {name: com, action: deny, to: ["*.com"]}
              - {name: github, action: alert, to: ["*.github.com"]}
              - {name: api, action: allow, to: [api.github.com]}
            """)
        #expect(rule(decide(engine, "api.github.com"), compiled) == "api")
        #expect(rule(decide(engine, "API.GitHub.com."), compiled) == "api")
        #expect(rule(decide(engine, "x.api.github.com"), compiled) == "github")
        #expect(rule(decide(engine, "github.com"), compiled) == "com", "a wildcard does not match its own suffix")
        #expect(rule(decide(engine, "example.com"), compiled) == "com")
        #expect(decide(engine, "example.org").byDefault)
        #expect(decide(engine, nil).byDefault, "no name attributed: only addresses decide")
        let decision = decide(engine, "x.api.github.com")
        #expect(decision.matchedName == .wildcard(DomainName("github.com")!))
        #expect(decision.matchedPrefix == nil)
    }

    @Test func aNameOutranksEveryBlockButAnExactAddress() throws {
        let (compiled, engine) = try engine(
            """
              - {name: lan, action: deny, to: [192.0.2.0/24], ports: [443], protocol: tcp}
              - {name: github, action: allow, to: ["*.github.com"]}
            """)
        let decision = decide(engine, "api.github.com")
        #expect(rule(decision, compiled) == "github", "a /24 is less specific than any name, however narrow its ports")
        #expect(rule(decide(engine, "example.org"), compiled) == "lan")
    }

    @Test func againstAnExactAddressPortsThenProtocolThenSeverityThenModeDecide() throws {
        let (compiled, engine) = try engine(
            """
              - {name: host-https, action: allow, to: [192.0.2.10], ports: [443]}
              - {name: name-any, action: deny, to: [a.example.com]}
              - {name: host-any, action: deny, to: [192.0.2.10]}
              - {name: name-https, action: allow, to: [b.example.com], ports: [443]}
              - {name: host-tcp, action: allow, to: [192.0.2.20], ports: [443], protocol: tcp}
              - {name: name-any-proto, action: deny, to: [c.example.com], ports: [443]}
              - {name: name-udp, action: allow, to: [d.example.com], ports: [443], protocol: udp}
              - {name: host-udp, action: alert, to: [192.0.2.30], ports: [443], protocol: udp}
              - {name: name-deny, action: deny, to: [e.example.com], ports: [443], protocol: udp}
            """)
        // Narrower ports win either way.
        #expect(rule(decide(engine, "a.example.com"), compiled) == "host-https")
        #expect(rule(decide(engine, "b.example.com", port: 443), compiled) == "name-https")
        #expect(rule(decide(engine, "b.example.com", port: 80), compiled) == "host-any")
        // Same ports: a specific protocol wins.
        #expect(rule(decide(engine, "c.example.com", to: "192.0.2.20"), compiled) == "host-tcp")
        // Same ports and protocol: the more severe action wins.
        #expect(rule(decide(engine, "d.example.com", to: "192.0.2.30", port: 443, .udp), compiled) == "host-udp")
        #expect(rule(decide(engine, "e.example.com", to: "192.0.2.30", port: 443, .udp), compiled) == "name-deny")
    }

    @Test func aFullTieGoesToTheName() throws {
        let (compiled, engine) = try engine(
            """
              - {name: host, action: deny, to: [192.0.2.10], ports: [443], protocol: tcp}
              - {name: name, action: deny, to: [api.example.com], ports: [443], protocol: tcp}
            """)
        let decision = decide(engine, "api.example.com")
        #expect(rule(decision, compiled) == "name")
        #expect(decision.matchedName?.description == "api.example.com")
        #expect(Explanation(decision: decision, rule: compiled.rule(decision.verdict.ruleID), generation: nil).text.contains("matched:    name api.example.com"))
    }

    @Test func enforcedBeatsMonitoredOnATie() throws {
        let yaml = Policies.file(
            Policies.document("watch", "mode: monitor\negress:\n  - {name: name, action: deny, to: [api.example.com], ports: [443]}"),
            Policies.document("block", "egress:\n  - {name: host, action: deny, to: [192.0.2.10], ports: [443]}"))
        let (compiled, engine) = try Policies.engine(yaml)
        let decision = decide(engine, "api.example.com")
        #expect(compiled.rule(decision.verdict.ruleID)?.policy == "block")
        #expect(decision.verdict.blocks)
    }

    @Test func inheritedBlockEntriesAreNotExactAddresses() throws {
        // The /32 route exists for another port, so its table carries the /24's entry, which
        // must still lose to the name.
        let (compiled, engine) = try engine(
            """
              - {name: host-ssh, action: allow, to: [192.0.2.10], ports: [22]}
              - {name: block, action: deny, to: [192.0.2.0/24], ports: [443], protocol: tcp}
              - {name: name, action: allow, to: [api.example.com]}
            """)
        #expect(rule(decide(engine, "api.example.com"), compiled) == "name")
        #expect(rule(decide(engine, "api.example.com", port: 22), compiled) == "host-ssh", "the host's own entry is exact, and narrower")
    }

    @Test func aNameRouteThatDoesNotCoverThePortLeavesTheAddress() throws {
        let (compiled, engine) = try engine(
            """
              - {name: block, action: deny, to: [192.0.2.0/24]}
              - {name: name, action: allow, to: [api.example.com], ports: [443]}
            """)
        let decision = decide(engine, "api.example.com", port: 80)
        #expect(rule(decision, compiled) == "block")
        #expect(decision.trace.contains { $0.contains("rules for api.example.com do not cover port 80") })
    }

    @Test func aLessSpecificSubjectsNameDoesNotBeatAMoreSpecificSubject() throws {
        let yaml = Policies.file(
            Policies.document("node", "egress:\n  - {name: node-name, action: deny, to: [api.example.com]}"),
            Policies.document(
                "curl", "subjects: [{executable: /usr/bin/curl}]\negress:\n  - {name: curl-any, action: allow, to: [0.0.0.0/0]}"))
        let (compiled, engine) = try Policies.engine(yaml)
        var flow = World.flow(World.curl, to: "192.0.2.10", port: 443)
        flow.domain = DomainName("api.example.com")
        #expect(compiled.rule(engine.decide(flow).verdict.ruleID)?.rule == "curl-any")
        flow.executable = World.wget
        #expect(compiled.rule(engine.decide(flow).verdict.ruleID)?.rule == "node-name")
    }
}
