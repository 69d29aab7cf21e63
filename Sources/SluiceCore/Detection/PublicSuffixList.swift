import Foundation

/// The Public Suffix List's rules (publicsuffix.org), as an open-addressing table of hashes of
/// each rule's labels read from the right, so that a name's suffixes are looked up in one
/// backward pass, one probe a label, with no text built (`RegistrableDomain`).
///
/// Internationalized rules are kept as the list writes them (Unicode): a name from the kernel is
/// in its DNS form (`xn--…`), so under such a suffix only the last label counts as public, and at
/// worst one registrable domain stands for several owners.
struct PublicSuffixList: Sendable {
    /// What the list says of one suffix: a set of these bits (plain bits, not an `OptionSet`,
    /// whose generic set algebra costs more than the rest of a lookup).
    enum Rule {
        /// `co.uk`: a public suffix.
        static let suffix: UInt8 = 1
        /// `*.ck` (kept under `ck`): every name one label under it is a public suffix.
        static let wildcard: UInt8 = 2
        /// `!www.ck`: registrable after all, under a wildcard.
        static let exception: UInt8 = 4
        /// The suffix rule is in the list's private part (a company hands out names under it:
        /// `github.io`, `cloudfront.net`).
        static let privateSuffix: UInt8 = 8
        /// The wildcard rule is in the private part.
        static let privateWildcard: UInt8 = 16
    }

    private var keys: [UInt64]
    private var rules: [UInt8]
    private let mask: Int

    /// Reads the list's text: one rule a line, `//` comments, the private part after
    /// `===BEGIN PRIVATE DOMAINS===`.
    init(text: String) {
        var found: [UInt64: UInt8] = [:]
        var isPrivate = false
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("//") {
                if line.contains("===BEGIN PRIVATE DOMAINS===") { isPrivate = true }
                continue
            }
            guard let rule = line.split(whereSeparator: \.isWhitespace).first else { continue }
            if rule.hasPrefix("!") {
                found[Self.hash(rule.dropFirst()), default: 0] |= Rule.exception
            } else if rule.hasPrefix("*.") {
                found[Self.hash(rule.dropFirst(2)), default: 0] |= Rule.wildcard | (isPrivate ? Rule.privateWildcard : 0)
            } else {
                found[Self.hash(rule), default: 0] |= Rule.suffix | (isPrivate ? Rule.privateSuffix : 0)
            }
        }
        // At most a quarter full: a miss, the usual answer, ends at the first or second slot.
        var capacity = 16
        while capacity < found.count * 4 { capacity *= 2 }
        mask = capacity - 1
        keys = Array(repeating: 0, count: capacity)
        rules = Array(repeating: 0, count: capacity)
        for (key, rule) in found where key != 0 {
            var slot = Int(truncatingIfNeeded: key) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            rules[slot] = rule
        }
    }

    /// What the list says of the suffix hashed `hash` (`hash`, `step`): `Rule` bits, 0 for nothing.
    @inline(__always)
    func rule(_ hash: UInt64) -> UInt8 {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let key = keys[slot]
            if key == hash { return rules[slot] }
            if key == 0 { return 0 }
            slot = (slot + 1) & mask
        }
    }

    /// The list built into Sluice (Tools/Models/public_suffix_list.dat).
    static let embedded: PublicSuffixList = {
        let base64 = EmbeddedPublicSuffixList.base64.values.first ?? ""
        let text = Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return PublicSuffixList(text: text)
    }()

    /// FNV-1a of a lower-case name's bytes from the last to the first.
    static func hash(_ name: Substring) -> UInt64 {
        var hash = basis
        for byte in name.utf8.reversed() { hash = step(hash, byte) }
        return hash
    }

    static let basis: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
}
