import ArgumentParser
import Foundation
import SluiceCore

/// Threat-intelligence feeds (issue 14): what parsing a large feed body costs the server, per
/// format, within the default limits.
struct FeedsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "feeds", abstract: "Parsing large feed bodies (lists and STIX).")

    @Option(help: "Entries of the list bodies (the default limit of indicators is 1,000,000).")
    var entries: Int = 1_000_000

    @Option(help: "Indicators of the STIX envelope.")
    var indicators: Int = 100_000

    func run() async throws {
        print("## Feed bodies parsed (\(entries) list entries, \(indicators) STIX indicators)\n")
        print("| format | bytes | indicators | parse s | indicators/s |")
        print("|---|---|---|---|---|")
        let addresses = (0..<entries).map { "10.\($0 >> 16 & 255).\($0 >> 8 & 255).\($0 & 255)" }
        let bodies: [(FeedFormat, String)] = [
            (.list, "# netset\n" + addresses.joined(separator: "\n")),
            (.hosts, (0..<entries).map { "0.0.0.0 host-\($0).example" }.joined(separator: "\n")),
            (.spamhausDrop, addresses.map { #"{"cidr":"\#($0)/32","sblid":"SBL1","rir":"arin"}"# }.joined(separator: "\n")),
            (.feodoCSV, "\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n" + addresses.map { "\"2026-01-01 00:00:00\",\"\($0)\",\"443\"" }.joined(separator: "\n")),
        ]
        for (format, text) in bodies {
            let bytes = Array(text.utf8)
            let (count, seconds) = try measure { try FeedListParser(feed: "bench", format: format).parse(bytes).count }
            print("| \(format.rawValue) | \(bytes.count) | \(count) | \(String(format: "%.2f", seconds)) | \(Int(Double(count) / seconds)) |")
        }
        let objects = (0..<indicators).map { index in
            #"{"type":"indicator","spec_version":"2.1","id":"indicator--\#(index)","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '\#(addresses[index % addresses.count])' OR domain-name:value = 'c2-\#(index).example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80}"#
        }
        let envelope = Array(("{\"more\":false,\"objects\":[" + objects.joined(separator: ",") + "]}").utf8)
        let (count, seconds) = try measure {
            try STIXPage.parse(envelope, feed: "bench", limits: FeedLimits()).indicators.flatMap { $0.items(now: Date(), minimumConfidence: 50) }.count
        }
        print("| STIX envelope | \(envelope.count) | \(count) | \(String(format: "%.2f", seconds)) | \(Int(Double(count) / seconds)) |")
    }

    private func measure(_ body: () throws -> Int) throws -> (Int, Double) {
        let clock = ContinuousClock()
        let started = clock.now
        let count = try body()
        return (count, (clock.now - started).seconds)
    }
}
