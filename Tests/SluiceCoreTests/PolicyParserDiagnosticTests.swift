import Testing

@testable import SluiceCore

/// Every problem the parser reports, with its exact line, column, field and message.
@Suite struct PolicyParserDiagnosticTests {
    typealias F = PolicyFixtures

    static let nameRule = "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    static let portOrRange = "expected a port (443) or a port range (\"8000-8100\")"

    static let documentCases: [ParserCase] = [
        ParserCase(
            "document is a list", "- a\n- b\n",
            Problem(
                1, 1, "",
                "expected a policy document (a mapping with apiVersion, kind, metadata and spec), found a list")),
        ParserCase(
            "document is text", "just text\n",
            Problem(
                1, 1, "",
                "expected a policy document (a mapping with apiVersion, kind, metadata and spec), found the string \"just text\""
            )),
        ParserCase(
            "missing apiVersion", "kind: Policy\nmetadata:\n  name: a\n",
            Problem(1, 1, "apiVersion", "missing required field \"apiVersion\"; add apiVersion: sluice/v1")),
        ParserCase(
            "missing kind and metadata", "apiVersion: sluice/v1\n",
            Problem(1, 1, "kind", "missing required field \"kind\"; add kind: Policy"),
            Problem(1, 1, "metadata", "missing required field \"metadata\"; add metadata with at least a name")),
        ParserCase(
            "wrong apiVersion and kind", "apiVersion: sluice/v2\nkind: NetworkPolicy\nmetadata:\n  name: a\n",
            Problem(1, 13, "apiVersion", "expected \"sluice/v1\", found \"sluice/v2\""),
            Problem(2, 7, "kind", "expected \"Policy\", found \"NetworkPolicy\"")),
        ParserCase(
            "apiVersion not text", "apiVersion: 1\nkind: Policy\nmetadata:\n  name: a\n",
            Problem(1, 13, "apiVersion", "expected a string, found the integer 1; quote it (\"1\") to use it as text")),
        ParserCase(
            "metadata without name", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  description: x\n",
            Problem(4, 3, "metadata.name", "missing required field \"name\"; name the policy, e.g. name: curl-egress")),
        ParserCase(
            "metadata not a mapping", "apiVersion: sluice/v1\nkind: Policy\nmetadata: x\n",
            Problem(
                3, 11, "metadata",
                "expected a mapping with the fields name, description and labels, found the string \"x\"")),
        ParserCase(
            "name is a number", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: 2024\n",
            Problem(
                4, 9, "metadata.name",
                "expected a string, found the integer 2024; quote it (\"2024\") to use it as text")),
        ParserCase(
            "misspelt name field", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  nmae: a\n",
            Problem(
                4, 3, "metadata.nmae",
                "unknown field \"nmae\" in metadata (allowed: name, description, labels); did you mean \"name\"?")),
        ParserCase(
            "bad description and labels",
            "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\n  description: [x]\n  labels: {team: web, tier: 1, ok: ~}\n",
            Problem(5, 16, "metadata.description", "expected a string, found a list"),
            Problem(
                6, 29, "metadata.labels.tier",
                "expected a string, found the integer 1; quote it (\"1\") to use it as text"),
            Problem(6, 36, "metadata.labels.ok", "expected a string, found the null value ~")),
        ParserCase(
            "labels not a mapping", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\n  labels: [web]\n",
            Problem(5, 11, "metadata.labels", "expected a mapping of label names to text, found a list")),
        ParserCase(
            "unknown top-level field", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\nspce: {}\n",
            Problem(
                5, 1, "spce",
                "unknown field \"spce\" (allowed: apiVersion, kind, metadata, spec); did you mean \"spec\"?")),
        ParserCase(
            "spec not a mapping", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\nspec: []\n",
            Problem(
                5, 7, "spec", "expected a mapping with the fields mode, subjects, default, egress, learning, alertOnDeny, existingConnections, rawSockets and encryptedDNS, found a list")),
        ParserCase(
            "duplicate keys everywhere",
            "apiVersion: sluice/v1\nkind: Policy\nkind: Policy\nmetadata: {name: a, name: b}\nspec:\n  mode: monitr\n  mode: enforce\n",
            Problem(3, 1, "kind", "duplicate key \"kind\": it was first given at line 2, column 1; give each key once"),
            Problem(
                4, 21, "metadata.name",
                "duplicate key \"name\": it was first given at line 4, column 12; give each key once"),
            Problem(
                6, 9, "spec.mode", "\"monitr\" is not a valid mode; use enforce or monitor (did you mean \"monitor\"?)"),
            Problem(
                7, 3, "spec.mode", "duplicate key \"mode\": it was first given at line 6, column 3; give each key once")
        ),
        ParserCase(
            "a key given three times, one quoted",
            "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\n  'name': b\n  \"name\": c\n",
            Problem(
                5, 3, "metadata.name",
                "duplicate key \"name\": it was first given at line 4, column 3; give each key once"),
            Problem(
                6, 3, "metadata.name",
                "duplicate key \"name\": it was first given at line 4, column 3; give each key once")),
        ParserCase(
            // An anchored key cannot be renamed to read on; the repeat is reported where Yams saw it.
            "duplicate anchored keys", "apiVersion: sluice/v1\n&a kind: Policy\n&b kind: Policy\n",
            Problem(2, 1, "", "duplicate key \"kind\" in one mapping; give each key once")),
        ParserCase(
            "YAML syntax: mapping inside a plain value", "a: b: c\n",
            Problem(1, 5, "", "YAML syntax error: mapping values are not allowed in this context")),
        ParserCase(
            "YAML syntax: bad indentation", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: a\n bad: x\n",
            Problem(
                5, 2, "",
                "YAML syntax error: did not find expected key (while parsing a block mapping at line 1, column 1)")),
        ParserCase(
            "YAML syntax: tab indentation", "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n\tname: a\n",
            Problem(
                4, 1, "",
                "YAML syntax error: found character that cannot start any token (while scanning for the next token at line 4, column 1)"
            )),
        ParserCase(
            "YAML syntax: unterminated quote", "apiVersion: \"sluice/v1\nkind: Policy\n",
            Problem(
                3, 1, "",
                "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 1, column 13)"
            )),
        ParserCase(
            "YAML syntax: undefined alias", "apiVersion: *version\n",
            Problem(1, 13, "", "YAML syntax error: found undefined alias; quote a wildcard name: \"*.example.com\"")),
        ParserCase(
            "YAML reader: control character", "apiVersion: sluice/v1\u{1}\n",
            Problem(1, 22, "", "YAML cannot read the text: control characters are not allowed")),
        ParserCase(
            "byte order mark and CRLF lines keep columns",
            "\u{FEFF}apiVersion: sluice/v1\r\nkind: Policy\r\nmetadata:\r\n  name: Bad\r\n",
            Problem(4, 9, "metadata.name", "\"Bad\" is not a valid name: \(nameRule)")),
        ParserCase(
            "columns count characters, not bytes",
            "apiVersion: sluice/v1\nkind: Policy\nmetadata: {description: é, name: X}\n",
            Problem(3, 34, "metadata.name", "\"X\" is not a valid name: \(nameRule)")),
    ]

    @Test(arguments: [
        ("Curl", "\"Curl\" is not a valid name: \(nameRule)"),
        ("curl-", "\"curl-\" is not a valid name: \(nameRule)"),
        ("-curl", "\"-curl\" is not a valid name: \(nameRule)"),
        (".curl", "\".curl\" is not a valid name: \(nameRule)"),
        ("curl_egress", "\"curl_egress\" is not a valid name: \(nameRule)"),
        ("curl egress", "\"curl egress\" is not a valid name: \(nameRule)"),
        ("\"\"", "a name must not be empty"),
        (
            String(repeating: "a", count: 64),
            "\"\(String(repeating: "a", count: 64))\" is 64 characters long; names are at most 63"
        ),
    ])
    func refusesBadPolicyNames(name: String, message: String) {
        let yaml = "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: \(name)\n"
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics.map(Problem.init) == [Problem(4, 9, "metadata.name", message)])
        #expect(result.policies.isEmpty)
    }

