import SluiceCore
import Testing

@testable import sluice_eval

@Suite struct DNSAttributionTests {
    static let dns = """
        {"ts":100.0,"id.orig_h":"10.0.0.5","query":"Old.Example.com","answers":["cdn.example.net","93.184.216.34"]}
        {"ts":200.0,"id.orig_h":"10.0.0.5","query":"new.example.org","answers":["93.184.216.34"]}
        {"ts":210.0,"id.orig_h":"10.0.0.9","query":"other-host.example","answers":["93.184.216.34"]}
        {"ts":400.0,"id.orig_h":"10.0.0.5","query":"late.example","answers":["93.184.216.34"]}
        {"ts":50.0,"id.orig_h":"10.0.0.5","query":"txt.example","answers":["v=spf1 -all"]}
        """

    static func flow(_ seconds: Int64, _ source: String, _ destination: String) -> Flow {
        Flow(
            time: seconds * 1_000_000_000, source: IPAddress(source)!, destination: IPAddress(destination)!, port: 443,
            transport: "tcp", domain: nil, label: nil)
    }

    @Test func aConnectionCarriesItsOwnHostsLatestAnswerBeforeIt() throws {
        let attribution = try DNSAttribution(ZeekLog.parse(Self.dns, file: "dns.log"))
        #expect(attribution.count == 4)
        let flows = attribution.name([
            Self.flow(300, "10.0.0.5", "93.184.216.34"),  // latest before: new.example.org, not 10.0.0.9's
            Self.flow(150, "10.0.0.5", "93.184.216.34"),  // out of order in the log: old.example.com
            Self.flow(90, "10.0.0.5", "93.184.216.34"),  // before any answer
            Self.flow(300, "10.0.0.7", "93.184.216.34"),  // a host that never asked
            Self.flow(500, "10.0.0.9", "93.184.216.34"),
        ])
        #expect(flows.map(\.domain) == ["new.example.org", "old.example.com", nil, nil, "other-host.example"])
    }
}
