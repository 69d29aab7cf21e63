import Foundation
import Testing

@testable import SluiceCore

/// The nftables renderer: the same precedence as `policy explain`, and what it cannot express
/// reported rule by rule.
@Suite struct NftablesRendererTests {
    typealias W = World
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let layered = Policies.file(
        Policies.document(
            "node",
            """
            default: allow
            egress:
              - {name: no-smtp, action: deny, ports: [25]}
              - {name: private, action: deny, to: [10.0.0.0/8, "fd00::/8"]}
              - {name: one-host, action: allow, to: [10.1.2.3], ports: [443], protocol: tcp}
              - {name: range, action: alert, to: [10.9.0.0/16], ports: ["8000-8100"], protocol: udp}
            """),
        Policies.document(
            "app",
            """
            subjects: [{cgroup: app.slice}]
            default: deny
            egress:
              - {name: web, action: allow, to: [192.0.2.0/24, "2001:db8::/32"], ports: [443]}
              - {name: dns, action: allow, to: [192.0.2.53], ports: [53], protocol: udp}
              - {name: no-http, action: deny, to: [198.51.100.0/24], ports: [80]}
              - {name: pings, action: allow, protocol: icmp}
            """),
        Policies.document(
            "web",
            """
            subjects: [{cgroup: app.slice/web.service}]
            egress:
              - {name: web-deny, action: deny, to: [192.0.2.7]}
            """))

    static func render(_ yaml: String, feeds: [IntelIndicator] = [], renderer: NftablesRenderer = NftablesRenderer()) throws
        -> (CompiledPolicy, FirewallRendering<NftRuleset>)
    {
        let compiled = Policies.compile(yaml)
        #expect(compiled.diagnostics.filter { $0.severity == .error } == [])
        return (compiled, try renderer.render(compiled, feeds: feeds, now: now))
    }

    @Test func everyFlowIsDecidedAsPolicyExplainDecidesIt() throws {
        let (compiled, rendering) = try Self.render(Self.layered)
        let engine = DecisionEngine(image: try DatapathImage(compiled))
        let evaluator = NftModelEvaluator(ruleset: rendering.ruleset)
        let destinations = [
            "10.1.2.3", "10.1.2.4", "10.9.1.1", "192.0.2.1", "192.0.2.7", "192.0.2.53", "198.51.100.9", "203.0.113.5", "fd00::1",
            "2001:db8::5", "2001:db9::1", "127.0.0.1",
        ]
        var compared = 0
        for cgroup in [W.root, W.app, W.web, W.worker, W.batch] {
            for destination in destinations {
                // ICMP has no ports: a ping's connect carries port 0.
                let flows = [25, 53, 80, 443, 8000, 8050, 8101, 9999].flatMap { port in [TransportProtocol.tcp, .udp].map { (UInt16(port), $0) } }
                    + [(0, .icmp)]
                for (port, transport) in flows {
                    let flow = W.flow(nil, in: cgroup, to: destination, port: port, transport)
                    let decision = engine.decide(flow)
                    let result = evaluator.evaluate(flow)
                    let rule = "r\(decision.verdict.ruleID) "
                    #expect(result.rejected == decision.verdict.blocks, "\(flow.destination):\(port)/\(transport) in \(cgroup.path): \(decision.trace)")
                    #expect(result.comment.hasPrefix(rule), "\(flow.destination):\(port)/\(transport) in \(cgroup.path): nft \(result.comment), explain \(rule)")
                    compared += 1
                }
            }
        }
        #expect(compared == 5 * 12 * 17)
        #expect(rendering.unexpressed == [])
    }

