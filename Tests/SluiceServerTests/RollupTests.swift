import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// Charts and reports read the per-minute rollups that ingest keeps: their answers must be the
/// ones the events themselves give, computed here from the events the test uploaded.
@Suite struct RollupTests {
    struct Sent {
        var node: String
        var time: Int64
        var exe: String
        var destination: String
        var port: UInt16
        var verdict: RuleAction
    }

    @Test(arguments: Backend.enabled)
    func reportsFromRollupsMatchTheEvents(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let nodes = [try await api.enroll("web-1"), try await api.enroll("db-1")]
            let names = ["web-1", "db-1"]
            let day: Int64 = 86_400_000_000_000
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let base = (now / day - 2) * day
            var random = SplitMix64(seed: 7)
            var sent: [Sent] = []
            for (index, node) in nodes.enumerated() {
                for batch in 0..<3 {
                    var lines: [String] = []
                    for _ in 0..<200 {
                        let item = Sent(
                            node: names[index], time: base + Int64(random.next() % UInt64(2 * day)),
                            exe: ["/usr/bin/curl", "/usr/bin/git", "/usr/sbin/sshd"][Int(random.next() % 3)],
                            destination: "192.0.2.\(random.next() % 6)", port: [443, 22][Int(random.next() % 2)],
                            verdict: [.allow, .allow, .deny, .alert][Int(random.next() % 4)])
                        sent.append(item)
                        lines.append(
                            Fixtures.event(
                                node: item.node, exe: item.exe, destination: item.destination, port: item.port, verdict: item.verdict, time: item.time
                            ).jsonLine)
                    }
                    _ = try await api.uploaded(lines, sequence: batch, credential: node.credential)
                }
            }
            let admin = api.client()
            let from = RFC3339.format(base)
            let to = RFC3339.format(base + 2 * day)

            // Per hour and verdict.
            let timeline = try await admin.statsTimeline(query: .init(from: from, to: to, bucket: 3600)).ok.body.json
            var hours: [Int64: [RuleAction: Int]] = [:]
            for item in sent { hours[item.time / 3_600_000_000_000, default: [:]][item.verdict, default: 0] += 1 }
            #expect(timeline.buckets.count == hours.count)
            for bucket in timeline.buckets {
                let hour = Int64(bucket.time.timeIntervalSince1970) / 3600
                let expected = hours[hour] ?? [:]
                #expect(bucket.allow == expected[.allow] ?? 0 && bucket.deny == expected[.deny] ?? 0 && bucket.alert == expected[.alert] ?? 0, "\(bucket)")
            }

            // Busiest executables, with denies and alerts; and one node's only.
            for node in [nil, "db-1"] {
                let selected = sent.filter { node == nil || $0.node == node }
                let top = try await admin.statsTop(query: .init(by: .exe, from: from, to: to, limit: 10, node: node)).ok.body.json
                let expected = Dictionary(grouping: selected, by: \.exe)
                #expect(Set(top.map(\.key)) == Set(expected.keys))
                for row in top {
                    let items = expected[row.key] ?? []
                    #expect(row.total == items.count && row.denies == items.filter { $0.verdict == .deny }.count)
                    #expect(row.alerts == items.filter { $0.verdict == .alert }.count)
                    #expect(abs(Int64((row.lastSeen.timeIntervalSince1970 * 1e6).rounded()) - (items.map { $0.time / 1000 }.max() ?? 0)) <= 1)
                }
            }
            // A range that starts and ends inside minutes: whole hours from the hourly rollups, the
            // ragged ends from the per-minute ones, the ends widened to whole minutes.
            let start = base + 90 * 60_000_000_000 + 30_000_000_000
            let stop = base + 2 * day - 30 * 60_000_000_000 - 30_000_000_000
            let ragged = try await admin.statsTop(query: .init(by: .exe, from: RFC3339.format(start), to: RFC3339.format(stop), limit: 10)).ok.body.json
            let minute: Int64 = 60_000_000_000
            let inside = sent.filter { $0.time >= start / minute * minute && $0.time < (stop + minute - 1) / minute * minute }
            #expect(Dictionary(uniqueKeysWithValues: ragged.map { ($0.key, $0.total) }) == Dictionary(grouping: inside, by: \.exe).mapValues(\.count))

            // By destination.
            let byDestination = try await admin.statsTop(query: .init(by: .dst, from: from, to: to, limit: 100)).ok.body.json
            let destinations = Dictionary(grouping: sent) { "\($0.destination):\($0.port)" }
            #expect(Dictionary(uniqueKeysWithValues: byDestination.map { ($0.key, $0.total) }) == destinations.mapValues(\.count))
            // A timeline whose buckets are not whole minutes is counted from the events, and agrees.
            let fine = try await admin.statsTimeline(query: .init(from: from, to: RFC3339.format(base + 3_000_000_000_000), bucket: 90)).ok.body.json
            let early = sent.filter { $0.time < base + 3_000_000_000_000 }
            #expect(fine.buckets.reduce(0) { $0 + $1.allow + $1.deny + $1.alert } == early.count)

            // First contacts per day, across nodes.
            let fresh = try await admin.statsNewDestinations(query: .init(from: from, to: to)).ok.body.json
            var firsts: [String: Int64] = [:]
            for item in sent { firsts["\(item.destination):\(item.port)"] = min(firsts["\(item.destination):\(item.port)"] ?? .max, item.time) }
            var perDay: [Int64: Int] = [:]
            for time in firsts.values { perDay[time / day, default: 0] += 1 }
            #expect(Dictionary(uniqueKeysWithValues: fresh.map { (Int64($0.day.timeIntervalSince1970) / 86_400, $0.count) }) == perDay)

            // Retention drops the rollups with the events.
            _ = try await server.app.store.deleteExpired(eventsBeforeUs: (base + 2 * day) / 1000, alertsBeforeUs: 0)
            let empty = try await admin.statsTop(query: .init(by: .exe, from: from, to: to)).ok.body.json
            #expect(empty.isEmpty, "\(empty)")
        }
    }
}
