/// What a rule is, to recognise it in the next compile: its policy and what it says, not its
/// position (inserting a rule must not renumber every rule after it).
public struct RuleSignature: Hashable, Sendable {
    var policy: String
    /// The rule's `name`, or nil; `default` for a policy's default.
    var name: String?
    var action: RuleAction
    var mode: PolicyMode
    var destinations: [IPPrefix]
    var names: [NamePattern] = []
    var ports: [PortRange]
    var transport: TransportProtocol
    var namesHost = false

    /// Appends the signatures of a policy's rules, then of its default: the order the compiler numbers.
    static func append(of policy: Policy, to result: inout [RuleSignature]) {
        for rule in [policy.egress, policy.encryptedDNSRules].joined() {
            result.append(
                RuleSignature(
                    policy: policy.name, name: rule.name, action: rule.action, mode: policy.mode,
                    destinations: rule.destinations.map(\.value), names: rule.names.map(\.value), ports: rule.ports.map(\.value),
                    transport: rule.transport, namesHost: rule.hostDestination != nil))
        }
        if let raw = policy.rawSockets {
            result.append(
                RuleSignature(
                    policy: policy.name, name: "rawSockets", action: raw.value, mode: policy.mode, destinations: [], ports: [],
                    transport: .raw))
        }
        if let fallback = policy.defaultAction {
            result.append(
                RuleSignature(
                    policy: policy.name, name: "default", action: fallback.value, mode: policy.mode, destinations: [], ports: [],
                    transport: .any))
        }
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
        // Ids kept from the previous compile; 0 is never given.
        var kept: Set<UInt32> = [0]
        // A first compile has no previous ids: no need to hash every signature to find none.
        if !previous.isEmpty {
            kept.reserveCapacity(signatures.count + 1)
            for (position, signature) in signatures.enumerated() {
                guard let id = Self.takeFirst(&previous[signature]) else { continue }
                ids[position] = id
                kept.insert(id)
            }
        }
        var next: UInt32 = 1
        for position in ids.indices where ids[position] == nil {
            while kept.contains(next) { next += 1 }
            ids[position] = next
            next += 1
        }
        let result = ids.map { $0! }
        assigned.reserveCapacity(assigned.count + signatures.count)
        for (signature, id) in zip(signatures, result) {
            assigned[signature, default: []].append(id)
        }
        return result
    }

    /// Removes and returns the first id, in place: one lookup, and no copy of the list.
    private static func takeFirst(_ ids: inout [UInt32]?) -> UInt32? {
        guard let first = ids?.first else { return nil }
        ids?.removeFirst()
        return first
    }
}
