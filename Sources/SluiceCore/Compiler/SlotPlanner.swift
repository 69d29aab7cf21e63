/// Sizes fixed by the kernel programs and the maps' capacities, per slot.
public struct SlotLimits: Sendable, Hashable {
    /// Port entries held inline in a destination trie value.
    public var inlineEntries: Int
    /// Port entries held by one chunk of `sluice_ports`.
    public var chunkEntries: Int
    /// Chunks one table may chain.
    public var maximumChain: Int
    /// Subjects one slot may hold (half of `sluice_subjects`).
    public var subjects: Int
    /// Destination entries one slot may hold per family (half of each trie).
    public var routesPerFamily: Int
    /// Name routes (and, separately, name patterns) one slot may hold (half of each map).
    public var nameRoutes: Int

    public init(inlineEntries: Int, chunkEntries: Int, maximumChain: Int, subjects: Int, routesPerFamily: Int, nameRoutes: Int = 131_072) {
        self.inlineEntries = inlineEntries
        self.chunkEntries = chunkEntries
        self.maximumChain = maximumChain
        self.subjects = subjects
        self.routesPerFamily = routesPerFamily
        self.nameRoutes = nameRoutes
    }
}

/// A trie value: the first entries of a table inline, the rest in a chunk chain.
public struct RouteValue: Hashable, Sendable {
    public var inline: [PortEntry]
    /// First chunk of the rest, 0 for none.
    public var next: UInt32

    public init(inline: [PortEntry], next: UInt32) {
        self.inline = inline
        self.next = next
    }
}

/// One `sluice_ports` chunk.
public struct PortChunk: Hashable, Sendable {
    public var entries: [PortEntry]
    public var next: UInt32

    public init(entries: [PortEntry], next: UInt32) {
        self.entries = entries
        self.next = next
    }
}

/// What one slot of the maps holds, as last written: the base the next plan diffs against.
public struct SlotContents: Sendable, Equatable {
    public var subjects: [SubjectKey: SubjectRecord] = [:]
    public var routes: [RouteKey: RouteValue] = [:]
    public var nameRoutes: [NameRouteKey: RouteValue] = [:]
    public var namePatterns: Set<NamePatternKey> = []
    /// Table tails (entries beyond the inline ones) -> their chunk chain.
    var chains: [[PortEntry]: [UInt32]] = [:]
    /// Chunk indices this slot owns and is not using.
    var freeChunks: [UInt32]

    /// An empty slot owning the chunk indices in `chunks`.
    public init(chunks: Range<UInt32>) {
        freeChunks = Array(chunks.reversed())
    }

    public var chunksInUse: Int { chains.values.reduce(0) { $0 + $1.count } }
}

/// The writes that turn a slot's old contents into a new generation. Applied to the idle slot
/// deletes first, then chunks, routes and subjects, then the config; then the active slot flips.
public struct SlotPlan: Sendable {
    public var chunkWrites: [(index: UInt32, chunk: PortChunk)] = []
    public var routeWrites: [(key: RouteKey, value: RouteValue)] = []
    public var routeDeletes: [RouteKey] = []
    public var subjectWrites: [(key: SubjectKey, record: SubjectRecord)] = []
    public var subjectDeletes: [SubjectKey] = []
    public var nameRouteWrites: [(key: NameRouteKey, value: RouteValue)] = []
    public var nameRouteDeletes: [NameRouteKey] = []
    public var patternWrites: [NamePatternKey] = []
    public var patternDeletes: [NamePatternKey] = []

    public var writeCount: Int {
        chunkWrites.count + routeWrites.count + routeDeletes.count + subjectWrites.count + subjectDeletes.count + nameRouteWrites.count
            + nameRouteDeletes.count + patternWrites.count + patternDeletes.count
    }
}

/// The image does not fit a slot; each case names the agent option that makes room, if any.
public enum SlotCapacityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More subjects (executable and cgroup identities) than a slot holds: `--max-subjects`.
    case subjects(count: Int, maximum: Int)
    /// More destinations of one family than a slot holds: `--max-destinations`.
    case destinations(IPAddress.Family, count: Int, maximum: Int)
    /// More port-table chunks needed than a slot holds: `--max-port-chunks`.
    case portChunks(available: Int)
    /// One destination's port table (with what it inherits) is longer than the kernel programs
    /// match: only a smaller policy helps.
    case portEntries(count: Int, maximum: Int)
    /// More (subject, name) rules than a slot holds: only a smaller policy helps.
    case names(count: Int, maximum: Int)

    public var description: String {
        switch self {
        case .subjects(let count, let maximum):
            "the policy has \(count) subjects (executable and cgroup identities); the agent holds at most \(maximum); raise --max-subjects"
        case .destinations(let family, let count, let maximum):
            "the policy has \(count) \(family) destinations across its subjects; the agent holds at most \(maximum); raise --max-destinations"
        case .portChunks(let available):
            "the policy needs more port-table chunks than the \(available) a slot holds; raise --max-port-chunks"
        case .portEntries(let count, let maximum):
            "a destination has \(count) port entries (its own and those of the shorter prefixes it inherits); the kernel programs match at most \(maximum)"
        case .names(let count, let maximum):
            "the policy has \(count) name rules across its subjects; the agent holds at most \(maximum)"
        }
    }
}

