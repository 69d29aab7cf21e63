import SluiceCore
import SluiceTestSupport

/// Generates large, realistic policies: a node default deny with N allow rules over distinct
/// destinations (mostly single IPv4 hosts with a port, some /24 with a port range, some /16,
/// a fifth IPv6), plus the rule that decides the benchmark's own loopback traffic.
struct RuleGenerator {
    private var random: SplitMix64

    init(seed: UInt64 = 0x5eed) {
        random = SplitMix64(seed: seed)
    }

    private mutating func below(_ bound: UInt64) -> UInt64 { random.next() % bound }

    /// The rule lines (YAML flow mappings) of `count` distinct destinations.
    mutating func rules(count: Int) -> [String] {
        var seen = Set<String>()
        var lines: [String] = []
        lines.reserveCapacity(count)
        while lines.count < count {
            let kind = below(100)
            let line: String
            let key: String
            if kind < 20 {
                let a = below(65536), b = below(65536), c = below(65536)
                key = "2001:db8:\(String(a, radix: 16)):\(String(b, radix: 16))::\(String(c, radix: 16))"
                line = "{action: allow, to: [\"\(key)\"], ports: [\(1 + below(65535))], protocol: tcp}"
            } else if kind < 75 {
                key = "10.\(below(256)).\(below(256)).\(below(256))"
                line = "{action: allow, to: [\"\(key)\"], ports: [\(1 + below(65535))], protocol: \(below(2) == 0 ? "tcp" : "udp")}"
            } else if kind < 95 {
                key = "10.\(below(256)).\(below(256)).0/24"
                let low = 1 + below(60000)
                line = "{action: allow, to: [\"\(key)\"], ports: [\"\(low)-\(low + below(5000))\"]}"
            } else {
                key = "172.\(16 + below(16)).\(below(256)).0/24"
                line = "{action: alert, to: [\"\(key)\"]}"
            }
            if seen.insert(key).inserted {
                lines.append(line)
            }
        }
        return lines
    }

    /// A whole policy document: `count` generated rules plus an allow for loopback, which the
    /// benchmark's own connections hit.
    mutating func policy(name: String, count: Int) -> String {
        PolicyFixture.closed(name, egress: [#"{name: loopback, action: allow, to: ["127.0.0.0/8", "::1"]}"#] + rules(count: max(0, count - 1)))
    }
}
