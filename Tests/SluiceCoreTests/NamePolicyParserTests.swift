import Testing

@testable import SluiceCore

/// Names and wildcards in a rule's `to`: read beside addresses, and refused at their line and
/// column with what to write instead.
@Suite struct NamePolicyParserTests {
    typealias F = PolicyFixtures

    @Test func namesAndWildcardsReadBesideAddresses() throws {
        let yaml = F.document(
            spec: "egress:", "  - action: allow",
            "    to: [api.github.com, \"*.githubusercontent.com\", 10.0.0.0/8, Example.ORG.]")
        let parsed = PolicyParser.parse(yaml, file: F.file)
        #expect(parsed.diagnostics == [])
        let rule = try #require(parsed.policies.first?.egress.first)
        #expect(rule.destinations.map(\.value) == [F.prefix("10.0.0.0/8")])
        #expect(rule.names.map(\.value.description) == ["api.github.com", "*.githubusercontent.com", "example.org"])
        #expect(rule.names.map(\.field) == ["spec.egress[0].to[0]", "spec.egress[0].to[1]", "spec.egress[0].to[3]"])
        #expect(rule.names.map(\.location) == [F.at(8, 12), F.at(8, 28), F.at(8, 67)])
        #expect(!rule.coversAnyDestination, "a rule of names alone covers those names, not every address")
    }

    @Test func malformedNamesAreReportedAtTheirItem() {
        let yaml = F.document(
            spec: "egress:", "  - action: allow",
            "    to: [\"*\", a..com, github, hosts, \"a.*.com\", \"-x.com\", 10.0.0]")
        let problems = PolicyParser.parse(yaml, file: F.file).diagnostics.map(Problem.init)
        #expect(
            problems == [
                Problem(
                    8, 12, "spec.egress[0].to[0]",
                    "\"*\" alone would match every name; use 0.0.0.0/0 and ::/0, or omit \"to\" to mean any destination"),
                Problem(
                    8, 17, "spec.egress[0].to[1]",
                    "\"a..com\" is not a domain name: it has an empty label (a leading dot or two dots in a row)"),
                Problem(
                    8, 25, "spec.egress[0].to[2]",
                    "\"github\" is neither an address nor a fully qualified name; write the name with its domain "
                        + "(\"github.example.com\") or one of the aliases any, loopback, private, link-local, multicast or host"),
                Problem(
                    8, 33, "spec.egress[0].to[3]",
                    "\"hosts\" is neither an address nor a fully qualified name; did you mean the alias \"host\"?"),
                Problem(
                    8, 40, "spec.egress[0].to[4]", "\"a.*.com\": \"*\" may only stand as the whole first label, as in \"*.example.com\""),
                Problem(8, 51, "spec.egress[0].to[5]", "\"-x.com\" is not a domain name: the label \"-x\" starts or ends with \"-\""),
                Problem(
                    8, 61, "spec.egress[0].to[6]",
                    "\"10.0.0\" is neither an address nor a domain name: a name's last label is not all digits"),
            ])
    }

    @Test func anUnquotedWildcardIsToldToQuote() {
        let yaml = F.document(spec: "egress:", "  - {action: allow, to: [*.github.com]}")
        let messages = PolicyParser.parse(yaml, file: F.file).diagnostics.map(\.message)
        #expect(messages.count == 1)
        #expect(messages.first?.hasSuffix("quote a wildcard name: \"*.example.com\"") == true, "\(messages)")
    }

    @Test func namesAreOnlyForRuleDestinations() {
        let yaml = F.document(spec: "learning: {protect: [api.github.com]}")
        let problems = PolicyParser.parse(yaml, file: F.file).diagnostics
        #expect(problems.count == 1)
        #expect(problems.first?.field == "spec.learning.protect[0]")
    }

    @Test func aNameGivenTwoActionsIsAContradiction() {
        let yaml = F.document(
            spec: "egress:", "  - {action: allow, to: [api.github.com], ports: [443]}",
            "  - {action: deny, to: [API.github.com.], ports: [443]}")
        let set = PolicySet(PolicyParser.parse(yaml, file: F.file).policies)
        let errors = PolicyValidator.validate(set).filter { $0.severity == .error }
        #expect(errors.map(\.field) == ["spec.egress[1].to[0]"])
        #expect(errors.first?.location == F.at(8, 27))
        #expect(errors.first?.message.contains("api.github.com port 443") == true, "\(errors)")
    }

    @Test func rulesOfNamesOnlyCompileToNameEntries() {
        let compiled = Policies.compile(
            F.document(spec: "egress:", "  - {action: deny, to: [\"*.example.com\"], ports: [80, 443]}"))
        #expect(compiled.node.entries.map(\.destination.description) == ["*.example.com", "*.example.com"])
        #expect(compiled.node.entries.allSatisfy { $0.prefix == nil })
    }
}
