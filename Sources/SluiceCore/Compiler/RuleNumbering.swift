/// What a rule is, to recognise it in the next compile: its policy and what it says, not its
/// position (inserting a rule must not renumber every rule after it).
public struct RuleSignature: Hashable, Sendable {
    var policy: String
    /// The rule's `name`, or nil; `default` for a policy's default.
    var name: String?
    var action: RuleAction
    var mode: PolicyMode
    var destinations: [IPPrefix]
    var ports: [PortRange]
    var transport: TransportProtocol

    /// The signatures of a policy's rules, then of its default: the order the compiler numbers.
    static func all(of policy: Policy) -> [RuleSignature] {
        var result = policy.egress.map { rule in
            RuleSignature(
                policy: policy.name, name: rule.name, action: rule.action, mode: policy.mode,
                destinations: rule.destinations.map(\.value), ports: rule.ports.map(\.value), transport: rule.transport)
        }
        if let fallback = policy.defaultAction {
            result.append(
                RuleSignature(
                    policy: policy.name, name: "default", action: fallback.value, mode: policy.mode, destinations: [], ports: [],
                    transport: .any))
        }
        return result
    }
}

/// Gives rules ids: a rule seen in the previous compile keeps its id; new rules take the
/// smallest free ids. Id 0 is the built-in node default.
struct RuleNumbering {
    private var previous: [RuleSignature: [UInt32]]
    private(set) var assigned: [RuleSignature: [UInt32]] = [:]

    init(previous: [RuleSignature: [UInt32]]) {
        self.previous = previous
    }

    mutating func assign(_ signatures: [RuleSignature]) -> [UInt32] {
        var ids = [UInt32?](repeating: nil, count: signatures.count)
        var used: Set<UInt32> = [0]
        for (position, signature) in signatures.enumerated() {
            guard var candidates = previous[signature], !candidates.isEmpty else { continue }
            let id = candidates.removeFirst()
            previous[signature] = candidates
            ids[position] = id
            used.insert(id)
        }
        var next: UInt32 = 1
        for position in ids.indices where ids[position] == nil {
            while used.contains(next) { next += 1 }
            ids[position] = next
            used.insert(next)
        }
        let result = ids.map { $0! }
        for (signature, id) in zip(signatures, result) {
            assigned[signature, default: []].append(id)
        }
        return result
    }
}
