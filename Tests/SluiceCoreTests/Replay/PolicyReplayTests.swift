import Testing

@testable import SluiceCore

/// Replaying recorded decisions under the policies in force and a candidate set.
@Suite struct PolicyReplayTests {
    static let curl = "/usr/bin/curl"
    static let python = "/usr/bin/python3"

    /// A decision as the agent records it; by default the built-in node default allowed it.
    static func event(
        _ exe: String?, exeID: String? = nil, to address: String, port: UInt16, node: String = "n1", cgroup: String = "/app.slice/web.service",
        verdict: RuleAction = .allow, policy: String? = nil, rule: String = "node-default", domain: String? = nil, time: Int64 = 1_795_276_501_000_000_000
    ) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: time, node: node, pid: 42, uid: 1000, comm: exe.map { String($0.split(separator: "/").last!) } ?? "worker",
            exe: exe, exeID: exeID ?? exe.map { "8:1:\(PathIdentity.hash($0) % 100_000)" }, cgroup: cgroup, cgroupID: 7, transport: "tcp",
            family: .ipv4, destination: IPAddress(address)!, port: port, verdict: verdict, enforced: true, policy: policy, rule: rule,
            hook: "connect4", generation: 1, mapped: false, dstDomain: domain)
    }

    static func replay(
        _ events: [DecisionEvent], current: String = "", candidate: String, limits: PolicyReplay.Limits = .init()
    ) throws -> ReplayReport {
        let now = current.isEmpty ? PolicySet.empty : Policies.set(current)
        let next = now.replacing(with: Policies.set(candidate).policies)
        return try PolicyReplay.run(events: events, policies: { _ in .init(current: now, candidate: next) }, limits: limits)
    }

    static let lockdown = Policies.document(
        "lockdown",
        """
        subjects: [{executable: /usr/bin/curl}]
        default: deny
        egress:
          - {name: web, action: allow, ports: [443]}
        """)

    @Test func countsAllowedTrafficTheCandidateDenies() throws {
        let events =
            Array(repeating: Self.event(Self.curl, to: "192.0.2.1", port: 443), count: 3)
            + Array(repeating: Self.event(Self.curl, to: "192.0.2.1", port: 22), count: 2)
            + [Self.event(Self.python, to: "192.0.2.1", port: 22)]
        let report = try Self.replay(events, candidate: Self.lockdown)
        #expect(report.events == 6 && report.unchanged == 4 && report.changed == 2)
        #expect(report.newlyDenied == 2 && report.newlyAllowed == 0 && report.unknown == 0)
        #expect(report.applicationsNewlyDenied == 1 && report.deniesAllowedTraffic)
        #expect(report.rows.count == 1)
        let row = try #require(report.rows.first)
        #expect(row.application == Self.curl && row.destination == "192.0.2.1" && row.port == 22 && row.transport == "tcp")
        #expect(row.changes == [ReplayChange(from: "allow", to: "deny", count: 2, newlyDenied: true)])
        #expect(row.before == ["node-default"] && row.after == ["lockdown/default"])
        #expect(row.examples.count == 2 && row.examples[0].before == "allow by node-default" && row.examples[0].after == "deny by lockdown/default")
        #expect(report.summary.contains("would have denied 2 connections of 1 application"))
    }

    @Test func loosenedPolicyReportsNewlyAllowedAndDoesNotGate() throws {
        let denied = Self.event(Self.curl, to: "192.0.2.1", port: 22, verdict: .deny, policy: "lockdown", rule: "default")
        let loosened = Policies.document(
            "lockdown",
            """
            subjects: [{executable: /usr/bin/curl}]
            default: deny
            egress:
              - {name: web, action: allow, ports: [443]}
              - {name: ssh, action: allow, ports: [22]}
            """)
        let report = try Self.replay([denied], current: Self.lockdown, candidate: loosened)
        #expect(report.newlyAllowed == 1 && report.newlyDenied == 0 && !report.deniesAllowedTraffic)
        #expect(report.rows.first?.changes == [ReplayChange(from: "deny", to: "allow", count: 1, newlyDenied: false)])
        #expect(report.rows.first?.after == ["lockdown/ssh"])
    }

    @Test func aDecisionTheCurrentPoliciesDoNotReproduceIsUnknown() throws {
        // Decided on the node by a policy the server does not hold (a node-local one).
        let local = Self.event(Self.curl, to: "192.0.2.9", port: 80, verdict: .deny, policy: "local-only", rule: "egress[0]")
        let report = try Self.replay([local], candidate: Self.lockdown)
        #expect(report.unknown == 1 && report.changed == 0 && report.newlyDenied == 0)
        let row = try #require(report.rows.first)
        #expect(row.unknown == 1 && row.changes.isEmpty)
        #expect(row.unknownReasons == ["recorded deny by local-only/egress[0]; the current policies give allow by node-default"])
    }

    @Test func flowRecordsAndClosedConnectionsAreNotReplayed() throws {
        var flow = Self.event(Self.curl, to: "192.0.2.1", port: 22)
        flow.flow = FlowCounts(flowID: 1, bytesSent: 10, bytesReceived: 20, packetsSent: 1, packetsReceived: 1, durationMilliseconds: 5, final: true)
        var closed = Self.event(Self.curl, to: "192.0.2.1", port: 22)
        closed.closed = true
        var icmp = Self.event(Self.curl, to: "192.0.2.1", port: 0)
        icmp.transport = "47"
        let report = try Self.replay([flow, closed, icmp, Self.event(Self.curl, to: "192.0.2.1", port: 22)], candidate: Self.lockdown)
        #expect(report.skipped == 3 && report.events == 1 && report.newlyDenied == 1)
    }

    @Test func eachNodeGetsItsOwnPoliciesAndIdentities() throws {
        // The same path is another file on each node; the candidate reaches n1 only.
        let events = [
            Self.event(Self.curl, exeID: "8:1:5", to: "192.0.2.1", port: 22, node: "n1"),
            Self.event(Self.curl, exeID: "8:1:6", to: "192.0.2.1", port: 22, node: "n2"),
        ]
        let candidate = Policies.set(Self.lockdown)
        let report = try PolicyReplay.run(
            events: events, policies: { node in .init(current: .empty, candidate: node == "n1" ? candidate : .empty) })
        #expect(report.nodes == ["n1", "n2"] && report.newlyDenied == 1)
        #expect(report.rows.first?.examples.map(\.node) == ["n1"])
    }

    /// Nodes are counted on lanes of their own and merged in node order: a row several nodes
    /// share sums their counts and keeps the first examples, rules and reasons in node order,
    /// however many lanes there are.
    @Test(arguments: [1, 2, 4])
    func nodesCountedApartMergeAsOneCount(lanes: Int) throws {
        var events: [DecisionEvent] = []
        for round in 0..<2 {
            for node in ["c", "a", "b"] {
                events.append(Self.event(Self.curl, to: "192.0.2.1", port: 22, node: node, time: 1_795_276_501_000_000_000 + Int64(round)))
            }
        }
        events.append(Self.event(Self.curl, to: "192.0.2.1", port: 22, node: "b", verdict: .deny, policy: "gone", rule: "r"))
        events.append(Self.event(Self.curl, to: "192.0.2.9", port: 22, node: "c"))
        let report = try Self.replay(events, candidate: Self.lockdown, limits: .init(parallelism: lanes))
        #expect(report.nodes == ["a", "b", "c"])
        #expect(report.events == 8 && report.newlyDenied == 7 && report.unknown == 1 && report.applicationsNewlyDenied == 1)
        #expect(report.from == RFC3339.format(1_795_276_501_000_000_000) && report.to == RFC3339.format(1_795_276_501_000_000_001))
        let shared = try #require(report.rows.first { $0.destination == "192.0.2.1" })
        #expect(shared.changes == [ReplayChange(from: "allow", to: "deny", count: 6, newlyDenied: true)])
        #expect(shared.unknown == 1 && shared.unknownReasons.count == 1)
        #expect(shared.before == ["node-default"] && shared.after == ["lockdown/default"])
        #expect(shared.examples.map(\.node) == ["a", "a", "b"])
        #expect(report.rows.first { $0.destination == "192.0.2.9" }?.examples.map(\.node) == ["c"])
    }

    @Test func anExecutableNoEventRanIsNamedAsUnknown() throws {
        let wget = Policies.document("fetch", "subjects: [{executable: /usr/bin/wget}]\ndefault: deny")
        let report = try Self.replay([Self.event(Self.curl, to: "192.0.2.1", port: 443)], candidate: wget)
        #expect(report.newlyDenied == 0)
        #expect(report.notes.contains { $0.contains("no recorded event of node n1 ran /usr/bin/wget") })
    }

    @Test func aCgroupPolicyCoversTheCgroupsBelowIt() throws {
        // Absolute under a common mount, or relative: the same cgroup.
        for path in ["/sys/fs/cgroup/unified/app.slice", "app.slice"] {
            let policy = Policies.document("apps", "subjects: [{cgroup: \(path)}]\ndefault: deny")
            let report = try Self.replay([Self.event(nil, to: "192.0.2.1", port: 443)], candidate: policy)
            #expect(report.newlyDenied == 1, "\(path)")
            #expect(report.rows.first?.application == "[worker]")
            #expect(report.rows.first?.cgroup == "/app.slice/web.service")
        }
    }

    @Test func aMonitoredDenyIsAChangeButNoDenial() throws {
        let monitored = Policies.document(
            "lockdown", "mode: monitor\nsubjects: [{executable: /usr/bin/curl}]\ndefault: deny")
        let report = try Self.replay([Self.event(Self.curl, to: "192.0.2.1", port: 22)], candidate: monitored)
        #expect(report.changed == 1 && report.newlyDenied == 0)
        #expect(report.rows.first?.changes.first?.to == "deny (monitor)")
    }

    @Test func nameRulesUseTheRecordedNameAndSayWhenThereIsNone() throws {
        let github = Policies.document(
            "github",
            """
            subjects: [{executable: /usr/bin/curl}]
            default: deny
            egress:
              - {action: allow, to: ["*.github.com"], ports: [443]}
            """)
        let named = Self.event(Self.curl, to: "140.82.112.5", port: 443, domain: "api.github.com")
        let unnamed = Self.event(Self.curl, to: "140.82.112.6", port: 443)
        let report = try Self.replay([named, unnamed], candidate: github)
        #expect(report.newlyDenied == 1)
        #expect(report.rows.first?.destination == "140.82.112.6")
        #expect(report.notes.contains { $0.hasPrefix("1 replayed decisions recorded no name") })
    }

    @Test func rowsBeyondTheLimitAreCountedNotListed() throws {
        let events = (1...5).map { Self.event(Self.curl, to: "192.0.2.\($0)", port: 22) }
        let report = try Self.replay(events, candidate: Self.lockdown, limits: .init(rows: 2))
        #expect(report.newlyDenied == 5 && report.rows.count == 2 && report.rowsOmitted == 3)
    }

    @Test func aSpentBudgetStopsWithAClearMessage() throws {
        let report = try Self.replay([Self.event(Self.curl, to: "192.0.2.1", port: 22)], candidate: Self.lockdown, limits: .init(budget: .zero))
        #expect(report.events == 0)
        #expect(report.incomplete?.contains("time budget") == true)
    }

    @Test func hardLinksSeenInEventsContradictLikeOnTheNode() throws {
        // Events show two paths run as one file: rules for both meet on one kernel subject.
        let events = [
            Self.event(Self.curl, exeID: "8:1:5", to: "192.0.2.1", port: 22),
            Self.event("/usr/local/bin/curl", exeID: "8:1:5", to: "192.0.2.1", port: 22),
        ]
        let contradiction = Policies.file(
            Policies.document("a", "subjects: [{executable: /usr/bin/curl}]\negress:\n  - {action: allow, ports: [22]}"),
            Policies.document("b", "subjects: [{executable: /usr/local/bin/curl}]\negress:\n  - {action: deny, ports: [22]}"))
        #expect(throws: PolicyReplayError.self) {
            try Self.replay(events, candidate: contradiction)
        }
    }

    @Test func outcomesHangingOnKernelStateAreReproducedByTheirRule() throws {
        let limited = Policies.document(
            "limited",
            """
            subjects: [{executable: /usr/bin/curl}]
            egress:
              - {name: slow, action: rate-limit, rate: "20/s", ports: [443]}
            """)
        let admitted = Self.event(Self.curl, to: "192.0.2.1", port: 443, policy: "limited", rule: "slow")
        let refused = Self.event(Self.curl, to: "192.0.2.1", port: 443, verdict: .rateLimit, policy: "limited", rule: "slow")
        let report = try Self.replay([admitted, refused], current: limited, candidate: Self.lockdown.replacingOccurrences(of: "lockdown", with: "limited"))
        #expect(report.unknown == 0 && report.events == 2)
        // What the bucket did is in the record: the admitted connect passed and still does.
        #expect(report.unchanged == 1 && report.newlyAllowed == 1)
        #expect(report.rows.first?.changes == [ReplayChange(from: "rate-limit", to: "allow", count: 1, newlyDenied: false)])

        // A quota that refused: recorded `quota` by the allow rule the replay finds.
        let quota = Self.event(Self.curl, to: "192.0.2.1", port: 443, verdict: .quota, policy: "lockdown", rule: "web")
        let kept = try Self.replay([quota], current: Self.lockdown, candidate: Self.lockdown)
        #expect(kept.unknown == 0 && kept.unchanged == 1)
    }
}
