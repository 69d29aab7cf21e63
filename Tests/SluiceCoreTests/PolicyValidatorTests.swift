import Testing

@testable import SluiceCore

@Suite struct PolicyValidatorTests {
    typealias F = PolicyFixtures

    /// A rule for `makePolicy`: destinations as text (empty: any), ports (empty: any).
    struct RuleSpec {
        var action: RuleAction
        var to: [String] = []
        var ports: [PortRange] = []
        var transport: TransportProtocol = .any
        var name: String?
    }

    /// A policy whose parts sit at predictable places of `file`: subjects on line 5, the default
    /// on line 6, rule `i` on line `10 + i` with its destination `j` at column `12 + 20 * j`.
    static func makePolicy(
        _ name: String, file: String = "v.yaml", mode: PolicyMode = .enforce, subjects: [Subject] = [],
        default defaultAction: RuleAction? = nil, rules: [RuleSpec] = []
    ) -> Policy {
        let egress = rules.enumerated().map { index, spec in
            EgressRule(
                name: spec.name, action: spec.action,
                destinations: spec.to.enumerated().map { j, text in
                    Located(
                        F.prefix(text), at: F.at(10 + index, 12 + 20 * j, file: file),
                        field: "spec.egress[\(index)].to[\(j)]")
                },
                ports: spec.ports.map {
                    Located($0, at: F.at(10 + index, 40, file: file), field: "spec.egress[\(index)].ports[0]")
                },
                transport: spec.transport, index: index, location: F.at(10 + index, 7, file: file))
        }
        return Policy(
            name: name, mode: mode,
            subjects: subjects.enumerated().map {
                Located($1, at: F.at(5, 7 + $0, file: file), field: "spec.subjects[\($0)]")
            },
            defaultAction: defaultAction.map { Located($0, at: F.at(6, 12, file: file), field: "spec.default") },
            egress: egress, location: F.at(1, 1, file: file))
    }

    static let curl = Subject.executable("/usr/bin/curl")

