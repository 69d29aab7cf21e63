import Testing

@testable import SluiceCore

/// `spec.encryptedDNS`: parsed with file:line diagnostics, compiled into rules for port 853 and
/// the known DoH resolvers, ranked against the policy's own rules as the kernel ranks them.
@Suite struct EncryptedDNSPolicyTests {
    typealias F = PolicyFixtures
    static let subject = "subjects: [{cgroup: app.slice/web.service}]"
    static let google = EncryptedDNSResolvers.all.first { $0.provider == "Google Public DNS" }!.label
    static let cloudflare = EncryptedDNSResolvers.all.first { $0.provider == "Cloudflare" }!.label

    func engine(_ spec: String) throws -> (compiled: CompiledPolicy, engine: DecisionEngine) {
        try Policies.engine(Policies.document("web", Self.subject + "\n" + spec))
    }

    func outcome(
        _ policy: (compiled: CompiledPolicy, engine: DecisionEngine), to address: String, port: UInt16,
        _ transport: TransportProtocol = .tcp, domain: String? = nil
    ) -> Outcome {
        var flow = World.flow(nil, in: World.web, to: address, port: port, transport)
        flow.domain = domain.map { DomainName($0)! }
        return Outcome(policy.engine.decide(flow), policy.compiled)
    }

    @Test func theSettingIsReadWithItsLocation() {
        let result = PolicyParser.parse(F.document(spec: "encryptedDNS: deny"), file: F.file)
        #expect(result.diagnostics == [])
        #expect(result.policies.first?.encryptedDNS == Located(.deny, at: F.at(6, 17), field: "spec.encryptedDNS"))
        let allowed = PolicyParser.parse(F.document(spec: "encryptedDNS: allow"), file: F.file)
        #expect(allowed.policies.first?.encryptedDNS?.value == .allow)
    }

