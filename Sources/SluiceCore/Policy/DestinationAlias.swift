/// Names a policy may write in `to` instead of address blocks; each stands for blocks of both families.
enum DestinationAlias {
    /// In the order messages list them.
    static let names = ["any", "loopback", "private", "link-local", "multicast", host]

    /// The node's own addresses; expanded when compiled on the node (`EgressRule.hostDestination`).
    static let host = "host"

    /// Blocks `host` stands for on every node besides its interfaces' addresses: Linux delivers
    /// all of 127.0.0.0/8 locally.
    static let hostBlocks: [IPPrefix] = ["127.0.0.0/8", "::1/128"].map { text in
        guard case .success(let prefix) = IPPrefix.parse(text) else { preconditionFailure("alias block \(text) does not parse") }
        return prefix
    }

    /// In the order of `names`. Five entries: scanning them is cheaper than hashing the text of
    /// every destination a large policy lists.
    private static let blocks: [(name: String, prefixes: [IPPrefix])] = [
        ("any", ["0.0.0.0/0", "::/0"]),
        ("loopback", ["127.0.0.0/8", "::1/128"]),
        ("private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]),
        ("link-local", ["169.254.0.0/16", "fe80::/10"]),
        ("multicast", ["224.0.0.0/4", "ff00::/8"]),
    ].map { name, texts in
        let prefixes = texts.map { text in
            guard case .success(let prefix) = IPPrefix.parse(text) else {
                preconditionFailure("alias block \(text) does not parse")
            }
            return prefix
        }
        return (name, prefixes)
    }

    /// The blocks `name` stands for, or nil when it is not an alias.
    static func prefixes(for name: String) -> [IPPrefix]? {
        // Every alias starts with a lowercase letter; most addresses start with a digit.
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return nil }
        return blocks.first { $0.name == name }?.prefixes
    }
}
