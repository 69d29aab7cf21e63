import Testing

@testable import SluiceCore

/// The node the random policies are compiled for: hard links, an upgraded executable with two
/// identities, a cgroup tree four levels deep, and paths that do not exist.
enum RandomWorld {
    static let e0 = ExecutableIdentity(device: 8 << 20 | 1, inode: 10)
    static let e1 = ExecutableIdentity(device: 8 << 20 | 1, inode: 11)
    /// Same inode as e0 on another device: a different executable.
    static let e2 = ExecutableIdentity(device: 259 << 20 | 2, inode: 10)
    static let e3old = ExecutableIdentity(device: 8 << 20 | 1, inode: 13)
    static let e3new = ExecutableIdentity(device: 8 << 20 | 1, inode: 14)
    static let stranger = ExecutableIdentity(device: 8 << 20 | 1, inode: 99)

    static let executables: [String: [ExecutableIdentity]] = [
        "/bin/e0": [e0], "/bin/e0-link": [e0], "/bin/e1": [e1], "/bin/e2": [e2], "/bin/e3": [e3old, e3new],
    ]
    static let executablePaths = executables.keys.sorted() + ["/bin/gone"]
    static let flowExecutables: [ExecutableIdentity?] = [e0, e1, e2, e3old, e3new, stranger, nil]

    static let cgroupByPath: [String: CgroupIdentity] = [
        "a": CgroupIdentity(id: 100, level: 1, path: "/a"),
        "a/b": CgroupIdentity(id: 101, level: 2, path: "/a/b"),
        "a/b/c": CgroupIdentity(id: 102, level: 3, path: "/a/b/c"),
        "a/b/c/d": CgroupIdentity(id: 103, level: 4, path: "/a/b/c/d"),
        "a/x": CgroupIdentity(id: 104, level: 2, path: "/a/x"),
        "y": CgroupIdentity(id: 200, level: 1, path: "/y"),
        "y/z": CgroupIdentity(id: 201, level: 2, path: "/y/z"),
    ]
    static let cgroupPaths = cgroupByPath.keys.sorted() + ["gone.slice"]
    static let tree = [World.root] + cgroupByPath.values.sorted { $0.id < $1.id }

    static let resolver = TableResolver(
        executables: executables.mapValues { .success($0) }, cgroups: cgroupByPath.mapValues { .success($0) })

    static let ipv4Anchors = ["10.1.2.3", "10.1.2.200", "10.1.3.4", "10.200.1.1", "192.168.1.7", "172.16.5.4", "8.8.8.8", "127.0.0.1"]
        .map { IPAddress($0)! }
    static let ipv6Anchors = [
        "2001:db8:1:2::1", "2001:db8:1:2::ff", "2001:db8:1:3::1", "2001:db8:ffff::1", "fd00::1", "::1", "::a01:203",
    ].map { IPAddress($0)! }
    /// Written as users write them: nested, overlapping, mapped forms and aliases.
    static let destinationTexts = [
        "0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25", "10.1.2.3", "10.1.3.0/24",
        "10.128.0.0/9", "10.1.0.0/20", "192.168.0.0/16", "192.168.1.0/24", "192.168.1.7", "::ffff:10.1.0.0/112",
        "::ffff:192.168.1.0/120", "::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64",
        "2001:db8:1:2::1", "2001:db8:1:2::/126", "2001:db8:ffff::/48", "fc00::/7", "::/96", "private", "loopback",
    ]
    static let aliases: [String: [String]] = [
        "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
        "loopback": ["127.0.0.0/8", "::1/128"],
    ]
    static let portTexts = [
        "22", "53", "80", "443", "8080", "8443", "1", "65535", "1-1024", "80-90", "400-500", "440-450", "8000-9000",
        "8080-8090", "1024-65535", "1-65535", "53-53",
        // Equal widths that overlap: ties that only severity settles.
        "100-199", "150-249", "120-219", "8500-9500", "1000-1999", "1500-2499",
    ]
}

