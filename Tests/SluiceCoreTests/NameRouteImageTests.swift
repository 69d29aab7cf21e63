import Testing

@testable import SluiceCore

/// How name rules land in the image: one route per subject and pattern, each table its own
/// entries then those of the wildcard the kernel would try next, kept apart from address tables.
@Suite struct NameRouteImageTests {
    static func pattern(_ text: String) -> NamePattern {
        guard case .success(let pattern) = NamePattern.parse(text) else { preconditionFailure("bad fixture \(text)") }
        return pattern
    }

    static func nameRoute(_ subject: UInt32, _ text: String) -> NameRouteKey {
        NameRouteKey(subject: subject, pattern: pattern(text).key)
    }

    static let nodeRules = """
        egress:
          - {name: wide, action: allow, to: ["*.com"], ports: [443]}
          - {name: gh, action: deny, to: ["*.github.com"], ports: [80]}
          - {name: api, action: alert, to: [api.github.com], ports: [443], protocol: tcp}
          - {name: deep, action: deny, to: ["*.a.b.github.com"], ports: [8080]}
          - {name: hosts, action: deny, to: [10.1.2.3, 10.0.0.0/8, "2001:db8::1"], ports: [22]}
        """

    @Test func nameTablesHoldTheirWildcardsEntriesBehindTheirOwn() throws {
        let compiled = Policies.compile(Policies.document("node", Self.nodeRules))
        #expect(compiled.diagnostics == [])
        let image = try DatapathImage(compiled)
        let wide = portEntry(PortRange(443), .allow, rule: 1)
        let gh = portEntry(PortRange(80), .deny, rule: 2)
        let api = portEntry(PortRange(443), .tcp, .alert, rule: 3).exactNamed
        let deep = portEntry(PortRange(8080), .deny, rule: 4)
        let expected: [NameRouteKey: [PortEntry]] = [
            Self.nameRoute(0, "*.com"): [wide],
            Self.nameRoute(0, "*.github.com"): [gh, wide],
            // An exact name inherits the nearest wildcard above it, which holds the ones above that.
            Self.nameRoute(0, "api.github.com"): [api, gh, wide],
            // A wildcard skips parents without routes (*.b.github.com) to the nearest that has one.
            Self.nameRoute(0, "*.a.b.github.com"): [deep, gh, wide],
        ]
        #expect(image.nameRoutes.mapValues { image.tables[$0] } == expected)
        #expect(image.table(for: Self.nameRoute(0, "*.github.com")) == [gh, wide])
        #expect(image.namePatterns == Set(["*.com", "*.github.com", "api.github.com", "*.a.b.github.com"].map { Self.pattern($0).key }))
    }

    @Test func addressTablesMarkOnlyTheirOwnFullLengthEntries() throws {
        let image = try DatapathImage(Policies.compile(Policies.document("node", Self.nodeRules)))
        let ssh = portEntry(PortRange(22), .deny, rule: 5)
        // The host's own entry shadows the /8's identical one, which would not be exact.
        #expect(image.table(for: RouteKey(subject: 0, prefix: cidr("10.1.2.3/32"))) == [ssh.exact])
        #expect(image.table(for: RouteKey(subject: 0, prefix: cidr("10.0.0.0/8"))) == [ssh])
        #expect(image.table(for: RouteKey(subject: 0, prefix: cidr("2001:db8::1/128"))) == [ssh.exact])
        // No address table holds a name rule's entry.
        let nameRules: Set<UInt32> = [1, 2, 3, 4]
        for index in image.routes.values {
            #expect(image.tables[index].allSatisfy { !nameRules.contains($0.verdict.ruleID) })
        }
    }

    @Test func inheritanceStaysWithinOneSubject() throws {
        let yaml = Policies.file(
            Policies.document("node", Self.nodeRules),
            Policies.document(
                "curl",
                """
                subjects: [{executable: /usr/bin/curl}]
                egress:
                  - {name: api-only, action: allow, to: [API.GitHub.com], ports: [443]}
                """))
        let compiled = Policies.compile(yaml)
        let image = try DatapathImage(compiled)
        let curl = try #require(image.subjects[.executable(World.curl)]).index
        #expect(image.table(for: Self.nameRoute(curl, "api.github.com")) == [portEntry(PortRange(443), .allow, rule: 6).exactNamed])
        #expect(image.table(for: Self.nameRoute(curl, "*.github.com")) == nil)
        #expect(image.namePatterns.count == 4, "the node's patterns already include curl's")
    }

    @Test func exactNamesInheritOnlyFromTheirEightNearestParents() throws {
        let deep = (1...9).map { "l\($0)." }.joined() + "example.com"
        let yaml = Policies.document(
            "node",
            """
            egress:
              - {name: wide, action: deny, to: ["*.com"]}
              - {name: host, action: allow, to: [\(deep)]}
            """)
        let image = try DatapathImage(Policies.compile(yaml))
        // `com` is the tenth parent of the name: the kernel never tries *.com for it, so neither
        // may its table.
        #expect(image.table(for: Self.nameRoute(0, deep)) == [portEntry(.any, .allow, rule: 2).exactNamed])
    }
}
