import Foundation

/// What a read-back compares: each chain's rules by their comments, in order, and the set
/// names. Elements are not compared: they time out on their own.
public struct NftTableSummary: Hashable, Sendable, CustomStringConvertible {
    public var chains: [String: [String]]
    public var sets: Set<String>

    public init(chains: [String: [String]], sets: Set<String>) {
        self.chains = chains
        self.sets = sets
    }

    /// Why `nft -j list table` output could not be read.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Not JSON at all; `detail` is the JSON parser's words.
        case notJSON(detail: String)
        /// JSON, but without the top-level `nftables` array of libnftables-json(5).
        case noNftablesArray

        public var description: String {
            switch self {
            case .notJSON(let detail): "nft's JSON listing could not be read: \(detail)"
            case .noNftablesArray: "nft's JSON listing could not be read: no \"nftables\" array at the top"
            }
        }
    }

    /// Reads `nft -j list table inet sluice` (libnftables-json(5)).
    public static func parse(nftJSON data: Data) throws(ParseError) -> NftTableSummary {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .notJSON(detail: "\(error)")
        }
        guard let objects = (root as? [String: Any])?["nftables"] as? [[String: Any]] else {
            throw .noNftablesArray
        }
        var chains: [String: [String]] = [:]
        var sets = Set<String>()
        for object in objects {
            if let chain = object["chain"] as? [String: Any], let name = chain["name"] as? String {
                chains[name, default: []] += []
            } else if let set = object["set"] as? [String: Any], let name = set["name"] as? String {
                sets.insert(name)
            } else if let rule = object["rule"] as? [String: Any], let chain = rule["chain"] as? String {
                chains[chain, default: []].append(rule["comment"] as? String ?? "")
            }
        }
        return NftTableSummary(chains: chains, sets: sets)
    }

    public var description: String {
        "\(chains.count) chains, \(chains.values.reduce(0) { $0 + $1.count }) rules, \(sets.count) sets"
    }
}

extension NftRuleset {
    /// What a read-back of this ruleset, once installed, must show.
    public var summary: NftTableSummary {
        NftTableSummary(
            chains: Dictionary(uniqueKeysWithValues: chains.map { ($0.name, $0.rules.map(\.comment)) }),
            sets: Set(sets.map(\.name)))
    }
}
