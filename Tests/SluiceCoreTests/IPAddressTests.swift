import Testing

@testable import SluiceCore

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("192.0.2.7", [192, 0, 2, 7] as [UInt8]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
        ("10.0.0.1", [10, 0, 0, 1]),
    ])
    func parsesIPv4(text: String, bytes: [UInt8]) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(address.family == .ipv4)
        #expect(address.description == text)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4",
        "1.2.3.-4", "1.2.3.4/8", "1234.1.1.1",
    ])
    func refusesMalformedIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// inet_aton reads `010` as octal 8; we refuse rather than guess.
    @Test(arguments: ["01.2.3.4", "192.168.01.1", "10.0.0.00", "000.0.0.0"])
    func refusesLeadingZerosInIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// Input on the left, RFC 5952 text on the right.
    @Test(arguments: [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8::0001", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::", "fe80::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // one zero group is not compressed
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // equal runs: the first is compressed
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),  // the longest run is compressed
        ("0:0:1:0:0:0:0:0", "0:0:1::"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),  // `::` may stand for a single group on input
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("::1.2.3.4", "::102:304"),
        ("ff02::1:ff00:abcd", "ff02::1:ff00:abcd"),
    ])
    func formatsIPv6PerRFC5952(text: String, expected: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv6)
        #expect(address.description == expected)
    }

    @Test(arguments: [
        ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", ":1::", "1::2:", "::ffff:1.2.3",
        "::ffff:01.2.3.4", "1.2.3.4::", "::1.2.3.4:1", "1:2:3:4:5:6:7:8::", "[::1]",
    ])
    func refusesMalformedIPv6(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: ["::ffff:1.2.3.4", "::ffff:0102:0304", "0:0:0:0:0:ffff:1.2.3.4", "::FFFF:1.2.3.4"])
    func mappedIPv6BecomesIPv4(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv4)
        #expect(address.bytes == [1, 2, 3, 4])
        #expect(address.description == "1.2.3.4")
        #expect(address == IPAddress("1.2.3.4"))
    }

    @Test func bytesInitializerUnmapsAndChecksLength() throws {
        let mapped = [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 192, 0, 2, 1]
        #expect(IPAddress(bytes: mapped)?.description == "192.0.2.1")
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1])?.description == "::1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: []) == nil)
    }

    @Test func paddedBytesPutIPv4First() throws {
        #expect(try #require(IPAddress("192.0.2.7")).paddedBytes == [192, 0, 2, 7] + [UInt8](repeating: 0, count: 12))
        #expect(try #require(IPAddress("2001:db8::1")).paddedBytes.count == 16)
    }

    @Test(arguments: [
        ("192.0.2.255", 24, "192.0.2.0"),
        ("192.0.2.255", 25, "192.0.2.128"),
        ("192.0.2.255", 32, "192.0.2.255"),
        ("192.0.2.255", 0, "0.0.0.0"),
        ("10.255.255.255", 9, "10.128.0.0"),
        ("2001:db8:ffff::1", 32, "2001:db8::"),
        ("2001:db8:ffff::1", 36, "2001:db8:f000::"),
        ("ffff::1", 0, "::"),
    ])
    func masksToALength(text: String, length: Int, expected: String) throws {
        #expect(try #require(IPAddress(text)).masked(to: length).description == expected)
    }

    @Test func ordersIPv4BeforeIPv6ThenByBytes() throws {
        let texts = ["2001:db8::1", "10.0.0.2", "::1", "10.0.0.1", "9.255.255.255"]
        let sorted = try texts.map { try #require(IPAddress($0)) }.sorted().map(\.description)
        #expect(sorted == ["9.255.255.255", "10.0.0.1", "10.0.0.2", "::1", "2001:db8::1"])
    }
}