/// Plans the writes for one slot. Pure: the kernel layer executes the plan.
public enum SlotPlanner {
    public static func plan(_ image: DatapathImage, into old: SlotContents, limits: SlotLimits) throws(SlotCapacityError)
        -> (plan: SlotPlan, contents: SlotContents)
    {
        try checkCapacity(image, limits: limits)
        var plan = SlotPlan()
        var contents = old
        contents.subjects = image.subjects
        contents.routes = [:]
        contents.routes.reserveCapacity(image.routes.count)
        contents.nameRoutes = [:]
        contents.namePatterns = image.namePatterns

        // Tails of the new tables; chains of tails that stay keep their chunks untouched.
        var tailOfTable: [[PortEntry]] = []
        tailOfTable.reserveCapacity(image.tables.count)
        var liveTails = Set<[PortEntry]>()
        var tailsInOrder: [[PortEntry]] = []  // allocation follows table order: reproducible
        for table in image.tables {
            guard table.count <= limits.inlineEntries + limits.chunkEntries * limits.maximumChain else {
                throw .portEntries(count: table.count, maximum: limits.inlineEntries + limits.chunkEntries * limits.maximumChain)
            }
            let tail = Array(table.dropFirst(limits.inlineEntries))
            tailOfTable.append(tail)
            if !tail.isEmpty, liveTails.insert(tail).inserted { tailsInOrder.append(tail) }
        }
        for (tail, chain) in old.chains.sorted(by: { $0.value[0] < $1.value[0] }) where !liveTails.contains(tail) {
            contents.chains[tail] = nil
            contents.freeChunks += chain
        }
        for tail in tailsInOrder where contents.chains[tail] == nil {
            let chunks = stride(from: 0, to: tail.count, by: limits.chunkEntries).map {
                Array(tail[$0..<min($0 + limits.chunkEntries, tail.count)])
            }
            guard contents.freeChunks.count >= chunks.count else {
                throw .portChunks(available: old.freeChunks.count + old.chunksInUse)
            }
            let indices = (0..<chunks.count).map { _ in contents.freeChunks.removeLast() }
            for (position, entries) in chunks.enumerated() {
                let next = position + 1 < indices.count ? indices[position + 1] : 0
                plan.chunkWrites.append((indices[position], PortChunk(entries: entries, next: next)))
            }
            contents.chains[tail] = indices
        }

        let chains = contents.chains
        /// A table as a trie or hash value: its first entries inline, then its chain.
        func value(of tableIndex: Int) -> RouteValue {
            let tail = tailOfTable[tableIndex]
            return RouteValue(inline: Array(image.tables[tableIndex].prefix(limits.inlineEntries)), next: tail.isEmpty ? 0 : chains[tail]![0])
        }
        for (key, tableIndex) in image.routes {
            let value = value(of: tableIndex)
            contents.routes[key] = value
            if old.routes[key] != value {
                plan.routeWrites.append((key, value))
            }
        }
        for key in old.routes.keys where contents.routes[key] == nil {
            plan.routeDeletes.append(key)
        }
        for (key, tableIndex) in image.nameRoutes {
            let value = value(of: tableIndex)
            contents.nameRoutes[key] = value
            if old.nameRoutes[key] != value {
                plan.nameRouteWrites.append((key, value))
            }
        }
        plan.nameRouteDeletes = old.nameRoutes.keys.filter { contents.nameRoutes[$0] == nil }
        plan.patternWrites = image.namePatterns.subtracting(old.namePatterns).sorted { ($0.kind.rawValue, $0.hash) < ($1.kind.rawValue, $1.hash) }
        plan.patternDeletes = old.namePatterns.subtracting(image.namePatterns).sorted { ($0.kind.rawValue, $0.hash) < ($1.kind.rawValue, $1.hash) }
        for (key, record) in image.subjects where old.subjects[key] != record {
            plan.subjectWrites.append((key, record))
        }
        for key in old.subjects.keys where image.subjects[key] == nil {
            plan.subjectDeletes.append(key)
        }
        return (plan, contents)
    }

    static func checkCapacity(_ image: DatapathImage, limits: SlotLimits) throws(SlotCapacityError) {
        guard image.subjects.count <= limits.subjects else {
            throw .subjects(count: image.subjects.count, maximum: limits.subjects)
        }
        var perFamily = [IPAddress.Family.ipv4: 0, .ipv6: 0]
        for key in image.routes.keys { perFamily[key.prefix.family]! += 1 }
        for (family, count) in perFamily where count > limits.routesPerFamily {
            throw .destinations(family, count: count, maximum: limits.routesPerFamily)
        }
        guard image.nameRoutes.count <= limits.nameRoutes, image.namePatterns.count <= limits.nameRoutes else {
            throw .names(count: max(image.nameRoutes.count, image.namePatterns.count), maximum: limits.nameRoutes)
        }
    }
}
