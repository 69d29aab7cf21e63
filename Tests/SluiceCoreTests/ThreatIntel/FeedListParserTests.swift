import Foundation
import Testing

@testable import SluiceCore

@Suite struct FeedListParserTests {
    static func parse(_ text: String, _ format: FeedFormat, limits: FeedLimits = FeedLimits()) throws(FeedError) -> [String] {
        try FeedListParser(feed: "f", format: format, limits: limits).parse(Array(text.utf8)).map(\.target.description)
    }

    @Test func plainListWithCommentsAndNetset() throws {
        let text = """
            # FireHOL level1 netset
            ;  another comment
            198.51.100.0/24
            203.0.113.7   # trailing comment
            2001:db8::/32 ; SBL123
            evil.example

            198.51.100.0/24
            """
        #expect(try Self.parse(text, .list) == ["198.51.100.0/24", "203.0.113.7", "2001:db8::/32", "evil.example"])
    }

    @Test func hostsFileNamesOnly() throws {
        let text = "127.0.0.1 localhost\n0.0.0.0 ads.example tracker.example # blocked\n::1 ip6-localhost\n"
        #expect(try Self.parse(text, .hosts) == ["ads.example", "tracker.example"])
    }

    @Test func spamhausDropJSONLines() throws {
        let text = """
            {"cidr":"192.0.2.0/24","sblid":"SBL1","rir":"arin"}
            {"cidr":"2001:db8:1::/48","sblid":"SBL2","rir":"ripencc"}
            {"type":"metadata","timestamp":1700000000,"size":2,"records":2}
            """
        #expect(try Self.parse(text, .spamhausDrop) == ["192.0.2.0/24", "2001:db8:1::/48"])
    }

    @Test func feodoCSVAndJSON() throws {
        let csv = """
            ################################
            # abuse.ch Feodo Tracker
            "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
            "2021-01-17 07:44:46","51.75.124.75","443","online","2024-03-19","QakBot"
            "2021-01-18 07:44:46","192.0.2.9","8080","offline","2024-03-19","Emotet"
            """
        #expect(try Self.parse(csv, .feodoCSV) == ["51.75.124.75", "192.0.2.9"])
        let json = #"[{"ip_address":"192.0.2.1","port":443,"status":"online"},{"ip_address":"192.0.2.2","port":80}]"#
        #expect(try Self.parse(json, .feodoJSON) == ["192.0.2.1", "192.0.2.2"])
    }

    @Test func garbageNamesTheLine() {
        #expect(throws: FeedError(feed: "f", reason: .badLine(line: 2, text: "<html>", problem: "not an address, a CIDR prefix or a domain name"))) {
            try Self.parse("192.0.2.1\n<html>\n", .list)
        }
        #expect(throws: FeedError(feed: "f", reason: .badLine(line: 1, text: "{nope", problem: "not JSON"))) {
            try Self.parse("{nope\n", .spamhausDrop)
        }
        #expect(throws: FeedError(feed: "f", reason: .badField(field: "[1].ip_address", problem: "missing or not a string"))) {
            try Self.parse(#"[{"ip_address":"192.0.2.1"},{"port":1}]"#, .feodoJSON)
        }
        #expect(throws: FeedError(feed: "f", reason: .notText)) {
            try FeedListParser(feed: "f", format: .list).parse([0xff, 0xfe, 0x31])
        }
    }

    @Test func limitsRefuseTheWholeBody() {
        let lines = (0..<50).map { "10.0.\($0).0/24" }.joined(separator: "\n")
        #expect(throws: FeedError(feed: "f", reason: .tooManyLines(limit: 10))) {
            try Self.parse(lines, .list, limits: FeedLimits(maximumLines: 10))
        }
        #expect(throws: FeedError(feed: "f", reason: .tooManyIndicators(limit: 20))) {
            try Self.parse(lines, .list, limits: FeedLimits(maximumIndicators: 20))
        }
        #expect(throws: FeedError(feed: "f", reason: .tooLarge(limit: 100))) {
            try Self.parse(lines, .list, limits: FeedLimits(maximumBytes: 100))
        }
    }

    @Test func errorsSayTheFeedAndThatNothingChanged() {
        let error = FeedError(feed: "drop", reason: .badLine(line: 7, text: "x y", problem: "bad"))
        #expect(error.description == "feed drop: line 7: bad: 'x y'; the last good set stays in force")
    }
}
