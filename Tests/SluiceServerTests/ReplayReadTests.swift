import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// The policy test's read of stored decisions (`Store.replayLines`): page by page it gives the
/// lines the event listing gives for the same nodes, range and kind, in the same order.
@Suite struct ReplayReadTests {
    @Test(arguments: Backend.enabled)
    func pagesGiveTheListingsLinesInOrder(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let names = ["web-1", "web-2", "db-1"]
            var nodes: [(name: String, id: String, credential: String)] = []
            for name in names {
                let enrolled = try await api.enroll(name)
                nodes.append((name, enrolled.id, enrolled.credential))
            }
            let base = Int64(Date().timeIntervalSince1970 * 1e9) - 7_200_000_000_000
            // Interleaved nodes, times out of arrival order, flow records, and old decisions.
            for (slot, node) in nodes.enumerated() {
                for batch in 0..<3 {
                    let events = (0..<40).map { index -> DecisionEvent in
                        let second = Int64((index * 7 + batch * 13 + slot) % 97)
                        var event = Fixtures.event(
                            node: node.name, destination: "10.\(slot).\(batch).\(index)", port: UInt16(1000 + index),
                            verdict: index % 5 == 0 ? .deny : .allow, time: base + second * 60_000_000_000, domain: index % 3 == 0 ? "api.example.com" : nil)
                        if index % 11 == 0 {
                            event.flow = FlowCounts(
                                flowID: UInt64(index), bytesSent: 1, bytesReceived: 2, packetsSent: 1, packetsReceived: 1, durationMilliseconds: 1, final: true)
                        }
                        return event
                    }
                    _ = try await api.uploaded(events.map(\.jsonLine), sequence: batch, credential: node.credential)
                }
            }
            let store = server.app.store
            let ids = [nodes[0].id, nodes[2].id]
            let since = base + 30 * 60_000_000_000

            var listing = EventQuery()
            listing.nodeIDs = ids
            listing.sinceUs = since / 1000
            listing.kinds = [EventKind.decision.rawValue]
            listing.limit = 10_000
            let expected = try await store.events(listing).lines
            #expect(expected.count > 40 && expected.count < 240)
            #expect(try expected.allSatisfy { try DecisionEvent(jsonLine: $0).flow == nil })

            for pageRows in [1, 7, expected.count, expected.count + 1] {
                var read: [String] = []
                var cursor: Int64?
                repeat {
                    let page = try await store.replayLines(nodeIDs: ids, sinceUs: since / 1000, cursor: cursor, limit: pageRows)
                    #expect(page.lines.count <= pageRows)
                    read += page.lines
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(read == expected, "pages of \(pageRows)")
            }
            #expect(try await store.replayLines(nodeIDs: [], sinceUs: nil, cursor: nil, limit: 10).lines.isEmpty)
        }
    }
}
