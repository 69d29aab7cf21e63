import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Feed layers in the kernel: indicators written into their own maps while the policy stays in
/// force, decided after the policy's verdict by real connects of real processes in a throwaway
/// cgroup.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct IntelLayerTests {
    static func indicator(_ target: String, feed: String = "test-feed", action: FeedAction = .deny, expires: Date? = nil) -> IntelIndicator {
        guard case .success(let parsed) = IntelTarget.parse(target) else { fatalError("bad target \(target)") }
        return IntelIndicator(feed: feed, indicator: "ioc-\(target)", target: parsed, action: action, expires: expires)
    }

    static func delta(_ upserts: [IntelIndicator], removals: [IntelKey] = [], full: Bool = false, feeds: [String] = ["test-feed"]) -> IntelDelta {
        IntelDelta(cursor: 1, full: full, feeds: feeds, upserts: upserts, removals: removals, more: false)
    }

    /// A policy that allows everything: the feed layers alone decide.
    static let openPolicy = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: open}
        spec:
          default: allow
        """

    static func randomLoopback() -> String { "127.0.\(Int.random(in: 100...199)).\(Int.random(in: 2...250))" }

    @Test func aFeedAddressIsDeniedAlertedRemovedAndExpiresWithoutAReload() async throws {
        try await KernelSandbox.with("intel-address") { sandbox in
            let denied = Self.randomLoopback()
            let alerted = Self.randomLoopback()
            let deniedListener = try LoopbackListener(tcp: true, address: denied)
            let alertedListener = try LoopbackListener(tcp: true, address: alerted)
            let attached = try sandbox.attach(Self.openPolicy)
            let datapath = attached.datapath
            let generation = datapath.generation
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let cgroup = sandbox.cgroupPath
            #expect(try probe.run(.tcp(denied, deniedListener.port), in: cgroup) == "ok", "no feed yet")

            var set = IntelLayerSet()
            let deny = Self.indicator(denied)
            let alert = Self.indicator("\(alerted)/32", action: .alert)
            try datapath.applyIntel(set.apply(Self.delta([deny, alert]), now: Date()))
            #expect(try probe.run(.tcp(denied, deniedListener.port), in: cgroup) == "EPERM")
            #expect(try probe.run(.tcp(alerted, alertedListener.port), in: cgroup) == "ok")
            let events = try attached.reader.drain().decisions
            let denyEvent = try #require(events.last { $0.destination == IPAddress(denied)! })
            #expect(denyEvent.action == .deny && denyEvent.enforced && denyEvent.intelOutcome == .decided)
            #expect(set.indicator(id: denyEvent.intelID) == deny)
            let alertEvent = try #require(events.last { $0.destination == IPAddress(alerted)! })
            #expect(alertEvent.action == .alert && alertEvent.intelOutcome == .decided)
            #expect(set.indicator(id: alertEvent.intelID) == alert)
            #expect(try datapath.counters().intel >= 2)
            #expect(datapath.generation == generation, "no policy generation was written")

            // Removed: allowed again at once.
            try datapath.applyIntel(set.apply(Self.delta([], removals: [deny.key]), now: Date()))
            #expect(try probe.run(.tcp(denied, deniedListener.port), in: cgroup) == "ok")

            // An indicator that expires: the kernel stops applying it by itself.
            let brief = Self.indicator(denied, expires: Date().addingTimeInterval(2))
            try datapath.applyIntel(set.apply(Self.delta([brief]), now: Date()))
            #expect(try probe.run(.tcp(denied, deniedListener.port), in: cgroup) == "EPERM")
            try await eventually("the indicator expires in the kernel", seconds: 30) {
                try probe.run(.tcp(denied, deniedListener.port), in: cgroup) == "ok"
            }
            #expect(try datapath.intelEntryCount() == 2, "the agent's timer removes it, not the kernel")
            let expired = set.expire(now: Date())
            #expect(expired.deletes == [brief.target])
            try datapath.applyIntel(expired)
            #expect(try datapath.intelEntryCount() == 1)

            // A full delta without the feed empties the layer; an empty layer costs nothing.
            try datapath.applyIntel(set.apply(Self.delta([], full: true, feeds: []), now: Date()))
            #expect(try datapath.intelEntryCount() == 0)
            #expect(try probe.run(.tcp(alerted, alertedListener.port), in: cgroup) == "ok")
            #expect(try attached.reader.drain().decisions.last?.intelOutcome == nil)
        }
    }

    @Test func anExactAddressAllowWinsAndAPrefixAllowDoesNot() async throws {
        try await KernelSandbox.with("intel-precedence") { sandbox in
            let exact = Self.randomLoopback()
            let inPrefix = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let exactListener = try LoopbackListener(tcp: true, address: exact)
            let prefixListener = try LoopbackListener(tcp: true, address: inPrefix)
            let attached = try sandbox.attach(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: precedence}
                spec:
                  default: deny
                  egress:
                    - {name: exact, action: allow, to: ["\(exact)"]}
                    - {name: block, action: allow, to: ["127.0.0.0/8"]}
                """)
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            var set = IntelLayerSet()
            try attached.datapath.applyIntel(set.apply(Self.delta([Self.indicator(exact), Self.indicator(inPrefix)]), now: Date()))
            #expect(try probe.run(.tcp(exact, exactListener.port), in: sandbox.cgroupPath) == "ok", "the explicit allow wins")
            #expect(try probe.run(.tcp(inPrefix, prefixListener.port), in: sandbox.cgroupPath) == "EPERM", "a prefix allow does not")
            let events = try attached.reader.drain().decisions
            let exactEvent = try #require(events.last { $0.destination == IPAddress(exact)! })
            #expect(exactEvent.action == .allow && exactEvent.intelOutcome == .explicitAllow)
            #expect(exactEvent.ruleID == (try attached.ruleID("exact")))
            #expect(set.indicator(id: exactEvent.intelID)?.target.description == exact)
            let prefixEvent = try #require(events.last { $0.destination == IPAddress(inPrefix)! })
            #expect(prefixEvent.action == .deny && prefixEvent.intelOutcome == .decided)
        }
    }

    @Test func aChangeOfAHundredIsWrittenAloneAmongManyIndicators() async throws {
        try await KernelSandbox.with("intel-delta") { sandbox in
            let attached = try sandbox.attach(Self.openPolicy)
            var set = IntelLayerSet()
            // 10.x addresses are never connected to: they only fill the maps.
            let many = (0..<5000).map { Self.indicator("10.9.\($0 / 250).\($0 % 250 + 1)") }
            let first = try attached.datapath.applyIntel(set.apply(Self.delta(many), now: Date()))
            #expect(first.writes == 5000)
            let target = Self.randomLoopback()
            let listener = try LoopbackListener(tcp: true, address: target)
            let changes = (0..<99).map { Self.indicator("10.8.0.\($0 + 1)") } + [Self.indicator(target)]
            let second = try attached.datapath.applyIntel(set.apply(Self.delta(changes, removals: many.prefix(50).map(\.key)), now: Date()))
            #expect(second.writes == 150, "only the changed targets are written")
            #expect(try attached.datapath.intelEntryCount() == 5050)
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            #expect(try probe.run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "EPERM")
        }
    }

    /// A feed's domain, with no name in the policy: the kernel attributes every answer, so the
    /// name and its subdomains are denied once looked up through the test's DNS server.
    @Test func aFeedDomainDeniesTheNameAndItsSubdomains() async throws {
        try await KernelSandbox.with("intel-names") { sandbox in
            let shared = Self.randomLoopback()
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(
                hosts: ["evil.sluice.test": shared, "cdn.evil.sluice.test": shared, "good.sluice.test": shared], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("evil.sluice.test")
            let attached = try sandbox.attach(Self.openPolicy)
            var set = IntelLayerSet()
            let domain = Self.indicator("evil.sluice.test")
            try attached.datapath.applyIntel(set.apply(Self.delta([domain]), now: Date()))
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let cgroup = sandbox.cgroupPath
            #expect(try DomainRuleTests.resolve(probe, dns, "good.sluice.test", port: listener.port, in: cgroup).result == "ok")
            #expect(try DomainRuleTests.resolve(probe, dns, "evil.sluice.test", port: listener.port, in: cgroup).result == "EPERM")
            #expect(try DomainRuleTests.resolve(probe, dns, "cdn.evil.sluice.test", port: listener.port, in: cgroup).result == "EPERM")
            let events = try attached.reader.drain().decisions.filter { $0.destination == IPAddress(shared)! && $0.action == .deny }
            #expect(events.count == 2)
            #expect(events.allSatisfy { set.indicator(id: $0.intelID) == domain })
            #expect(events.last.map { attached.datapath.domainNames.name(of: $0.nameID) } == "cdn.evil.sluice.test")
        }
    }

    /// Names as the policy's allow rules write them: an exact name wins over a feed, a wildcard
    /// does not.
    @Test func anExactNameAllowWinsAndAWildcardAllowDoesNot() async throws {
        try await KernelSandbox.with("intel-name-precedence") { sandbox in
            let shared = Self.randomLoopback()
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(hosts: ["good.sluice.test": shared, "x.wild.sluice.test": shared], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("good.sluice.test")
            let attached = try sandbox.attach(
                dns.closedPolicy(
                    "feed-names",
                    egress: [#"{name: exact, action: allow, to: ["good.sluice.test"]}"#, #"{name: wild, action: allow, to: ["*.wild.sluice.test"]}"#]))
            var set = IntelLayerSet()
            let changes = set.apply(Self.delta([Self.indicator("good.sluice.test"), Self.indicator("wild.sluice.test")]), now: Date())
            try attached.datapath.applyIntel(changes)
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let cgroup = sandbox.cgroupPath
            #expect(try DomainRuleTests.resolve(probe, dns, "good.sluice.test", port: listener.port, in: cgroup).result == "ok")
            #expect(try DomainRuleTests.resolve(probe, dns, "x.wild.sluice.test", port: listener.port, in: cgroup).result == "EPERM")
            let events = try attached.reader.drain().decisions.filter { $0.destination == IPAddress(shared)! }
            #expect(events.map(\.intelOutcome) == [.explicitAllow, .decided])
            #expect(events.first?.ruleID == (try attached.ruleID("exact")))
        }
    }

    /// A datapath loaded again on the same pins (an agent restart) keeps the feed layers' maps.
    @Test func theLayersOutliveTheDatapathThatWroteThem() async throws {
        try await KernelSandbox.with("intel-restart") { sandbox in
            let target = Self.randomLoopback()
            let listener = try LoopbackListener(tcp: true, address: target)
            var set = IntelLayerSet()
            do {
                let attached = try sandbox.attach(Self.openPolicy)
                try attached.datapath.applyIntel(set.apply(Self.delta([Self.indicator(target)]), now: Date()))
            }
            let datapath = try sandbox.datapath()
            #expect(datapath.report.reusedMaps)
            try datapath.attach()
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            #expect(try probe.run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "EPERM")
            // A restarted agent's set drops what it no longer holds.
            #expect(try datapath.pruneIntel(keeping: []) == 1)
            #expect(try probe.run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "ok")
        }
    }
}
