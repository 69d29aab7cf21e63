import Testing

@testable import SluiceCore

/// `policy explain --to`: addresses and names with a port and an optional protocol.
@Suite struct ConnectTargetTests {
    func parse(_ text: String) -> ConnectTarget? {
        try? ConnectTarget.parse(text).get()
    }

    @Test func addressesKeepTheirForms() {
        #expect(parse("10.0.0.1:443") == ConnectTarget(host: .address(IPAddress("10.0.0.1")!), port: 443))
        #expect(parse("[2001:db8::1]:53/udp") == ConnectTarget(host: .address(IPAddress("2001:db8::1")!), port: 53, transport: .udp))
        #expect(parse("10.1.2.3:1/ICMP")?.transport == .icmp)
        #expect(parse("0.0.0.0:0/raw") == ConnectTarget(host: .address(IPAddress("0.0.0.0")!), port: 0, transport: .raw))
    }

    @Test func namesAreReadAsTheNameLookedUp() {
        #expect(parse("api.github.com:443") == ConnectTarget(host: .name(DomainName("api.github.com")!), port: 443))
        #expect(parse("DNS.Google.:443/udp") == ConnectTarget(host: .name(DomainName("dns.google")!), port: 443, transport: .udp))
    }

    @Test func mistakesSayWhatToWrite() {
        #expect(ConnectTarget.parse("api.github.com") == .failure(.missingPort("api.github.com")))
        #expect(ConnectTarget.parse("2001:db8::1:443") == .failure(.missingPort("2001:db8::1:443")))
        #expect(ConnectTarget.parse("10.0.0.1:0") == .failure(.badPort("0")))
        #expect(ConnectTarget.parse("10.0.0.1:70000") == .failure(.badPort("70000")))
        #expect(ConnectTarget.parse("10.0.0.1:443/sctp") == .failure(.badProtocol("sctp")))
        #expect(ConnectTarget.parse("10.0.0.1:443/any") == .failure(.badProtocol("any")))
        guard case .failure(let error) = ConnectTarget.parse("10.0.0:443") else {
            Issue.record("a mistyped address is not a name")
            return
        }
        #expect(error.description.contains("neither an address nor a domain name"))
        #expect(error.description.contains("ADDRESS:PORT or NAME:PORT"))
    }
}
