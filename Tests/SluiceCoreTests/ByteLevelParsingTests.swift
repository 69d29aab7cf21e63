import Testing

@testable import SluiceCore

/// Addresses, prefixes and ports are read byte by byte. Text with a non-ASCII character is never
/// valid, and keeps the error the character-by-character reading gave it: a combining mark makes
/// the character before it a different one, so `/\u{301}` is no separator.
@Suite struct ByteLevelParsingTests {
    @Test(arguments: [
        ("10.0.0.0/\u{301}8", IPPrefix.ParseError.notAnAddress("10.0.0.0/\u{301}8")),
        ("10.0.0.0\u{301}/8", .notAnAddress("10.0.0.0\u{301}/8")),
        ("1\u{301}0.0.0.1/8", .notAnAddress("1\u{301}0.0.0.1/8")),
        ("::1/\u{301}64", .notAnAddress("::1/\u{301}64")),
        ("10.0.0.0/8\u{301}", .badLength("10.0.0.0/8\u{301}", maximum: 32)),
        ("::1/64\u{301}", .badLength("::1/64\u{301}", maximum: 128)),
    ])
    func nonASCIIPrefixes(text: String, error: IPPrefix.ParseError) {
        #expect(IPPrefix.parse(text) == .failure(error))
    }

    @Test func prefixLengthsMayHaveLeadingZeros() throws {
        #expect(try IPPrefix.parse("10.0.0.0/0008").get().description == "10.0.0.0/8")
        #expect(try IPPrefix.parse("10.0.0.0/" + String(repeating: "0", count: 30) + "8").get().length == 8)
        #expect(IPPrefix.parse("10.0.0.0/99999999999999999999999") == .failure(.badLength("10.0.0.0/99999999999999999999999", maximum: 32)))
    }

    @Test(arguments: [
        ("1.2.3.4::", nil),
        ("0::ffff:1.2.3.4", "1.2.3.4"),
        ("::ffff:01.2.3.4", nil),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("1:2:3:4:5:6:7:1.2.3.4", nil),
        ("1::2::3", nil),
        (":::", nil),
        ("1::", "1::"),
        ("::", "::"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("1:2:3:4:5:6:7:8:9", nil),
        ("00000::1", nil),
        ("", nil),
        ("256.1.1.1", nil),
        ("1.2.3", nil),
        ("1.2.3.4.5", nil),
        ("1\u{301}.2.3.4", nil),
    ] as [(String, String?)])
    func addresses(text: String, description: String?) {
        #expect(IPAddress(text)?.description == description)
    }

    @Test(arguments: [
        // A digit with a combining mark counts as a digit character but is no number.
        ("1\u{301}", PortRange.ParseError.outOfRange("1\u{301}", port: "1\u{301}")),
        ("0\u{301}1", .outOfRange("0\u{301}1", port: "0\u{301}1")),
        ("5-1\u{301}", .outOfRange("5-1\u{301}", port: "1\u{301}")),
        ("00\u{301}", .leadingZero("00\u{301}")),
        // 9 with a mark sorts after 9 and is no digit character at all.
        ("9\u{301}", .notAPort("9\u{301}")),
        ("\u{FF11}", .notAPort("\u{FF11}")),
    ])
    func nonASCIIPorts(text: String, error: PortRange.ParseError) {
        #expect(PortRange.parse(text) == .failure(error))
    }
}
