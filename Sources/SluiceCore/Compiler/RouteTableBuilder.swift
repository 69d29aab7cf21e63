/// Builds the routes of each subject: groups entries by prefix, orders each group by precedence,
/// appends the full table of the longest shorter prefix that covers it, and interns the tables.
///
/// A policy may hold 100,000 prefixes, so the work per prefix is kept to a few hash lookups:
/// entries are grouped by sorting rather than into a dictionary of arrays, and a prefix's full
/// table is found by its index in `tables` rather than kept again per prefix.
struct RouteTableBuilder {
    var routes: [RouteKey: Int] = [:]
    var nameRoutes: [NameRouteKey: Int] = [:]
    var namePatterns = Set<NamePatternKey>()
    var tables: [[PortEntry]] = []
    private var interned: [[PortEntry]: Int] = [:]

    mutating func add(subject: UInt32, entries: [DestinationEntry]) {
        routes.reserveCapacity(routes.count + entries.count)
        tables.reserveCapacity(tables.count + entries.count)
        interned.reserveCapacity(interned.count + entries.count)
        // By family, then shorter prefixes first, so a parent's full table exists when its
        // children need it; each prefix's entries end up side by side, in the order given.
        // Small keys are sorted rather than the entries themselves.
        var order: [PrefixOrder] = []
        order.reserveCapacity(entries.count)
        var named: [Int] = []
        for position in entries.indices {
            switch entries[position].destination {
            case .prefix(let prefix): order.append(PrefixOrder(prefix, entry: position))
            case .name: named.append(position)
            }
        }
        order.sort()
        if !named.isEmpty { addNames(subject: subject, positions: named, of: entries) }
        // Full tables by prefix, for the longer prefixes inside them.
        var fullTable: [IPPrefix: Int] = [:]
        fullTable.reserveCapacity(entries.count)
        // Only a longer prefix looks a full table up: those of a family's longest need not be kept.
        let longest = [IPAddress.Family.ipv4, .ipv6].map { family in
            order.last { $0.family == family }?.length ?? 0
        }
        // The lengths of the current family's prefixes done so far: where a parent may be.
        var shorterLengths: [Int] = []
        var start = order.startIndex
        while start < order.endIndex {
            var end = start + 1
            while end < order.endIndex && order[end].hasSamePrefix(as: order[start]) { end += 1 }
            let prefix = order[start].prefix
            if start > order.startIndex {
                let previous = order[start - 1]
                if previous.family != prefix.family {
                    shorterLengths = []
                } else if previous.length != prefix.length {
                    shorterLengths.append(previous.length)
                }
            }
            var table = Self.ownTable(order[start..<end].lazy.map(\.entry), of: entries)
            for length in shorterLengths.reversed() {
                if let parent = fullTable[IPPrefix(covering: prefix.address, length: length)] {
                    table += tables[parent]
                    break
                }
            }
            let index = intern(Self.removingShadowed(table))
            if prefix.length < longest[prefix.family == .ipv4 ? 0 : 1] {
                fullTable[prefix] = index
            }
            routes[RouteKey(subject: subject, prefix: prefix)] = index
            start = end
        }
    }

    /// One prefix's or pattern's own entries, in precedence order, as the kernel matches them.
    static func ownTable(_ group: some Collection<Int>, of entries: [DestinationEntry]) -> [PortEntry] {
        guard group.count > 1 else { return group.map { PortEntry(entries[$0]) } }
        return group.map { entries[$0] }.sorted(by: DestinationEntry.precedes).map(PortEntry.init)
    }

    /// Drops entries that can never be first to match because an earlier entry covers the same
    /// ports and protocol: keeps tables short without changing any decision.
    static func removingShadowed(_ table: [PortEntry]) -> [PortEntry] {
        guard table.count > 1 else { return table }
        var kept: [PortEntry] = []
        kept.reserveCapacity(table.count)
        for entry in table {
            let shadowed = kept.contains { earlier in
                earlier.ports.lower <= entry.ports.lower && earlier.ports.upper >= entry.ports.upper
                    && (earlier.protocolNumber == 0 || earlier.protocolNumber == entry.protocolNumber)
            }
            if !shadowed { kept.append(entry) }
        }
        return kept
    }

    mutating func intern(_ table: [PortEntry]) -> Int {
        let next = tables.count
        // Through `_modify`, which stores the default when the table is new: one hash, not two.
        let index = Self.read(&interned[table, default: next])
        if index == next { tables.append(table) }
        return index
    }

    private static func read(_ value: inout Int) -> Int { value }
}

extension PortEntry {
    /// An entry of its own route: only a full-length block is an exact address.
    init(_ entry: DestinationEntry) {
        // Spelled as `if let` rather than `Optional.map`: the release compiler (Swift 6.1 here)
        // crashed specialising the closure form inside `ownTable` ("Found outside of lifetime use").
        var exact = false
        var exactName = false
        if let prefix = entry.prefix { exact = prefix.length == prefix.family.bitWidth }
        if case .exact = entry.namePattern { exactName = true }
        self.init(
            ports: entry.ports, protocolNumber: entry.transport.number, verdict: entry.verdict, exactAddress: exact, exactName: exactName)
    }
}

/// Where an entry goes in the order routes are built: by family, prefix length, address, then
/// as given. A compact key: sorting these moves far less than sorting the entries.
private struct PrefixOrder: Comparable {
    var rank: UInt16
    var high: UInt64
    var low: UInt64
    /// The entry's position in the subject's entries.
    var entry: Int

    init(_ prefix: IPPrefix, entry: Int) {
        rank = UInt16(prefix.family == .ipv4 ? 0 : 1) << 8 | UInt16(prefix.length)
        high = prefix.address.high
        low = prefix.address.low
        self.entry = entry
    }

    var family: IPAddress.Family { rank >> 8 == 0 ? .ipv4 : .ipv6 }
    var length: Int { Int(rank & 0xff) }
    var prefix: IPPrefix { IPPrefix(uncheckedAddress: IPAddress(family: family, high: high, low: low), length: length) }

    /// Whether both are entries of one prefix.
    func hasSamePrefix(as other: PrefixOrder) -> Bool {
        rank == other.rank && high == other.high && low == other.low
    }

    static func < (lhs: PrefixOrder, rhs: PrefixOrder) -> Bool {
        (lhs.rank, lhs.high, lhs.low, lhs.entry) < (rhs.rank, rhs.high, rhs.low, rhs.entry)
    }
}
