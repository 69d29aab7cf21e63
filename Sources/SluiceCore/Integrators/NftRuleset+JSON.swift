import Foundation

extension NftRuleset {
    /// nft's JSON batch (libnftables-json(5)) for `nft -j -f -`: the same one transaction as
    /// `text`, the table created if missing, deleted and made again.
    public var json: String {
        let table: [String: Any] = ["family": Self.family, "name": self.table]
        var commands: [[String: Any]] = [
            ["metainfo": ["json_schema_version": 1]],
            ["add": ["table": table]],
            ["delete": ["table": table]],
            ["add": ["table": table]],
        ]
        for set in sets {
            var object: [String: Any] = ["family": Self.family, "table": self.table, "name": set.name, "type": set.type, "comment": set.comment]
            let flags = (set.interval ? ["interval"] : []) + (set.timeouts ? ["timeout"] : [])
            if !flags.isEmpty { object["flags"] = flags }
            if !set.elements.isEmpty { object["elem"] = set.elements.map(\.json) }
            commands.append(["add": ["set": object]])
        }
        for chain in chains {
            var object: [String: Any] = ["family": Self.family, "table": self.table, "name": chain.name]
            if let hook = chain.hook {
                object.merge(["type": "filter", "hook": hook.rawValue, "prio": 0, "policy": "accept"]) { $1 }
            }
            commands.append(["add": ["chain": object]])
        }
        for chain in chains {
            for rule in chain.rules {
                let expressions = rule.matches.map(\.json) + rule.statements.map(\.json)
                commands.append([
                    "add": ["rule": ["family": Self.family, "table": self.table, "chain": chain.name, "expr": expressions, "comment": rule.comment]]
                ])
            }
        }
        let data = try! JSONSerialization.data(withJSONObject: ["nftables": commands], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

extension IPPrefix {
    /// An address, or `{"prefix": {"addr", "len"}}`.
    var nftJSON: Any {
        length == family.bitWidth ? address.description : ["prefix": ["addr": address.description, "len": length]]
    }
}

extension NftSetElement {
    var json: Any {
        guard let timeoutSeconds else { return prefix.nftJSON }
        return ["elem": ["val": prefix.nftJSON, "timeout": timeoutSeconds]]
    }
}

extension NftMatch {
    var json: [String: Any] {
        func match(_ left: Any, _ right: Any, op: String = "==") -> [String: Any] {
            ["match": ["op": op, "left": left, "right": right]]
        }
        func daddr(_ family: IPAddress.Family) -> Any {
            ["payload": ["protocol": family == .ipv4 ? "ip" : "ip6", "field": "daddr"]]
        }
        switch self {
        case .established:
            return match(["ct": ["key": "state"]], ["established", "related"], op: "in")
        case .family(let family):
            return match(["payload": ["protocol": family == .ipv4 ? "ip" : "ip6", "field": "version"]], family == .ipv4 ? 4 : 6)
        case .destination(let prefix):
            return match(daddr(prefix.family), prefix.nftJSON)
        case .destinationSet(let name, let family):
            return match(daddr(family), "@\(name)")
        case .l4proto(let numbers) where numbers.count == 1:
            return match(["meta": ["key": "l4proto"]], Self.protocolName(numbers[0]))
        case .l4proto(let numbers):
            return match(["meta": ["key": "l4proto"]], ["set": numbers.map(Self.protocolName)])
        case .destinationPort(let ports):
            let right: Any = ports.isSinglePort ? Int(ports.lower) : ["range": [Int(ports.lower), Int(ports.upper)]]
            return match(["payload": ["protocol": "th", "field": "dport"]], right)
        case .cgroup(let level, let path):
            return match(["socket": ["key": "cgroupv2", "level": level]], path)
        case .neighborDiscovery:
            return match(["payload": ["protocol": "icmpv6", "field": "type"]], ["set": Self.discoveryTypes])
        }
    }
}

extension NftStatement {
    var json: [String: Any] {
        switch self {
        case .log(let prefix): ["log": ["prefix": prefix]]
        case .limitOver(let rate): ["limit": ["rate": Int(rate.count), "per": rate.nftUnit, "burst": Int(rate.burst), "inv": true]]
        case .accept: ["accept": NSNull()]
        case .reject: ["reject": ["type": "icmpx", "expr": "admin-prohibited"]]
        case .resetTCP: ["reject": ["type": "tcp reset"]]
        case .jump(let chain): ["jump": ["target": chain]]
        case .goto(let chain): ["goto": ["target": chain]]
        case .return: ["return": NSNull()]
        }
    }
}