    @Test func routedTrafficIsDecidedByTheNodeOnly() throws {
        let (compiled, rendering) = try Self.render(Self.layered, renderer: NftablesRenderer(forward: true))
        let engine = DecisionEngine(image: try DatapathImage(compiled))
        let evaluator = NftModelEvaluator(ruleset: rendering.ruleset)
        for destination in ["10.1.2.3", "192.0.2.1", "203.0.113.5"] {
            for port: UInt16 in [25, 443] {
                let flow = W.flow(nil, to: destination, port: port)
                #expect(evaluator.evaluate(flow, hook: .forward).rejected == engine.decide(flow).verdict.blocks)
            }
        }
    }

    @Test func textNamesPortsProtocolsFamiliesAndCgroups() throws {
        let (_, rendering) = try Self.render(Self.layered, renderer: NftablesRenderer(cgroupPathPrefix: "unified"))
        let text = rendering.ruleset.text
        #expect(text.hasPrefix("add table inet sluice\ndelete table inet sluice\ntable inet sluice {\n"))
        #expect(text.contains("ip daddr 10.1.2.3 meta l4proto tcp th dport 443 accept comment \"r"))
        #expect(text.contains("ip daddr 10.9.0.0/16 meta l4proto udp th dport 8000-8100 log prefix \"sluice r"))
        #expect(text.contains("ip6 daddr fd00::/8 reject with icmpx admin-prohibited"))
        #expect(text.contains("ip version 4 meta l4proto { tcp, udp } th dport 25 reject with icmpx admin-prohibited"))
        // TCP is refused with a reset (an immediate ECONNREFUSED), the rest with an ICMP error.
        #expect(text.contains("ip version 4 meta l4proto { tcp, udp } th dport 25 meta l4proto tcp reject with tcp reset"))
        #expect(text.contains("ip daddr 192.0.2.7 meta l4proto tcp reject with tcp reset"))
        #expect(text.contains("socket cgroupv2 level 2 \"unified/app.slice/web.service\" jump subject_"))
        #expect(text.contains("meta l4proto icmp accept"))
        #expect(text.contains("type filter hook output priority filter; policy accept;"))
        #expect(!text.contains("hook forward"))
        // Deeper cgroups are tried first, as the kernel walks them.
        let web = try #require(text.range(of: "level 2 \"unified/app.slice/web.service\""))
        let app = try #require(text.range(of: "level 1 \"unified/app.slice\""))
        #expect(web.lowerBound < app.lowerBound)
    }

    @Test func manyDestinationsWithOneTableBecomeANamedSet() throws {
        let addresses = (1...6).map { "203.0.113.\($0)" }
        let yaml = Policies.document("many", "egress:\n  - {action: deny, to: [\(addresses.joined(separator: ", "))], ports: [22]}")
        let (compiled, rendering) = try Self.render(yaml)
        let set = try #require(rendering.ruleset.sets.first)
        #expect(set.elements.map(\.prefix.nftText) == addresses)
        #expect(set.interval == false && set.type == "ipv4_addr")
        #expect(rendering.ruleset.text.contains("ip daddr @\(set.name) meta l4proto { tcp, udp } th dport 22 reject"))
        let engine = DecisionEngine(image: try DatapathImage(compiled))
        let evaluator = NftModelEvaluator(ruleset: rendering.ruleset)
        for last in 0...8 {
            for port: UInt16 in [22, 23] {
                let flow = W.flow(nil, to: "203.0.113.\(last)", port: port)
                #expect(evaluator.evaluate(flow).rejected == engine.decide(flow).verdict.blocks)
            }
        }
    }

