import Testing

@testable import SluiceCore

@Suite struct DatapathImageTests {
    typealias W = World

    static func image(_ yaml: String, resolver: TableResolver = W.resolver, previous: DatapathImage? = nil) throws
        -> DatapathImage
    {
        let compiled = Policies.compile(yaml, resolver: resolver)
        #expect(compiled.diagnostics == [])
        return try DatapathImage(compiled, previous: previous)
    }

    static func route(_ subject: UInt32, _ block: String) -> RouteKey { RouteKey(subject: subject, prefix: cidr(block)) }

    /// The image of one policy for curl, named `name`, with `egress`.
    static func curlImage(_ name: String, _ egress: String) throws -> DatapathImage {
        try image(Policies.document(name, "subjects: [{executable: /usr/bin/curl}]\n" + egress))
    }

    @Test func tablesPutOwnEntriesBeforeTheInheritedOnes() throws {
        let image = try Self.curlImage(
            "curl",
            """
            egress:
              - {name: lan-https, action: allow, to: [10.0.0.0/8], ports: [443], protocol: tcp}
              - {name: site-web, action: deny, to: [10.1.0.0/16], ports: [80, 8000-8999]}
              - {name: host-ssh, action: alert, to: [10.1.2.3], ports: [22]}
              - {name: other-host, action: deny, to: [10.2.0.9]}
              - {name: v6, action: allow, to: ["2001:db8::/32"]}
            """)
        let https = portEntry(PortRange(443), .tcp, .allow, rule: 1)
        let web = [portEntry(PortRange(80), .deny, rule: 2), portEntry(portRange(8000, 8999), .deny, rule: 2)]
        let expected: [RouteKey: [PortEntry]] = [
            Self.route(1, "10.0.0.0/8"): [https],
            Self.route(1, "10.1.0.0/16"): web + [https],
            // The /32 inherits the /16's table, which holds the /8's.
            // Only a host's own entries are marked exact: the kernel weighs those against names.
            Self.route(1, "10.1.2.3/32"): [portEntry(PortRange(22), .alert, rule: 3).exact] + web + [https],
            // No /16 above this host: it inherits the /8; its any-port entry shadows 443/tcp.
            Self.route(1, "10.2.0.9/32"): [portEntry(.any, .deny, rule: 4).exact],
            // The other family's trie is separate: nothing inherited from IPv4.
            Self.route(1, "2001:db8::/32"): [portEntry(.any, .allow, rule: 5)],
        ]
        #expect(image.routes.mapValues { image.tables[$0] } == expected)
        #expect(image.tables.count == 5)
        #expect(image.table(for: Self.route(1, "10.1.0.0/16")) == web + [https])
        #expect(image.table(for: Self.route(0, "10.1.0.0/16")) == nil)
    }

