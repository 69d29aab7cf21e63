extension RouteTableBuilder {
    /// Builds one subject's name routes. Each pattern's table is its own entries followed by the
    /// full table of the pattern the kernel would try next for the same name: an exact name's
    /// nearest wildcard among its `DomainName.parentHashes`, a wildcard's nearest shorter
    /// wildcard. So the first pattern found decides alone, as the longest prefix does.
    mutating func addNames(subject: UInt32, positions: [Int], of entries: [DestinationEntry]) {
        var groups: [NamePattern: [Int]] = [:]
        for position in positions {
            if let pattern = entries[position].namePattern { groups[pattern, default: []].append(position) }
        }
        // Wildcards with shorter suffixes first, then exact names: every parent's full table is
        // built before the patterns under it look for it.
        let order = groups.keys.sorted { lhs, rhs in
            let (left, right) = (lhs.buildRank, rhs.buildRank)
            return left != right ? left < right : lhs < rhs
        }
        var fullTable: [UInt64: Int] = [:]
        for pattern in order {
            var table = Self.ownTable(groups[pattern]!, of: entries)
            let parents = pattern.isWildcard ? pattern.name.allParentHashes : pattern.name.parentHashes
            if let parent = parents.lazy.compactMap({ fullTable[$0] }).first {
                table += tables[parent]
            }
            let index = intern(Self.removingShadowed(table))
            let key = pattern.key
            if pattern.isWildcard { fullTable[key.hash] = index }
            nameRoutes[NameRouteKey(subject: subject, pattern: key)] = index
            namePatterns.insert(key)
        }
    }
}

extension NamePattern {
    var isWildcard: Bool {
        if case .wildcard = self { return true }
        return false
    }

    /// Wildcards by their suffix's label count, then exact names after every wildcard.
    fileprivate var buildRank: Int {
        isWildcard ? name.labelCount : Int.max
    }
}

extension DomainName {
    var labelCount: Int { text.utf8.reduce(1) { $1 == ASCII.dot ? $0 + 1 : $0 } }
}
