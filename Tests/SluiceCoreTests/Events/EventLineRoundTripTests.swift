import Foundation
import Testing

@testable import SluiceCore

/// The one event codec against itself: every event the product can hold survives the line, and
/// every line the encoder writes is read back and written again byte for byte.
@Suite struct EventLineRoundTripTests {
    static let hooks = ["connect4", "connect6", "sendmsg4", "sendmsg6"]

    /// Any text: every kind of scalar (controls, quotes, backslashes, the whole of Unicode but
    /// surrogates, which a Swift string cannot hold).
    static func text(_ rng: inout SplitMix64, upTo length: Int = 12) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0...0x1f, 0x20...0x7f, 0x22...0x22, 0x5c...0x5c, 0x2f...0x2f, 0x80...0x7ff, 0x800...0xd7ff, 0xe000...0xffff,
            0x1_0000...0x10_ffff,
        ]
        var value = String.UnicodeScalarView()
        for _ in 0..<rng.between(0, length) {
            let range = rng.pick(ranges)
            value.append(Unicode.Scalar(range.lowerBound + UInt32(rng.below(Int(range.upperBound - range.lowerBound) + 1)))!)
        }
        return String(value)
    }

    /// A destination as the product holds one: IPv4, IPv6, or IPv4-mapped IPv6 (kept as IPv4).
    static func destination(_ rng: inout SplitMix64) -> (IPAddress, mapped: Bool) {
        switch rng.below(3) {
        case 0: return (IPAddress(family: .ipv4, low: rng.next()), false)
        case 1:
            var high = rng.next()
            if rng.chance(20) { high = 0 }
            return (IPAddress(family: .ipv6, high: high, low: high == 0 ? rng.next() | 1 << 48 : rng.next()), false)
        default:
            let v4 = IPAddress(family: .ipv4, low: rng.next())
            return (IPAddress("::ffff:\(v4)")!, true)
        }
    }

    /// A finite Double from any bit pattern: tiny, huge, negative, whole, zero.
    static func finite(_ rng: inout SplitMix64) -> Double {
        switch rng.below(4) {
        case 0: return Double(rng.below(100_000)) / 100
        case 1: return 0
        default:
            while true {
                let value = Double(bitPattern: rng.next())
                if value.isFinite { return value }
            }
        }
    }

    /// A looked-up name: nil (none known), one as DNS gives them, or any text (a name is bytes to
    /// DNS, so quotes, backslashes and control characters must survive the line too).
    static func domain(_ rng: inout SplitMix64) -> String? {
        switch rng.below(4) {
        case 0: return nil
        case 1: return rng.pick(["example.com", "api.github.com", "_sip._tcp.example.org", "xn--bcher-kva.example"])
        case 2: return rng.pick(["a\"b.example", "back\\slash.example", "tab\there.example", "nul\u{0}.example"])
        default: return text(&rng, upTo: 30)
        }
    }

    static func event(_ rng: inout SplitMix64) -> DecisionEvent {
        let (address, mapped) = destination(&rng)
        // Whole microseconds (what a line holds) from 1678 to 2261, before 1970 included.
        let micros = Int64(bitPattern: rng.next()) % 9_200_000_000_000_000
        let oddTransport = text(&rng, upTo: 3)
        let oddHook = text(&rng)
        return DecisionEvent(
            timeNanoseconds: micros * 1000, node: text(&rng), pid: UInt32(truncatingIfNeeded: rng.next()),
            uid: UInt32(truncatingIfNeeded: rng.next()), comm: text(&rng, upTo: 16), exe: rng.chance(25) ? nil : text(&rng, upTo: 40),
            exeID: rng.chance(25) ? nil : text(&rng), cgroup: rng.chance(25) ? nil : text(&rng), cgroupID: rng.next(),
            transport: rng.pick(["tcp", "udp", "132", "any", oddTransport]),
            family: rng.chance(10) ? rng.pick([.ipv4, .ipv6]) : address.family, destination: address,
            port: UInt16(truncatingIfNeeded: rng.next()), verdict: rng.pick(RuleAction.allCases), enforced: rng.chance(50),
            policy: rng.chance(25) ? nil : text(&rng), rule: text(&rng), hook: rng.pick(hooks + [oddHook]),
            generation: UInt32(truncatingIfNeeded: rng.next()), mapped: mapped || rng.chance(5),
            unspecified: rng.chance(10), closed: rng.chance(10), dstDomain: domain(&rng),
            redirectTo: rng.chance(10) ? "127.0.0.1:\(rng.between(1, 65535))" : nil,
            score: rng.chance(40)
                ? EventScore(value: finite(&rng), isAnomaly: rng.chance(50), reasons: (0..<rng.below(4)).map { _ in text(&rng, upTo: 20) })
                : nil)
    }

    @Test func decodeOfEncodeIsTheEvent() throws {
        var rng = SplitMix64(seed: 0xC0DEC)
        var verdicts = Set<RuleAction>()
        var hooks = Set<String>()
        var scored = 0
        var named = 0
        for _ in 0..<20_000 {
            let event = Self.event(&rng)
            let line = event.jsonLine
            let decoded = try DecisionEvent(jsonLine: line)
            #expect(decoded == event, "\(line)")
            // The same through the stream reader, and an independent JSON reader agrees.
            #expect(try EventStreamLine(jsonLine: line) == .event(event))
            #expect(try ReferenceEventDecoder.decode(line) == event, "\(line)")
            verdicts.insert(event.verdict)
            hooks.insert(event.hook)
            if event.score != nil { scored += 1 }
            if event.dstDomain != nil { named += 1 }
        }
        #expect(verdicts == Set(RuleAction.allCases))
        #expect(Set(Self.hooks).isSubset(of: hooks))
        #expect(scored > 5000)
        #expect(named > 10_000 && named < 20_000)
    }

    /// Lines read one after another share the texts they repeat, and never take one for
    /// another: texts of one length that differ in a byte, escaped ones, texts of other fields.
    @Test func linesSharingRecentTextsReadAsTheirOwn() throws {
        var rng = SplitMix64(seed: 0x5EED)
        var pool = ["/system.slice/app-1.service", "/system.slice/app-2.service", "/usr/lib/postgresql/15/bin/postgres", "quote\"d/and\\slashed/path", "nul\u{0}in the middle.example", "é/ünïcödé/long/enough/path"]
        pool += (0..<6).map { _ in Self.text(&rng, upTo: 40) }
        var recent = RecentStrings()
        var shared = 0
        var previous: [String: String] = [:]
        for _ in 0..<20_000 {
            var event = Self.event(&rng)
            event.exe = rng.chance(10) ? nil : rng.pick(pool)
            event.cgroup = rng.pick(pool)
            event.exeID = rng.pick(pool)
            event.dstDomain = rng.chance(20) ? nil : rng.pick(pool)
            event.node = rng.pick(pool)
            event.rule = rng.pick(pool)
            event.policy = rng.pick(pool)
            let decoded = try DecisionEvent(jsonLine: event.jsonLine, recent: &recent)
            #expect(decoded == event)
            // A text read again shares the storage of its last reading.
            if let cgroup = decoded.cgroup, cgroup.utf8.count > 15, let before = previous[cgroup] {
                if before.utf8.withContiguousStorageIfAvailable({ $0.baseAddress }) == cgroup.utf8.withContiguousStorageIfAvailable({ $0.baseAddress }) { shared += 1 }
            }
            if let cgroup = decoded.cgroup { previous[cgroup] = cgroup }
        }
        #expect(shared > 5_000, "repeated texts share storage")
    }

    @Test func encodeOfDecodeIsTheLine() throws {
        var rng = SplitMix64(seed: 0x11E5)
        for _ in 0..<5000 {
            let line = Self.event(&rng).jsonLine
            #expect(try DecisionEvent(jsonLine: line).jsonLine == line)
        }
        // Lines written by hand in the canonical form: README's example, and a scored one.
        let canonical = [
            #"{"time":"2026-11-21T16:29:54.356536Z","node":"vm","pid":20982,"uid":0,"comm":"curl","exe":"/usr/bin/curl","exe_id":"254:0:5318212","cgroup":"/app.slice/web.service","cgroup_id":310,"protocol":"tcp","family":"ipv4","dst_ip":"10.1.2.3","dst_domain":"api.example.com","dst_port":443,"verdict":"deny","enforced":true,"policy":"lockdown","rule":"default","hook":"connect4","generation":3,"mapped":false,"kind":"decision"}"#,
            #"{"time":"1969-12-31T23:59:59.999999Z","node":"","pid":0,"uid":0,"comm":"","exe":null,"exe_id":null,"cgroup":null,"cgroup_id":0,"protocol":"udp","family":"ipv4","dst_ip":"10.0.0.1","dst_domain":null,"dst_port":53,"verdict":"alert","enforced":false,"policy":null,"rule":"","hook":"sendmsg6","generation":0,"mapped":true,"kind":"decision","score":17.25,"anomaly":true,"reasons":["new destination \"x\"","é\n"]}"#,
        ]
        for line in canonical {
            #expect(try DecisionEvent(jsonLine: line).jsonLine == line)
        }
    }

    @Test func scoreAnomalyAndReasonsTravelTogether() throws {
        var event = DecisionEventTests.sample
        #expect(!event.jsonLine.contains("score") && !event.jsonLine.contains("anomaly") && !event.jsonLine.contains("reasons"))
        event.score = EventScore(value: 3.14159)
        // Not rounded by the codec: what the model holds is what the line says.
        #expect(event.jsonLine.hasSuffix(#","mapped":false,"kind":"decision","score":3.14159,"anomaly":false,"reasons":[]}"#))
        // A score that is not a number is not written at all.
        event.score = EventScore(value: .nan, isAnomaly: true, reasons: ["x"])
        #expect(try DecisionEvent(jsonLine: event.jsonLine).score == nil)
        // Read leniently: anomaly and reasons without a score are an unscored event; a score
        // alone is not an anomaly and has no reasons.
        let base = String(DecisionEventTests.sample.jsonLine.dropLast())
        #expect(try DecisionEvent(jsonLine: base + #","anomaly":true,"reasons":["a"]}"#).score == nil)
        #expect(try DecisionEvent(jsonLine: base + #","score":2.5}"#).score == EventScore(value: 2.5, isAnomaly: false, reasons: []))
    }

    @Test func theLookedUpNameTravelsEscapedAndNullWhenUnknown() throws {
        var event = DecisionEventTests.sample
        #expect(event.jsonLine.contains(#","dst_ip":"192.0.2.7","dst_domain":null,"dst_port":443,"#))
        event.dstDomain = "we\"ird\\name\n\u{1}.example"
        #expect(event.jsonLine.contains(#","dst_domain":"we\"ird\\name\n\u0001.example","#))
        #expect(try DecisionEvent(jsonLine: event.jsonLine) == event)
        // Missing and null read as unknown; an older line without the field still reads.
        let base = String(DecisionEventTests.sample.jsonLine.dropLast())
        #expect(try DecisionEvent(jsonLine: base.replacingOccurrences(of: #""dst_domain":null,"#, with: "") + "}").dstDomain == nil)
        #expect(try DecisionEvent(jsonLine: #"{"time":"2026-11-21T16:29:54Z","dst_ip":"10.0.0.1","dst_domain":"a.example"}"#).dstDomain == "a.example")
    }

    @Test func timeIsWrittenFlooredToTheMicrosecond() throws {
        var event = DecisionEventTests.sample
        event.timeNanoseconds = 1_795_276_501_123_456_999
        #expect(try DecisionEvent(jsonLine: event.jsonLine).timeNanoseconds == 1_795_276_501_123_456_000)
        event.timeNanoseconds = -1
        #expect(try DecisionEvent(jsonLine: event.jsonLine).timeNanoseconds == -1000)
    }

    @Test func theAgentKeepsTwoDecimals() {
        #expect(EventScore.rounded(3.14159) == 3.14)
        var event = DecisionEventTests.sample
        event.score = EventScore(value: EventScore.rounded(12.3456))
        #expect(event.jsonLine.contains(#""score":12.35,"#))
    }

    @Test func aFlowRecordCarriesItsCountsAndKind() throws {
        var event = DecisionEventTests.sample
        event.hook = "flow"
        event.flow = FlowCounts(
            flowID: 77, bytesSent: 1_000_000, bytesReceived: UInt64.max, packetsSent: 20, packetsReceived: 3, durationMilliseconds: 1500,
            final: true)
        #expect(
            event.jsonLine.hasSuffix(
                #""hook":"flow","generation":7,"mapped":false,"kind":"flow","flow_id":77,"bytes_sent":1000000,"#
                    + #""bytes_received":18446744073709551615,"packets_sent":20,"packets_received":3,"duration_ms":1500,"final":true}"#))
        #expect(try DecisionEvent(jsonLine: event.jsonLine) == event)
        #expect(event.kind == .flow && DecisionEventTests.sample.kind == .decision)
        // A decision carries no flow fields; counts without `kind: flow` are not a flow record.
        #expect(!DecisionEventTests.sample.jsonLine.contains("bytes_"))
        let bare = String(DecisionEventTests.sample.jsonLine.dropLast()).replacingOccurrences(of: #","kind":"decision""#, with: "")
        #expect(try DecisionEvent(jsonLine: bare + #","bytes_sent":5}"#).flow == nil)
        #expect(try DecisionEvent(jsonLine: #"{"time":"2026-11-21T16:29:54Z","dst_ip":"10.0.0.1","kind":"flow","final":true}"#).flow?.final == true)
        #expect(throws: EventLineError.self) { try DecisionEvent(jsonLine: bare + #","kind":"packet"}"#) }
        #expect(throws: EventLineError.self) { try DecisionEvent(jsonLine: bare + #","kind":"flow","bytes_sent":-1}"#) }
    }

    @Test func fieldNamesAreTheSchema() {
        #expect(DecisionEvent.jsonFieldNames == DecisionEventTests.allFields)
    }
}
