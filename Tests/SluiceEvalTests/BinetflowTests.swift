import Foundation
import SluiceCore
import Testing

@testable import sluice_eval

@Suite struct BinetflowTests {
    static let csv = """
        StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label
        2019/04/04 16:24:47.672448,63.8,tcp,10.8.0.69,56101,   ->,14.1.11.113,999,S0,0,0,31,8764,1887,15,flow=From-Botnet-V1-TCP
        2019/04/04 16:24:48.5,0.1,icmp,10.8.0.69,0x0008,   ->,14.1.11.114,0x0303,ECO,0,0,1,60,60,1,
        2018/05/10 10:52:47.283479,0.04,arp,00:00:00:00:00:00,0,   ->,00:00:00:00:00:01,0,INT,0,0,1,60,60,1,flow=Background
        2019/04/04 16:24:49.000000,0.1,udp,10.8.0.1,53,  <->,10.8.0.69,4000,CON,0,0,2,142,63,1,flow=Background-UDP-DNS

        """

    @Test func rowsBecomeFlowsAndNonIPRowsAreSkipped() throws {
        let (flows, skipped) = try Binetflow.parse(Self.csv, file: "t.binetflow")
        #expect(skipped == 1)
        #expect(flows.count == 3)
        // 2019-04-04 16:24:47.672448 UTC.
        #expect(flows[0].time == 1_554_395_087_672_448_000)
        #expect(flows[0].port == 999)
        #expect(flows[0].label == "From-Botnet-V1-TCP")
        #expect(flows[1].port == 0x0303)
        #expect(flows[1].transport == "1")
        #expect(flows[1].label == nil)
        #expect(flows[2].label == "Background-UDP-DNS")
    }

    @Test func tabSeparatedFilesReadTheSame() throws {
        let tabs = Self.csv.replacingOccurrences(of: ",", with: "\t")
        #expect(try Binetflow.parse(tabs, file: "t.binetflow").flows.count == 3)
    }

    @Test func badCellsAreNamedWithTheirLineAndColumn() {
        let badTime = Self.csv.replacingOccurrences(of: "2019/04/04 16:24:48.5", with: "2019-04-04T16:24:48")
        #expect(
            throws: CaptureInputError(
                file: "t.binetflow", line: 3, field: "StartTime", problem: "'2019-04-04T16:24:48' is not a time like 2019/04/04 16:24:47.672448")
        ) { try Binetflow.parse(badTime, file: "t.binetflow") }
        let badAddress = Self.csv.replacingOccurrences(of: "14.1.11.113", with: "14.1.11.300")
        #expect(throws: CaptureInputError(file: "t.binetflow", line: 2, field: "DstAddr", problem: "'14.1.11.300' is not an IP address")) {
            try Binetflow.parse(badAddress, file: "t.binetflow")
        }
        #expect(throws: CaptureInputError(file: "t.binetflow", line: 1, field: "Dport", problem: "the header has no such column")) {
            try Binetflow.parse("StartTime,Proto,SrcAddr,DstAddr\n", file: "t.binetflow")
        }
    }
}
