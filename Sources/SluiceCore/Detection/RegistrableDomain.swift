/// The registrable domain of a name (its public suffix plus one label: `example.co.uk` for
/// `cdn.eu.example.co.uk`), which the detector treats as one destination whatever addresses its
/// names resolve to; public suffixes come from the Public Suffix List built into Sluice
/// (`PublicSuffixList.embedded`, with its wildcard and exception rules, and the default rule:
/// an unlisted last label is a public suffix). ASCII letters compare in any case.
enum RegistrableDomain {
    /// Where the registrable domain is in a name's bytes (trailing dots left out), and whether its
    /// public suffix is one a company hands out names under (the list's private part); a name
    /// that is itself a public suffix is its own. Nil for an empty name. One backward pass: at
    /// each dot the suffix after it has been hashed whole, so no text is built.
    static func locate(_ bytes: UnsafeBufferPointer<UInt8>, list: PublicSuffixList = .embedded) -> (range: Range<Int>, privateSuffix: Bool)? {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard end > 0 else { return nil }
        var hash = PublicSuffixList.basis
        var suffixStart = end  // the longest public suffix found so far; `end`: none yet
        var privateSuffix = false
        var labelStart = end  // the suffix hashed so far begins here
        typealias Rule = PublicSuffixList.Rule
        var parent: UInt8 = 0  // what the list says of the suffix one label shorter
        var parentStart = end
        var index = end
        func judge() -> UInt8 {
            let rule = list.rule(hash)
            if rule & Rule.exception != 0 {
                // `!www.ck` under `*.ck`: www.ck is registrable, its parent the public suffix.
                if parentStart < end { (suffixStart, privateSuffix) = (parentStart, parent & Rule.privateWildcard != 0) }
            } else if rule & Rule.suffix != 0 {
                (suffixStart, privateSuffix) = (labelStart, rule & Rule.privateSuffix != 0)
            } else if parent & Rule.wildcard != 0 {
                (suffixStart, privateSuffix) = (labelStart, parent & Rule.privateWildcard != 0)
            }
            return rule
        }
        while index > 0 {
            index -= 1
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                labelStart = index + 1
                parent = judge()
                parentStart = labelStart
            }
            hash = PublicSuffixList.step(hash, byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        labelStart = 0
        _ = judge()
        // The default rule: the last label is a public suffix.
        if suffixStart == end {
            suffixStart = 0
            for position in stride(from: end - 1, through: 0, by: -1) where bytes[position] == UInt8(ascii: ".") {
                suffixStart = position + 1
                break
            }
        }
        guard suffixStart > 0 else { return (0..<end, privateSuffix) }  // the name is a public suffix itself
        var start = suffixStart - 1  // the dot before the suffix
        while start > 0 && bytes[start - 1] != UInt8(ascii: ".") { start -= 1 }
        return (start..<end, privateSuffix)
    }

    /// The registrable domain of `name` (lower case, without a trailing dot) and whether its
    /// public suffix is a private one (`locate`).
    static func split(_ name: String, list: PublicSuffixList = .embedded) -> (domain: Substring, privateSuffix: Bool)? {
        let text = DomainFilter.lowercased(name)
        let bytes = Array(text.utf8)
        guard let found = bytes.withUnsafeBufferPointer({ locate($0, list: list) }) else { return nil }
        let utf8 = text.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: found.range.lowerBound)
        let to = utf8.index(utf8.startIndex, offsetBy: found.range.upperBound)
        return (text[from..<to], found.privateSuffix)
    }

    /// The registrable domain of `name` (lower case, without a trailing dot); nil for an empty name.
    static func of(_ name: String) -> Substring? { split(name)?.domain }

    /// FNV-1a of the registrable domain's lower-case bytes; 0 when there is none (the detector's
    /// "no name").
    static func fingerprint(_ name: String?) -> UInt64 { judge(name).fingerprint }

    /// What the detector keeps of a looked-up name, from one pass over its bytes: the registrable
    /// domain's fingerprint (0 for none) and how machine-generated its label looks
    /// (`GeneratedName`).
    static func judge(_ name: String?) -> (fingerprint: UInt64, generatedName: Float) {
        guard var name else { return (0, 0) }
        return name.withUTF8 { bytes in
            guard let found = locate(bytes) else { return (0, 0) }
            let label = UnsafeBufferPointer(rebasing: bytes[found.range]).prefix { $0 != UInt8(ascii: ".") }
            return (fingerprint(bytes, found.range), GeneratedName.bits(label: UnsafeBufferPointer(rebasing: label), privateSuffix: found.privateSuffix))
        }
    }

    /// FNV-1a of `range` of `bytes`, ASCII letters lower-cased, never 0.
    static func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in range {
            let byte = bytes[index]
            hash = (hash ^ UInt64(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)) &* 0x0000_0100_0000_01b3
        }
        return hash | 1
    }
}
