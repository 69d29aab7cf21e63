import Testing

@testable import SluiceCore

@Suite struct IPPrefixTests {
    /// Text, expected description, family and length.
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8", IPAddress.Family.ipv4, 8),
        ("192.0.2.7", "192.0.2.7", .ipv4, 32),
        ("192.0.2.7/32", "192.0.2.7", .ipv4, 32),
        ("0.0.0.0/0", "0.0.0.0/0", .ipv4, 0),
        ("172.16.0.0/12", "172.16.0.0/12", .ipv4, 12),
        ("2001:db8::/32", "2001:db8::/32", .ipv6, 32),
        ("2001:DB8:0::/48", "2001:db8::/48", .ipv6, 48),
        ("::/0", "::/0", .ipv6, 0),
        ("::1/128", "::1", .ipv6, 128),
        ("fe80::/10", "fe80::/10", .ipv6, 10),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8", .ipv4, 8),
        ("::ffff:1.2.3.4", "1.2.3.4", .ipv4, 32),
        ("::ffff:1.2.3.4/128", "1.2.3.4", .ipv4, 32),
        ("::ffff:0.0.0.0/96", "0.0.0.0/0", .ipv4, 0),
    ])
    func parses(text: String, description: String, family: IPAddress.Family, length: Int) throws {
        let prefix = try IPPrefix.parse(text).get()
        #expect(prefix.description == description)
        #expect(prefix.family == family)
        #expect(prefix.length == length)
    }

    @Test(arguments: [
        ("10.0.0.1/8", IPPrefix.ParseError.hostBitsSet("10.0.0.1/8", network: "10.0.0.0/8")),
        ("192.0.2.7/24", .hostBitsSet("192.0.2.7/24", network: "192.0.2.0/24")),
        ("2001:db8::1/32", .hostBitsSet("2001:db8::1/32", network: "2001:db8::/32")),
        ("::ffff:10.0.0.1/104", .hostBitsSet("::ffff:10.0.0.1/104", network: "10.0.0.0/8")),
        // Shorter than /96 the mapped form reaches beyond IPv4 space and stays IPv6.
        ("::ffff:0.0.0.0/80", .hostBitsSet("::ffff:0.0.0.0/80", network: "::/80")),
        ("10.0.0.0/33", .badLength("10.0.0.0/33", maximum: 32)),
        ("10.0.0.0/", .badLength("10.0.0.0/", maximum: 32)),
        ("10.0.0.0/-1", .badLength("10.0.0.0/-1", maximum: 32)),
        ("10.0.0.0/+8", .badLength("10.0.0.0/+8", maximum: 32)),
        ("10.0.0.0/8/8", .badLength("10.0.0.0/8/8", maximum: 32)),
        ("2001:db8::/129", .badLength("2001:db8::/129", maximum: 128)),
        ("::ffff:10.0.0.0/129", .badLength("::ffff:10.0.0.0/129", maximum: 128)),
        ("localhost", .notAnAddress("localhost")),
        ("", .notAnAddress("")),
        ("10.0.0/8", .notAnAddress("10.0.0/8")),
        ("010.0.0.0/8", .notAnAddress("010.0.0.0/8")),
    ])
    func refuses(text: String, error: IPPrefix.ParseError) {
        #expect(IPPrefix.parse(text) == .failure(error))
    }

    @Test func parseErrorsSayWhatToWrite() {
        #expect(
            IPPrefix.ParseError.hostBitsSet("10.0.0.1/8", network: "10.0.0.0/8").description
                == "\"10.0.0.1/8\" has host bits set; did you mean 10.0.0.0/8?")
        #expect(
            IPPrefix.ParseError.badLength("10.0.0.0/33", maximum: 32).description
                == "\"10.0.0.0/33\": prefix length must be a number from 0 to 32")
        #expect(
            IPPrefix.ParseError.notAnAddress("x").description == "\"x\" is not an IPv4 or IPv6 address or CIDR")
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "10.0.0.0", true),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true),  // mapped addresses are IPv4
        ("192.0.2.7", "192.0.2.7", true),
        ("192.0.2.7", "192.0.2.8", false),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("0.0.0.0/0", "::1", false),
        ("::/0", "2001:db8::1", true),
        ("::/0", "1.2.3.4", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::", false),
    ])
    func containsAddress(prefix: String, address: String, expected: Bool) throws {
        let block = try IPPrefix.parse(prefix).get()
        #expect(block.contains(try #require(IPAddress(address))) == expected)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.1.0.0/16", true),
        ("10.1.0.0/16", "10.0.0.0/8", false),
        ("10.0.0.0/8", "10.0.0.0/8", true),
        ("10.0.0.0/8", "11.0.0.0/16", false),
        ("0.0.0.0/0", "::/0", false),
        ("::/0", "2001:db8::/32", true),
        ("2001:db8::/32", "2001:db8::1", true),
    ])
    func containsPrefix(outer: String, inner: String, expected: Bool) throws {
        #expect(try IPPrefix.parse(outer).get().contains(try IPPrefix.parse(inner).get()) == expected)
    }

    @Test func anyCoversAFamily() {
        #expect(IPPrefix.any(.ipv4).description == "0.0.0.0/0")
        #expect(IPPrefix.any(.ipv6).description == "::/0")
        #expect(IPPrefix.any(.ipv4) == (try? IPPrefix.parse("0.0.0.0/0").get()))
        #expect(IPPrefix.any(.ipv6) == (try? IPPrefix.parse("::/0").get()))
    }

    @Test func coveringClearsHostBits() throws {
        let address = try #require(IPAddress("192.0.2.77"))
        #expect(IPPrefix(covering: address, length: 24).description == "192.0.2.0/24")
        #expect(IPPrefix(covering: address, length: 32).description == "192.0.2.77")
        let v6 = try #require(IPAddress("2001:db8::77"))
        #expect(IPPrefix(covering: v6, length: 64).description == "2001:db8::/64")
    }

    @Test func ordersByAddressThenLength() throws {
        let texts = ["10.0.0.0/16", "::/0", "10.0.0.0/8", "9.0.0.0/8"]
        let sorted = try texts.map { try IPPrefix.parse($0).get() }.sorted().map(\.description)
        #expect(sorted == ["9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "::/0"])
    }
}