    @Test func badValuesAreReportedAtTheirLine() {
        let bad = PolicyParser.parse(F.document(spec: "encryptedDNS: block"), file: F.file)
        #expect(
            bad.diagnostics.map(Problem.init) == [
                Problem(6, 17, "spec.encryptedDNS", "\"block\" is not a valid encryptedDNS; use allow or deny")
            ])
        let alert = PolicyParser.parse(F.document(spec: "egress: []", "encryptedDNS: alert"), file: F.file)
        #expect(alert.diagnostics.map(\.location) == [F.at(7, 17)])
        #expect(alert.diagnostics.map(\.field) == ["spec.encryptedDNS"])
    }

    @Test func theResolverListIsWellFormed() {
        let resolvers = EncryptedDNSResolvers.all
        #expect(Set(resolvers.map(\.label)).count == resolvers.count, "labels name one resolver each")
        for resolver in resolvers {
            guard case .exact = resolver.names.first else {
                Issue.record("\(resolver.provider): the first name labels the rule, so it must be an exact name")
                continue
            }
        }
        let addresses = resolvers.flatMap(\.addresses)
        #expect(Set(addresses).count == addresses.count, "an address belongs to one resolver")
        let names = resolvers.flatMap(\.names)
        #expect(Set(names).count == names.count)
    }

    @Test func denyCompilesOneRuleForPort853AndOnePerResolver() throws {
        let (compiled, _) = try engine("encryptedDNS: deny")
        let generated = compiled.rules.filter { $0.rule.hasPrefix(EncryptedDNSResolvers.ruleName) }
        #expect(
            generated.map(\.rule) == [EncryptedDNSResolvers.privateDNSLabel] + EncryptedDNSResolvers.all.map(\.label))
        for rule in generated {
            #expect(rule.policy == "web")
            #expect(rule.action == .deny)
            #expect(rule.location == SluiceCore.SourceLocation(file: "p.yaml", line: 6, column: 17))
        }
    }

    @Test func denyRefusesDNSOverTLSAndQUICToAnyAddress() throws {
        let policy = try engine("encryptedDNS: deny")
        let dot = Outcome("web", EncryptedDNSResolvers.privateDNSLabel, .deny)
        #expect(outcome(policy, to: "203.0.113.5", port: 853) == dot)
        #expect(outcome(policy, to: "203.0.113.5", port: 853, .udp) == dot)
        #expect(outcome(policy, to: "2001:db8::53", port: 853) == dot)
        let elsewhere = Outcome(
            policy.engine.decide(World.flow(nil, in: World.batch, to: "203.0.113.5", port: 853)), policy.compiled)
        #expect(elsewhere == .builtIn, "only the policy's subjects")
    }

    @Test func denyRefusesKnownResolversOnHTTPSByAddressAndByName() throws {
        let policy = try engine("encryptedDNS: deny")
        #expect(outcome(policy, to: "8.8.8.8", port: 443) == Outcome("web", Self.google, .deny))
        #expect(outcome(policy, to: "2001:4860:4860::8844", port: 443, .udp) == Outcome("web", Self.google, .deny))
        #expect(outcome(policy, to: "192.0.2.10", port: 443, domain: "dns.google") == Outcome("web", Self.google, .deny))
        #expect(
            outcome(policy, to: "192.0.2.10", port: 443, domain: "security.cloudflare-dns.com")
                == Outcome("web", Self.cloudflare, .deny))
        #expect(outcome(policy, to: "140.82.112.3", port: 443, domain: "api.github.com") == .builtIn)
        #expect(outcome(policy, to: "8.8.8.8", port: 53, .udp) == .builtIn, "plain DNS stays visible, so stays allowed")
    }

    @Test func explainSaysWhy() throws {
        let policy = try engine("encryptedDNS: deny")
        var flow = World.flow(nil, in: World.web, to: "192.0.2.10", port: 443)
        flow.domain = DomainName("dns.google")
        let decision = policy.engine.decide(flow)
        let text = Explanation(decision: decision, rule: policy.compiled.rule(decision.verdict.ruleID), generation: nil).text
        #expect(text.contains("decided by: rule encryptedDNS (DoH resolver dns.google) of policy web at p.yaml:6:17"))
        #expect(text.contains("matched:    name dns.google"))
    }

    @Test func aWrittenRuleNamingAResolverDecidesItByNameAndAddress() throws {
        let policy = try engine(
            """
            encryptedDNS: deny
            egress: [{name: google-doh, action: allow, to: [dns.google], ports: [443]}]
            """)
        let allowed = Outcome("web", "google-doh", .allow)
        #expect(outcome(policy, to: "8.8.8.8", port: 443, domain: "dns.google") == allowed)
        #expect(outcome(policy, to: "8.8.8.8", port: 443) == .builtIn, "Google's addresses are left to the policy too")
        #expect(outcome(policy, to: "1.1.1.1", port: 443) == Outcome("web", Self.cloudflare, .deny))
        #expect(!policy.compiled.rules.map(\.rule).contains(Self.google))
    }

    @Test func aMoreSpecificWrittenRuleWinsByTheUsualPrecedence() throws {
        let policy = try engine(
            """
            encryptedDNS: deny
            egress: [{name: quad9-dot, action: allow, to: [9.9.9.9], ports: [853], protocol: tcp}]
            """)
        #expect(outcome(policy, to: "9.9.9.9", port: 853) == Outcome("web", "quad9-dot", .allow))
        #expect(outcome(policy, to: "1.1.1.1", port: 853) == Outcome("web", EncryptedDNSResolvers.privateDNSLabel, .deny))
    }

    @Test func aWrittenRuleWithTheSameEntryReplacesTheGeneratedOne() throws {
        let policy = try engine(
            """
            encryptedDNS: deny
            egress: [{name: dot, action: allow, ports: [853]}]
            """)
        #expect(outcome(policy, to: "203.0.113.5", port: 853) == Outcome("web", "dot", .allow))
        #expect(outcome(policy, to: "8.8.8.8", port: 443) == Outcome("web", Self.google, .deny))
    }

    @Test func allowInAMoreSpecificPolicyOverridesADeny() throws {
        let policy = try Policies.engine(
            Policies.file(
                Policies.document("app", "subjects: [{cgroup: app.slice}]\nencryptedDNS: deny\ndefault: deny"),
                Policies.document("web", Self.subject + "\nencryptedDNS: allow")))
        #expect(outcome(policy, to: "8.8.8.8", port: 443) == Outcome("web", Self.google, .allow))
        #expect(outcome(policy, to: "140.82.112.3", port: 443) == Outcome("app", "default", .deny, byDefault: true))
        let inApp = Outcome(policy.engine.decide(World.flow(nil, in: World.app, to: "8.8.8.8", port: 443)), policy.compiled)
        #expect(inApp == Outcome("app", Self.google, .deny))
    }

    @Test func monitorModeOnlyReports() throws {
        let policy = try engine("mode: monitor\nencryptedDNS: deny")
        #expect(outcome(policy, to: "8.8.8.8", port: 443) == Outcome("web", Self.google, .deny, monitor: true))
    }

    @Test func leftOutTheSettingChangesNothing() throws {
        let without = try engine("egress: [{action: allow, to: [0.0.0.0/0], ports: [443]}]")
        #expect(!without.compiled.rules.contains { $0.rule.hasPrefix(EncryptedDNSResolvers.ruleName) })
        #expect(outcome(without, to: "8.8.8.8", port: 443, domain: "dns.google") == Outcome("web", "egress[0]", .allow))
        #expect(outcome(without, to: "203.0.113.5", port: 853) == .builtIn)
        #expect(
            PolicyParser.parse(F.document(spec: "default: deny"), file: F.file).policies.first?.encryptedDNSRules == [])
    }

    @Test func generatedRulesKeepTheirIdsAcrossCompiles() throws {
        let yaml = Policies.document("web", Self.subject + "\nencryptedDNS: deny")
        let first = Policies.compile(yaml)
        let edited = Policies.compile(
            Policies.document("web", Self.subject + "\nencryptedDNS: deny\negress: [{action: allow, to: [10.0.0.0/8]}]"),
            previous: first)
        for rule in first.rules where rule.rule.hasPrefix(EncryptedDNSResolvers.ruleName) {
            #expect(edited.rule(rule.id)?.rule == rule.rule)
        }
    }
}
