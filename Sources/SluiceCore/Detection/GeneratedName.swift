/// How machine-generated a domain looks: the evidence, in bits, that the label an owner chose
/// (the registrable domain's first label: `xkqzjvbwmp` of `xkqzjvbwmp.com`) was drawn letter by
/// letter at random rather than named by people, as domain-generation algorithms draw theirs.
///
/// The evidence is the log-likelihood ratio of the label's letters under uniformly random letters
/// against a letter-bigram model of English words (`nameBigramLog2`), summed over its runs of
/// three or more letters (digits and hyphens end a run; `1e100` has none). People abbreviate
/// (`fbcdn`, `npmjs` score 17 and 22 bits), so only labels of eight letters or more count, and
/// the first `allowance` bits are what naming by people can explain: among a hand-made list of
/// 150 well-known service labels none of eight letters or more exceeded 11 bits, while random
/// labels of twelve letters score 28 bits at the median (both chosen before the detector met any
/// capture; see docs/detection.md). Not judged: internationalized labels (`xn--`), and labels
/// under the Public Suffix List's private suffixes, which their companies may hand out at random
/// themselves (CloudFront's `d2hfqfqn3cqd8y.cloudfront.net`).
enum GeneratedName {
    /// Bits a label may score and still be a name people made.
    static let allowance: Double = 16
    /// Letters a label needs before it is judged.
    static let shortest = 8

    /// The bits past the allowance for the first label of a registrable domain
    /// (`RegistrableDomain.split`); 0 for a label people could have made, or under a private suffix.
    static func bits(registrable domain: Substring, privateSuffix: Bool = false) -> Float {
        Array(domain.utf8.prefix { $0 != UInt8(ascii: ".") }).withUnsafeBufferPointer { bits(label: $0, privateSuffix: privateSuffix) }
    }

    /// The bits past the allowance for one label's bytes (ASCII letters in any case); 0 under a
    /// private suffix.
    static func bits(label: UnsafeBufferPointer<UInt8>, privateSuffix: Bool) -> Float {
        if privateSuffix { return 0 }
        if label.count >= 4 && (label[0] | 0x20) == UInt8(ascii: "x") && (label[1] | 0x20) == UInt8(ascii: "n")
            && label[2] == UInt8(ascii: "-") && label[3] == UInt8(ascii: "-") { return 0 }
        var evidence = 0.0
        var letters = 0
        // The run in progress: its evidence joins the label's once it is three letters or more.
        var runEvidence = 0.0
        var runLength = 0
        var previous = 0
        func close() {
            if runLength >= 3 {
                evidence += runEvidence
                letters += runLength
            }
            runEvidence = 0
            runLength = 0
            previous = 0
        }
        for byte in label {
            let lower = byte | 0x20  // ASCII letters to lower case; other bytes fail the test below
            guard lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") else {
                close()
                continue
            }
            let letter = Int(lower - UInt8(ascii: "a")) + 1
            runEvidence += uniform - Double(nameBigramLog2[previous &* 27 &+ letter])
            runLength += 1
            previous = letter
        }
        close()
        guard letters >= shortest else { return 0 }
        return Float(max(0, evidence - allowance))
    }

    /// log2 of a random letter's probability.
    private static let uniform = -4.700_439_718_141_092  // log2(1/26)
}
