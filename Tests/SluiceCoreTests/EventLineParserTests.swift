import Foundation
import Testing

@testable import SluiceCore

/// The event line parser against JSONDecoder on generated lines, and every way a line can be wrong.
@Suite struct EventLineParserTests {
    typealias Reason = EventLineError.Reason

    static let minimal = #"{"time":"2026-03-02T09:00:00.000001Z","dst_ip":"10.0.0.1"}"#

    static func parse(_ line: String) throws(EventLineError) -> DecisionEvent {
        try EventLineParser.parse(Array(line.utf8))
    }

    static func decode(_ line: [UInt8]) -> DecisionEvent? {
        try? ReferenceEventDecoder.decode(line)
    }

    /// The reason and offset of the error `line` gives.
    static func failure(_ line: [UInt8]) -> EventLineError? {
        do {
            _ = try EventLineParser.parse(line)
            return nil
        } catch {
            return error
        }
    }

    static func failure(_ line: String) -> EventLineError? { failure(Array(line.utf8)) }

    // MARK: Agreement

    @Test func agreesWithJSONDecoderOnGeneratedLines() throws {
        var rng = SplitMix64(seed: 2026)
        var checked = 0
        for _ in 0..<3000 {
            let line = EventLineGenerator.line(&rng)
            let expected = try #require(Self.decode(line), "JSONDecoder refused \(String(decoding: line, as: UTF8.self))")
            let parsed = try EventLineParser.parse(line)
            #expect(parsed == expected, "\(String(decoding: line, as: UTF8.self))")
            checked += 1
        }
        #expect(checked == 3000)
    }

