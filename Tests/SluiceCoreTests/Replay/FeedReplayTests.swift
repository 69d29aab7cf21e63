import Foundation
import Testing

@testable import SluiceCore

/// Replaying recorded decisions with a feed layer added or changed: the kernel's precedence
/// (more severe wins, an exact allow stands) through the core's `IntelPrecedence`.
@Suite struct FeedReplayTests {
    static let now = Date(timeIntervalSince1970: 1_795_276_600)
    static func event(
        _ exe: String?, to address: String, port: UInt16, verdict: RuleAction = .allow, policy: String? = nil, rule: String = "node-default",
        domain: String? = nil
    ) -> DecisionEvent {
        PolicyReplayTests.event(exe, to: address, port: port, verdict: verdict, policy: policy, rule: rule, domain: domain)
    }

    static func indicator(_ target: String, feed: String = "evil", action: FeedAction = .deny, expires: Date? = nil) -> IntelIndicator {
        IntelIndicator(feed: feed, indicator: target, target: try! IntelTarget.parse(target).get(), action: action, expires: expires)
    }

    /// The layers now (`held`) and with `feed` set to `indicators`, over `policy` on both sides.
    static func replay(
        _ events: [DecisionEvent], policy: String = "", held: [IntelIndicator] = [], feed: String = "evil", indicators: [IntelIndicator]
    ) throws -> ReplayReport {
        let set = policy.isEmpty ? PolicySet.empty : Policies.set(policy)
        let current = IntelLayerSet(indicators: held, now: now)
        let candidate = current.replacingFeed(feed, with: indicators, now: now)
        return try PolicyReplay.run(
            events: events, policies: { _ in .init(current: set, candidate: set, currentIntel: current, candidateIntel: candidate) }, now: now)
    }

    @Test func aDenyFeedNamesTheIndicatorOfTrafficItWouldDeny() throws {
        let events = Array(repeating: Self.event(PolicyReplayTests.curl, to: "203.0.113.5", port: 443), count: 2)
            + [Self.event(PolicyReplayTests.curl, to: "192.0.2.1", port: 443)]
        let report = try Self.replay(events, indicators: [Self.indicator("203.0.113.0/24")])
        #expect(report.newlyDenied == 2 && report.unchanged == 1 && report.unknown == 0 && report.applicationsNewlyDenied == 1)
        let row = try #require(report.rows.first)
        #expect(row.destination == "203.0.113.5" && row.changes == [ReplayChange(from: "allow", to: "deny", count: 2, newlyDenied: true)])
        #expect(row.before == ["node-default"] && row.after == ["feed evil indicator 203.0.113.0/24"])
        #expect(row.examples.first?.after == "deny by feed evil indicator 203.0.113.0/24")
    }

    @Test func aNameCoversItsSubdomainsAndOnlyDecisionsThatRecordedOne() throws {
        let named = Self.event(PolicyReplayTests.curl, to: "198.51.100.7", port: 443, domain: "cdn.evil.example")
        let other = Self.event(PolicyReplayTests.curl, to: "198.51.100.8", port: 443, domain: "notevil.example")
        let unnamed = Self.event(PolicyReplayTests.curl, to: "198.51.100.9", port: 443)
        let report = try Self.replay([named, other, unnamed], indicators: [Self.indicator("evil.example", action: .alert)])
        #expect(report.changed == 1 && report.newlyDenied == 0 && report.unchanged == 2)
        let row = try #require(report.rows.first)
        #expect(row.destination == "cdn.evil.example" && row.changes == [ReplayChange(from: "allow", to: "alert", count: 1, newlyDenied: false)])
        #expect(report.notes.contains { $0.contains("1 replayed decisions recorded no name") })
    }

    @Test func anAllowNamingTheExactAddressStandsAgainstTheFeed() throws {
        let pinned = Policies.document(
            "pinned",
            """
            subjects: [{executable: /usr/bin/curl}]
            egress:
              - {name: exact, action: allow, to: [203.0.113.5], ports: [443]}
              - {name: block, action: allow, to: [203.0.113.0/24], ports: [8443]}
            """)
        let exact = Self.event(PolicyReplayTests.curl, to: "203.0.113.5", port: 443, policy: "pinned", rule: "exact")
        let wide = Self.event(PolicyReplayTests.curl, to: "203.0.113.5", port: 8443, policy: "pinned", rule: "block")
        let report = try Self.replay([exact, wide], policy: pinned, indicators: [Self.indicator("203.0.113.5")])
        #expect(report.unknown == 0 && report.unchanged == 1 && report.newlyDenied == 1)
        #expect(report.rows.map(\.port) == [8443])
    }

    @Test func decisionsTheHeldLayersMadeReproduceAndRemovingTheirIndicatorsAllows() throws {
        var decided = Self.event(PolicyReplayTests.curl, to: "203.0.113.5", port: 443, verdict: .deny)
        decided.intel = IntelHit(feed: "evil", indicator: "203.0.113.0/24", outcome: .decided)
        let report = try Self.replay([decided], held: [Self.indicator("203.0.113.0/24")], indicators: [Self.indicator("198.51.100.0/24")])
        #expect(report.unknown == 0 && report.newlyAllowed == 1)
        #expect(report.rows.first?.before == ["feed evil indicator 203.0.113.0/24"] && report.rows.first?.after == ["node-default"])
        // Another feed's layer stays: the same decision is unchanged when only the other feed changes.
        let kept = try Self.replay([decided], held: [Self.indicator("203.0.113.0/24")], feed: "other", indicators: [])
        #expect(kept.unknown == 0 && kept.unchanged == 1)
    }

    @Test func anExpiredIndicatorDecidesNothing() throws {
        let report = try Self.replay(
            [Self.event(PolicyReplayTests.curl, to: "203.0.113.5", port: 443)],
            indicators: [Self.indicator("203.0.113.5", expires: Self.now.addingTimeInterval(-1))])
        #expect(report.unchanged == 1 && report.changed == 0)
    }

    @Test func theIndexFindsWhatTheScanFinds() {
        var random = SplitMix64(seed: 15)
        let targets = (0..<200).map { index -> IntelIndicator in
            let octet = Int(random.next() % 8)
            let text = switch index % 4 {
            case 0: "10.\(octet).0.0/16"
            case 1: "10.\(octet).\(random.next() % 4).\(random.next() % 4)"
            case 2: "2001:db8:\(octet)::/48"
            default: "s\(random.next() % 5).evil\(octet).example"
            }
            return Self.indicator(text, feed: index % 3 == 0 ? "a" : "b", action: index % 5 == 0 ? .alert : .deny)
        }
        let set = IntelLayerSet(indicators: targets, now: Self.now)
        let index = IntelIndex(set)
        for _ in 0..<500 {
            let octet = random.next() % 8
            let address = random.next() % 2 == 0
                ? IPAddress("10.\(octet).\(random.next() % 4).\(random.next() % 4)")! : IPAddress("2001:db8:\(octet)::\(random.next() % 9)")!
            let domain = DomainName("x.s\(random.next() % 6).evil\(random.next() % 9).example")
            #expect(index.match(destination: address, domain: domain, now: Self.now) == set.match(destination: address, domain: domain, now: Self.now))
        }
    }
}
