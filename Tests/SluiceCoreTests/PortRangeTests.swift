import Testing

@testable import SluiceCore

@Suite struct PortRangeTests {
    @Test(arguments: [
        ("443", UInt16(443), UInt16(443)),
        ("1", 1, 1),
        ("65535", 65535, 65535),
        ("8000-8100", 8000, 8100),
        ("80-80", 80, 80),
        ("1-65535", 1, 65535),
    ])
    func parses(text: String, lower: UInt16, upper: UInt16) throws {
        let range = try PortRange.parse(text).get()
        #expect(range.lower == lower)
        #expect(range.upper == upper)
    }

    @Test(arguments: [
        ("0", PortRange.ParseError.outOfRange("0", port: "0")),
        ("65536", .outOfRange("65536", port: "65536")),
        ("99999999999999999999", .outOfRange("99999999999999999999", port: "99999999999999999999")),
        ("0-100", .outOfRange("0-100", port: "0")),
        ("100-70000", .outOfRange("100-70000", port: "70000")),
        ("8100-8000", .emptyRange("8100-8000", lower: 8100, upper: 8000)),
        ("0443", .leadingZero("0443")),
        ("80-090", .leadingZero("80-090")),
        ("", .notAPort("")),
        ("-", .notAPort("-")),
        ("80-", .notAPort("80-")),
        ("-80", .notAPort("-80")),
        ("80-90-100", .notAPort("80-90-100")),
        (" 80", .notAPort(" 80")),
        ("http", .notAPort("http")),
        ("0x50", .notAPort("0x50")),
        ("+80", .notAPort("+80")),
        ("８０", .notAPort("８０")),  // fullwidth digits are digits to Unicode, not to us
    ])
    func refuses(text: String, error: PortRange.ParseError) {
        #expect(PortRange.parse(text) == .failure(error))
    }

    @Test func parseErrorsSayWhatToWrite() {
        #expect(
            PortRange.ParseError.outOfRange("0", port: "0").description
                == "port 0 is out of range; ports are 1 to 65535")
        #expect(
            PortRange.ParseError.outOfRange("0-100", port: "0").description
                == "\"0-100\": port 0 is out of range; ports are 1 to 65535")
        #expect(
            PortRange.ParseError.emptyRange("8100-8000", lower: 8100, upper: 8000).description
                == "\"8100-8000\" is an empty range; write the lower port first: 8000-8100")
        #expect(
            PortRange.ParseError.leadingZero("0443").description
                == "\"0443\" has a leading zero; write ports in plain decimal")
        #expect(
            PortRange.ParseError.notAPort("x").description
                == "\"x\" is not a port or port range; write a port such as 443 or a range such as 8000-8100")
    }

    @Test func measuresAndCompares() throws {
        let range = try #require(PortRange(8000, 8100))
        #expect(range.width == 101)
        #expect(range.contains(8000) && range.contains(8100) && !range.contains(8101) && !range.contains(7999))
        #expect(range.overlaps(try #require(PortRange(8100, 9000))))
        #expect(!range.overlaps(try #require(PortRange(8101, 9000))))
        #expect(PortRange(9, 8) == nil)
        #expect(PortRange(443).isSinglePort && PortRange(443).width == 1)
        #expect(PortRange.any.isAny && PortRange.any.width == 65536)
        #expect([PortRange(443), range, PortRange(80)].sorted() == [PortRange(80), PortRange(443), range])
    }

    @Test(arguments: [
        (PortRange.any, "any"),
        (PortRange(443), "443"),
        (PortRange(8000, 8100)!, "8000-8100"),
    ])
    func describes(range: PortRange, expected: String) {
        #expect(range.description == expected)
    }

    @Test(arguments: [(TransportProtocol.tcp, UInt8(6)), (.udp, 17), (.any, 0)])
    func transportNumbersRoundTrip(transport: TransportProtocol, number: UInt8) {
        #expect(transport.number == number)
        #expect(TransportProtocol(number: number) == transport)
    }

    @Test func unknownTransportNumberIsNil() {
        #expect(TransportProtocol(number: 132) == nil, "SCTP")
        #expect(TransportProtocol(number: 1) == .icmp)
    }
}
