/// A fully written DNS name (`api.github.com`), stored lowercase without a trailing dot: the form
/// the kernel hashes when it attributes a DNS answer to the connects that follow it.
///
/// Ordered by its text, which only makes listings and generated tables deterministic.
public struct DomainName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name, lowercase, labels separated by single dots, no trailing dot.
    public let text: String

    /// How many parent domains `parentHashes` holds at most: the kernel's `SLUICE_DNS_PARENTS`.
    public static let maximumParents = 8

    /// The longest name DNS carries, in bytes of its dotted text.
    public static let maximumLength = 253

    /// The longest label DNS carries, in bytes.
    public static let maximumLabelLength = 63

    init(unchecked text: String) {
        self.text = text
    }

    /// A name from text; nil when it is not one (`parse` says why).
    public init?(_ text: String) {
        guard case .success(let name) = Self.parse(text) else { return nil }
        self = name
    }

    public var description: String { text }

    public static func < (lhs: DomainName, rhs: DomainName) -> Bool { lhs.text < rhs.text }

    /// The labels, leftmost first.
    public var labels: [Substring] { text.split(separator: ".", omittingEmptySubsequences: false) }

    /// FNV-1a 64 over the name's bytes from the last to the first. Backwards so that the hash of a
    /// suffix is an intermediate state of the whole name's: the kernel gets every parent's hash in
    /// one pass over the answer.
    public var hash: UInt64 {
        var state = FNV1a.offsetBasis
        for byte in text.utf8.reversed() { state = FNV1a.step(state, byte) }
        return state
    }

    /// The hashes of the nearest `maximumParents` parent domains, nearest first:
    /// `a.b.github.com` gives those of `b.github.com`, `github.com` and `com`.
    public var parentHashes: [UInt64] {
        Array(allParentHashes.prefix(Self.maximumParents))
    }

    /// The hashes of every parent domain, nearest first.
    var allParentHashes: [UInt64] { hashesBeforeDots.reversed() }

    /// The parent domains `parentHashes` stands for, nearest first.
    public var parents: [DomainName] {
        var result: [DomainName] = []
        var rest = Substring(text)
        while result.count < Self.maximumParents, let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            result.append(DomainName(unchecked: String(rest)))
        }
        return result
    }

    /// The hash state each time the backward pass reaches a dot: the hash of the text after it,
    /// the farthest parent first.
    private var hashesBeforeDots: [UInt64] {
        var state = FNV1a.offsetBasis
        var result: [UInt64] = []
        for byte in text.utf8.reversed() {
            if byte == ASCII.dot { result.append(state) }
            state = FNV1a.step(state, byte)
        }
        return result
    }
}

/// The 64-bit Fowler–Noll–Vo 1a hash, as `BPF/` computes it over names.
enum FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    static func step(_ state: UInt64, _ byte: UInt8) -> UInt64 {
        (state ^ UInt64(byte)) &* prime
    }
}
