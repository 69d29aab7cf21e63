import Foundation
import Testing

@testable import SluiceCore

@Suite struct DecisionEventTests {
    static let sample = DecisionEvent(
        timeNanoseconds: 1_795_276_501_123_456_000, node: "node-1", pid: 4242, uid: 1000, comm: "curl", exe: "/usr/bin/curl",
        exeID: "8:1:1001", cgroup: "/app.slice/web.service", cgroupID: 11, transport: "tcp", family: .ipv4,
        destination: IPAddress("192.0.2.7")!, port: 443, verdict: .deny, enforced: true, policy: "lockdown", rule: "no-https",
        hook: "connect4", generation: 7, mapped: false)

    /// Every field of the schema, in order.
    static let schema = [
        "time", "node", "pid", "uid", "comm", "exe", "exe_id", "cgroup", "cgroup_id", "protocol", "family", "dst_ip", "dst_domain",
        "dst_port", "verdict", "enforced", "policy", "rule", "hook", "generation", "mapped", "kind",
    ]
    /// Every field in the order written: the schema, then those written only when they apply.
    static let allFields =
        schema + [
            "unspecified", "closed", "redirect_to", "intel_feed", "intel_indicator", "intel_outcome", "flow_id", "bytes_sent", "bytes_received", "packets_sent", "packets_received", "duration_ms",
            "final", "score", "anomaly", "reasons",
        ]

    @Test func writesTheSchemaInOrder() {
        #expect(
            Self.sample.jsonLine
                == #"{"time":"2026-11-21T15:55:01.123456Z","node":"node-1","pid":4242,"uid":1000,"comm":"curl","exe":"/usr/bin/curl","#
                + #""exe_id":"8:1:1001","cgroup":"/app.slice/web.service","cgroup_id":11,"protocol":"tcp","family":"ipv4","#
                + #""dst_ip":"192.0.2.7","dst_domain":null,"dst_port":443,"verdict":"deny","enforced":true,"policy":"lockdown","rule":"no-https","#
                + #""hook":"connect4","generation":7,"mapped":false,"kind":"decision"}"#)
    }

