import Testing

@testable import SluiceCore

@Suite struct SlotPlannerTests {
    typealias W = World

    /// Small on purpose, so chains and limits show with a few rules.
    static let limits = SlotLimits(inlineEntries: 2, chunkEntries: 3, maximumChain: 3, subjects: 4, routesPerFamily: 6)
    static let kernelLimits = SlotLimits(inlineEntries: 2, chunkEntries: 8, maximumChain: 32, subjects: 8192, routesPerFamily: 131_072)
    static let empty = SlotContents(chunks: 1..<10)

    static let curl = "subjects: [{executable: /usr/bin/curl}]"

    static func image(_ egress: String, subject: String = curl, previous: DatapathImage? = nil)
        throws -> DatapathImage
    {
        let compiled = Policies.compile(Policies.document("curl", [subject, egress].filter { !$0.isEmpty }.joined(separator: "\n")))
        #expect(compiled.diagnostics == [])
        return try DatapathImage(compiled, previous: previous)
    }

    static func plan(_ image: DatapathImage, into contents: SlotContents = empty, limits: SlotLimits = limits) throws
        -> (plan: SlotPlan, contents: SlotContents)
    {
        try SlotPlanner.plan(image, into: contents, limits: limits)
    }

    static func routeWrites(_ plan: SlotPlan) -> [RouteKey: RouteValue] {
        Dictionary(uniqueKeysWithValues: plan.routeWrites.map { ($0.key, $0.value) })
    }

    static func chunkWrites(_ plan: SlotPlan) -> [UInt32: PortChunk] {
        Dictionary(uniqueKeysWithValues: plan.chunkWrites.map { ($0.index, $0.chunk) })
    }

    static func route(_ block: String, subject: UInt32 = 1) -> RouteKey { RouteKey(subject: subject, prefix: cidr(block)) }
    static func deny(_ port: UInt16, rule: UInt32) -> PortEntry { portEntry(PortRange(port), .deny, rule: rule) }
    static func allow(_ port: UInt16, rule: UInt32) -> PortEntry { portEntry(PortRange(port), .allow, rule: rule) }

    static let twoLevels = """
        egress:
          - {action: allow, to: [10.0.0.0/8], ports: [443]}
          - {action: deny, to: [10.1.0.0/16], ports: [80, 81, 82, 83]}
        """

