import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// 1,500 answers, well formed and then mutated (bytes flipped, cut, spliced), through the
/// kernel's DNS reader: it must never attribute anything a careful reader of the same bytes
/// would not (`ReferenceReader`), and never a name to an address its answer did not give.
@Suite(.serialized) struct DNSAnswerFuzzTests {
    @Test func mutatedAnswersAreReadAsTheReferenceReadsThem() async throws {
        try await DNSAnswerReaderTests.withReader("dns-fuzz") { datapath, cgroup in
            var random = SplitMix64(seed: 0x5eed_d115)
            var attributed = 0
            var refused = 0
            for round in 0..<1500 {
                var message = Self.answer(&random).bytes
                if round % 5 != 0 { Self.mutate(&message, &random) }
                try datapath.forgetAttributions()
                _ = try datapath.testRun(.ingress, frame: DNSMessage(bytes: message).frame(server: DNSAnswerReaderTests.server, client: DNSAnswerReaderTests.client))
                let learned = Dictionary(
                    try datapath.attributions().filter { $0.cgroupID == cgroup }.map { ($0.destination, $0.attribution.name ?? "?") },
                    uniquingKeysWith: { first, _ in first })
                let expected = ReferenceReader.attributions(message)
                #expect(learned == expected, "round \(round): \(message.map { String($0) }.joined(separator: ","))")
                if learned != expected { return }
                attributed += learned.isEmpty ? 0 : 1
                refused += expected.isEmpty ? 1 : 0
            }
            // Both outcomes were exercised, many times.
            #expect(attributed > 250 && refused > 250, "attributed \(attributed), refused \(refused)")
        }
    }

    static let labels = ["api", "www", "cdn", "edge", "a", "x-1", "shop", "mail", "z9", "long-label-here"]

    static func name(_ random: inout SplitMix64) -> String {
        (0..<Int(random.next() % 4 + 1)).map { _ in labels[Int(random.next() % UInt64(labels.count))] }.joined(separator: ".") + ".test"
    }

    static func address(_ random: inout SplitMix64) -> IPAddress {
        random.next() % 3 == 0
            ? IPAddress(family: .ipv6, high: 0x2001_0db8_0000_0000, low: random.next() % 64)
            : IPAddress(family: .ipv4, low: 0xc000_0200 | (random.next() % 64))
    }

    /// A response as servers write them, sometimes with a CNAME chain and records of other names.
    static func answer(_ random: inout SplitMix64) -> DNSMessage {
        var message = DNSMessage(question: name(&random))
        var owner = 12
        for _ in 0..<Int(random.next() % 3) {
            owner = message.addCNAME(owner: .pointer(owner), target: name(&random))
        }
        for _ in 0..<Int(random.next() % 4 + 1) {
            switch random.next() % 4 {
            case 0: message.addAddress(owner: .literal(name(&random)), address(&random))
            default: message.addAddress(owner: .pointer(owner), address(&random), ttl: UInt32(random.next() % 1000))
            }
        }
        return message
    }

    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        switch random.next() % 4 {
        case 0:  // flip a few bytes
            for _ in 0..<Int(random.next() % 3 + 1) where !bytes.isEmpty {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
        case 1:  // cut
            bytes.removeLast(Int(random.next() % UInt64(max(bytes.count - 1, 1))))
        case 2:  // a pointer anywhere
            let at = Int(random.next() % UInt64(bytes.count - 1))
            bytes[at] = 0xc0 | UInt8(random.next() % 2)
            bytes[at + 1] = UInt8(truncatingIfNeeded: random.next())
        default:  // a byte of a length or count field
            let at = [5, 7, Int(random.next() % UInt64(bytes.count))][Int(random.next() % 3)]
            bytes[at] = UInt8(truncatingIfNeeded: random.next() % 80)
        }
    }
}

/// The reader's rules (BPF/sluice_dns.h) written plainly, from the message bytes alone.
enum ReferenceReader {
    static func u16(_ m: [UInt8], _ at: Int) -> Int? { at + 2 <= m.count ? Int(m[at]) << 8 | Int(m[at + 1]) : nil }

    /// Past the name at `at`; with `pointers` false a pointer is malformed. Also its dotted length.
    static func skip(_ m: [UInt8], _ at: Int, pointers: Bool) -> (end: Int, length: Int)? {
        var position = at
        var seen = 0
        for _ in 0..<128 {
            guard position < m.count else { return nil }
            let c = Int(m[position])
            if c & 0xc0 == 0xc0 {
                guard pointers, position + 1 < m.count else { return nil }
                return (position + 2, max(seen - 1, 0))
            }
            if c & 0xc0 != 0 { return nil }
            if c == 0 { return seen == 0 ? nil : (position + 1, seen - 1) }
            seen += c + 1
            if seen > 255 { return nil }
            position += c + 1
        }
        return nil
    }

    static func origin(_ m: [UInt8], _ at: Int) -> Int? {
        var position = at
        for _ in 0..<4 {
            guard let word = u16(m, position) else { return nil }
            if word & 0xc000 != 0xc000 { return position }
            let target = word & 0x3fff
            guard target < position, target >= 12 else { return nil }
            position = target
        }
        return nil
    }

    /// Address → the question's text, for what the kernel should learn from `m`.
    static func attributions(_ m: [UInt8]) -> [IPAddress: String] {
        guard m.count >= 12, let flags = u16(m, 2), let questions = u16(m, 4), let answers = u16(m, 6) else { return [:] }
        guard flags & 0x8000 != 0, flags & 0x7800 == 0, flags & 0x0200 == 0, flags & 0x000f == 0, questions == 1 else { return [:] }
        guard let (questionEnd, length) = skip(m, 12, pointers: false), let qclass = u16(m, questionEnd + 2), qclass == 1,
            length >= 1, length <= 253
        else { return [:] }
        var text = Array(m[13..<(13 + length)])
        var next = Int(m[12])
        for index in text.indices {
            if index == next {
                next += Int(text[index]) + 1
                text[index] = UInt8(ascii: ".")
            } else if (65...90).contains(text[index]) {
                text[index] += 32
            }
        }
        let name = String(decoding: text, as: UTF8.self)
        var chain = [12]
        var found: [(IPAddress, String)] = []
        var offset = questionEnd + 4
        for _ in 0..<min(answers, 32) {
            guard let owner = origin(m, offset), let (end, _) = skip(m, offset, pointers: true),
                let type = u16(m, end), let rclass = u16(m, end + 2), u16(m, end + 4) != nil, u16(m, end + 6) != nil,
                let rdlength = u16(m, end + 8), end + 10 + rdlength <= m.count
            else { return [:] }
            let rdata = end + 10
            offset = rdata + rdlength
            guard chain.contains(owner), rclass == 1 else { continue }
            if type == 5 {
                guard let target = origin(m, rdata), skip(m, rdata, pointers: true) != nil else { return [:] }
                if chain.count < 8 { chain.append(target) }
            } else if found.count < 16, (type == 1 && rdlength == 4) || (type == 28 && rdlength == 16) {
                found.append((IPAddress(bytes: Array(m[rdata..<(rdata + rdlength)]))!, name))
            }
        }
        return Dictionary(found, uniquingKeysWith: { _, last in last })
    }
}
