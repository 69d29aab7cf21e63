import Testing

@testable import SluiceCore

/// What the parser builds from good input.
@Suite struct PolicyParserTests {
    typealias F = PolicyFixtures

    static let fullDocument = """
        apiVersion: sluice/v1
        kind: Policy
        metadata:
          name: curl-egress
          description: free text
          labels: {team: web, tier: "1"}
        spec:
          mode: monitor
          subjects:
            - executable: /usr/bin/curl
            - cgroup: app.slice/web.service
            - {executable: /usr/bin/python3, cgroup: batch}
          default: deny
          egress:
            - name: https-out
              action: allow
              to: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", loopback]
              ports: [443, "8000-8100"]
              protocol: tcp
            - action: deny

        """

    @Test func parsesAFullDocumentExactly() {
        let result = PolicyParser.parse(Self.fullDocument, file: F.file)
        #expect(result.diagnostics == [])
        let https = EgressRule(
            name: "https-out", action: .allow,
            destinations: [
                Located(F.prefix("10.0.0.0/8"), at: F.at(17, 12), field: "spec.egress[0].to[0]"),
                Located(F.prefix("2001:db8::/32"), at: F.at(17, 26), field: "spec.egress[0].to[1]"),
                Located(F.prefix("192.0.2.7/32"), at: F.at(17, 43), field: "spec.egress[0].to[2]"),
                Located(F.prefix("127.0.0.0/8"), at: F.at(17, 56), field: "spec.egress[0].to[3]"),
                Located(F.prefix("::1/128"), at: F.at(17, 56), field: "spec.egress[0].to[3]"),
            ],
            ports: [
                Located(PortRange(443), at: F.at(18, 15), field: "spec.egress[0].ports[0]"),
                Located(PortRange(8000, 8100)!, at: F.at(18, 20), field: "spec.egress[0].ports[1]"),
            ],
            transport: .tcp, index: 0, location: F.at(15, 7))
        let deny = EgressRule(
            action: .deny, destinations: [], ports: [], transport: .any, index: 1, location: F.at(20, 7))
        let expected = Policy(
            name: "curl-egress", description: "free text", labels: ["team": "web", "tier": "1"], mode: .monitor,
            subjects: [
                Located(.executable("/usr/bin/curl"), at: F.at(10, 7), field: "spec.subjects[0]"),
                Located(.cgroup("app.slice/web.service"), at: F.at(11, 7), field: "spec.subjects[1]"),
                Located(
                    .executableInCgroup(executable: "/usr/bin/python3", cgroup: "batch"), at: F.at(12, 7),
                    field: "spec.subjects[2]"),
            ],
            defaultAction: Located(.deny, at: F.at(13, 12), field: "spec.default"),
            egress: [https, deny], location: F.at(1, 1))
        #expect(result.policies == [expected])
        #expect(result.policies.first?.egress.map(\.label) == ["https-out", "egress[1]"])
    }

