import Testing

@testable import SluiceCore

@Suite struct PolicyCompilerTests {
    typealias W = World

    static func at(_ line: Int, _ column: Int) -> SluiceCore.SourceLocation { PolicyFixtures.at(line, column) }

    static func verdict(_ id: UInt32, _ action: RuleAction, monitor: Bool = false) -> Verdict {
        Verdict(ruleID: id, action: action, monitor: monitor)
    }

    static func destination(_ prefix: String, _ ports: PortRange = .any, _ transport: TransportProtocol = .any, _ verdict: Verdict)
        -> DestinationEntry
    {
        DestinationEntry(prefix: cidr(prefix), ports: ports, transport: transport, verdict: verdict)
    }

    /// Python reached through two hard links, and paths that cannot resolve.
    static let linkedResolver: TableResolver = {
        var resolver = W.resolver
        resolver.executables["/usr/local/bin/python"] = .success([W.python])
        resolver.executables["/srv/app"] = .failure(.invalid("/srv/app is a directory, not an executable"))
        return resolver
    }()

    // Lines 1–4 are the header, `spec` fields from line 5; the second document starts on line 12.
    static let twoPolicies = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: web}
        spec:
          mode: monitor
          subjects: [{executable: /usr/bin/curl}, {cgroup: app.slice}]
          default: deny
          egress:
            - {name: https, action: allow, to: [10.0.0.0/8], ports: [443], protocol: tcp}
            - {action: alert}
        ---
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: base}
        spec:
          egress:
            - {action: deny, ports: [23]}
        """

    @Test func numbersRulesInOrderWithTheirNames() {
        let compiled = Policies.compile(Self.twoPolicies)
        let subject = "executable /usr/bin/curl, cgroup app.slice"
        #expect(
            compiled.rules == [
                .builtInDefault,
                RuleInfo(id: 1, policy: "web", rule: "https", action: .allow, mode: .monitor, subject: subject, location: Self.at(9, 7)),
                RuleInfo(
                    id: 2, policy: "web", rule: "egress[1]", action: .alert, mode: .monitor, subject: subject, location: Self.at(10, 7)),
                RuleInfo(id: 3, policy: "web", rule: "default", action: .deny, mode: .monitor, subject: subject, location: Self.at(7, 12)),
                RuleInfo(
                    id: 4, policy: "base", rule: "egress[0]", action: .deny, mode: .enforce, subject: "node", location: Self.at(17, 7)),
            ])
        #expect(compiled.rule(4)?.rule == "egress[0]")
        #expect(compiled.rule(5) == nil)
        #expect(compiled.diagnostics == [])
    }

    @Test func expandsRulesIntoEntriesPerSubject() {
        let compiled = Policies.compile(Self.twoPolicies)
        let web = CompiledSubject(
            names: [], fallback: Self.verdict(3, .deny, monitor: true),
            entries: [
                Self.destination("10.0.0.0/8", PortRange(443), .tcp, Self.verdict(1, .allow, monitor: true)),
                // No `to`: both families; no `ports`: any port.
                Self.destination("0.0.0.0/0", .any, .any, Self.verdict(2, .alert, monitor: true)),
                Self.destination("::/0", .any, .any, Self.verdict(2, .alert, monitor: true)),
            ])
        var curl = web
        curl.names = ["executable /usr/bin/curl"]
        var app = web
        app.names = ["cgroup app.slice"]
        #expect(compiled.subjects == [.executable(W.curl): curl, .cgroup(W.app): app])
        #expect(
            compiled.node
                == CompiledSubject(
                    names: ["node"], fallback: nil,
                    entries: [
                        Self.destination("0.0.0.0/0", PortRange(23), .any, Self.verdict(4, .deny)),
                        Self.destination("::/0", PortRange(23), .any, Self.verdict(4, .deny)),
                    ]))
        #expect(compiled.entryCount == 8)
        #expect(compiled.executablePaths == ["/usr/bin/curl"])
        #expect(compiled.cgroupPaths == ["app.slice"])
    }

    @Test func everyDestinationMeetsEveryPortInOrder() {
        let compiled = Policies.compile(
            Policies.document(
                "grid",
                """
                subjects: [{executable: /usr/bin/curl}]
                egress:
                  - {action: allow, to: [10.0.0.0/8, "2001:db8::/32", loopback], ports: [80, 8000-8100], protocol: udp}
                """))
        let allow = Self.verdict(1, .allow)
        #expect(
            compiled.subjects[.executable(W.curl)]?.entries == [
                "10.0.0.0/8", "2001:db8::/32", "127.0.0.0/8", "::1/128",
            ].flatMap { block in
                [PortRange(80), portRange(8000, 8100)].map { Self.destination(block, $0, .udp, allow) }
            })
    }

    @Test func executableInCgroupSubjectsPairTheIdentities() {
        let compiled = Policies.compile(
            Policies.document(
                "pair",
                """
                subjects: [{executable: /usr/bin/python3, cgroup: app.slice/web.service}]
                default: alert
                """))
        #expect(Array(compiled.subjects.keys) == [.executableInCgroup(W.python, W.web)])
        #expect(compiled.subjects.values.first?.fallback == Self.verdict(1, .alert))
        #expect(compiled.subjects.values.first?.names == ["executable /usr/bin/python3 in cgroup app.slice/web.service"])
        #expect(compiled.executablePaths == ["/usr/bin/python3"])
        #expect(compiled.cgroupPaths == ["app.slice/web.service"])
    }

    @Test func anUpgradedExecutableIsEveryIdentityItHas() {
        var resolver = W.resolver
        let old = ExecutableIdentity(device: 8 << 20 | 1, inode: 999)
        resolver.executables["/usr/bin/curl"] = .success([W.curl, old])
        let compiled = Policies.compile(
            Policies.document("curl", "subjects: [{executable: /usr/bin/curl}]\ndefault: deny"), resolver: resolver)
        #expect(Set(compiled.subjects.keys) == [.executable(W.curl), .executable(old)])
        #expect(compiled.subjects.values.allSatisfy { $0.fallback == Self.verdict(1, .deny) })
    }

    // MARK: Hard links

    static func linked(_ first: String, _ second: String) -> String {
        Policies.file(
            Policies.document("a", "subjects: [{executable: /usr/bin/python3}]\n" + first),
            Policies.document("b", "subjects: [{executable: /usr/local/bin/python}]\n" + second))
    }

    @Test func hardLinkedPathsMergeIntoOneSubject() {
        let compiled = Policies.compile(
            Self.linked(
                "egress:\n  - {action: allow, to: [10.0.0.0/8]}\n  - {action: deny, to: [192.0.2.0/24]}",
                "egress:\n  - {action: allow, to: [10.0.0.0/8]}\n  - {action: alert, to: [198.51.100.0/24]}"),
            resolver: Self.linkedResolver)
        #expect(compiled.diagnostics == [])
        #expect(
            compiled.subjects == [
                .executable(W.python): CompiledSubject(
                    names: ["executable /usr/bin/python3", "executable /usr/local/bin/python"], fallback: nil,
                    entries: [
                        // The repeat of 10.0.0.0/8 by policy b keeps policy a's rule.
                        Self.destination("10.0.0.0/8", .any, .any, Self.verdict(1, .allow)),
                        Self.destination("192.0.2.0/24", .any, .any, Self.verdict(2, .deny)),
                        Self.destination("198.51.100.0/24", .any, .any, Self.verdict(4, .alert)),
                    ])
            ])
        #expect(compiled.executablePaths == ["/usr/bin/python3", "/usr/local/bin/python"])
    }

    @Test func aContradictionBetweenHardLinksIsAnErrorCitingBoth() {
        let yaml = Self.linked(
            "egress:\n  - {name: https, action: allow, to: [10.0.0.0/8], ports: [443], protocol: tcp}",
            "egress:\n  - {action: deny, to: [10.0.0.0/8], ports: [443], protocol: tcp}")
        // Different paths: the validator cannot know they are one file.
        #expect(PolicyValidator.validate(Policies.set(yaml)) == [])
        let compiled = Policies.compile(yaml, resolver: Self.linkedResolver)
        #expect(
            compiled.diagnostics == [
                PolicyDiagnostic(
                    at: Self.at(15, 7), field: "",
                    "rule egress[0] of policy b contradicts rule https of policy a (p.yaml:7:7) for executable /usr/bin/python3 "
                        + "and executable /usr/local/bin/python to 10.0.0.0/8 port 443 tcp: deny (enforce mode) vs allow (enforce mode)")
            ])
    }

    @Test func aModeDifferenceBetweenHardLinksIsAnError() throws {
        let yaml = Self.linked(
            "egress:\n  - {action: allow, ports: [22]}", "mode: monitor\negress:\n  - {action: allow, ports: [22]}")
        let compiled = Policies.compile(yaml, resolver: Self.linkedResolver)
        // One per pair of rules, though a rule without `to` is two entries (one per family).
        #expect(compiled.diagnostics.count == 1)
        for diagnostic in compiled.diagnostics {
            #expect(diagnostic.severity == .error)
            #expect(diagnostic.location == Self.at(16, 7))
            #expect(diagnostic.message.hasPrefix("rule egress[0] of policy b contradicts rule egress[0] of policy a (p.yaml:7:7)"))
            #expect(diagnostic.message.hasSuffix("allow (monitor mode) vs allow (enforce mode)"))
        }
    }

    @Test func conflictingDefaultsOfHardLinksAreAnError() {
        let compiled = Policies.compile(Self.linked("default: deny", "default: allow"), resolver: Self.linkedResolver)
        #expect(
            compiled.diagnostics == [
                PolicyDiagnostic(
                    at: Self.at(13, 12), field: "spec.default",
                    "default allow of policy b conflicts with default deny of policy a (p.yaml:6:12) for executable "
                        + "/usr/bin/python3 and executable /usr/local/bin/python")
            ])
        #expect(compiled.subjects[.executable(W.python)]?.fallback == Self.verdict(1, .deny))
    }

    @Test func conflictingNodeDefaultsAreAnError() {
        let compiled = Policies.compile(
            Policies.file(Policies.document("a", "default: deny"), Policies.document("b", "default: deny\nmode: monitor")))
        #expect(
            compiled.diagnostics.map(\.message) == [
                "default deny of policy b conflicts with default deny of policy a (p.yaml:5:12) for node"
            ])
        #expect(compiled.node.fallback == Self.verdict(1, .deny))
    }

    // MARK: Paths that do not resolve

    @Test(arguments: [
        ("{executable: /usr/bin/missing}", ["executable /usr/bin/missing does not exist yet"]),
        ("{cgroup: gone.slice}", ["cgroup gone.slice does not exist yet"]),
        ("{executable: /usr/bin/curl, cgroup: gone.slice}", ["cgroup gone.slice does not exist yet"]),
        ("{executable: /usr/bin/missing, cgroup: app.slice}", ["executable /usr/bin/missing does not exist yet"]),
        (
            "{executable: /usr/bin/missing, cgroup: gone.slice}",
            ["executable /usr/bin/missing does not exist yet", "cgroup gone.slice does not exist yet"]
        ),
    ])
    func aMissingSubjectIsAWarningAndNoSubject(subject: String, messages: [String]) {
        let compiled = Policies.compile(
            Policies.document("later", "subjects: [\(subject), {executable: /usr/bin/wget}]\negress:\n  - {action: deny}"))
        #expect(
            Set(compiled.diagnostics)
                == Set(messages.map { PolicyDiagnostic(.warning, at: Self.at(5, 14), field: "spec.subjects[0]", $0) }))
        // The rule keeps its id, and applies to the subject that exists.
        #expect(compiled.rules.map(\.rule) == ["node-default", "egress[0]"])
        #expect(Array(compiled.subjects.keys) == [.executable(W.wget)])
    }

    @Test func missingPathsAreStillRecordedToWatch() {
        let compiled = Policies.compile(
            Policies.document("later", "subjects: [{executable: /usr/bin/missing, cgroup: gone.slice}, {cgroup: app.slice}]"))
        #expect(compiled.executablePaths == ["/usr/bin/missing"])
        #expect(compiled.cgroupPaths == ["gone.slice", "app.slice"])
    }

    @Test func anInvalidSubjectIsAnError() {
        let compiled = Policies.compile(
            Policies.document("bad", "subjects: [{executable: /srv/app}]\ndefault: deny"), resolver: Self.linkedResolver)
        #expect(
            compiled.diagnostics == [
                PolicyDiagnostic(.error, at: Self.at(5, 14), field: "spec.subjects[0]", "/srv/app is a directory, not an executable")
            ])
        #expect(compiled.subjects.isEmpty)
    }

    @Test func aPathResolvesOncePerCompile() {
        final class Counter: @unchecked Sendable { var calls: [String] = [] }
        struct CountingResolver: SubjectResolver {
            let counter: Counter
            func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
                counter.calls.append(path)
                return World.resolver.resolveExecutable(path)
            }
            func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
                counter.calls.append(path)
                return World.resolver.resolveCgroup(path)
            }
        }
        let counter = Counter()
        let set = Policies.set(
            Policies.file(
                Policies.document("a", "subjects: [{executable: /usr/bin/curl}, {executable: /usr/bin/curl, cgroup: app.slice}]"),
                Policies.document("b", "subjects: [{cgroup: app.slice}, {executable: /usr/bin/gone}]"),
                Policies.document("c", "subjects: [{executable: /usr/bin/gone}]")))
        let compiled = PolicyCompiler.compile(set, resolver: CountingResolver(counter: counter))
        #expect(counter.calls == ["/usr/bin/curl", "app.slice", "/usr/bin/gone"])
        // Each use of the missing path is reported where it is written.
        #expect(compiled.diagnostics.filter { $0.severity == .warning }.count == 2)
    }
}
