import Testing

@testable import SluiceCore

/// Names and name patterns: what parses, why the rest does not, and the hashes the kernel must
/// compute identically.
@Suite struct DomainNameTests {
    /// FNV-1a 64 written out plainly over the bytes in reverse, sharing nothing with `DomainName`.
    static func plainHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in Array(text.utf8).reversed() {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        return hash
    }

    static func name(_ text: String) -> DomainName {
        guard let name = DomainName(text) else { preconditionFailure("bad fixture name \(text)") }
        return name
    }

    @Test(arguments: [
        ("com", 0x0808_5e19_1767_1762 as UInt64),
        ("github.com", 0xe6de_9e1d_e284_bc95),
        ("api.github.com", 0xe306_4600_3094_9e1b),
        ("b.github.com", 0xb57a_fbae_7411_d7f9),
        ("a.b.github.com", 0xb8bf_7100_18ec_fe5c),
        ("githubusercontent.com", 0xcad9_0b34_6174_0891),
    ])
    func hashIsReversedFNV1a(text: String, expected: UInt64) {
        #expect(Self.name(text).hash == expected)
        #expect(Self.plainHash(text) == expected)
    }

    @Test func parentHashesAreTheNearestParentsFirst() {
        let name = Self.name("a.b.github.com")
        #expect(name.parentHashes == ["b.github.com", "github.com", "com"].map(Self.plainHash))
        #expect(name.parents.map(\.text) == ["b.github.com", "github.com", "com"])
        #expect(Self.name("com").parentHashes == [])
    }

    @Test func onlyTheEightNearestParentsAreKept() {
        let labels = (1...12).map { "l\($0)" }
        let name = Self.name(labels.joined(separator: "."))
        let expected = (1...8).map { labels.dropFirst($0).joined(separator: ".") }
        #expect(name.parents.map(\.text) == expected)
        #expect(name.parentHashes == expected.map(Self.plainHash))
        #expect(name.parentHashes.count == DomainName.maximumParents)
    }

    @Test func parsingLowercasesAndDropsOneTrailingDot() {
        #expect(DomainName("API.GitHub.com.")?.text == "api.github.com")
        #expect(DomainName("_dmarc.example-1.org")?.text == "_dmarc.example-1.org")
        #expect(DomainName("localhost")?.text == "localhost")
        #expect(Self.name("API.GitHub.com").hash == Self.name("api.github.com").hash)
    }

    @Test(arguments: [
        ("", DomainName.ParseError.empty),
        (".", .empty),
        ("a..com", .emptyLabel("a..com")),
        (".a.com", .emptyLabel(".a.com")),
        ("a.com..", .emptyLabel("a.com..")),
        ("-a.com", .hyphenAtEdge("-a.com", label: "-a")),
        ("a-.com", .hyphenAtEdge("a-.com", label: "a-")),
        ("a b.com", .badCharacter("a b.com", " ")),
        ("bücher.de", .badCharacter("bücher.de", "ü")),
        ("10.0.0.1", .looksLikeAddress("10.0.0.1")),
        ("::1", .looksLikeAddress("::1")),
        ("10.0.0", .looksLikeAddress("10.0.0")),
    ])
    func malformedNamesSayWhy(text: String, error: DomainName.ParseError) {
        #expect(DomainName.parse(text) == .failure(error))
    }

    @Test func lengthsFollowDNS() {
        let label63 = String(repeating: "a", count: 63)
        #expect(DomainName("\(label63).com") != nil)
        #expect(DomainName.parse("\(label63)a.com") == .failure(.labelTooLong("\(label63)a.com", label: label63 + "a")))
        let long = Array(repeating: label63, count: 4).joined(separator: ".")  // 255 bytes
        #expect(DomainName.parse(long) == .failure(.tooLong(long, length: 255)))
        let longest = Array(repeating: label63, count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        #expect(DomainName(longest) != nil, "253 bytes is the most DNS carries")
    }

    @Test func patternsParseWithTheirKeys() throws {
        let exact = try NamePattern.parse("API.github.com").get()
        #expect(exact == .exact(Self.name("api.github.com")))
        #expect(exact.key == NamePatternKey(kind: .exact, hash: Self.plainHash("api.github.com")))
        let wildcard = try NamePattern.parse("*.github.com").get()
        #expect(wildcard == .wildcard(Self.name("github.com")))
        #expect(wildcard.key == NamePatternKey(kind: .wildcard, hash: Self.plainHash("github.com")))
        #expect(wildcard.description == "*.github.com")
        #expect(try NamePattern.parse("*.com").get() == .wildcard(Self.name("com")), "a single-label suffix is allowed")
    }

    @Test func patternsThatCannotBeMeantAreRefused() {
        #expect(NamePattern.parse("*") == .failure(.bareWildcard))
        #expect(NamePattern.parse("a.*.com") == .failure(.misplacedWildcard("a.*.com")))
        #expect(NamePattern.parse("*github.com") == .failure(.misplacedWildcard("*github.com")))
        #expect(NamePattern.parse("*.*.com") == .failure(.misplacedWildcard("*.*.com")))
        #expect(NamePattern.parse("github", aliases: ["private"]) == .failure(.singleLabel("github", suggestion: nil, aliases: ["private"])))
        #expect(
            NamePattern.parse("privte", aliases: ["private"])
                == .failure(.singleLabel("privte", suggestion: "private", aliases: ["private"])))
        #expect(NamePattern.ParseError.bareWildcard.description.contains("use 0.0.0.0/0 and ::/0, or omit \"to\""))
    }

    @Test func wildcardsMatchNamesBelowTheirSuffixOnly() {
        let wildcard = NamePattern.wildcard(Self.name("github.com"))
        #expect(wildcard.matches(Self.name("api.github.com")))
        #expect(wildcard.matches(Self.name("a.b.github.com")))
        #expect(!wildcard.matches(Self.name("github.com")))
        #expect(!wildcard.matches(Self.name("notgithub.com")))
        let eightBelow = (1...8).map { "l\($0)." }.joined() + "github.com"
        #expect(wildcard.matches(Self.name(eightBelow)))
        #expect(!wildcard.matches(Self.name("l0." + eightBelow)), "nine labels below the suffix: not among the 8 nearest parents")
        #expect(NamePattern.exact(Self.name("github.com")).matches(Self.name("github.com")))
    }
}