/// A subject as a policy names it.
enum GeneratedSubject: Hashable, Sendable {
    case executable(String)
    case cgroup(String)
    case executableInCgroup(String, String)

    var yaml: String {
        switch self {
        case .executable(let path): return "{executable: \(path)}"
        case .cgroup(let path): return "{cgroup: \(path)}"
        case .executableInCgroup(let exe, let cgroup): return "{executable: \(exe), cgroup: \(cgroup)}"
        }
    }

    /// The kernel subjects it resolves to; none when a path is missing.
    var keys: [SubjectKey] {
        let exes: (String) -> [ExecutableIdentity] = { RandomWorld.executables[$0] ?? [] }
        switch self {
        case .executable(let path): return exes(path).map { .executable($0) }
        case .cgroup(let path): return RandomWorld.cgroupByPath[path].map { [.cgroup($0)] } ?? []
        case .executableInCgroup(let exe, let path):
            guard let cgroup = RandomWorld.cgroupByPath[path] else { return [] }
            return exes(exe).map { .executableInCgroup($0, cgroup) }
        }
    }
}

/// Who a rule's entries belong to, for keeping the generated set free of contradictions: kernel
/// subjects (what the compiler checks) or the written path when it does not resolve (what the
/// validator checks).
enum Claimant: Hashable {
    case node
    case kernel(SubjectKey)
    case unresolved(GeneratedSubject)
}

struct GeneratedRule: Sendable {
    var name: String?
    var action: RuleAction
    /// nil: `to` omitted.
    var to: [String]?
    /// nil: `ports` omitted.
    var ports: [String]?
    /// nil: `protocol` omitted.
    var transport: TransportProtocol?

    var prefixes: [IPPrefix] {
        guard let to else { return [.any(.ipv4), .any(.ipv6)] }
        return to.flatMap { text in (RandomWorld.aliases[text] ?? [text]).map { cidr($0) } }
    }

    var portRanges: [PortRange] {
        guard let ports else { return [.any] }
        return ports.map { text in
            guard case .success(let range) = PortRange.parse(text) else { preconditionFailure(text) }
            return range
        }
    }

    var yaml: String {
        var fields: [String] = []
        if let name { fields.append("name: \(name)") }
        fields.append("action: \(action)")
        if let to { fields.append("to: [\(to.map { "\"\($0)\"" }.joined(separator: ", "))]") }
        if let ports { fields.append("ports: [\(ports.map { $0.contains("-") ? "\"\($0)\"" : $0 }.joined(separator: ", "))]") }
        if let transport { fields.append("protocol: \(transport)") }
        return "- {\(fields.joined(separator: ", "))}"
    }
}

struct GeneratedPolicy: Sendable {
    var name: String
    var monitor: Bool
    var subjects: [GeneratedSubject]
    var defaultAction: RuleAction?
    var rules: [GeneratedRule]

    var yaml: String {
        var spec: [String] = []
        if monitor { spec.append("mode: monitor") }
        if !subjects.isEmpty { spec.append("subjects: [\(subjects.map(\.yaml).joined(separator: ", "))]") }
        if let defaultAction { spec.append("default: \(defaultAction)") }
        if !rules.isEmpty { spec.append("egress:\n" + rules.map { "  " + $0.yaml }.joined(separator: "\n")) }
        return Policies.document(name, spec.joined(separator: "\n"))
    }

    var claimants: [Claimant] {
        if subjects.isEmpty { return [.node] }
        return subjects.flatMap { subject -> [Claimant] in
            let keys = subject.keys
            return keys.isEmpty ? [Claimant.unresolved(subject)] : keys.map { Claimant.kernel($0) }
        }
    }
}

/// Random policy sets that the validator and the compiler accept: no entry (subject, prefix,
/// ports, protocol) gets two actions or two modes, no subject two defaults.
struct PolicyGenerator {
    private struct ClaimKey: Hashable {
        var claimant: Claimant
        var prefix: IPPrefix
        var ports: PortRange
        var transport: TransportProtocol
    }