    @Test func whatNftablesCannotExpressIsReportedPerRule() throws {
        let yaml = Policies.file(
            Policies.document(
                "curl", "subjects: [{executable: /usr/bin/curl}]\negress:\n  - {name: curl-deny, action: deny, to: [10.0.0.0/8]}"),
            Policies.document(
                "node",
                """
                egress:
                  - {name: github, action: allow, to: [api.github.com, 140.82.112.0/20], ports: [443]}
                  - {name: mesh, action: redirect, redirect: "127.0.0.1:15001", to: [203.0.113.0/24], protocol: tcp}
                  - {name: capped, action: allow, to: [198.51.100.0/24], quota: {sent: 1MiB}}
                """))
        let (_, rendering) = try Self.render(yaml)
        let reasons = Dictionary(grouping: rendering.unexpressed, by: \.rule).mapValues { Set($0.map(\.reason)) }
        #expect(reasons["curl-deny"] == [.executableSubject])
        #expect(reasons["github"] == [.nameDestination])
        #expect(reasons["mesh"] == [.redirect])
        #expect(reasons["capped"] == [.quota])
        let text = rendering.ruleset.text
        #expect(text.contains("ip daddr 140.82.112.0/20 meta l4proto { tcp, udp } th dport 443 accept"))
        #expect(text.contains("ip daddr 198.51.100.0/24 accept"))
        // The redirect's block keeps its route (the default decides there); the rule is gone.
        #expect(!text.contains("node/mesh"))
        #expect(!text.contains("10.0.0.0/8"))
        #expect(rendering.unexpressed.allSatisfy { $0.location?.hasPrefix("p.yaml:") == true })
        let encoded = try JSONEncoder().encode(rendering.unexpressed)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"reason\":\"executable-subject\""))
    }

    @Test func rateLimitsBecomeLimitRules() throws {
        let yaml = Policies.document("rates", "egress:\n  - {name: slow, action: rate-limit, rate: \"20/m\", to: [192.0.2.0/24], ports: [443]}")
        let (_, rendering) = try Self.render(yaml)
        let text = rendering.ruleset.text
        #expect(text.contains("ip daddr 192.0.2.0/24 meta l4proto { tcp, udp } th dport 443 limit rate over 20/minute burst 2 packets reject"))
        #expect(text.contains("ip daddr 192.0.2.0/24 meta l4proto { tcp, udp } th dport 443 accept"))
    }

    static let feeds = [
        IntelIndicator(feed: "bad", indicator: "a", target: .prefix(prefix("203.0.113.0/24")), action: .deny, expires: now + 3600),
        IntelIndicator(feed: "bad", indicator: "b", target: .prefix(prefix("203.0.113.9")), action: .deny, expires: now + 7200),
        IntelIndicator(feed: "bad", indicator: "c", target: .prefix(prefix("192.0.2.8")), action: .deny, expires: now - 1),
        IntelIndicator(feed: "bad", indicator: "d", target: .prefix(prefix("192.0.2.9")), action: .deny, expires: nil),
        IntelIndicator(feed: "bad", indicator: "e", target: .prefix(prefix("2001:db8::66")), action: .deny, expires: now + 10.2),
        IntelIndicator(feed: "bad", indicator: "f", target: .domain(DomainName("evil.example")!), action: .deny, expires: nil),
        IntelIndicator(feed: "watch", indicator: "g", target: .prefix(prefix("198.51.100.0/24")), action: .alert, expires: nil),
    ]

    static func prefix(_ text: String) -> IPPrefix {
        guard case .success(let prefix) = IPPrefix.parse(text) else { preconditionFailure(text) }
        return prefix
    }

    @Test func feedsBecomeTimedSetsBehindExactAddressAllows() throws {
        let yaml = Policies.document(
            "node",
            """
            egress:
              - {name: exact, action: allow, to: [192.0.2.9], ports: [443]}
              - {name: wide, action: allow, to: [192.0.2.0/24]}
            """)
        let (_, rendering) = try Self.render(yaml, feeds: Self.feeds)
        let sets = Dictionary(uniqueKeysWithValues: rendering.ruleset.sets.map { ($0.name, $0) })
        let v4 = try #require(sets["feed0_v4"])
        // The covered /32 merges into its /24, which then lives as long as the longer of the two;
        // the expired indicator is gone.
        #expect(v4.elements == [
            NftSetElement(prefix: Self.prefix("192.0.2.9"), timeoutSeconds: nil),
            NftSetElement(prefix: Self.prefix("203.0.113.0/24"), timeoutSeconds: 7200),
        ])
        #expect(v4.interval && v4.timeouts)
        #expect(sets["feed0_v6"]?.elements == [NftSetElement(prefix: Self.prefix("2001:db8::66"), timeoutSeconds: 11)])
        #expect(sets["feed1_v4"] != nil)
        #expect(rendering.unexpressed.map(\.reason) == [.domainIndicators])
        let text = rendering.ruleset.text
        #expect(text.contains("203.0.113.0/24 timeout 7200s"))
        #expect(text.contains("ip daddr 192.0.2.9 meta l4proto { tcp, udp } th dport 443 accept"))
        #expect(text.contains("ip daddr 192.0.2.0/24 goto feeds"))
        let evaluator = NftModelEvaluator(ruleset: rendering.ruleset)
        // The explicit allow of the exact address outranks the feed; anything else does not.
        #expect(evaluator.evaluate(W.flow(nil, to: "192.0.2.9", port: 443)).rejected == false)
        #expect(evaluator.evaluate(W.flow(nil, to: "192.0.2.9", port: 80)) == .init(rejected: true, comment: "feed bad"))
        #expect(evaluator.evaluate(W.flow(nil, to: "203.0.113.50", port: 80)) == .init(rejected: true, comment: "feed bad"))
        #expect(evaluator.evaluate(W.flow(nil, to: "198.51.100.1", port: 80)).rejected == false)
        #expect(evaluator.evaluate(W.flow(nil, to: "192.0.2.8", port: 80)).rejected == false)
    }

    @Test func jsonIsOneBatchThatReplacesTheTable() throws {
        let (_, rendering) = try Self.render(Self.layered, feeds: Self.feeds)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(rendering.ruleset.json.utf8)) as? [String: Any])
        let commands = try #require(root["nftables"] as? [[String: Any]])
        #expect(commands.dropFirst().prefix(3).map { $0.keys.first } == ["add", "delete", "add"])
        #expect(rendering.ruleset.json.contains(#"{"elem":{"timeout":7200,"val":{"prefix":{"addr":"203.0.113.0","len":24}}}}"#))
        #expect(rendering.ruleset.json.contains(#"{"socket":{"key":"cgroupv2","level":2}}"#))
    }

    @Test func aReadBackListingComparesWithTheRenderedRuleset() throws {
        let (_, rendering) = try Self.render(Self.layered, feeds: Self.feeds)
        // What `nft -j list table inet sluice` prints: the same objects with handles added.
        var listing: [[String: Any]] = [["metainfo": ["version": "1.0.6"]], ["table": ["family": "inet", "name": "sluice", "handle": 1]]]
        for set in rendering.ruleset.sets { listing.append(["set": ["name": set.name, "table": "sluice", "handle": 2]]) }
        for chain in rendering.ruleset.chains {
            listing.append(["chain": ["name": chain.name, "table": "sluice"]])
            for rule in chain.rules { listing.append(["rule": ["chain": chain.name, "comment": rule.comment, "expr": []]]) }
        }
        let data = try JSONSerialization.data(withJSONObject: ["nftables": listing])
        #expect(try NftTableSummary.parse(nftJSON: data) == rendering.ruleset.summary)
        listing.removeLast()
        let shorter = try JSONSerialization.data(withJSONObject: ["nftables": listing])
        #expect(try NftTableSummary.parse(nftJSON: shorter) != rendering.ruleset.summary)
        #expect {
            try NftTableSummary.parse(nftJSON: Data("not json".utf8))
        } throws: { error in
            if case .notJSON = error as? NftTableSummary.ParseError { true } else { false }
        }
        #expect(throws: NftTableSummary.ParseError.noNftablesArray) { try NftTableSummary.parse(nftJSON: Data(#"{"tables": []}"#.utf8)) }
    }
}