    @Test(arguments: ["a", "1a", "curl-egress", "web.v2", "a-b.c-d", "no", String(repeating: "z", count: 63)])
    func acceptsGoodPolicyNames(name: String) {
        let yaml = "apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: \(name)\n"
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(result.diagnostics == [])
        #expect(result.policies.map(\.name) == [name])
    }

    static let specCases: [ParserCase] = [
        ParserCase(
            "bad mode", F.document(spec: "mode: enforcing"),
            Problem(6, 9, "spec.mode", "\"enforcing\" is not a valid mode; use enforce or monitor")),
        ParserCase(
            "mode in capitals", F.document(spec: "mode: Monitor"),
            Problem(
                6, 9, "spec.mode", "\"Monitor\" is not a valid mode; use enforce or monitor (did you mean \"monitor\"?)"
            )),
        ParserCase(
            "mode not text", F.document(spec: "mode: 1"),
            Problem(6, 9, "spec.mode", "expected enforce or monitor, found the integer 1")),
        ParserCase(
            "bad default", F.document(spec: "default: block"),
            Problem(6, 12, "spec.default", "\"block\" is not a valid default action; use allow, alert, rate-limit, redirect or deny")),
        ParserCase(
            "misspelt spec field", F.document(spec: "egres: []"),
            Problem(
                6, 3, "spec.egres",
                "unknown field \"egres\" in spec (allowed: mode, subjects, default, egress, learning, alertOnDeny, existingConnections, rawSockets, encryptedDNS); did you mean \"egress\"?")),
        ParserCase(
            "unknown spec field", F.document(spec: "rules: []"),
            Problem(6, 3, "spec.rules", "unknown field \"rules\" in spec (allowed: mode, subjects, default, egress, learning, alertOnDeny, existingConnections, rawSockets, encryptedDNS)")),
        ParserCase(
            "subjects is text", F.document(spec: "subjects: /usr/bin/curl"),
            Problem(
                6, 13, "spec.subjects",
                "expected a list, found the string \"/usr/bin/curl\"; write [/usr/bin/curl] for a list of one")),
        ParserCase(
            "subjects is empty", F.document(spec: "subjects:", "mode: enforce"),
            Problem(6, 12, "spec.subjects", "expected a list, found an empty value")),
        ParserCase(
            "subject is text", F.document(spec: "subjects: [/usr/bin/curl]"),
            Problem(
                6, 14, "spec.subjects[0]",
                "expected a subject (a mapping with executable, cgroup or both), found the string \"/usr/bin/curl\"")),
        ParserCase(
            "subject with neither key", F.document(spec: "subjects: [{}]"),
            Problem(
                6, 14, "spec.subjects[0]", "a subject needs executable, cgroup or both, e.g. executable: /usr/bin/curl")
        ),
        ParserCase(
            "subject with only an unknown key", F.document(spec: "subjects:", "  - user: root"),
            Problem(
                7, 7, "spec.subjects[0].user",
                "unknown field \"user\" in spec.subjects[0] (allowed: executable, cgroup)"),
            Problem(
                7, 7, "spec.subjects[0]", "a subject needs executable, cgroup or both, e.g. executable: /usr/bin/curl")),
        ParserCase(
            "subject with a misspelt key", F.document(spec: "subjects:", "  - executble: /usr/bin/curl"),
            Problem(
                7, 7, "spec.subjects[0].executble",
                "unknown field \"executble\" in spec.subjects[0] (allowed: executable, cgroup); did you mean \"executable\"?"
            )),
        ParserCase(
            "relative executable", F.document(spec: "subjects:", "  - cgroup: batch", "  - executable: curl"),
            Problem(
                8, 19, "spec.subjects[1].executable",
                "executable must be an absolute path starting with \"/\", found \"curl\"")),
        ParserCase(
            "executable not text", F.document(spec: "subjects: [{executable: 42}]"),
            Problem(6, 27, "spec.subjects[0].executable", "expected an absolute path, found the integer 42")),
        ParserCase(
            "empty cgroup", F.document(spec: "subjects: [{cgroup: \"\"}]"),
            Problem(
                6, 23, "spec.subjects[0].cgroup", "the cgroup path is empty; give a path such as app.slice/web.service")
        ),
        ParserCase(
            "root cgroup", F.document(spec: "subjects: [{cgroup: /}]"),
            Problem(
                6, 23, "spec.subjects[0].cgroup",
                "cgroup path \"/\" names the root cgroup, which holds every process; "
                    + "leave out subjects to write a node default policy instead")),
        ParserCase(
            "cgroup climbing out", F.document(spec: "subjects: [{cgroup: app.slice/../x}]"),
            Problem(
                6, 23, "spec.subjects[0].cgroup",
                "cgroup path \"app.slice/../x\" must not contain \".\" or \"..\" components")),
        ParserCase(
            "executable in a bad cgroup", F.document(spec: "subjects: [{executable: /bin/a, cgroup: \"\"}]"),
            Problem(
                6, 43, "spec.subjects[0].cgroup", "the cgroup path is empty; give a path such as app.slice/web.service")
        ),
        ParserCase(
            "egress is a mapping", F.document(spec: "egress: {action: allow}"),
            Problem(6, 11, "spec.egress", "expected a list, found a mapping")),
        ParserCase(
            "rule without action", F.document(spec: "egress:", "  - to: [any]"),
            Problem(7, 7, "spec.egress[0].action", "missing required field \"action\"; use allow, alert, rate-limit, redirect or deny")),
        ParserCase(
            "rule with a misspelt action", F.document(spec: "egress:", "  - acton: allow"),
            Problem(
                7, 7, "spec.egress[0].acton",
                "unknown field \"acton\" in spec.egress[0] (allowed: name, action, to, ports, protocol, rate, burst, redirect, quota); did you mean \"action\"?"
            )),
        ParserCase(
            "bad action", F.document(spec: "egress:", "  - action: permit"),
            Problem(7, 15, "spec.egress[0].action", "\"permit\" is not a valid action; use allow, alert, rate-limit, redirect or deny")),
        ParserCase(
            "bad protocol", F.document(spec: "egress:", "  - {action: allow, protocol: sctp}"),
            Problem(
                7, 33, "spec.egress[0].protocol",
                "\"sctp\" is not a valid protocol; use tcp, udp, any, icmp, icmpv6 or raw")),
        ParserCase(
            "abbreviated protocol field", F.document(spec: "egress:", "  - {action: allow, proto: tcp}"),
            Problem(
                7, 23, "spec.egress[0].proto",
                "unknown field \"proto\" in spec.egress[0] (allowed: name, action, to, ports, protocol, rate, burst, redirect, quota); "
                    + "did you mean \"protocol\"?")),
        ParserCase(
            "bad destinations",
            F.document(
                spec: "egress:", "  - action: allow", "    to: [10.0.0.1/8, \"::1/129\", lokalhost, loopbak, 10]"),
            Problem(8, 12, "spec.egress[0].to[0]", "\"10.0.0.1/8\" has host bits set; did you mean 10.0.0.0/8?"),
            Problem(8, 24, "spec.egress[0].to[1]", "\"::1/129\": prefix length must be a number from 0 to 128"),
            Problem(
                8, 35, "spec.egress[0].to[2]",
                "\"lokalhost\" is neither an address nor a fully qualified name; write the name with its domain "
                    + "(\"lokalhost.example.com\") or one of the aliases any, loopback, private, link-local, multicast or host"),
            Problem(
                8, 46, "spec.egress[0].to[3]",
                "\"loopbak\" is neither an address nor a fully qualified name; did you mean the alias \"loopback\"?"),
            Problem(
                8, 55, "spec.egress[0].to[4]",
                "expected an address, a CIDR block, an alias or a domain name, found the integer 10")),
        ParserCase(
            "bad ports",
            F.document(
                spec: "egress:", "  - action: allow",
                "    ports: [0, 70000, \"8100-8000\", 0443, x, 1.5, true, \"0-100\"]"),
            Problem(8, 15, "spec.egress[0].ports[0]", "port 0 is out of range; ports are 1 to 65535"),
            Problem(8, 18, "spec.egress[0].ports[1]", "port 70000 is out of range; ports are 1 to 65535"),
            Problem(
                8, 25, "spec.egress[0].ports[2]",
                "\"8100-8000\" is an empty range; write the lower port first: 8000-8100"),
            Problem(8, 38, "spec.egress[0].ports[3]", "\"0443\" has a leading zero; write ports in plain decimal"),
            Problem(
                8, 44, "spec.egress[0].ports[4]",
                "\"x\" is not a port or port range; write a port such as 443 or a range such as 8000-8100"),
            Problem(8, 47, "spec.egress[0].ports[5]", "\(portOrRange), found the number 1.5"),
            Problem(8, 52, "spec.egress[0].ports[6]", "\(portOrRange), found the boolean true"),
            Problem(8, 58, "spec.egress[0].ports[7]", "\"0-100\": port 0 is out of range; ports are 1 to 65535")),
        ParserCase(
            "empty to and ports", F.document(spec: "egress:", "  - action: allow", "    to: []", "    ports: []"),
            Problem(8, 11, "spec.egress[0].to", "an empty list matches nothing; omit \"to\" to mean any destination"),
            Problem(9, 14, "spec.egress[0].ports", "an empty list matches nothing; omit \"ports\" to mean any port")),
        ParserCase(
            "to and ports not lists",
            F.document(spec: "egress:", "  - action: allow", "    to: 10.0.0.0/8", "    ports: 443"),
            Problem(
                8, 11, "spec.egress[0].to",
                "expected a list, found the string \"10.0.0.0/8\"; write [10.0.0.0/8] for a list of one"),
            Problem(
                9, 14, "spec.egress[0].ports", "expected a list, found the integer 443; write [443] for a list of one")),
        ParserCase(
            "quoted text where a list belongs", F.document(spec: "egress:", "  - action: allow", "    to: \"a b\""),
            Problem(
                8, 11, "spec.egress[0].to",
                "expected a list, found the string \"a b\"; write [\"a b\"] for a list of one")),
        ParserCase(
            "duplicate rule names",
            F.document(
                spec: "egress:", "  - {name: web, action: allow}", "  - {name: dns, action: allow}",
                "  - {name: web, action: deny}"),
            Problem(
                9, 14, "spec.egress[2].name",
                "duplicate rule name \"web\": spec.egress[0] at line 7 already uses it; rule names must be unique within a policy"
            )),
        ParserCase(
            "bad rule name", F.document(spec: "egress:", "  - {name: Web_Out, action: allow}"),
            Problem(7, 14, "spec.egress[0].name", "\"Web_Out\" is not a valid name: \(nameRule)")),
        ParserCase(
            "rule is a list", F.document(spec: "egress:", "  - [allow]"),
            Problem(
                7, 7, "spec.egress[0]",
                "expected a mapping with the fields name, action, to, ports, protocol, rate, burst, redirect and quota, found a list")),
        ParserCase(
            "field name that is not text", F.document(spec: "egress:", "  - {action: allow, [to]: any}"),
            Problem(7, 23, "spec.egress[0]", "expected a field name, found a list as a key")),
        ParserCase(
            "rate limit without a rate", F.document(spec: "egress:", "  - {action: rate-limit, ports: [80]}"),
            Problem(7, 7, "spec.egress[0].rate", "missing required field \"rate\"; action rate-limit needs a rate, such as rate: \"20/s\"")),
        ParserCase(
            "rate on an allow", F.document(spec: "egress:", "  - {action: allow, rate: 20/s}"),
            Problem(7, 29, "spec.egress[0].rate", "\"rate\" belongs to action rate-limit; this rule's action is allow")),
        ParserCase(
            "rate that is not a rate", F.document(spec: "egress:", "  - {action: rate-limit, rate: fast}"),
            Problem(
                7, 34, "spec.egress[0].rate",
                "\"fast\" is not a rate; write connections per second, minute or hour, such as \"20/s\" or \"600/m\"")),
        ParserCase(
            "rate with an unknown unit", F.document(spec: "egress:", "  - {action: rate-limit, rate: 20/d}"),
            Problem(7, 34, "spec.egress[0].rate", "\"20/d\": unknown unit \"d\"; use s, m or h")),
        ParserCase(
            "burst above the count", F.document(spec: "egress:", "  - {action: rate-limit, rate: 5/s, burst: 6}"),
            Problem(7, 46, "spec.egress[0].burst", "burst 6 must be between 1 and the rate's count (5)")),
        ParserCase(
            "redirect without a target", F.document(spec: "egress:", "  - {action: redirect, ports: [80]}"),
            Problem(
                7, 7, "spec.egress[0].redirect",
                "missing required field \"redirect\"; action redirect needs a local target, such as redirect: \"127.0.0.1:15001\"")),
        ParserCase(
            "redirect to another host", F.document(spec: "egress:", "  - {action: redirect, redirect: \"10.0.0.1:80\"}"),
            Problem(
                7, 36, "spec.egress[0].redirect",
                "\"10.0.0.1:80\" is not on this node's loopback; a redirect goes to a local listener (127.0.0.0/8 or ::1)")),
        ParserCase(
            "redirect without a port", F.document(spec: "egress:", "  - {action: redirect, redirect: \"[::1]\"}"),
            Problem(7, 36, "spec.egress[0].redirect", "\"[::1]\" is not an address and port; write \"127.0.0.1:15001\" or \"[::1]:15001\"")),
        ParserCase(
            "redirect on a deny", F.document(spec: "egress:", "  - {action: deny, redirect: \"127.0.0.1:80\"}"),
            Problem(7, 32, "spec.egress[0].redirect", "\"redirect\" belongs to action redirect; this rule's action is deny")),
        ParserCase(
            "quota on a deny", F.document(spec: "egress:", "  - {action: deny, quota: {sent: 1MiB}}"),
            Problem(7, 29, "spec.egress[0].quota", "\"quota\" belongs to allow and alert rules; this rule's action is deny")),
        ParserCase(
            "quota that is not a size", F.document(spec: "egress:", "  - {action: allow, quota: {sent: lots, per: 1h}}"),
            Problem(7, 37, "spec.egress[0].quota.sent", "expected a size such as 1MiB, 500KB or 2GiB, found the string \"lots\"")),
        ParserCase(
            "quota with neither side", F.document(spec: "egress:", "  - {action: alert, quota: {per: 1h}}"),
            Problem(7, 30, "spec.egress[0].quota", "a quota needs sent, received or both, such as quota: {sent: 1MiB}")),
        ParserCase(
            "quota as an action", F.document(spec: "egress:", "  - {action: quota}"),
            Problem(7, 16, "spec.egress[0].action", "\"quota\" is not a valid action; use allow, alert, rate-limit, redirect or deny")),
        ParserCase(
            "rate-limited default", F.document(spec: "default: rate-limit"),
            Problem(
                6, 12, "spec.default",
                "a default cannot be rate-limit: it needs a rule's rate; write an egress rule with action rate-limit")),
    ]