    @Test func readsTheAgentsOwnLines() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let event = EventLineGenerator.event(&rng)
            let line = Array(event.jsonLine.utf8)
            let parsed = try EventLineParser.parse(line)
            #expect(parsed == Self.decode(line))
            // The line holds microseconds: the round trip keeps everything else.
            var floored = event
            floored.timeNanoseconds = event.timeNanoseconds / 1000 * 1000
            #expect(parsed == floored)
        }
    }

    @Test func readsAnyCollectionOfBytes() throws {
        let line = Self.minimal
        let viaArray = try EventLineParser.parse(Array(line.utf8))
        let viaView = try EventLineParser.parse(line.utf8)
        // Not contiguous: copied first.
        let viaLazy = try EventLineParser.parse(line.utf8.lazy.map { $0 })
        #expect(viaArray == viaView && viaView == viaLazy)
    }

    @Test func knowsEveryFieldOfTheSchema() {
        #expect(EventField.count == EventField.allCases.count)
        #expect(EventField.allCases.map(\.name) == DecisionEventTests.allFields)
        for field in EventField.allCases {
            #expect(Array(field.name.utf8).withUnsafeBufferPointer { EventField(key: $0) } == field)
        }
        #expect(Array("dst_ipx".utf8).withUnsafeBufferPointer { EventField(key: $0) } == nil)
    }

    // MARK: The required fields and defaults

    @Test func onlyTimeAndDestinationAreRequired() throws {
        let event = try Self.parse(Self.minimal)
        #expect(event == Self.decode(Array(Self.minimal.utf8)))
        #expect(event.timeNanoseconds == 1_772_442_000_000_001_000)
        #expect(event.destination == IPAddress("10.0.0.1")!)
        #expect(event.node == "" && event.pid == 0 && event.uid == 0 && event.comm == "")
        #expect(event.exe == nil && event.exeID == nil && event.cgroup == nil && event.cgroupID == 0)
        #expect(event.transport == "any" && event.family == .ipv4 && event.port == 0 && event.verdict == .allow)
        #expect(event.enforced && !event.mapped && event.policy == nil && event.rule == "" && event.hook == "")
        #expect(event.generation == 0 && event.score == nil)
        let v6 = try Self.parse(#"{"dst_ip":"2001:db8::1","time":"2026-03-02T09:00:00Z"}"#)
        #expect(v6.family == .ipv6)
    }

    @Test func nullMeansMissing() throws {
        let line = #"{"time":"2026-03-02T09:00:00Z","dst_ip":"10.0.0.1","node":null,"pid":null,"exe":null,"enforced":null,"score":null,"reasons":null,"verdict":null}"#
        #expect(try Self.parse(line) == Self.decode(Array(line.utf8)))
    }

    @Test func withoutTimeOrDestinationALineIsRefused() {
        let noTime = #"{"dst_ip":"10.0.0.1","pid":3}"#
        #expect(Self.failure(noTime) == EventLineError(.missingField("time"), offset: noTime.utf8.count - 1))
        let noDestination = #"{"time":"2026-03-02T09:00:00Z"}  "#
        #expect(Self.failure(noDestination) == EventLineError(.missingField("dst_ip"), offset: 30))
        let nullTime = #"{"time":null,"dst_ip":"10.0.0.1"}"#
        #expect(Self.failure(nullTime)?.reason == .missingField("time"))
        #expect(Self.failure("{}")?.reason == .missingField("time"))
        for line in [noTime, noDestination, nullTime] { #expect(Self.decode(Array(line.utf8)) == nil) }
    }

    @Test func theFirstOfTwoFieldsWithOneNameCounts() throws {
        let line = #"{"time":"2026-03-02T09:00:00Z","dst_ip":"10.0.0.1","pid":1,"pid":2,"dst_ip":"10.0.0.2"}"#
        let event = try Self.parse(line)
        #expect(event.pid == 1 && event.destination == IPAddress("10.0.0.1")!)
        #expect(event == Self.decode(Array(line.utf8)))
    }

    @Test func integerFieldsTakeWholeNumbersInAnyNotation() throws {
        for (text, value) in [("5", 5), ("5.0", 5), ("5e0", 5), ("500e-2", 5), ("-0", 0), ("0.0E+3", 0), ("65535", 65535)] {
            let line = #"{"time":"2026-03-02T09:00:00Z","dst_ip":"10.0.0.1","dst_port":"# + text + "}"
            #expect(try Self.parse(line).port == UInt16(value))
            #expect(Self.decode(Array(line.utf8))?.port == UInt16(value))
        }
    }

    // MARK: Errors

    /// Every reason, with the byte it names.
    @Test(arguments: [
        ("", Reason.empty, 0),
        ("  \t ", .empty, 4),
        ("[1]", .expectedObject, 0),
        ("  x", .expectedObject, 2),
        (#"{"time":"2026-03-02T09:00:00Z""#, .unexpectedEnd, 30),
        (#"{"time":"2026-03-0"#, .unexpectedEnd, 18),
        (#"{time:1}"#, .expectedKey, 1),
        (#"{"a":1,}"#, .expectedKey, 7),
        (#"{"a" 1}"#, .expectedColon, 5),
        (#"{"a":1 "b":2}"#, .expectedCommaOrEnd, 7),
        (#"{"a":[1 2]}"#, .expectedCommaOrEnd, 8),
        (#"{"a":x}"#, .expectedValue, 5),
        (#"{"a":[1,]}"#, .expectedValue, 8),
        (#"{"a":tru}"#, .invalidLiteral, 5),
        (#"{"a":nul"#, .invalidLiteral, 5),
        (#"{"a":01}"#, .invalidNumber, 5),
        (#"{"a":1.}"#, .invalidNumber, 5),
        (#"{"a":-}"#, .invalidNumber, 5),
        (#"{"a":1e+}"#, .invalidNumber, 5),
        (#"{"a":.5}"#, .expectedValue, 5),
        (#"{"a":"\x"}"#, .invalidEscape, 6),
        (#"{"a":"\u12g4"}"#, .invalidEscape, 6),
        (#"{"a":"\ud800"}"#, .unpairedSurrogate, 6),
        (#"{"a":"\udc00x"}"#, .unpairedSurrogate, 6),
        (#"{"a":"\ud800\u0041"}"#, .unpairedSurrogate, 6),
        (#"{"a":"x"}x"#, .trailingBytes, 9),
        (#"{"pid":"1"}"#, .wrongType(field: "pid", expected: "a number"), 7),
        (#"{"exe":5}"#, .wrongType(field: "exe", expected: "a string"), 7),
        (#"{"enforced":1}"#, .wrongType(field: "enforced", expected: "true or false"), 12),
        (#"{"reasons":"x"}"#, .wrongType(field: "reasons", expected: "a list of strings"), 11),
        (#"{"reasons":["a",1]}"#, .wrongType(field: "reasons", expected: "a list of strings"), 16),
        (#"{"score":"high"}"#, .wrongType(field: "score", expected: "a number"), 9),
        (#"{"dst_port":65536}"#, .outOfRange(field: "dst_port"), 12),
        (#"{"pid":-1}"#, .outOfRange(field: "pid"), 7),
        (#"{"pid":1.5}"#, .outOfRange(field: "pid"), 7),
        (#"{"cgroup_id":18446744073709551616}"#, .outOfRange(field: "cgroup_id"), 13),
        (#"{"score":1e400}"#, .outOfRange(field: "score"), 9),
        (#"{"time":"yesterday"}"#, .invalidValue(field: "time", value: "yesterday", expected: "an RFC 3339 time"), 8),
        (#"{"time":"2026-02-30T09:00:00.000000Z"}"#, .invalidValue(field: "time", value: "2026-02-30T09:00:00.000000Z", expected: "an RFC 3339 time"), 8),
        (#"{"dst_ip":"10.0.0.256"}"#, .invalidValue(field: "dst_ip", value: "10.0.0.256", expected: "an IP address"), 10),
        (#"{"verdict":"maybe"}"#, .invalidValue(field: "verdict", value: "maybe", expected: "allow, alert, rate-limited, redirected, quota or deny"), 11),
    ])
    func namesWhatIsWrongAndWhere(line: String, reason: Reason, offset: Int) {
        let error = Self.failure(line)
        #expect(error == EventLineError(reason, offset: offset), "\(line)")
        #expect(error?.description.hasPrefix("byte \(offset): ") == true)
        // JSONDecoder refuses every one of them too, trailing comma aside.
        if line != #"{"a":1,}"# { #expect(Self.decode(Array(line.utf8)) == nil) }
    }

    @Test func refusesBytesThatAreNotText() {
        let prefix = Array(#"{"time":"2026-03-02T09:00:00Z","dst_ip":"10.0.0.1","#.utf8)
        // A control character must be escaped.
        #expect(Self.failure(prefix + Array(#""node":"a"#.utf8) + [0x01] + Array(#""}"#.utf8)) == EventLineError(.controlCharacter, offset: 60))
        // Invalid UTF-8 in a known field and a field name.
        let known = prefix + Array(#""node":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(Self.failure(known) == EventLineError(.invalidUTF8, offset: 59))
        let key = prefix + [0x22, 0xE2, 0x82, 0x22] + Array(":1}".utf8)
        #expect(Self.failure(key) == EventLineError(.invalidUTF8, offset: 52))
        for line in [known, key] { #expect(Self.decode(line) == nil) }
        // The value of an unknown field is not read, so not checked, as with JSONDecoder.
        let unknown = prefix + Array(#""extra":["#.utf8) + [0x22, 0xC3, 0x28, 0x22] + Array("]}".utf8)
        #expect(Self.failure(unknown) == nil)
        #expect(Self.decode(unknown) != nil)
    }

    @Test func limitsNesting() {
        let deep = #"{"x":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        #expect(Self.failure(deep) == EventLineError(.tooDeep, offset: 5 + 512))
        let fine = #"{"time":"2026-03-02T09:00:00Z","dst_ip":"10.0.0.1","x":"# + String(repeating: "[{\"a\":", count: 200) + "1"
            + String(repeating: "}]", count: 200) + "}"
        #expect(throws: Never.self) { try Self.parse(fine) }
    }
}

/// Random event lines: every field present or not, in any order, with unknown fields and nested
/// values between them, strings with every kind of escape, numbers in several notations.
enum EventLineGenerator {
    static let words = ["curl", "/usr/bin/curl", "node-1", "a\"b", "c\\d", "tab\there", "line\nbreak", "é", "日本", "😀", "x/y", "\u{1}", "\u{7f}", " "]

    static func text(_ rng: inout SplitMix64) -> String {
        (0..<rng.between(0, 4)).map { _ in rng.pick(words) }.joined()
    }

    static func event(_ rng: inout SplitMix64) -> DecisionEvent {
        let v6 = rng.chance(30)
        let destination =
            v6 ? IPAddress(family: .ipv6, high: 0x2001_0db8_0000_0000 | rng.next() >> 40, low: rng.next()) : IPAddress(family: .ipv4, low: rng.next() & 0xffff_ffff)
        let scored = rng.chance(30)
        return DecisionEvent(
            timeNanoseconds: 1_700_000_000_000_000_000 + Int64(rng.below(1 << 40)) * 1000 + Int64(rng.below(1000)), node: text(&rng),
            pid: UInt32(truncatingIfNeeded: rng.next()), uid: UInt32(rng.below(70000)), comm: text(&rng), exe: rng.chance(20) ? nil : text(&rng),
            exeID: rng.chance(20) ? nil : "8:1:\(rng.below(1 << 20))", cgroup: rng.chance(20) ? nil : "/" + text(&rng), cgroupID: rng.next(),
            transport: rng.pick(["tcp", "udp", "17"]), family: destination.family, destination: destination, port: UInt16(rng.below(65536)),
            verdict: rng.pick([.allow, .alert, .deny]), enforced: rng.chance(50), policy: rng.chance(30) ? nil : text(&rng), rule: text(&rng),
            hook: rng.pick(["connect4", "sendmsg6"]), generation: UInt32(rng.below(1000)), mapped: rng.chance(10),
            dstDomain: rng.chance(40) ? nil : rng.pick(["api.example.com", "_dmarc.example.org"]) + text(&rng),
            score: scored ? EventScore(value: Double(rng.below(100_000)) / 100, isAnomaly: rng.chance(50), reasons: (0..<rng.below(3)).map { _ in text(&rng) }) : nil)
    }

    /// A JSON string literal for `value`, each character written raw, as a short escape or as
    /// `\uXXXX` (a surrogate pair beyond the basic plane), at random.
    static func quoted(_ value: String, _ rng: inout SplitMix64) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            let form = rng.below(3)
            if !mustEscape && form == 0 {
                out.unicodeScalars.append(scalar)
            } else if form == 1, let short = ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "/": "\\/"][Character(scalar)] {
                out += short
            } else if scalar.value >= 0x10000 {
                let v = scalar.value - 0x10000
                out += unicodeEscape(0xD800 + (v >> 10), &rng) + unicodeEscape(0xDC00 + (v & 0x3FF), &rng)
            } else {
                out += unicodeEscape(scalar.value, &rng)
            }
        }
        return out + "\""
    }

    static func unicodeEscape(_ value: UInt32, _ rng: inout SplitMix64) -> String {
        let hex = String(value, radix: 16, uppercase: rng.chance(50))
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    static func integer(_ value: UInt64, _ rng: inout SplitMix64) -> String {
        switch rng.below(6) {
        case 0 where value < 1 << 50: "\(value).0"
        case 1 where value < 1 << 50: "\(value)e0"
        case 2 where value < 1 << 40: "\(value * 100)E-2"
        default: "\(value)"
        }
    }

    static func optional(_ value: String?, _ rng: inout SplitMix64) -> String {
        value.map { quoted($0, &rng) } ?? "null"
    }

    /// Any JSON value, nested up to `depth`.
    static func junk(_ rng: inout SplitMix64, depth: Int = 3) -> String {
        switch rng.below(depth > 0 ? 8 : 6) {
        case 0: return quoted(text(&rng), &rng)
        case 1: return rng.pick(["true", "false", "null"])
        case 2: return rng.pick(["0", "-12", "3.25", "1e9", "-0.5E-3", "123456789012345678901234567890"])
        case 3: return "[]"
        case 4: return "{}"
        case 5: return quoted("}]\",{[", &rng)
        case 6: return "[" + (0..<rng.between(1, 3)).map { _ in junk(&rng, depth: depth - 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<rng.between(1, 3)).map { _ in quoted(text(&rng), &rng) + ":" + junk(&rng, depth: depth - 1) }.joined(separator: ",") + "}"
        }
    }

    static func space(_ rng: inout SplitMix64) -> String {
        rng.chance(80) ? "" : rng.pick([" ", "  ", "\t", " \r\n "])
    }

    static func line(_ rng: inout SplitMix64) -> [UInt8] {
        let event = event(&rng)
        let time: String
        switch rng.below(4) {
        case 0: time = RFC3339.format(event.timeNanoseconds)
        case 1: time = String(RFC3339.format(event.timeNanoseconds).dropLast(8)) + "+02:00"
        case 2: time = String(RFC3339.format(event.timeNanoseconds).dropLast(1)) + "123z"
        default: time = String(RFC3339.format(event.timeNanoseconds).prefix(19)).replacingOccurrences(of: "T", with: "t") + "Z"
        }
        var fields: [(String, String)] = [
            ("time", quoted(time, &rng)), ("dst_ip", quoted(event.destination.description, &rng)),
        ]
        let optionalFields: [(String, String)] = [
            ("node", quoted(event.node, &rng)), ("pid", integer(UInt64(event.pid), &rng)), ("uid", integer(UInt64(event.uid), &rng)),
            ("comm", quoted(event.comm, &rng)), ("exe", optional(event.exe, &rng)), ("exe_id", optional(event.exeID, &rng)),
            ("cgroup", optional(event.cgroup, &rng)), ("cgroup_id", integer(event.cgroupID, &rng)), ("protocol", quoted(event.transport, &rng)),
            ("family", quoted(rng.chance(90) ? event.family.description : "other", &rng)), ("dst_port", integer(UInt64(event.port), &rng)),
            ("dst_domain", optional(event.dstDomain, &rng)),
            ("verdict", quoted(event.verdict.verdictName, &rng)), ("enforced", event.enforced ? "true" : "false"),
            ("policy", optional(event.policy, &rng)), ("rule", quoted(event.rule, &rng)), ("hook", quoted(event.hook, &rng)),
            ("generation", integer(UInt64(event.generation), &rng)), ("mapped", event.mapped ? "true" : "false"),
            ("score", event.score.map { rng.chance(50) ? "\($0.value)" : "\($0.value * 1000)e-3" } ?? "null"),
            ("anomaly", event.score.map { $0.isAnomaly ? "true" : "false" } ?? (rng.chance(50) ? "null" : "true")),
            ("reasons", event.score.map { "[" + $0.reasons.map { quoted($0, &rng) }.joined(separator: ",") + "]" } ?? (rng.chance(50) ? "null" : "[\"x\"]")),
        ]
        for field in optionalFields where rng.chance(75) { fields.append(field) }
        for _ in 0..<rng.below(4) { fields.append((rng.pick(["extra", "label", "incident", "Time", "dst", "pid2"]), junk(&rng))) }
        fields = rng.shuffled(fields)
        let body = fields.map { name, value in
            space(&rng) + (rng.chance(10) ? quoted(name, &rng) : "\"\(name)\"") + space(&rng) + ":" + space(&rng) + value + space(&rng)
        }
        return Array((space(&rng) + "{" + body.joined(separator: ",") + "}" + space(&rng)).utf8)
    }
}
