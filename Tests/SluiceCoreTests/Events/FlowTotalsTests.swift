import Testing

@testable import SluiceCore

@Suite struct FlowTotalsTests {
    static func record(
        exe: String, flowID: UInt64, sent: UInt64, received: UInt64, final: Bool, node: String = "n1", port: UInt16 = 443
    ) -> DecisionEvent {
        var event = DecisionEventTests.sample
        event.node = node
        event.exe = exe
        event.port = port
        event.flow = FlowCounts(
            flowID: flowID, bytesSent: sent, bytesReceived: received, packetsSent: 1, packetsReceived: 1, durationMilliseconds: 0, final: final)
        return event
    }

    @Test func openRecordsAddWhatMovedSinceTheLastAndTheFinalTheRest() {
        var totals = FlowTotals()
        totals.add(Self.record(exe: "/a", flowID: 1, sent: 100, received: 10, final: false))
        totals.add(Self.record(exe: "/a", flowID: 1, sent: 250, received: 10, final: false))
        let last = totals.add(Self.record(exe: "/a", flowID: 1, sent: 300, received: 40, final: true))
        #expect(last?.bytesSent == 50 && last?.bytesReceived == 30 && last?.connections == 1)
        // The same flow id on another node is another connection.
        totals.add(Self.record(exe: "/a", flowID: 1, sent: 5, received: 0, final: true, node: "n2"))
        totals.add(Self.record(exe: "/b", flowID: 2, sent: 1, received: 1, final: true))
        let a = totals.applications[FlowTotals.Application(executable: "/a", cgroup: DecisionEventTests.sample.cgroup)]
        #expect(a?.bytesSent == 305 && a?.bytesReceived == 40 && a?.connections == 2)
        #expect(totals.total.bytesSent == 306 && totals.total.connections == 3)
        #expect(totals.add(DecisionEventTests.sample) == nil, "a decision is not traffic")
        // A record older than the one before it adds nothing rather than wrapping around.
        totals.add(Self.record(exe: "/c", flowID: 3, sent: 100, received: 0, final: false))
        #expect(totals.add(Self.record(exe: "/c", flowID: 3, sent: 90, received: 0, final: true))?.bytesSent == 0)
    }

    @Test func topSortsByBytesAndMemoryStaysBounded() {
        var totals = FlowTotals(capacity: 8)
        for index in 0..<100 {
            totals.add(Self.record(exe: "/app\(index)", flowID: UInt64(index), sent: UInt64(index) * 10, received: 0, final: true))
        }
        #expect(totals.applications.count <= 8)
        let top = totals.top(applications: 3, destinations: 1)
        #expect(top.map(\.0.executable) == ["/app99", "/app98", "/app97"])
        #expect(top[0].2.count == 1 && top[0].2[0].1.bytesSent == 990)
        #expect(totals.total.bytesSent == (0..<100).reduce(0) { $0 + UInt64($1) * 10 })
    }
}