    @Test(arguments: documentCases + specCases)
    func reportsProblems(_ testCase: ParserCase) {
        let result = PolicyParser.parse(testCase.yaml, file: F.file)
        #expect(result.diagnostics.map(Problem.init) == testCase.expected)
        #expect(result.diagnostics.allSatisfy { $0.location.file == F.file })
        #expect(result.policies.isEmpty)
    }

    @Test func collectsEveryProblemOfADocument() {
        let yaml = """
            apiVersion: sluice/v2
            kind: Policy
            metadata: {name: Web}
            spec:
              mode: strict
              egress:
                - {action: allow, to: [10.0.0.1/8]}
                - {action: deny, ports: [0]}
            """
        let result = PolicyParser.parse(yaml, file: F.file)
        #expect(
            result.diagnostics.map(\.field) == [
                "apiVersion", "metadata.name", "spec.mode", "spec.egress[0].to[0]", "spec.egress[1].ports[0]",
            ])
        #expect(result.policies.isEmpty)
    }

    @Test func diagnosticDescriptionReadsLikeACompilerMessage() throws {
        let result = PolicyParser.parse(F.document(spec: "mode: strict"), file: "policies/web.yaml")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(
            diagnostic.description
                == "policies/web.yaml:6:9: error: spec.mode: \"strict\" is not a valid mode; use enforce or monitor")
    }
}