    @Test func ownEntriesAreSortedByPrecedence() throws {
        let image = try Self.curlImage(
            "order",
            """
            egress:
              - {action: alert, to: [192.0.2.0/24]}
              - {action: allow, to: [192.0.2.0/24], ports: [1-1024], protocol: tcp}
              - {action: deny, to: [192.0.2.0/24], ports: [1-1024]}
              - {action: allow, to: [192.0.2.0/24], ports: [443], protocol: udp}
              - {action: deny, to: [192.0.2.0/24], ports: [53]}
              - {action: allow, to: [192.0.2.0/24], ports: [100-199]}
              - {action: deny, to: [192.0.2.0/24], ports: [150-249]}
              - {action: alert, to: [192.0.2.0/24], ports: [120-219]}
            """)
        #expect(
            image.table(for: Self.route(1, "192.0.2.0/24")) == [
                // Single ports; a specific protocol first.
                portEntry(PortRange(443), .udp, .allow, rule: 4),
                portEntry(PortRange(53), .any, .deny, rule: 5),
                // Equal widths: the more severe first, then by first port.
                portEntry(portRange(150, 249), .deny, rule: 7),
                portEntry(portRange(120, 219), .alert, rule: 8),
                portEntry(portRange(100, 199), .allow, rule: 6),
                portEntry(portRange(1, 1024), .tcp, .allow, rule: 2),
                portEntry(portRange(1, 1024), .any, .deny, rule: 3),
                portEntry(.any, .alert, rule: 1),
            ])
    }

    @Test func identicalTablesAreInternedOnce() throws {
        let image = try Self.image(
            Policies.file(
                Policies.document(
                    "two",
                    """
                    subjects: [{executable: /usr/bin/curl}, {executable: /usr/bin/wget}, {cgroup: app.slice}]
                    egress:
                      - {action: deny, to: [10.0.0.0/8, 192.0.2.0/24], ports: [25]}
                    """),
                Policies.document("node", "egress:\n  - {action: deny, to: [10.0.0.0/8, 192.0.2.0/24], ports: [25]}")))
        #expect(image.routes.count == 8)
        // Rule 2 for the node (built first), rule 1 for the subjects: two distinct tables, each shared.
        #expect(image.tables == [[portEntry(PortRange(25), .deny, rule: 2)], [portEntry(PortRange(25), .deny, rule: 1)]])
        #expect(Set(image.routes.filter { $0.key.subject == 0 }.values) == [0])
        #expect(Set(image.routes.filter { $0.key.subject != 0 }.values) == [1])
    }

    // MARK: Shadowed entries

    struct ShadowCase: Sendable, CustomTestStringConvertible {
        var name: String
        var table: [PortEntry]
        var kept: [Int]
        var testDescription: String { name }
    }

    static func e(_ lower: UInt16, _ upper: UInt16, _ transport: TransportProtocol = .any, _ rule: UInt32 = 1) -> PortEntry {
        portEntry(portRange(lower, upper), transport, .allow, rule: rule)
    }

    @Test(arguments: [
        ShadowCase(name: "any port and protocol covers everything after", table: [e(0, 65535), e(80, 80, .tcp), e(1, 10)], kept: [0]),
        ShadowCase(name: "tcp does not cover udp", table: [e(0, 65535, .tcp), e(80, 80, .udp)], kept: [0, 1]),
        ShadowCase(name: "tcp does not cover any protocol", table: [e(80, 80, .tcp), e(80, 80)], kept: [0, 1]),
        ShadowCase(name: "any protocol covers tcp", table: [e(80, 80), e(80, 80, .tcp, 2)], kept: [0]),
        ShadowCase(name: "a range covers what lies inside it", table: [e(1, 1024), e(80, 80, .tcp), e(2000, 2000)], kept: [0, 2]),
        ShadowCase(name: "overlap is not cover", table: [e(100, 199), e(150, 249), e(120, 180, .udp)], kept: [0, 1]),
        ShadowCase(name: "an equal entry later is dropped", table: [e(53, 53, .udp, 3), e(53, 53, .udp, 3)], kept: [0]),
        ShadowCase(name: "two ranges together do not cover", table: [e(1, 100), e(101, 200), e(50, 150)], kept: [0, 1, 2]),
    ])
    func removesOnlyEntriesAnEarlierOneCovers(_ test: ShadowCase) {
        #expect(RouteTableBuilder.removingShadowed(test.table) == test.kept.map { test.table[$0] })
    }

    /// Shadowed entries can never be first to match: random tables decide every port and
    /// protocol the same with and without them.
    @Test func removingShadowedEntriesChangesNoDecision() {
        var rng = SplitMix64(seed: 7)
        let ports: [UInt16] = [0, 1, 22, 53, 79, 80, 81, 443, 1023, 1024, 1025, 8080, 65534, 65535]
        for _ in 0..<500 {
            let table = (0..<rng.between(0, 12)).map { index -> PortEntry in
                let lower = rng.pick(ports)
                let upper = rng.chance(30) ? lower : max(lower, rng.pick(ports))
                return portEntry(
                    portRange(lower, upper), rng.pick(TransportProtocol.allCases), rng.pick(RuleAction.allCases),
                    rule: UInt32(index))
            }
            let kept = RouteTableBuilder.removingShadowed(table)
            #expect(RouteTableBuilder.removingShadowed(kept) == kept)
            for port in ports {
                for transport in TransportProtocol.allCases {
                    let first = { (entries: [PortEntry]) in
                        entries.first { $0.matches(port: port, protocolNumber: transport.number) }
                    }
                    #expect(first(table) == first(kept), "\(table) port \(port)/\(transport)")
                }
            }
        }
    }

    // MARK: Subjects

    static let generationOne = Policies.file(
        Policies.document("curl-web", "subjects: [{executable: /usr/bin/curl, cgroup: app.slice/web.service}]\ndefault: allow"),
        Policies.document("curl", "subjects: [{executable: /usr/bin/curl}]\negress:\n  - {action: deny, to: [10.0.0.0/8]}"),
        Policies.document("python", "subjects: [{executable: /usr/bin/python3}]\negress:\n  - {action: deny, to: [192.0.2.0/24]}"),
        Policies.document("web", "subjects: [{cgroup: app.slice/web.service}]\ndefault: deny"))

    static let generationTwo = Policies.file(
        Policies.document("curl-web", "subjects: [{executable: /usr/bin/curl, cgroup: app.slice/web.service}]\ndefault: allow"),
        Policies.document("python", "subjects: [{executable: /usr/bin/python3}]\negress:\n  - {action: deny, to: [192.0.2.0/24]}"),
        Policies.document("web", "subjects: [{cgroup: app.slice/web.service}]\ndefault: deny"),
        Policies.document("wget", "subjects: [{executable: /usr/bin/wget}]\ndefault: alert"),
        Policies.document("app", "subjects: [{cgroup: app.slice}]\ndefault: alert"))

    static func indices(_ image: DatapathImage) -> [SubjectKey: UInt32] { image.subjects.mapValues(\.index) }

    @Test func aFreshBuildNumbersSubjectsInAFixedOrder() throws {
        let image = try Self.image(Self.generationOne)
        // Executable-in-cgroup, then executables by device and inode, then cgroups by id; the node is 0.
        #expect(
            Self.indices(image) == [
                .executableInCgroup(W.curl, W.web): 1, .executable(W.curl): 2, .executable(W.python): 3, .cgroup(W.web): 4,
            ])
        #expect(try Self.image(Self.generationOne) == image)
        #expect(image.node.index == 0)
    }

    @Test func subjectsKeepTheirIndicesAcrossGenerations() throws {
        let first = try Self.image(Self.generationOne)
        let second = try Self.image(Self.generationTwo, previous: first)
        #expect(
            Self.indices(second) == [
                .executableInCgroup(W.curl, W.web): 1, .executable(W.python): 3, .cgroup(W.web): 4,
                // New subjects take the lowest free indices: curl's 2, then 5.
                .executable(W.wget): 2, .cgroup(W.app): 5,
            ])
        // The unchanged subject's routes are the same keys, so they need no rewrite.
        #expect(first.routes.keys.filter { $0.subject == 3 } == second.routes.keys.filter { $0.subject == 3 })
        // Without the previous image the numbering starts over and moves python.
        let fresh = try Self.image(Self.generationTwo)
        #expect(
            Self.indices(fresh) == [
                .executableInCgroup(W.curl, W.web): 1, .executable(W.python): 2, .executable(W.wget): 3, .cgroup(W.app): 4,
                .cgroup(W.web): 5,
            ])
    }

    @Test func theNodeRecordCarriesTheNodeDefault() throws {
        #expect(try Self.image("").node == SubjectRecord(index: 0, fallback: Verdict(ruleID: 0, action: .allow, monitor: false)))
        let image = try Self.image(Policies.document("node", "mode: monitor\ndefault: deny"))
        #expect(image.node == SubjectRecord(index: 0, fallback: Verdict(ruleID: 1, action: .deny, monitor: true)))
        #expect(image.subjects.isEmpty && image.routes.isEmpty && image.tables.isEmpty)
        #expect(!image.hasExecutableSubjects && !image.hasCgroupSubjects && !image.hasExecutableInCgroupSubjects)
    }

    @Test func cgroupLevelsAreListedDeepestFirst() throws {
        let image = try Self.image(
            Policies.document(
                "levels",
                """
                subjects:
                  - {cgroup: app.slice}
                  - {cgroup: app.slice/web.service/worker}
                  - {cgroup: app.slice/web.service}
                  - {cgroup: batch.slice}
                  - {executable: /usr/bin/curl, cgroup: batch.slice}
                  - {executable: /usr/bin/curl, cgroup: app.slice/web.service}
                default: deny
                """))
        #expect(image.cgroupLevels == [3, 2, 1])
        #expect(image.executableInCgroupLevels == [2, 1])
        #expect(image.hasCgroupSubjects && image.hasExecutableInCgroupSubjects && !image.hasExecutableSubjects)
    }

    /// A chain of cgroups `l1/l2/…/lN`, one per level.
    static func deepResolver(levels: Int) -> (resolver: TableResolver, paths: [String]) {
        var resolver = W.resolver
        let paths = (1...levels).map { depth in (1...depth).map { "l\($0)" }.joined(separator: "/") }
        for (index, path) in paths.enumerated() {
            resolver.cgroups[path] = .success(CgroupIdentity(id: UInt64(1000 + index), level: index + 1, path: "/" + path))
        }
        return (resolver, paths)
    }

    @Test(arguments: [16, 17])
    func atMostSixteenCgroupLevels(levels: Int) throws {
        let (resolver, paths) = Self.deepResolver(levels: levels)
        for (kind, subject) in [
            ("cgroup", { (path: String) in "{cgroup: \(path)}" }),
            ("executable-in-cgroup", { (path: String) in "{executable: /usr/bin/curl, cgroup: \(path)}" }),
        ] {
            let yaml = Policies.document("deep", "subjects: [\(paths.map(subject).joined(separator: ", "))]\ndefault: deny")
            if levels <= 16 {
                let image = try Self.image(yaml, resolver: resolver)
                #expect((kind == "cgroup" ? image.cgroupLevels : image.executableInCgroupLevels) == Array((1...levels).reversed()))
            } else {
                let error = #expect(throws: DatapathImageError.self) { try Self.image(yaml, resolver: resolver) }
                #expect(
                    error?.description
                        == "\(kind) subjects sit at 17 different cgroup depths; the kernel programs check at most 16")
                #expect(error == .tooManyCgroupDepths(kind == "cgroup" ? .cgroup : .executableInCgroup, depths: 17, maximum: 16))
            }
        }
    }

    @Test func theLevelLimitCanBeLowered() throws {
        let compiled = Policies.compile(
            Policies.document("two", "subjects: [{cgroup: app.slice}, {cgroup: batch.slice}, {cgroup: app.slice/web.service}]"))
        #expect(try DatapathImage(compiled, maximumCgroupLevels: 2).cgroupLevels == [2, 1])
        #expect(throws: DatapathImageError.self) { try DatapathImage(compiled, maximumCgroupLevels: 1) }
    }
}