    var rng: SplitMix64
    private var entryClaims: [ClaimKey: (RuleAction, Bool)] = [:]
    private var defaultClaims: [Claimant: (RuleAction, Bool)] = [:]

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    mutating func policies(count: Int) -> [GeneratedPolicy] {
        (0..<count).map { policy(named: "p\($0)") }
    }

    mutating func policy(named name: String) -> GeneratedPolicy {
        let monitor = rng.chance(20)
        var subjects: [GeneratedSubject] = []
        if !rng.chance(20) {
            for _ in 0..<rng.between(1, 3) {
                let subject = randomSubject()
                if !subjects.contains(subject) { subjects.append(subject) }
            }
        }
        var policy = GeneratedPolicy(name: name, monitor: monitor, subjects: subjects, defaultAction: nil, rules: [])
        let claimants = policy.claimants
        var previous: GeneratedRule?
        for index in 0..<rng.between(0, 6) {
            var rule = randomRule(named: rng.chance(30) ? "r\(index)" : nil)
            if let previous, rng.chance(35) {
                // Rules for the same blocks make the contests within one prefix.
                rule.to = previous.to
            }
            if let previous, let shifted = previous.ports.flatMap(Self.overlappingSameWidth), rng.chance(25) {
                // A tie only severity settles: same blocks and protocol, ranges of equal width.
                rule = previous
                rule.name = rule.name.map { _ in "r\(index)" }
                rule.ports = shifted
                rule.action = rng.pick(RuleAction.parameterless.filter { $0 != previous.action })
            }
            previous = rule
            let keys = claimants.flatMap { claimant in
                rule.prefixes.flatMap { prefix in
                    rule.portRanges.map {
                        ClaimKey(claimant: claimant, prefix: prefix, ports: $0, transport: rule.transport ?? .any)
                    }
                }
            }
            let allowed = RuleAction.parameterless.filter { action in
                keys.allSatisfy { key in entryClaims[key].map { $0 == (action, monitor) } ?? true }
            }
            guard !allowed.isEmpty else { continue }
            rule.action = allowed.contains(rule.action) ? rule.action : rng.pick(allowed)
            for key in keys where entryClaims[key] == nil { entryClaims[key] = (rule.action, monitor) }
            policy.rules.append(rule)
        }
        if rng.chance(35) {
            let allowed = RuleAction.parameterless.filter { action in
                claimants.allSatisfy { defaultClaims[$0].map { $0 == (action, monitor) } ?? true }
            }
            if !allowed.isEmpty {
                let action = rng.pick(allowed)
                policy.defaultAction = action
                for claimant in claimants where defaultClaims[claimant] == nil { defaultClaims[claimant] = (action, monitor) }
            }
        }
        // The rule names used must be unique within the policy: indices make them so.
        return policy
    }

    /// Each range moved by half its width, where that stays within the ports; nil when none can.
    static func overlappingSameWidth(_ ports: [String]) -> [String]? {
        let shifted = ports.compactMap { text -> String? in
            guard case .success(let range) = PortRange.parse(text), range.width >= 2 else { return nil }
            let shift = range.width / 2
            guard Int(range.upper) + shift <= 65535 else { return nil }
            return "\(Int(range.lower) + shift)-\(Int(range.upper) + shift)"
        }
        return shifted.isEmpty ? nil : shifted
    }

    private mutating func randomSubject() -> GeneratedSubject {
        switch rng.below(3) {
        case 0: return .executable(rng.pick(RandomWorld.executablePaths))
        case 1: return .cgroup(rng.pick(RandomWorld.cgroupPaths))
        default: return .executableInCgroup(rng.pick(RandomWorld.executablePaths), rng.pick(RandomWorld.cgroupPaths))
        }
    }