    @Test func omittedFieldsTakeTheirDefaults() throws {
        let yaml = "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: minimal\n"
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics == [])
        let policy = try #require(result.policies.first)
        #expect(policy == Policy(name: "minimal", location: F.at(1, 1)))
        #expect(policy.mode == .enforce)
        #expect(policy.isNodeDefault)
        #expect(policy.defaultAction == nil)
        #expect(policy.description == nil)
        #expect(policy.labels.isEmpty)
    }

    @Test func emptySubjectsListIsTheNodeDefault() throws {
        let result = PolicyParser.parse(F.document(spec: "subjects: []", "egress: []"), file: F.file)
        #expect(result.diagnostics == [])
        let policy = try #require(result.policies.first)
        #expect(policy.isNodeDefault)
        #expect(policy.egress.isEmpty)
    }

    @Test(arguments: [
        ("any", ["0.0.0.0/0", "::/0"]),
        ("loopback", ["127.0.0.0/8", "::1/128"]),
        ("private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]),
        ("link-local", ["169.254.0.0/16", "fe80::/10"]),
        ("multicast", ["224.0.0.0/4", "ff00::/8"]),
    ])
    func expandsDestinationAliases(alias: String, blocks: [String]) throws {
        let yaml = F.document(spec: "egress:", "  - action: allow", "    to: [192.0.2.1, \(alias)]")
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics == [])
        let rule = try #require(result.policies.first?.egress.first)
        let expected =
            [Located(F.prefix("192.0.2.1"), at: F.at(8, 12), field: "spec.egress[0].to[0]")]
            + blocks.map { Located(F.prefix($0), at: F.at(8, 23), field: "spec.egress[0].to[1]") }
        #expect(rule.destinations == expected)
    }

    @Test(arguments: [("tcp", TransportProtocol.tcp), ("udp", .udp), ("any", .any)])
    func readsProtocols(text: String, expected: TransportProtocol) throws {
        let yaml = F.document(spec: "egress:", "  - {action: alert, protocol: \(text)}")
        let rule = try #require(PolicyParser.parse(yaml, file: F.file).policies.first?.egress.first)
        #expect(rule.transport == expected)
        #expect(rule.action == .alert)
    }

    @Test func portsMayBeIntegersOrText() throws {
        let yaml = F.document(
            spec: "egress:", "  - action: allow", "    ports: [53, \"443\", '8000-8100', 1-1024, 65535]")
        let rule = try #require(PolicyParser.parse(yaml, file: F.file).policies.first?.egress.first)
        #expect(
            rule.ports.map(\.value) == [
                PortRange(53), PortRange(443), PortRange(8000, 8100)!, PortRange(1, 1024)!, PortRange(65535),
            ])
        #expect(rule.ports.map(\.field) == (0..<5).map { "spec.egress[0].ports[\($0)]" })
    }

    /// YAML 1.1 would read these as booleans; the policy means the words.
    @Test func readsYAML11BooleanWordsAsText() throws {
        let yaml = "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: no\n  labels: {enabled: yes, on: off}\n"
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics == [])
        let policy = try #require(result.policies.first)
        #expect(policy.name == "no")
        #expect(policy.labels == ["enabled": "yes", "on": "off"])
    }

    @Test func readsEveryDocumentAndSkipsEmptyOnes() {
        let yaml = """
            # leading comment
            ---
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: one}
            ---
            ---
            # only a comment
            ---
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: Two}
            ---
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: three}
            spec: {egress: [{action: deny}]}
            ...

            """
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.policies.map(\.name) == ["one", "three"])
        #expect(result.policies.map(\.location) == [F.at(3, 1), F.at(14, 1)])
        #expect(result.policies.last?.egress.first?.location == F.at(17, 17))
        #expect(
            result.diagnostics.map(Problem.init) == [
                Problem(12, 18, "metadata.name", "\"Two\" is not a valid name: \(PolicyParserDiagnosticTests.nameRule)")
            ])
    }

    /// A file with a bad document keeps the good ones: the policies read and the one problem.
    @Test(arguments: [
        (
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: a}
            ---
            key: [unclosed
            ---
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: b}
            """,
            // A syntax error ends the stream: the documents before it are kept.
            ["a"],
            Problem(
                6, 1, "", "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 5, column 6)")
        ),
        (
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: a, name: a}
            ---
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: b}
            """,
            // Repeated keys are checked in every document, and reading goes on after them.
            ["b"],
            Problem(3, 21, "metadata.name", "duplicate key \"name\": it was first given at line 3, column 12; give each key once")
        ),
    ])
    func keepsTheGoodDocumentsOfAFile(yaml: String, kept: [String], problem: Problem) {
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.policies.map(\.name) == kept)
        #expect(result.diagnostics.map(Problem.init) == [problem])
    }

    @Test func emptyTextHasNoPoliciesAndNoProblems() {
        for text in ["", "\n", "# nothing here\n", "---\n", "---\n---\n"] {
            let result = PolicyParser.parse(text, file: F.file)
            #expect(result.policies.isEmpty)
            #expect(result.diagnostics.isEmpty)
        }
    }

    @Test func anchorsAndAliasesAreRead() throws {
        let yaml = F.document(
            spec: "egress:", "  - {action: allow, to: &web [192.0.2.0/24], ports: [443]}",
            "  - {action: deny, to: *web, ports: [80]}")
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics == [])
        let rules = try #require(result.policies.first?.egress)
        #expect(rules.map { $0.destinations.map(\.value) } == [[F.prefix("192.0.2.0/24")], [F.prefix("192.0.2.0/24")]])
        // An alias points where its anchor's value was written.
        #expect(rules[1].destinations.first?.location == F.at(7, 33))
    }
}