    @Test func theFirstPlanIntoAnEmptySlotWritesEverything() throws {
        let image = try Self.image(Self.twoLevels)
        let (plan, contents) = try Self.plan(image)
        // 10.1.0.0/16: its own four ports then the /8's 443; two inline, three in one chunk.
        #expect(
            Self.chunkWrites(plan) == [
                1: PortChunk(entries: [Self.deny(82, rule: 2), Self.deny(83, rule: 2), Self.allow(443, rule: 1)], next: 0)
            ])
        #expect(
            Self.routeWrites(plan) == [
                Self.route("10.0.0.0/8"): RouteValue(inline: [Self.allow(443, rule: 1)], next: 0),
                Self.route("10.1.0.0/16"): RouteValue(inline: [Self.deny(80, rule: 2), Self.deny(81, rule: 2)], next: 1),
            ])
        #expect(plan.subjectWrites.map(\.key) == [.executable(W.curl)])
        #expect(plan.subjectWrites.map(\.record) == [SubjectRecord(index: 1, fallback: nil)])
        #expect(plan.routeDeletes.isEmpty && plan.subjectDeletes.isEmpty)
        #expect(plan.writeCount == 4)
        #expect(contents.routes == Self.routeWrites(plan))
        #expect(contents.subjects == image.subjects)
        #expect(contents.chunksInUse == 1)
        #expect(contents.freeChunks == [9, 8, 7, 6, 5, 4, 3, 2])
    }

    @Test func planningTheSameImageAgainWritesNothing() throws {
        let image = try Self.image(Self.twoLevels)
        let first = try Self.plan(image)
        let second = try Self.plan(image, into: first.contents)
        #expect(second.plan.writeCount == 0)
        #expect(second.contents == first.contents)
    }

    @Test func nodeRoutesAreWrittenWithoutASubjectRecord() throws {
        let image = try Self.image("egress:\n  - {action: deny, ports: [25]}", subject: "")
        let (plan, _) = try Self.plan(image)
        #expect(
            Self.routeWrites(plan) == [
                Self.route("0.0.0.0/0", subject: 0): RouteValue(inline: [Self.deny(25, rule: 1)], next: 0),
                Self.route("::/0", subject: 0): RouteValue(inline: [Self.deny(25, rule: 1)], next: 0),
            ])
        #expect(plan.subjectWrites.isEmpty)
    }

    // MARK: Changes

    static let fourRoutes = [
        "  - {action: allow, to: [10.0.0.0/8], ports: [443]}",
        "  - {action: deny, to: [10.1.0.0/16], ports: [80]}",
        "  - {action: deny, to: [192.0.2.0/24], ports: [53]}",
        "  - {action: allow, to: [\"2001:db8::/32\"], ports: [443]}",
    ]

    static func egress(_ rules: [String], default action: String? = nil) -> String {
        (action.map { "default: \($0)\n" } ?? "") + "egress:\n" + rules.joined(separator: "\n")
    }

    /// Plans the image of `fourRoutes`, then the image of `egress` and `subject` into what that
    /// wrote (`base`).
    static func planChange(to egress: String, subject: String = curl) throws
        -> (plan: SlotPlan, contents: SlotContents, base: SlotContents)
    {
        let before = try image(Self.egress(fourRoutes))
        let base = try plan(before).contents
        let after = try plan(try image(egress, subject: subject, previous: before), into: base)
        return (after.plan, after.contents, base)
    }

    /// The egress of `fourRoutes` with rule `index` replaced by `rule`, or removed.
    static func editedFourRoutes(_ index: Int, _ rule: String?) -> String {
        var rules = fourRoutes
        if let rule { rules[index] = rule } else { rules.remove(at: index) }
        return egress(rules)
    }

    @Test func aOneRuleChangeWritesOnlyTheRouteItChanges() throws {
        let (plan, _, _) = try Self.planChange(to: Self.editedFourRoutes(2, "  - {action: deny, to: [192.0.2.0/24], ports: [5353]}"))
        #expect(Self.routeWrites(plan) == [Self.route("192.0.2.0/24"): RouteValue(inline: [Self.deny(5353, rule: 3)], next: 0)])
        #expect(plan.writeCount == 1)
    }

    @Test func aChangeToAShorterPrefixRewritesTheLongerOnesThatInheritIt() throws {
        let (plan, _, _) = try Self.planChange(to: Self.editedFourRoutes(0, "  - {action: allow, to: [10.0.0.0/8], ports: [8443]}"))
        #expect(
            Self.routeWrites(plan) == [
                Self.route("10.0.0.0/8"): RouteValue(inline: [Self.allow(8443, rule: 1)], next: 0),
                Self.route("10.1.0.0/16"): RouteValue(inline: [Self.deny(80, rule: 2), Self.allow(8443, rule: 1)], next: 0),
            ])
        #expect(plan.writeCount == 2)
    }

    @Test func aNewDefaultWritesOnlyTheSubject() throws {
        let (plan, _, _) = try Self.planChange(to: Self.egress(Self.fourRoutes, default: "deny"))
        #expect(plan.subjectWrites.map(\.key) == [.executable(W.curl)])
        #expect(plan.subjectWrites.map(\.record) == [SubjectRecord(index: 1, fallback: Verdict(ruleID: 5, action: .deny, monitor: false))])
        #expect(plan.writeCount == 1)
    }

    @Test func removedRulesAndSubjectsAreDeleted() throws {
        let (plan, _, _) = try Self.planChange(to: Self.editedFourRoutes(3, nil))
        #expect(plan.routeDeletes == [Self.route("2001:db8::/32")])
        #expect(plan.writeCount == 1)

        let (gone, contents, base) = try Self.planChange(to: "", subject: "")
        #expect(Set(gone.routeDeletes) == Set(base.routes.keys))
        #expect(gone.subjectDeletes == [.executable(W.curl)])
        #expect(gone.writeCount == 5)
        #expect(contents.routes.isEmpty && contents.subjects.isEmpty)
    }

    /// Rule ids count rules in order, so removing a rule renumbers the rules after it and their
    /// routes are rewritten too.
    @Test func removingAnEarlierRuleRewritesTheRoutesOfLaterRules() throws {
        let (plan, _, _) = try Self.planChange(to: Self.editedFourRoutes(2, nil))
        #expect(plan.routeDeletes == [Self.route("192.0.2.0/24")])
        #expect(Self.routeWrites(plan) == [Self.route("2001:db8::/32"): RouteValue(inline: [Self.allow(443, rule: 3)], next: 0)])
        #expect(plan.writeCount == 2)
    }

    /// A cgroup renamed in place keeps its id, so its new path is the same kernel subject. The
    /// plan writes the new key and deletes the old one, and the kernel layer applies subject
    /// writes before deletes: both name one `sluice_subjects` entry, so the delete removes what
    /// the write put there, and the slot's contents believe it is present from then on.
    @Test func aRenamedCgroupKeepsItsKernelSubject() throws {
        let yaml = Policies.document(
            "web", "subjects: [{cgroup: app.slice/web.service}, {cgroup: app.slice/site.service}]\ndefault: deny")
        let first = try DatapathImage(Policies.compile(yaml))
        var renamed = W.resolver
        let site = CgroupIdentity(id: W.web.id, level: W.web.level, path: "/app.slice/site.service")
        renamed.cgroups["app.slice/site.service"] = .success(site)
        renamed.cgroups["app.slice/web.service"] = nil
        let second = try DatapathImage(Policies.compile(yaml, resolver: renamed), previous: first)
        #expect(Array(second.subjects.keys) == [.cgroup(site)])

        var slot = KernelSlotSimulator(limits: Self.limits, chunkRange: 1..<10)
        let (firstPlan, contents) = try Self.plan(first)
        slot.apply(firstPlan, config: first)
        let (secondPlan, _) = try Self.plan(second, into: contents)
        // A cgroup is its id and level; the path is a label: nothing to rewrite.
        #expect(secondPlan.subjectWrites.isEmpty && secondPlan.subjectDeletes.isEmpty)
        slot.apply(secondPlan, config: second)
        let flow = FlowQuery(
            executable: nil, cgroupAncestry: [W.root, W.app, site], destination: IPAddress("192.0.2.1")!, port: 443, transport: .tcp)
        #expect(DecisionEngine(image: second).decide(flow).verdict.action == .deny)
        #expect(slot.subjects.count == 1)
        #expect(slot.decide(flow).verdict.action == .deny)
    }

    // MARK: Chunks

    static let ninePorts = "egress:\n  - {action: deny, to: [10.0.0.0/8], ports: [\((1...9).map(String.init).joined(separator: ", "))]}"

    @Test func aLongTableChainsIntoFullChunks() throws {
        let (plan, contents) = try Self.plan(try Self.image(Self.ninePorts))
        #expect(
            Self.routeWrites(plan) == [
                Self.route("10.0.0.0/8"): RouteValue(inline: [Self.deny(1, rule: 1), Self.deny(2, rule: 1)], next: 1)
            ])
        #expect(plan.chunkWrites.map(\.index) == [1, 2, 3])
        #expect(
            plan.chunkWrites.map(\.chunk) == [
                PortChunk(entries: [3, 4, 5].map { Self.deny($0, rule: 1) }, next: 2),
                PortChunk(entries: [6, 7, 8].map { Self.deny($0, rule: 1) }, next: 3),
                PortChunk(entries: [Self.deny(9, rule: 1)], next: 0),
            ])
        #expect(contents.chunksInUse == 3)
    }

    @Test func theKernelsChunksHoldEightEntries() throws {
        let ports = (1...20).map(String.init).joined(separator: ", ")
        let (plan, _) = try Self.plan(
            try Self.image("egress:\n  - {action: deny, ports: [\(ports)], to: [10.0.0.0/8]}"), limits: Self.kernelLimits)
        #expect(plan.chunkWrites.map(\.chunk.entries.count) == [8, 8, 2])
        #expect(plan.chunkWrites.map(\.chunk.next) == [2, 3, 0])
        #expect(plan.routeWrites.map(\.value.inline.count) == [2])
    }

    @Test func routesWithTheSameTailShareOneChain() throws {
        let image = try Self.image(
            """
            egress:
              - {action: allow, to: [10.0.0.0/8], ports: [1, 2]}
              - {action: deny, to: [10.1.0.0/16], ports: [80, 81]}
              - {action: deny, to: [10.2.0.0/16], ports: [90, 91]}
            """)
        let (plan, _) = try Self.plan(image)
        // Both /16 tables end with the /8's two entries after their own two inline ones.
        #expect(Self.chunkWrites(plan) == [1: PortChunk(entries: [1, 2].map { Self.allow($0, rule: 1) }, next: 0)])
        #expect(
            Self.routeWrites(plan).mapValues(\.next) == [
                Self.route("10.0.0.0/8"): 0, Self.route("10.1.0.0/16"): 1, Self.route("10.2.0.0/16"): 1,
            ])
    }

    @Test func chunksOfTailsNoLongerUsedAreFreedAndReused() throws {
        let first = try Self.image(Self.ninePorts)
        let base = try Self.plan(first).contents
        let shorter = "egress:\n  - {action: deny, to: [10.0.0.0/8], ports: [\((11...16).map(String.init).joined(separator: ", "))]}"
        let (plan, contents) = try Self.plan(try Self.image(shorter, previous: first), into: base)
        // The old chain's chunks 1, 2, 3 are free again; the most recently freed are taken first.
        #expect(plan.chunkWrites.map(\.index) == [3, 2])
        #expect(
            plan.chunkWrites.map(\.chunk) == [
                PortChunk(entries: [13, 14, 15].map { Self.deny($0, rule: 1) }, next: 2),
                PortChunk(entries: [Self.deny(16, rule: 1)], next: 0),
            ])
        #expect(Self.routeWrites(plan)[Self.route("10.0.0.0/8")]?.next == 3)
        #expect(contents.chunksInUse == 2)
        #expect(Set(contents.freeChunks) == [1, 4, 5, 6, 7, 8, 9])

        let (none, emptied) = try Self.plan(try Self.image("egress:\n  - {action: deny, to: [10.0.0.0/8]}"), into: contents)
        #expect(none.chunkWrites.isEmpty)
        #expect(emptied.chunksInUse == 0)
        #expect(Set(emptied.freeChunks) == Set(1..<10))
    }

    // MARK: Capacity

    /// A policy over a capacity: the limits and contents it does not fit, the error and its
    /// message, and where there is one, the next size up, which it fits.
    struct CapacityCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var egress: String
        var subject = SlotPlannerTests.curl
        var limits = SlotPlannerTests.limits
        var contents = SlotPlannerTests.empty
        var error: SlotCapacityError
        var message: String
        var fits: (limits: SlotLimits, contents: SlotContents)?
    }

    static let capacityCases: [CapacityCase] = {
        var oneSubject = limits
        oneSubject.subjects = 1
        var twoRoutes = limits
        twoRoutes.routesPerFamily = 2
        var threeRoutes = limits
        threeRoutes.routesPerFamily = 3
        let twelvePorts = (1...12).map(String.init).joined(separator: ", ")
        return [
            CapacityCase(
                testDescription: "too many subjects", egress: "default: deny",
                subject: "subjects: [{executable: /usr/bin/curl}, {executable: /usr/bin/wget}]", limits: oneSubject,
                error: .subjects(count: 2, maximum: 1),
                message: "the policy has 2 subjects (executable and cgroup identities); the agent holds at most 1; raise --max-subjects"),
            CapacityCase(
                testDescription: "too many destinations",
                egress: "egress:\n  - {action: deny, to: [10.0.0.0/8, 10.1.0.0/16, 10.2.0.0/16, \"::1\"]}", limits: twoRoutes,
                error: .destinations(.ipv4, count: 3, maximum: 2),
                message: "the policy has 3 ipv4 destinations across its subjects; the agent holds at most 2; raise --max-destinations",
                fits: (threeRoutes, empty)),
            CapacityCase(
                testDescription: "too few chunks", egress: ninePorts, contents: SlotContents(chunks: 1..<3),
                error: .portChunks(available: 2),
                message: "the policy needs more port-table chunks than the 2 a slot holds; raise --max-port-chunks",
                fits: (limits, SlotContents(chunks: 1..<4))),
            CapacityCase(
                testDescription: "a table longer than the kernel matches",
                egress: "egress:\n  - {action: deny, to: [10.0.0.0/8], ports: [\(twelvePorts)]}",
                error: .portEntries(count: 12, maximum: 11),
                message: "a destination has 12 port entries (its own and those of the shorter prefixes it inherits); "
                    + "the kernel programs match at most 11"),
        ]
    }()

    @Test(arguments: capacityCases)
    func aPolicyOverACapacityIsRefused(_ test: CapacityCase) throws {
        let image = try Self.image(test.egress, subject: test.subject)
        let error = #expect(throws: SlotCapacityError.self) { try Self.plan(image, into: test.contents, limits: test.limits) }
        #expect(error?.description == test.message)
        #expect(error == test.error)
        if let fits = test.fits {
            #expect(throws: Never.self) { try Self.plan(image, into: fits.contents, limits: fits.limits) }
        }
    }
}
