import Foundation
import Testing

@testable import SluiceCore

@Suite struct STIXTests {
    @Test func orOfComparisonsGivesEveryTarget() {
        let pattern = "[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '203.0.113.0/24'] OR [domain-name:value = 'evil.example']"
        #expect(STIXPattern.targets(pattern)?.map(\.description) == ["198.51.100.1", "203.0.113.0/24", "evil.example"])
        #expect(STIXPattern.targets("[ipv6-addr:value = '2001:db8::1']")?.map(\.description) == ["2001:db8::1"])
        #expect(STIXPattern.targets("[url:value = 'https://user@bad.example:8443/x?y=1']")?.map(\.description) == ["bad.example"])
        #expect(STIXPattern.targets("[url:value = 'http://[2001:db8::5]/a']")?.map(\.description) == ["2001:db8::5"])
        // Another object's comparison ORed beside a usable one is skipped.
        #expect(STIXPattern.targets("[file:hashes.'SHA-256' = 'ab' OR ipv4-addr:value = '192.0.2.3']")?.map(\.description) == ["192.0.2.3"])
    }

    @Test(arguments: [
        "[ipv4-addr:value = '192.0.2.1' AND network-traffic:dst_port = 443]",
        "[ipv4-addr:value != '192.0.2.1']",
        "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'x.example']",
        "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES",
        "[file:name = 'a.exe']",
        "[ipv4-addr:value = 'not an address']",
        "[ipv4-addr:value = '192.0.2.1",
        "",
    ])
    func unusablePatterns(_ pattern: String) {
        #expect(STIXPattern.targets(pattern) == nil)
    }

    static let bundle = """
        {"type":"bundle","id":"bundle--1","objects":[
          {"type":"identity","id":"identity--1","name":"x"},
          {"type":"indicator","spec_version":"2.1","id":"indicator--a","modified":"2026-01-01T00:00:00.000Z",
           "pattern":"[ipv4-addr:value = '192.0.2.1' OR domain-name:value = 'evil.example']","pattern_type":"stix",
           "valid_from":"2026-01-01T00:00:00Z","confidence":80},
          {"type":"indicator","id":"indicator--b","pattern":"[file:name = 'x']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--c","pattern":"[ipv4-addr:value = '192.0.2.3']","pattern_type":"stix",
           "valid_from":"2026-01-01T00:00:00Z","valid_until":"2026-02-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--d","pattern":"[ipv4-addr:value = '192.0.2.4']","pattern_type":"stix",
           "valid_from":"2026-01-01T00:00:00Z","revoked":true},
          {"type":"indicator","id":"indicator--e","pattern":"[ipv4-addr:value = '192.0.2.5']","pattern_type":"stix",
           "valid_from":"2026-01-01T00:00:00Z","confidence":10}
        ]}
        """

    @Test func bundleIndicatorsWithTheirLifetimes() throws {
        let page = try STIXPage.parse(Array(Self.bundle.utf8), feed: "t", limits: FeedLimits())
        #expect(page.indicators.map(\.id) == ["indicator--a", "indicator--b", "indicator--c", "indicator--d", "indicator--e"])
        #expect(page.unusable == 1)
        #expect(!page.more)
        let january = Date(timeIntervalSince1970: 1_767_571_200)  // 2026-01-05
        let items = page.indicators.flatMap { $0.items(now: january, minimumConfidence: 50) }
        #expect(items.map(\.id) == ["indicator--a 192.0.2.1", "indicator--a evil.example", "indicator--c"])
        #expect(items.map(\.source) == ["indicator--a", "indicator--a", "indicator--c"])
        #expect(items[2].expires == Date(timeIntervalSince1970: 1_769_904_000))
        let march = Date(timeIntervalSince1970: 1_772_323_200)
        #expect(page.indicators[2].items(now: march, minimumConfidence: 0).isEmpty)
        #expect(page.indicators[4].items(now: january, minimumConfidence: 0).count == 1)
    }

    @Test func envelopePaging() throws {
        let envelope = #"{"more":true,"next":"abc","objects":[]}"#
        let page = try STIXPage.parse(Array(envelope.utf8), feed: "t", limits: FeedLimits())
        #expect(page.more && page.next == "abc" && page.indicators.isEmpty)
    }

    @Test func malformedFieldsAreNamed() {
        let badTime = #"{"objects":[{"type":"indicator","id":"indicator--x","pattern":"[ipv4-addr:value = '192.0.2.1']","valid_until":"soon"}]}"#
        #expect(throws: FeedError(feed: "t", reason: .badField(field: "indicator--x.valid_until", problem: "not an RFC 3339 time"))) {
            try STIXPage.parse(Array(badTime.utf8), feed: "t", limits: FeedLimits())
        }
        #expect(throws: FeedError(feed: "t", reason: .badField(field: "(document)", problem: "not JSON"))) {
            try STIXPage.parse(Array("<html>".utf8), feed: "t", limits: FeedLimits())
        }
        #expect(throws: FeedError(feed: "t", reason: .tooLarge(limit: 10))) {
            try STIXPage.parse(Array(Self.bundle.utf8), feed: "t", limits: FeedLimits(maximumBytes: 10))
        }
    }
}
