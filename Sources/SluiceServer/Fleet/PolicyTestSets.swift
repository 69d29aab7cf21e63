import SluiceCore

/// Each node's policies now and after a push of candidate contents, as the catalog would hand
/// them out (each policy's node selector against the node's labels), for `PolicyReplay`.
struct PolicyTestSets {
    /// Why a node's policies cannot be replayed.
    enum Failure: Error, Hashable, CustomStringConvertible {
        /// The policies a node would hold do not validate together; one line per diagnostic.
        case policiesInvalid(diagnostics: [String])

        var description: String {
            switch self {
            case .policiesInvalid: "the policies for a node do not validate together"
            }
        }

        /// What a person fixes: the diagnostics at file:line:column.
        var details: [String] {
            switch self {
            case .policiesInvalid(let diagnostics): diagnostics
            }
        }
    }

    /// By node name: only nodes whose policies the push changes.
    var byNode: [String: PolicyReplay.NodePolicies] = [:]

    init(nodes: [NodeRecord], current: [StoredPolicyVersion], pushed: [PolicyContent]) throws(Failure) {
        let names = Set(pushed.map(\.name))
        let kept = current.filter { !names.contains($0.version.name) }
        // Nodes with the same selection share one parse.
        var parsed: [[String]: PolicySet] = [:]
        func set(_ sources: [(file: String, text: String)]) throws(Failure) -> PolicySet {
            let key = sources.map(\.file)
            if let known = parsed[key] { return known }
            let loaded = try Self.load(sources)
            parsed[key] = loaded
            return loaded
        }
        for node in nodes where node.revokedUs == nil {
            let now = current.filter { NodeSelector.matches($0.version.nodeSelector, labels: node.labels) }
            let next = kept.filter { NodeSelector.matches($0.version.nodeSelector, labels: node.labels) }
            let added = pushed.filter { !$0.deleted && NodeSelector.matches($0.nodeSelector, labels: node.labels) }
            let before = now.map(Self.source)
            let after = next.map(Self.source) + added.map { (file: "candidate:\($0.name)", text: $0.yaml) }
            guard Self.texts(before) != Self.texts(after) else { continue }
            byNode[node.name] = PolicyReplay.NodePolicies(current: try set(before), candidate: try set(after))
        }
    }

    /// The server's policies a node with `labels` is handed now, parsed: what a preview of a
    /// learned rule or a feed keeps on both sides.
    static func policies(labels: [String: String], current: [StoredPolicyVersion]) throws(Failure) -> PolicySet {
        try load(current.filter { NodeSelector.matches($0.version.nodeSelector, labels: labels) }.map(source))
    }

    private static func load(_ sources: [(file: String, text: String)]) throws(Failure) -> PolicySet {
        let loaded = PolicyLoader.check(sources: sources)
        if loaded.hasErrors {
            throw .policiesInvalid(diagnostics: loaded.errors.map(\.description))
        }
        return loaded.policySet
    }

    private static func source(_ stored: StoredPolicyVersion) -> (file: String, text: String) {
        (file: "server:\(stored.version.name)@v\(stored.version.version)", text: stored.version.yaml)
    }

    /// Text by policy name (`server:web@v3` and `candidate:web` both name `web`): equal when the
    /// push leaves the node as it is.
    private static func texts(_ sources: [(file: String, text: String)]) -> [Substring: String] {
        Dictionary(sources.map { ($0.file.drop { $0 != ":" }.dropFirst().prefix { $0 != "@" }, $0.text) }, uniquingKeysWith: { first, _ in first })
    }
}
