import SluiceCore
import Testing

@testable import sluice_eval

@Suite struct ZeekLogTests {
    static let tsv = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tconn
        #fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\ttunnel_parents\tlabel\tdetailedlabel
        #types\ttime\taddr\tport\taddr\tport\tenum\tstring\tset[string]\tstring\tstring
        1677024003.714845\t192.168.1.107\t65164\t66.63.168.35\t5888\ttcp\t-\t(empty)\tMalicious\tFrom_malicious-C2
        1677024004.5\t192.168.1.107\t65170\t2001:db8::1\t443\tudp\tquic\ta,b\tBenign\t-

        """

    @Test func tabSeparatedRowsReadByTheirFieldsHeader() throws {
        let records = try ZeekLog.parse(Self.tsv, file: "conn.log")
        #expect(records.count == 2)
        #expect(records[0].line == 8)
        #expect(records[0].text("service") == nil)
        #expect(records[0].list("tunnel_parents") == [])
        #expect(records[1].list("tunnel_parents") == ["a", "b"])
        let flows = try ZeekConn.flows(records)
        #expect(flows[0].time == 1_677_024_003_714_845_000)
        #expect(flows[0].source == IPAddress("192.168.1.107"))
        #expect(flows[0].destination == IPAddress("66.63.168.35"))
        #expect(flows[0].port == 5888)
        #expect(flows[0].transport == "tcp")
        #expect(flows[0].label == "From_malicious-C2")
        #expect(flows[1].destination == IPAddress("2001:db8::1"))
        #expect(flows[1].transport == "udp")
        #expect(flows[1].label == "Benign")
    }

    @Test func headersWithStrayLeadingWhitespaceStillCount() throws {
        let text = "\t" + Self.tsv
        #expect(try ZeekLog.parse(text, file: "conn.log").count == 2)
    }

    @Test func jsonLinesReadTheSameFields() throws {
        let text = """
            {"ts":1700828217.314165,"id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","local_orig":true}
            {"ts":147.5,"id.orig_h":"10.0.2.2","id.resp_h":"10.0.2.15","id.resp_p":0,"proto":"icmp","service":null}
            """
        let flows = try ZeekConn.flows(ZeekLog.parse(text, file: "conn.log"))
        #expect(flows.count == 2)
        #expect(flows[0].time == 1_700_828_217_314_165_000)
        #expect(flows[0].port == 443)
        #expect(flows[0].label == nil)
        #expect(flows[1].time == 147_500_000_000)
        #expect(flows[1].transport == "1")
    }

    @Test func aBadAddressIsReportedWithFileLineAndField() {
        let text = Self.tsv.replacingOccurrences(of: "66.63.168.35", with: "66.63.168")
        #expect(throws: CaptureInputError(file: "conn.log", line: 8, field: "id.resp_h", problem: "'66.63.168' is not an IP address")) {
            try ZeekConn.flows(ZeekLog.parse(text, file: "conn.log"))
        }
    }

    @Test func aRowWithTheWrongColumnCountIsRefused() throws {
        let text = Self.tsv + "1.0\t10.0.0.1\n"
        do {
            _ = try ZeekLog.parse(text, file: "conn.log")
            Issue.record("a short row was accepted")
        } catch {
            #expect(error.description == "conn.log:10: 2 columns where #fields names 10")
        }
    }

    @Test func aMissingPortAndAnUnparsableJSONLineAreNamed() {
        let missing = #"{"ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"tcp"}"#
        #expect(throws: CaptureInputError(file: "c.log", line: 1, field: "id.resp_p", problem: "missing (every row needs it)")) {
            try ZeekConn.flows(ZeekLog.parse(missing, file: "c.log"))
        }
        let broken = #"{"ts":1.0,"id.orig_h":"10.0.0.1""# + "\n"
        #expect(throws: CaptureInputError.self) { try ZeekLog.parse("{\"ts\":1}\n" + broken, file: "c.log") }
    }
}
