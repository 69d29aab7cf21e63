import Foundation
import Testing

@testable import SluiceCore

/// The agent's feed set: which kernel writes each change needs.
@Suite struct IntelLayerSetTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func indicator(_ target: String, feed: String = "a", id: String? = nil, action: FeedAction = .deny, expires: Date? = nil) -> IntelIndicator {
        guard case .success(let parsed) = IntelTarget.parse(target) else { fatalError(target) }
        return IntelIndicator(feed: feed, indicator: id ?? target, target: parsed, action: action, expires: expires)
    }

    static func delta(_ upserts: [IntelIndicator], removals: [IntelKey] = [], full: Bool = false, feeds: [String] = ["a", "b"]) -> IntelDelta {
        IntelDelta(cursor: 9, full: full, feeds: feeds, upserts: upserts, removals: removals, more: false)
    }

    static func target(_ text: String) -> IntelTarget { indicator(text).target }

    @Test func aFullSetIsWrittenOnceAndAnEqualOneWritesNothing() {
        var set = IntelLayerSet()
        let all = [Self.indicator("203.0.113.7"), Self.indicator("198.51.100.0/24"), Self.indicator("evil.example")]
        let first = set.apply(Self.delta(all, full: true), now: Self.now)
        #expect(first.upserts.count == 3 && first.deletes.isEmpty)
        #expect(set.cursor == 9)
        #expect(set.apply(Self.delta(all, full: true), now: Self.now).isEmpty)
        #expect(Set(first.upserts.values.map(\.id)).count == 3, "each indicator has its own id")
    }

    @Test func incrementalChangesTouchOnlyTheirTargets() {
        var set = IntelLayerSet()
        _ = set.apply(Self.delta((1...200).map { Self.indicator("10.0.0.\($0)") }, full: true), now: Self.now)
        let changes = set.apply(
            Self.delta([Self.indicator("10.1.0.1"), Self.indicator("10.0.0.5", action: .alert)], removals: [IntelKey(feed: "a", indicator: "10.0.0.9")]),
            now: Self.now)
        #expect(changes.upserts.keys.sorted() == [Self.target("10.0.0.5"), Self.target("10.1.0.1")])
        #expect(changes.upserts[Self.target("10.0.0.5")]?.action == .alert)
        #expect(changes.deletes == [Self.target("10.0.0.9")])
        #expect(set.held.count == 200)
    }

    @Test func theMostSevereIndicatorOfATargetDecidesAndRemovingItFallsBack() {
        var set = IntelLayerSet()
        let alert = Self.indicator("203.0.113.7", feed: "a", action: .alert)
        let deny = Self.indicator("203.0.113.7", feed: "b", action: .deny)
        let both = set.apply(Self.delta([alert, deny]), now: Self.now)
        let denyID = both.upserts[deny.target]?.id
        #expect(both.upserts[deny.target]?.action == .deny)
        #expect(set.indicator(id: denyID!) == deny)
        let fallback = set.apply(Self.delta([], removals: [deny.key]), now: Self.now)
        #expect(fallback.upserts[alert.target]?.action == .alert && fallback.deletes.isEmpty)
        let gone = set.apply(Self.delta([], removals: [alert.key]), now: Self.now)
        #expect(gone.deletes == [alert.target] && gone.upserts.isEmpty)
    }

    @Test func feedsNoLongerListedAreDroppedButLocalFeedsStay() {
        var set = IntelLayerSet()
        _ = set.apply(Self.delta([Self.indicator("203.0.113.1", feed: "a"), Self.indicator("203.0.113.2", feed: "b")]), now: Self.now)
        _ = set.replaceLocalFeed("file:list", with: [Self.indicator("203.0.113.3")], now: Self.now)
        let dropped = set.apply(Self.delta([], feeds: ["a"]), now: Self.now)
        #expect(dropped.deletes == [Self.target("203.0.113.2")])
        let full = set.apply(Self.delta([], full: true, feeds: []), now: Self.now)
        #expect(full.deletes == [Self.target("203.0.113.1")])
        #expect(set.countsByFeed == ["file:list": 1])
        // A server feed named like a local one cannot replace it.
        let spoof = set.apply(Self.delta([Self.indicator("203.0.113.9", feed: "file:list")], feeds: ["file:list"]), now: Self.now)
        #expect(spoof.isEmpty)
    }

    @Test func expiredIndicatorsLeaveAndAreNeverWritten() {
        var set = IntelLayerSet()
        let soon = Self.indicator("203.0.113.7", expires: Self.now.addingTimeInterval(60))
        let past = Self.indicator("203.0.113.8", expires: Self.now.addingTimeInterval(-1))
        let written = set.apply(Self.delta([soon, past]), now: Self.now)
        #expect(Array(written.upserts.keys) == [soon.target], "an indicator expired on arrival is not written")
        #expect(set.nextExpiry == Self.now.addingTimeInterval(-1))
        #expect(set.expire(now: Self.now).isEmpty, "the expired one was never written")
        #expect(set.held.count == 1)
        let later = set.expire(now: Self.now.addingTimeInterval(61))
        #expect(later.deletes == [soon.target])
        #expect(set.held.isEmpty && set.nextExpiry == nil)
    }

    @Test func aSavedSetKeepsItsIdsAndIsWrittenWhole() throws {
        var set = IntelLayerSet()
        _ = set.apply(Self.delta([Self.indicator("203.0.113.7"), Self.indicator("evil.example", feed: "b", action: .alert)]), now: Self.now)
        _ = set.replaceLocalFeed("file:x", with: [Self.indicator("2001:db8::/32")], now: Self.now)
        let data = try JSONEncoder().encode(set.snapshot)
        var restored = try IntelLayerSet(snapshot: JSONDecoder().decode(IntelSnapshot.self, from: data))
        #expect(restored.cursor == 9 && restored.localFeeds == ["file:x"])
        let all = restored.forgetInstalled(now: Self.now)
        #expect(all.upserts == set.installed)
        for (_, entry) in set.installed { #expect(restored.indicator(id: entry.id) == set.indicator(id: entry.id)) }
    }

    @Test func aSavedSetWithABadTargetIsRefusedNamingTheEntry() {
        let snapshot = IntelSnapshot(
            cursor: 1, localFeeds: [],
            indicators: [.init(id: 1, feed: "a", indicator: "x", target: "not a target!", action: .deny, expires: nil)])
        #expect(throws: IntelSnapshotError.target(index: 0, .invalid("not a target!"))) { try IntelLayerSet(snapshot: snapshot) }
    }

    @Test func explainFollowsTheKernelsPrecedence() {
        let allow = Verdict(ruleID: 1, action: .allow, monitor: false)
        let deny = Verdict(ruleID: 2, action: .deny, monitor: false)
        let monitoredDeny = Verdict(ruleID: 3, action: .deny, monitor: true)
        #expect(IntelPrecedence.outcome(policy: allow, explicitAllow: false, feed: .deny) == .decided)
        #expect(IntelPrecedence.outcome(policy: allow, explicitAllow: true, feed: .deny) == .explicitAllow)
        #expect(IntelPrecedence.outcome(policy: allow, explicitAllow: true, feed: .alert) == .explicitAllow)
        #expect(IntelPrecedence.outcome(policy: deny, explicitAllow: false, feed: .deny) == .policy)
        #expect(IntelPrecedence.outcome(policy: monitoredDeny, explicitAllow: false, feed: .deny) == .decided)
        #expect(IntelPrecedence.outcome(policy: Verdict(ruleID: 4, action: .redirect, monitor: false), explicitAllow: false, feed: .alert) == .policy)

        var set = IntelLayerSet()
        _ = set.apply(Self.delta([Self.indicator("evil.example"), Self.indicator("198.51.100.0/24", action: .alert)]), now: Self.now)
        #expect(set.match(destination: IPAddress("192.0.2.1")!, domain: DomainName("cdn.evil.example"), now: Self.now)?.indicator == "evil.example")
        #expect(set.match(destination: IPAddress("198.51.100.9")!, domain: nil, now: Self.now)?.action == .alert)
        #expect(set.match(destination: IPAddress("192.0.2.1")!, domain: DomainName("notevil.example"), now: Self.now) == nil)
    }

    @Test func plainListsReadAddressesPrefixesNamesAndHostsLines() throws {
        let text = "# FireHOL-style\n203.0.113.7\n198.51.100.0/24  # a comment\n\n0.0.0.0 evil.example\r\n2001:db8::1\n"
        let list = try IntelList.parse(text, feed: "f", action: .alert, expires: nil)
        #expect(list.map(\.indicator) == ["203.0.113.7", "198.51.100.0/24", "evil.example", "2001:db8::1"])
        #expect(list.allSatisfy { $0.feed == "f" && $0.action == .alert })
        #expect(throws: FeedError(feed: "f", reason: .badLine(line: 2, text: "not/valid", problem: "not an address, a CIDR prefix or a domain name"))) {
            try IntelList.parse("203.0.113.7\nnot/valid\n", feed: "f", action: .deny, expires: nil)
        }
        #expect(throws: FeedError(feed: "f", reason: .badLine(line: 1, text: "two entries", problem: "not one address, prefix or name (nor `0.0.0.0 name`)"))) {
            try IntelList.parse("two entries\n", feed: "f", action: .deny, expires: nil)
        }
    }

    @Test func eventLinesCarryTheFeedAndIndicator() throws {
        var event = DecisionEventTests.sample
        event.intel = IntelHit(feed: "abuse", indicator: "indicator--1", outcome: .explicitAllow)
        let line = event.jsonLine
        #expect(line.contains(#""intel_feed":"abuse","intel_indicator":"indicator--1","intel_outcome":"explicit-allow""#))
        #expect(try DecisionEvent(jsonLine: line) == event)
        #expect(try DecisionEvent(jsonLine: DecisionEventTests.sample.jsonLine).intel == nil)
    }
}