    @Test func missingValuesAreNull() {
        var event = Self.sample
        event.exe = nil
        event.exeID = nil
        event.cgroup = nil
        event.policy = nil
        event.rule = "node-default"
        event.verdict = .allow
        event.destination = IPAddress("2001:db8::1")!
        event.family = .ipv6
        event.hook = "sendmsg6"
        event.mapped = true
        #expect(
            event.jsonLine
                == #"{"time":"2026-11-21T15:55:01.123456Z","node":"node-1","pid":4242,"uid":1000,"comm":"curl","exe":null,"#
                + #""exe_id":null,"cgroup":null,"cgroup_id":11,"protocol":"tcp","family":"ipv6","dst_ip":"2001:db8::1","#
                + #""dst_domain":null,"dst_port":443,"verdict":"allow","enforced":true,"policy":null,"rule":"node-default","hook":"sendmsg6","#
                + #""generation":7,"mapped":true,"kind":"decision"}"#)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"C:\temp\x"#, #""C:\\temp\\x""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}\u{1f}", #""\u0000\u0001\u0008\u000b\u000c\u001b\u001f""#),
        // Not control characters in JSON: written as they are.
        ("\u{7f} \u{2028}", "\"\u{7f} \u{2028}\""),
        ("héllo wörld", "\"héllo wörld\""),
        ("日本語", "\"日本語\""),
        ("🙂👩‍💻", "\"🙂👩‍💻\""),
        ("</script>", "\"</script>\""),
        ("\r\n", #""\r\n""#),
        ("", #""""#),
    ])
    func escapesStrings(value: String, quoted: String) {
        var text = ""
        JSONLineWriter.appendQuoted(value, to: &text)
        #expect(text == quoted)
        var event = Self.sample
        event.comm = value
        event.exe = value
        #expect(event.jsonLine.contains(#""comm":\#(quoted),"exe":\#(quoted),"#))
    }

    /// The line read by the one decoder, checked against the JSONDecoder-based reference.
    static func decode(_ text: String) throws -> DecisionEvent {
        let event = try DecisionEvent(jsonLine: text)
        #expect(try ReferenceEventDecoder.decode(text) == event, "\(text)")
        return event
    }

    @Test func roundTripsThroughJSONDecoder() throws {
        #expect(try Self.decode(Self.sample.jsonLine) == Self.sample)
        var event = Self.sample
        event.comm = "we\"ird\\\n\u{1}名前🙂"
        event.exe = nil
        event.policy = nil
        event.destination = IPAddress("::ffff:10.0.0.1")!
        event.mapped = true
        event.timeNanoseconds = -1_000
        #expect(try Self.decode(event.jsonLine) == event)
    }

    /// Random strings of every kind of scalar survive the hand-written escaping.
    @Test func randomStringsRoundTrip() throws {
        var rng = SplitMix64(seed: 8259)
        let ranges: [ClosedRange<UInt32>] = [0...0x1f, 0x20...0x7f, 0x80...0x7ff, 0x800...0xd7ff, 0xe000...0xffff, 0x1_0000...0x10_ffff]
        for _ in 0..<500 {
            var value = String.UnicodeScalarView()
            for _ in 0..<rng.between(0, 24) {
                let range = rng.pick(ranges)
                value.append(Unicode.Scalar(range.lowerBound + UInt32(rng.below(Int(range.upperBound - range.lowerBound) + 1)))!)
            }
            var event = Self.sample
            event.comm = String(value)
            let decoded = try Self.decode(event.jsonLine)
            #expect(Array(decoded.comm.unicodeScalars) == Array(value))
        }
    }

    @Test func parsesWithJSONSerialization() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.sample.jsonLine.utf8))
        let fields = try #require(object as? [String: Any])
        #expect(Set(fields.keys) == Set(Self.schema))
        #expect(fields["time"] as? String == "2026-11-21T15:55:01.123456Z")
        #expect((fields["pid"] as? NSNumber)?.intValue == 4242)
        #expect((fields["cgroup_id"] as? NSNumber)?.intValue == 11)
        #expect((fields["dst_port"] as? NSNumber)?.intValue == 443)
        #expect(fields["enforced"] as? Bool == true)
        #expect(fields["mapped"] as? Bool == false)
        #expect(fields["dst_ip"] as? String == "192.0.2.7")

        var event = Self.sample
        event.exe = nil
        event.policy = nil
        let withNulls = try #require(try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? [String: Any])
        #expect(withNulls["exe"] is NSNull)
        #expect(withNulls["policy"] is NSNull)
    }

    /// The one encoder's line is what a generic JSON reader sees, field for field (there is no
    /// second encoder to agree with any more).
    @Test func lineReadsTheSameWithJSONSerialization() throws {
        var event = Self.sample
        event.exe = nil
        event.comm = "tab\there"
        event.score = EventScore(value: 12.34, isAnomaly: true, reasons: ["new destination", "burst ×4"])
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? [String: Any])
        #expect(fields["comm"] as? String == "tab\there")
        #expect(fields["exe"] is NSNull)
        #expect((fields["score"] as? NSNumber)?.doubleValue == 12.34)
        #expect(fields["anomaly"] as? Bool == true)
        #expect(fields["reasons"] as? [String] == ["new destination", "burst ×4"])
        #expect(try Self.decode(event.jsonLine) == event)
    }

    @Test func decodingFillsDefaultsForMissingFields() throws {
        let event = try Self.decode(#"{"time":"1970-01-01T00:00:00Z","dst_ip":"2001:db8::1"}"#)
        #expect(
            event
                == DecisionEvent(
                    timeNanoseconds: 0, node: "", pid: 0, uid: 0, comm: "", exe: nil, exeID: nil, cgroup: nil, cgroupID: 0,
                    transport: "any", family: .ipv6, destination: IPAddress("2001:db8::1")!, port: 0, verdict: .allow,
                    enforced: true, policy: nil, rule: "", hook: "", generation: 0, mapped: false))
    }

    @Test(arguments: [
        #"{"time":"yesterday","dst_ip":"192.0.2.1"}"#,
        #"{"time":"2026-02-30T00:00:00Z","dst_ip":"192.0.2.1"}"#,
        #"{"time":"9999-12-31T23:59:59Z","dst_ip":"192.0.2.1"}"#,
        #"{"time":"2026-01-01T00:00:00Z","dst_ip":"192.0.2.256"}"#,
        #"{"time":"2026-01-01T00:00:00Z"}"#,
        #"{"dst_ip":"192.0.2.1"}"#,
        #"{"time":"2026-01-01T00:00:00Z","dst_ip":"192.0.2.1","verdict":"block"}"#,
        #"{"time":"2026-01-01T00:00:00Z","dst_ip":"192.0.2.1","dst_port":70000}"#,
    ])
    func decodingRejectsBadEvents(text: String) {
        #expect(throws: EventLineError.self) { try DecisionEvent(jsonLine: text) }
        #expect(throws: DecodingError.self) { try ReferenceEventDecoder.decode(text) }
    }

    @Test func writerFieldsOfOtherKinds() {
        var writer = JSONLineWriter()
        writer.field("score", double: 0.5)
        writer.field("nan", double: .nan)
        writer.field("inf", double: .infinity)
        writer.field("list", raw: "[1,2]")
        writer.field("none", string: nil)
        #expect(writer.finish() == #"{"score":0.5,"nan":null,"inf":null,"list":[1,2],"none":null}"#)
        var empty = JSONLineWriter()
        #expect(empty.finish() == "{}")
    }
}