    private mutating func randomRule(named name: String?) -> GeneratedRule {
        var to: [String]?
        if !rng.chance(25) {
            to = (0..<rng.between(1, 3)).map { _ in rng.chance(70) ? rng.pick(RandomWorld.destinationTexts) : randomPrefixText() }
        }
        var ports: [String]?
        if !rng.chance(35) {
            ports = (0..<rng.between(1, 3)).map { _ in rng.chance(75) ? rng.pick(RandomWorld.portTexts) : randomPortText() }
        }
        let transport: TransportProtocol? = rng.chance(30) ? nil : rng.pick([TransportProtocol.tcp, .udp, .any])
        return GeneratedRule(name: name, action: rng.pick(RuleAction.parameterless), to: to, ports: ports, transport: transport)
    }

    private mutating func randomPrefixText() -> String {
        let anchor = rng.chance(60) ? rng.pick(RandomWorld.ipv4Anchors) : rng.pick(RandomWorld.ipv6Anchors)
        return IPPrefix(covering: anchor, length: rng.between(0, anchor.family.bitWidth)).description
    }

    private mutating func randomPortText() -> String {
        let lower = rng.between(1, 65535)
        let upper = min(65535, lower + (rng.chance(30) ? 0 : rng.below(rng.pick([10, 1000, 70000]))))
        return lower == upper ? "\(lower)" : "\(lower)-\(upper)"
    }

    /// Flows aimed at the set's own entries (inside, at and just past their edges) and elsewhere.
    mutating func flows(_ count: Int, for policies: [GeneratedPolicy]) -> [FlowQuery] {
        let rules = policies.flatMap(\.rules)
        return (0..<count).map { _ in
            let exe = rng.pick(RandomWorld.flowExecutables)
            let cgroup = rng.pick(RandomWorld.tree)
            var destination: IPAddress
            var port = UInt16(rng.pick([0, 1, 22, 53, 79, 80, 443, 8080, 8443, 65535, rng.between(0, 65535)]))
            if let rule = rules.isEmpty || rng.chance(30) ? nil : rng.pick(rules) {
                destination = address(in: rng.pick(rule.prefixes))
                let ports = rng.pick(rule.portRanges)
                let candidates = [Int(ports.lower), Int(ports.upper), Int(ports.lower) - 1, Int(ports.upper) + 1,
                    rng.between(Int(ports.lower), Int(ports.upper))]
                port = UInt16(clamping: rng.pick(candidates).clamped(0, 65535))
            } else if rng.chance(85) {
                let anchor = rng.chance(60) ? rng.pick(RandomWorld.ipv4Anchors) : rng.pick(RandomWorld.ipv6Anchors)
                destination = address(in: IPPrefix(covering: anchor, length: rng.between(0, anchor.family.bitWidth)))
            } else {
                destination = address(in: .any(rng.chance(50) ? .ipv4 : .ipv6))
            }
            let transport: TransportProtocol = rng.chance(10) ? .any : (rng.chance(50) ? .tcp : .udp)
            return FlowQuery(
                executable: exe, cgroupAncestry: World.ancestry(of: cgroup, in: RandomWorld.tree), destination: destination,
                port: port, transport: transport)
        }
    }

    /// A random address of the block.
    private mutating func address(in block: IPPrefix) -> IPAddress {
        let family = block.family
        let mask = IPAddress(family: family, high: .max, low: .max).masked(to: block.length)
        let high = block.address.high | (rng.next() & ~mask.high)
        let low = block.address.low | (rng.next() & ~mask.low)
        return IPAddress(family: family, high: high, low: low)
    }
}

extension Int {
    fileprivate func clamped(_ lower: Int, _ upper: Int) -> Int { Swift.min(Swift.max(self, lower), upper) }
}

extension RuleAction {
    /// The actions a rule or default can say with no further field (not rate-limit, which
    /// needs a rate): what random policies pick from.
    static let parameterless = written.filter { !$0.needsRuleParameters }
}
