import Testing

@testable import SluiceCore

/// Rule precedence (DESIGN.md) as the kernel applies it, through a compiled image.
@Suite struct DecisionEngineTests {
    typealias W = World

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var flow: FlowQuery
        var expected: Outcome

        init(_ name: String, _ flow: FlowQuery, _ expected: Outcome) {
            self.name = name
            self.flow = flow
            self.expected = expected
        }

        var testDescription: String { name }
    }

    // MARK: Subjects

    static let subjects = Policies.file(
        Policies.document(
            "curl-in-web",
            """
            subjects: [{executable: /usr/bin/curl, cgroup: app.slice/web.service}]
            egress:
              - {name: web-curl, action: alert, to: [10.0.0.0/8]}
            """),
        Policies.document(
            "curl",
            """
            subjects: [{executable: /usr/bin/curl}]
            egress:
              - {name: curl-private, action: deny, to: [10.0.0.0/8]}
              - {name: curl-docs, action: allow, to: [192.0.2.0/24]}
            """),
        Policies.document(
            "worker",
            """
            subjects: [{cgroup: app.slice/web.service/worker}]
            egress:
              - {name: worker-private, action: deny, to: [10.0.0.0/8]}
            """),
        Policies.document(
            "web",
            """
            subjects: [{cgroup: app.slice/web.service}]
            egress:
              - {name: web-private, action: allow, to: [10.0.0.0/8]}
              - {name: web-test-net, action: deny, to: [198.51.100.0/24]}
            """),
        Policies.document(
            "app",
            """
            subjects: [{cgroup: app.slice}]
            default: deny
            egress:
              - {name: app-test-net, action: allow, to: [203.0.113.0/24]}
            """),
        Policies.document(
            "node",
            """
            egress:
              - {name: dns, action: allow, ports: [53], protocol: udp}
              - {name: no-telnet, action: deny, ports: [23]}
            """))

    @Test(arguments: [
        Case(
            "executable within cgroup beats executable",
            W.flow(W.curl, in: W.web, to: "10.1.2.3", port: 443), Outcome("curl-in-web", "web-curl", .alert)),
        Case(
            "executable within cgroup covers the cgroups below and beats a deeper cgroup subject",
            W.flow(W.curl, in: W.worker, to: "10.1.2.3", port: 443), Outcome("curl-in-web", "web-curl", .alert)),
        Case(
            "executable within cgroup without a matching rule or default falls through to the executable",
            W.flow(W.curl, in: W.web, to: "192.0.2.1", port: 443), Outcome("curl", "curl-docs", .allow)),
        Case(
            "executable beats cgroup (whose default would deny)",
            W.flow(W.curl, in: W.app, to: "192.0.2.1", port: 443), Outcome("curl", "curl-docs", .allow)),
        Case(
            "executable without default falls through to the cgroup",
            W.flow(W.curl, in: W.web, to: "198.51.100.7", port: 443), Outcome("web", "web-test-net", .deny)),
        Case(
            "executable without default falls through to the node",
            W.flow(W.curl, to: "203.0.113.5", port: 443), .builtIn),
        Case(
            "cgroup beats node", W.flow(W.python, in: W.web, to: "10.1.2.3", port: 23),
            Outcome("web", "web-private", .allow)),
        Case(
            "deeper cgroup beats shallower", W.flow(W.python, in: W.worker, to: "10.1.2.3", port: 443),
            Outcome("worker", "worker-private", .deny)),
        Case(
            "cgroups without default fall through to their parent's rules",
            W.flow(W.python, in: W.worker, to: "203.0.113.5", port: 443), Outcome("app", "app-test-net", .allow)),
        Case(
            "a subject with default decides before the node",
            W.flow(W.python, in: W.web, to: "8.8.8.8", port: 53, .udp), Outcome("app", "default", .deny, byDefault: true)),
        Case(
            "node rules apply when no subject decides", W.flow(W.python, in: W.batch, to: "8.8.8.8", port: 53, .udp),
            Outcome("node", "dns", .allow)),
        Case(
            "node rule on another port", W.flow(W.python, to: "8.8.8.8", port: 23), Outcome("node", "no-telnet", .deny)),
        Case(
            "node rule is protocol specific", W.flow(W.python, to: "8.8.8.8", port: 53, .tcp), .builtIn),
        Case("built-in node default", W.flow(W.python, in: W.batch, to: "8.8.8.8", port: 443), .builtIn),
        Case(
            "without an executable only cgroup subjects apply", W.flow(nil, in: W.web, to: "10.1.2.3", port: 443),
            Outcome("web", "web-private", .allow)),
        Case(
            "an executable no policy names", W.flow(W.stranger, in: W.worker, to: "10.1.2.3", port: 443),
            Outcome("worker", "worker-private", .deny)),
    ])
    func subjectPrecedence(_ test: Case) throws {
        let (compiled, engine) = try Policies.engine(Self.subjects)
        #expect(Outcome(engine.decide(test.flow), compiled) == test.expected)
    }

    @Test func theDecidingSubjectAndTraceAreReported() throws {
        let (compiled, engine) = try Policies.engine(Self.subjects)
        let decision = engine.decide(W.flow(W.curl, in: W.web, to: "192.0.2.1", port: 443))
        #expect(decision.subject == .executable(W.curl))
        #expect(decision.matchedPrefix == cidr("192.0.2.0/24"))
        #expect(decision.byDefault == false)
        #expect(compiled.rule(decision.verdict.ruleID)?.rule == "curl-docs")
        #expect(
            decision.trace == [
                "executable 8:1:1001 in cgroup /app.slice/web.service (id 11, level 2): no rule for 192.0.2.1",
                "executable 8:1:1001 in cgroup /app.slice/web.service (id 11, level 2): no default, falls through",
                "executable 8:1:1001: rule \(decision.verdict.ruleID) matches 192.0.2.0/24 port any -> allow",
            ])

        let byDefault = engine.decide(W.flow(W.python, in: W.web, to: "8.8.8.8", port: 443))
        #expect(byDefault.subject == .cgroup(W.app))
        #expect(byDefault.matchedPrefix == nil)
        #expect(
            byDefault.trace == [
                "cgroup /app.slice/web.service (id 11, level 2): no rule for 8.8.8.8",
                "cgroup /app.slice/web.service (id 11, level 2): no default, falls through",
                "cgroup /app.slice (id 10, level 1): no rule for 8.8.8.8",
                "cgroup /app.slice (id 10, level 1): default -> deny",
            ])
    }

    /// A table holds the entries of shorter prefixes too; the decision still names the block the
    /// deciding rule was written for, not the longest route that holds it.
    @Test func theMatchedBlockIsTheDecidingRules() throws {
        let (compiled, engine) = try Policies.engine(
            Policies.document(
                "inherit",
                """
                subjects: [{executable: /usr/bin/curl}]
                egress:
                  - {name: https-anywhere, action: allow, ports: [443]}
                  - {name: lan-ssh, action: deny, to: [10.1.0.0/16], ports: [22]}
                  - {name: lan-host, action: alert, to: [10.1.2.3], ports: [8080]}
                """))
        let inherited = engine.decide(W.flow(W.curl, to: "10.1.2.3", port: 443))
        #expect(Outcome(inherited, compiled) == Outcome("inherit", "https-anywhere", .allow))
        #expect(inherited.matchedPrefix == cidr("0.0.0.0/0"))
        #expect(inherited.trace == ["executable 8:1:1001: rule 1 matches 0.0.0.0/0 port 443 -> allow"])
        #expect(engine.decide(W.flow(W.curl, to: "10.1.2.3", port: 22)).matchedPrefix == cidr("10.1.0.0/16"))
        #expect(engine.decide(W.flow(W.curl, to: "10.1.2.3", port: 8080)).matchedPrefix == cidr("10.1.2.3/32"))
        #expect(engine.decide(W.flow(W.curl, to: "2001:db8::1", port: 443)).matchedPrefix == cidr("::/0"))
    }

    // MARK: Destinations within one subject

    static let destinations = Policies.document(
        "wget",
        """
        subjects: [{executable: /usr/bin/wget}]
        egress:
          - {name: net8-https, action: allow, to: [10.0.0.0/8], ports: [443]}
          - {name: net16-any, action: deny, to: [10.1.0.0/16]}
          - {name: exact, action: allow, to: [192.0.2.0/24], ports: [8443]}
          - {name: narrow, action: alert, to: [192.0.2.0/24], ports: [8400-8500]}
          - {name: wide, action: deny, to: [192.0.2.0/24], ports: [8000-8999]}
          - {name: any-port, action: alert, to: [192.0.2.0/24]}
          - {name: dns-udp, action: allow, to: [198.51.100.0/24], ports: [53], protocol: udp}
          - {name: dns-any, action: deny, to: [198.51.100.0/24], ports: [53]}
          - {name: tie-allow, action: allow, to: [203.0.113.0/24], ports: [100-199]}
          - {name: tie-deny, action: deny, to: [203.0.113.0/24], ports: [150-249]}
          - {name: tie-alert, action: alert, to: [203.0.113.0/24], ports: [120-219]}
          - {name: v6-block, action: deny, to: ["2001:db8::/32"]}
          - {name: v6-host, action: allow, to: ["2001:db8::1"], ports: [443]}
        """)

    @Test(arguments: [
        Case(
            "longer prefix beats shorter even when the shorter has an exact port",
            W.flow(W.wget, to: "10.1.2.3", port: 443), Outcome("wget", "net16-any", .deny)),
        Case("the shorter prefix outside the longer", W.flow(W.wget, to: "10.2.0.1", port: 443), Outcome("wget", "net8-https", .allow)),
        Case("no port of the prefix matches", W.flow(W.wget, to: "10.2.0.1", port: 80), .builtIn),
        Case("exact port beats ranges and any", W.flow(W.wget, to: "192.0.2.1", port: 8443), Outcome("wget", "exact", .allow)),
        Case("narrower range beats wider", W.flow(W.wget, to: "192.0.2.1", port: 8450), Outcome("wget", "narrow", .alert)),
        Case("range beats any port", W.flow(W.wget, to: "192.0.2.1", port: 8100), Outcome("wget", "wide", .deny)),
        Case("any port", W.flow(W.wget, to: "192.0.2.200", port: 22), Outcome("wget", "any-port", .alert)),
        Case("range edges are inclusive", W.flow(W.wget, to: "192.0.2.1", port: 8999), Outcome("wget", "wide", .deny)),
        Case("just past a range", W.flow(W.wget, to: "192.0.2.1", port: 9000), Outcome("wget", "any-port", .alert)),
        Case(
            "specific protocol beats any on equal ports", W.flow(W.wget, to: "198.51.100.9", port: 53, .udp),
            Outcome("wget", "dns-udp", .allow)),
        Case(
            "the other protocol gets the any-protocol rule", W.flow(W.wget, to: "198.51.100.9", port: 53, .tcp),
            Outcome("wget", "dns-any", .deny)),
        Case(
            "a flow of no known protocol matches only any-protocol rules",
            W.flow(W.wget, to: "198.51.100.9", port: 53, .any), Outcome("wget", "dns-any", .deny)),
        Case(
            "tie of equal width: deny beats alert and allow", W.flow(W.wget, to: "203.0.113.1", port: 175),
            Outcome("wget", "tie-deny", .deny)),
        Case(
            "tie of equal width: alert beats allow", W.flow(W.wget, to: "203.0.113.1", port: 130),
            Outcome("wget", "tie-alert", .alert)),
        Case("no tie", W.flow(W.wget, to: "203.0.113.1", port: 110), Outcome("wget", "tie-allow", .allow)),
        Case("IPv6 block", W.flow(W.wget, to: "2001:db8::5", port: 80), Outcome("wget", "v6-block", .deny)),
        Case("IPv6 host with port", W.flow(W.wget, to: "2001:db8::1", port: 443), Outcome("wget", "v6-host", .allow)),
        Case("IPv6 outside every block", W.flow(W.wget, to: "2001:db9::1", port: 443), .builtIn),
        Case(
            "an IPv4-mapped destination obeys the IPv4 rules", W.flow(W.wget, to: "::ffff:10.1.2.3", port: 443),
            Outcome("wget", "net16-any", .deny)),
        Case(
            "IPv6 with the same low bits as an IPv4 rule is not IPv4", W.flow(W.wget, to: "::a01:203", port: 443),
            .builtIn),
    ])
    func destinationPrecedence(_ test: Case) throws {
        let (compiled, engine) = try Policies.engine(Self.destinations)
        #expect(Outcome(engine.decide(test.flow), compiled) == test.expected)
    }

    @Test func familiesAreSeparateForRulesWithoutTo() throws {
        let (compiled, engine) = try Policies.engine(
            Policies.document(
                "split",
                """
                subjects: [{executable: /usr/bin/curl}]
                egress:
                  - {name: v4-any, action: deny, to: [0.0.0.0/0]}
                  - {name: v6-any, action: alert, to: ["::/0"], ports: [443]}
                """))
        #expect(Outcome(engine.decide(W.flow(W.curl, to: "1.2.3.4", port: 443)), compiled) == Outcome("split", "v4-any", .deny))
        #expect(Outcome(engine.decide(W.flow(W.curl, to: "2001:db8::1", port: 443)), compiled) == Outcome("split", "v6-any", .alert))
        #expect(Outcome(engine.decide(W.flow(W.curl, to: "2001:db8::1", port: 80)), compiled) == .builtIn)
    }

    // MARK: Monitor mode and defaults

    @Test func monitorModeReportsDenyButDoesNotBlock() throws {
        let (compiled, engine) = try Policies.engine(
            Policies.file(
                Policies.document(
                    "watch",
                    """
                    mode: monitor
                    subjects: [{executable: /usr/bin/curl}]
                    default: deny
                    egress:
                      - {name: no-ssh, action: deny, ports: [22]}
                      - {name: web, action: allow, ports: [443]}
                    """),
                Policies.document(
                    "enforced",
                    """
                    subjects: [{executable: /usr/bin/wget}]
                    egress:
                      - {name: no-ssh, action: deny, ports: [22]}
                    """)))
        let rule = engine.decide(W.flow(W.curl, to: "192.0.2.1", port: 22))
        #expect(Outcome(rule, compiled) == Outcome("watch", "no-ssh", .deny, monitor: true))
        #expect(rule.verdict.blocks == false)
        let fallback = engine.decide(W.flow(W.curl, to: "192.0.2.1", port: 80))
        #expect(Outcome(fallback, compiled) == Outcome("watch", "default", .deny, monitor: true, byDefault: true))
        #expect(fallback.verdict.blocks == false)
        #expect(engine.decide(W.flow(W.curl, to: "192.0.2.1", port: 443)).verdict.blocks == false)
        let enforced = engine.decide(W.flow(W.wget, to: "192.0.2.1", port: 22))
        #expect(Outcome(enforced, compiled) == Outcome("enforced", "no-ssh", .deny))
        #expect(enforced.verdict.blocks)
    }

    @Test func theBuiltInNodeDefaultIsRuleZeroAllow() throws {
        let compiled = PolicyCompiler.compile(.empty, resolver: W.resolver)
        #expect(compiled.rules == [.builtInDefault])
        #expect(RuleInfo.builtInDefault.id == 0 && RuleInfo.builtInDefault.action == .allow)
        let image = try DatapathImage(compiled)
        #expect(image.node == SubjectRecord(index: 0, fallback: Verdict(ruleID: 0, action: .allow, monitor: false)))
        let decision = DecisionEngine(image: image).decide(W.flow(W.curl, in: W.web, to: "10.0.0.1", port: 22))
        #expect(decision.subject == nil)
        #expect(decision.verdict == Verdict(ruleID: 0, action: .allow, monitor: false))
        #expect(decision.byDefault)
        #expect(decision.verdict.blocks == false)
        #expect(decision.trace == ["node: no rule for 10.0.0.1", "node: default -> allow"])
    }

    @Test func aNodePolicyDefaultReplacesTheBuiltIn() throws {
        let (compiled, engine) = try Policies.engine(
            Policies.document(
                "lockdown",
                """
                default: deny
                egress:
                  - {action: allow, to: [10.0.0.0/8]}
                """))
        #expect(compiled.rules.map(\.rule) == ["node-default", "egress[0]", "default"])
        #expect(Outcome(engine.decide(W.flow(nil, to: "10.0.0.1", port: 1)), compiled) == Outcome("lockdown", "egress[0]", .allow))
        let denied = engine.decide(W.flow(nil, to: "11.0.0.1", port: 1))
        #expect(Outcome(denied, compiled) == Outcome("lockdown", "default", .deny, byDefault: true))
        #expect(denied.verdict == Verdict(ruleID: 2, action: .deny, monitor: false))
        #expect(denied.verdict.blocks)
    }

    @Test func subjectsAtDepthsTheCallerDoesNotReachAreSkipped() throws {
        // The caller sits at level 1; the kernel's ancestor lookup for level 3 returns 0.
        let (compiled, engine) = try Policies.engine(Self.subjects)
        #expect(engine.image.cgroupLevels == [3, 2, 1])
        let decision = engine.decide(W.flow(W.python, in: W.batch, to: "10.1.2.3", port: 443))
        #expect(Outcome(decision, compiled) == .builtIn)
        #expect(decision.trace == ["node: rules for 0.0.0.0/0 do not cover port 443/tcp", "node: default -> allow"])
    }
}