    @Test func repeatedPolicyNameIsAnErrorAtTheSecond() {
        let set = PolicySet([
            Self.makePolicy("web", file: "a.yaml"), Self.makePolicy("db", file: "a.yaml"),
            Self.makePolicy("web", file: "b.yaml"),
        ])
        #expect(
            PolicyValidator.validate(set) == [
                PolicyDiagnostic(
                    at: F.at(1, 1, file: "b.yaml"), field: "metadata.name",
                    "policy name \"web\" is already used by the policy at a.yaml:1:1; policy names must be unique")
            ])
    }

    @Test func contradictionAcrossTwoFilesCitesBoth() throws {
        let a = """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: web}
            spec:
              subjects: [{executable: /usr/bin/curl}]
              egress:
                - name: https-out
                  action: allow
                  to: [10.0.0.0/8]
                  ports: [443]
                  protocol: tcp
            """
        let b = """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: lockdown}
            spec:
              subjects: [{executable: /usr//bin/curl/}]
              egress:
                - action: deny
                  to: [192.0.2.0/24, 10.0.0.0/8]
                  ports: [443]
                  protocol: tcp
            """
        let first = PolicyParser.parse(a, file: "a.yaml")
        let second = PolicyParser.parse(b, file: "b.yaml")
        #expect(first.diagnostics.isEmpty && second.diagnostics.isEmpty)
        let diagnostics = PolicyValidator.validate(PolicySet(first.policies + second.policies))
        #expect(
            diagnostics == [
                PolicyDiagnostic(
                    at: F.at(8, 26, file: "b.yaml"), field: "spec.egress[0].to[1]",
                    "rule egress[0] of policy \"lockdown\" contradicts rule https-out of policy \"web\" at a.yaml:9:12: "
                        + "for executable /usr//bin/curl/, 10.0.0.0/8 port 443 tcp gets deny here but allow there")
            ])
    }

    @Test func sameActionInAnotherModeContradicts() {
        let set = PolicySet([
            Self.makePolicy("a", subjects: [Self.curl], rules: [RuleSpec(action: .allow, to: ["192.0.2.0/24"])]),
            Self.makePolicy(
                "b", file: "w.yaml", mode: .monitor, subjects: [Self.curl],
                rules: [RuleSpec(action: .allow, to: ["192.0.2.0/24"])]),
        ])
        #expect(
            PolicyValidator.validate(set) == [
                PolicyDiagnostic(
                    at: F.at(10, 12, file: "w.yaml"), field: "spec.egress[0].to[0]",
                    "rule egress[0] of policy \"b\" contradicts rule egress[0] of policy \"a\" at v.yaml:10:12: "
                        + "for executable /usr/bin/curl, 192.0.2.0/24 any port any protocol gets allow in monitor mode here "
                        + "but allow in enforce mode there")
            ])
    }

    /// Two spellings of one subject, and subjects that only look alike.
    @Test(arguments: [
        (Subject.executable("/usr/bin/curl"), Subject.executable("/usr//bin/curl/"), true),
        (.executable("/usr/bin/curl"), .executable("/usr/bin/curl2"), false),
        (.cgroup("/app.slice/"), .cgroup("app.slice"), true),
        (.cgroup("app.slice"), .cgroup("app.slice/web.service"), false),
        (.executable("/usr/bin/curl"), .cgroup("/usr/bin/curl"), false),
        (
            .executableInCgroup(executable: "/bin/a", cgroup: "x"),
            .executableInCgroup(executable: "/bin//a", cgroup: "/x/"), true
        ),
        (.executable("/bin/a"), .executableInCgroup(executable: "/bin/a", cgroup: "x"), false),
    ])
    func comparesSubjectsByCanonicalPath(first: Subject, second: Subject, contradicts: Bool) {
        let set = PolicySet([
            Self.makePolicy("a", subjects: [first], rules: [RuleSpec(action: .allow, ports: [PortRange(53)])]),
            Self.makePolicy("b", subjects: [second], rules: [RuleSpec(action: .deny, ports: [PortRange(53)])]),
        ])
        // A rule without `to` covers both families; the pair is reported once.
        #expect(PolicyValidator.validate(set).count == (contradicts ? 1 : 0))
    }

    @Test func nodeDefaultPoliciesAreOneSubject() {
        let set = PolicySet([
            Self.makePolicy("base", rules: [RuleSpec(action: .allow, to: ["10.0.0.0/8"])]),
            Self.makePolicy("curl", subjects: [Self.curl], rules: [RuleSpec(action: .deny, to: ["10.0.0.0/8"])]),
            Self.makePolicy("strict", file: "s.yaml", rules: [RuleSpec(action: .deny, to: ["10.0.0.0/8"])]),
        ])
        #expect(
            PolicyValidator.validate(set).map(Problem.init) == [
                Problem(
                    10, 12, "spec.egress[0].to[0]",
                    "rule egress[0] of policy \"strict\" contradicts rule egress[0] of policy \"base\" at v.yaml:10:12: "
                        + "for the node default, 10.0.0.0/8 any port any protocol gets deny here but allow there")
            ])
    }

    /// Overlaps are settled by precedence, not reported: only exact entries contradict.
    @Test(arguments: [
        (RuleSpec(action: .allow, to: ["10.0.0.0/8"]), RuleSpec(action: .deny, to: ["10.0.0.0/16"]), false),
        (
            RuleSpec(action: .allow, ports: [PortRange(443)]), RuleSpec(action: .deny, ports: [PortRange(400, 500)!]),
            false
        ),
        (RuleSpec(action: .allow, transport: .tcp), RuleSpec(action: .deny, transport: .any), false),
        (RuleSpec(action: .allow, transport: .tcp), RuleSpec(action: .deny, transport: .udp), false),
        (RuleSpec(action: .allow, to: ["::/0"]), RuleSpec(action: .deny, to: ["0.0.0.0/0"]), false),
        (RuleSpec(action: .allow), RuleSpec(action: .deny, to: ["::/0"]), true),  // no `to` is both families
        (RuleSpec(action: .allow, ports: [PortRange(80)]), RuleSpec(action: .alert, ports: [PortRange(80)]), true),
        (RuleSpec(action: .allow, ports: [PortRange(80)]), RuleSpec(action: .allow, ports: [PortRange(80)]), false),
    ])
    func onlyExactEntriesContradict(first: RuleSpec, second: RuleSpec, contradicts: Bool) {
        let set = PolicySet([Self.makePolicy("a", subjects: [Self.curl], rules: [first, second])])
        #expect(PolicyValidator.validate(set).filter { $0.severity == .error }.count == (contradicts ? 1 : 0))
    }

    @Test func everyContradictionIsFoundNotOnlyThoseWithTheFirstRule() {
        let rules = [RuleAction.allow, .deny, .allow].map { RuleSpec(action: $0, to: ["192.0.2.0/24"]) }
        let set = PolicySet([Self.makePolicy("a", subjects: [Self.curl], rules: rules)])
        #expect(
            PolicyValidator.validate(set).map(Problem.init) == [
                Problem(
                    11, 12, "spec.egress[1].to[0]",
                    "rule egress[1] of policy \"a\" contradicts rule egress[0] of policy \"a\" at v.yaml:10:12: "
                        + "for executable /usr/bin/curl, 192.0.2.0/24 any port any protocol gets deny here but allow there"
                ),
                Problem(
                    12, 12, "spec.egress[2].to[0]",
                    "rule egress[2] of policy \"a\" contradicts rule egress[1] of policy \"a\" at v.yaml:11:12: "
                        + "for executable /usr/bin/curl, 192.0.2.0/24 any port any protocol gets allow here but deny there"
                ),
                // True as well: the first rule already allows what the third allows.
                Problem(
                    12, 7, "spec.egress[2]",
                    "rule egress[2] of policy \"a\" has no effect: earlier rules already give every destination, port and "
                        + "protocol it lists the same action, starting with rule egress[0] of policy \"a\" at v.yaml:10:12",
                    .warning),
            ])
    }

    @Test func aPairOfRulesIsReportedOnceHoweverManyEntriesTheyShare() {
        let shared = RuleSpec(
            action: .allow, to: ["10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/8"], ports: [PortRange(80), PortRange(443)],
            transport: .tcp, name: "web")
        var denied = shared
        denied.action = .deny
        denied.name = "block"
        let set = PolicySet([
            Self.makePolicy("a", subjects: [Self.curl, .cgroup("web")], rules: [shared]),
            Self.makePolicy("b", file: "b.yaml", subjects: [Self.curl, .cgroup("web")], rules: [denied]),
        ])
        #expect(
            PolicyValidator.validate(set).map(Problem.init) == [
                Problem(
                    10, 12, "spec.egress[0].to[0]",
                    "rule block of policy \"b\" contradicts rule web of policy \"a\" at v.yaml:10:12: "
                        + "for executable /usr/bin/curl, 10.0.0.0/8 port 80 tcp gets deny here but allow there")
            ])
    }

    @Test func conflictingDefaultsForOneSubject() {
        let set = PolicySet([
            Self.makePolicy("a", subjects: [Self.curl], default: .allow),
            Self.makePolicy(
                "b", file: "b.yaml", subjects: [.cgroup("web"), .executable("/usr/bin//curl")], default: .deny),
        ])
        #expect(
            PolicyValidator.validate(set) == [
                PolicyDiagnostic(
                    at: F.at(6, 12, file: "b.yaml"), field: "spec.default",
                    "policy \"b\" sets default deny for executable /usr/bin//curl, but policy \"a\" at v.yaml:6:12 sets "
                        + "default allow for it")
            ])
    }

    @Test func defaultsInDifferentModesConflict() {
        let set = PolicySet([
            Self.makePolicy("a", default: .deny),
            Self.makePolicy("b", file: "b.yaml", mode: .monitor, default: .deny),
        ])
        #expect(
            PolicyValidator.validate(set).map(\.message) == [
                "policy \"b\" sets default deny in monitor mode for the node default, but policy \"a\" at v.yaml:6:12 sets "
                    + "default deny in enforce mode for it"
            ])
    }

    @Test func agreeingOrUnrelatedDefaultsAreFine() {
        let set = PolicySet([
            Self.makePolicy("node", default: .deny),
            Self.makePolicy("node-again", default: .deny),
            Self.makePolicy("curl", subjects: [Self.curl], default: .allow),
            Self.makePolicy("curl-no-default", subjects: [Self.curl]),
            Self.makePolicy("web", subjects: [.cgroup("web")], default: .alert),
        ])
        #expect(PolicyValidator.validate(set) == [])
    }

    @Test func aRuleThatRepeatsEarlierRulesHasNoEffect() {
        let set = PolicySet([
            Self.makePolicy(
                "a", subjects: [Self.curl], rules: [RuleSpec(action: .allow, to: ["10.0.0.0/8", "192.0.2.0/24"])]),
            Self.makePolicy(
                "b", file: "b.yaml", subjects: [Self.curl],
                rules: [
                    RuleSpec(action: .allow, to: ["192.0.2.0/24"], name: "again"),
                    RuleSpec(action: .allow, to: ["192.0.2.0/24", "198.51.100.0/24"]),
                ]),
        ])
        #expect(
            PolicyValidator.validate(set) == [
                PolicyDiagnostic(
                    .warning, at: F.at(10, 7, file: "b.yaml"), field: "spec.egress[0]",
                    "rule again of policy \"b\" has no effect: earlier rules already give every destination, port and "
                        + "protocol it lists the same action, starting with rule egress[0] of policy \"a\" at v.yaml:10:32"
                )
            ])
    }

    @Test func aRuleRepeatingItselfIsNotReported() {
        let set = PolicySet([
            Self.makePolicy(
                "a", subjects: [Self.curl, Self.curl],
                rules: [RuleSpec(action: .deny, to: ["10.0.0.0/8", "10.0.0.0/8"])])
        ])
        #expect(PolicyValidator.validate(set) == [])
    }

    @Test func validatesAHundredThousandEntriesAndFindsThePlantedContradiction() throws {
        var policies: [Policy] = []
        for p in 0..<100 {
            let rules = (0..<10).map { r in
                EgressRule(
                    action: .allow,
                    destinations: (0..<100).map { d in
                        Located(
                            IPPrefix(covering: IPAddress(bytes: [10, UInt8(p), UInt8(r), UInt8(d)])!, length: 32),
                            at: F.at(10 + r, 12 + d), field: "spec.egress[\(r)].to[\(d)]")
                    },
                    ports: [Located(PortRange(443), at: F.at(10 + r, 40), field: "spec.egress[\(r)].ports[0]")],
                    transport: .tcp, index: r, location: F.at(10 + r, 7))
            }
            policies.append(
                Policy(
                    name: "p\(p)",
                    subjects: [
                        Located(.executable("/usr/bin/app\(p % 10)"), at: F.at(5, 7), field: "spec.subjects[0]")
                    ],
                    egress: rules, location: F.at(1, 1)))
        }
        let entryCount = policies.reduce(0) { $0 + $1.egress.reduce(0) { $0 + $1.destinations.count } }
        #expect(entryCount == 100_000)
        policies.append(
            Self.makePolicy(
                "planted", file: "planted.yaml", subjects: [.executable("/usr/bin/app0")],
                rules: [RuleSpec(action: .deny, to: ["10.50.3.7"], ports: [PortRange(443)], transport: .tcp)]))

        let diagnostics = PolicyValidator.validate(PolicySet(policies))

        #expect(
            diagnostics.map(Problem.init) == [
                Problem(
                    10, 12, "spec.egress[0].to[0]",
                    "rule egress[0] of policy \"planted\" contradicts rule egress[3] of policy \"p50\" at p.yaml:13:19: "
                        + "for executable /usr/bin/app0, 10.50.3.7 port 443 tcp gets deny here but allow there")
            ])
        #expect(diagnostics.first?.location.file == "planted.yaml")
    }
}
