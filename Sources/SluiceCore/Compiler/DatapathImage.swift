/// One port/protocol entry of a route's table, as the kernel matches it.
public struct PortEntry: Hashable, Sendable {
    public var ports: PortRange
    /// IP protocol number; 0 for any.
    public var protocolNumber: UInt8
    public var verdict: Verdict
    /// The entry was written for a full-length block (/32, /128) of the route it sits in, not
    /// inherited from a shorter one: only such an entry can outrank a name rule (DESIGN.md).
    public var exactAddress: Bool
    /// The entry was written for an exact name (not a wildcard) of the name route it sits in.
    public var exactName: Bool

    public init(ports: PortRange, protocolNumber: UInt8, verdict: Verdict, exactAddress: Bool = false, exactName: Bool = false) {
        self.ports = ports
        self.protocolNumber = protocolNumber
        self.verdict = verdict
        self.exactAddress = exactAddress
        self.exactName = exactName
    }

    /// An allow rule that names this exact address or name: a feed layer does not override it
    /// (DESIGN.md, precedence).
    public var explicitAllow: Bool { verdict.action == .allow && (exactAddress || exactName) }

    public func matches(port: UInt16, protocolNumber flowProtocol: UInt8) -> Bool {
        ports.contains(port) && (protocolNumber == 0 || protocolNumber == flowProtocol)
    }
}

/// A subject as the kernel holds it: its index in the destination tries and its default.
public struct SubjectRecord: Hashable, Sendable {
    /// 31-bit index; the node is 0.
    public var index: UInt32
    public var fallback: Verdict?

    public init(index: UInt32, fallback: Verdict?) {
        self.index = index
        self.fallback = fallback
    }
}

/// A key of the destination tries: a subject's prefix.
public struct RouteKey: Hashable, Sendable {
    public var subject: UInt32
    public var prefix: IPPrefix

    public init(subject: UInt32, prefix: IPPrefix) {
        self.subject = subject
        self.prefix = prefix
    }
}

/// A key of the name routes: a subject's name pattern.
public struct NameRouteKey: Hashable, Sendable {
    public var subject: UInt32
    public var pattern: NamePatternKey

    public init(subject: UInt32, pattern: NamePatternKey) {
        self.subject = subject
        self.pattern = pattern
    }
}

/// Everything one policy generation puts in the kernel, before it is placed in a slot: the
/// logical content of `sluice_subjects`, `sluice_rules4/6`, `sluice_ports` and `sluice_config`.
///
/// Each route's table already holds the entries of every shorter prefix of the same subject
/// behind its own, so the kernel's single longest-prefix lookup finds the whole answer: the
/// first matching entry is the most specific rule (longer prefix, then port, then protocol).
public struct DatapathImage: Sendable, Equatable {
    public var node: SubjectRecord
    public var subjects: [SubjectKey: SubjectRecord]
    /// Route -> index into `tables`.
    public var routes: [RouteKey: Int]
    /// Name route -> index into `tables`. A pattern's table holds its own entries, then the full
    /// table of the subject's nearest wildcard that covers it, as address routes hold their
    /// shorter prefixes'.
    public var nameRoutes: [NameRouteKey: Int] = [:]
    /// Every pattern some subject (the node included) has a route for: the names whose DNS
    /// answers the kernel attributes.
    public var namePatterns: Set<NamePatternKey> = []
    /// Distinct tables; many routes share one.
    public var tables: [[PortEntry]]
    /// Cgroup depths that carry executable-in-cgroup subjects, deepest first.
    public var executableInCgroupLevels: [Int]
    /// Cgroup depths that carry cgroup subjects, deepest first.
    public var cgroupLevels: [Int]
    /// Governed executable paths as the kernel finds them at exec (`sluice_governed_names`).
    /// Not part of a slot: the kernel reads it at exec, not per decision.
    public var governedNames: [GovernedName: ExecutableIdentity] = [:]
    /// What the generation's `rate-limit` and `redirect` rules need beyond their action, by
    /// rule id (`sluice_rule_params`).
    public var parameters: [UInt32: RuleParameters] = [:]

    public init(
        node: SubjectRecord, subjects: [SubjectKey: SubjectRecord], routes: [RouteKey: Int], tables: [[PortEntry]],
        executableInCgroupLevels: [Int], cgroupLevels: [Int]
    ) {
        self.node = node
        self.subjects = subjects
        self.routes = routes
        self.tables = tables
        self.executableInCgroupLevels = executableInCgroupLevels
        self.cgroupLevels = cgroupLevels
    }

    public var hasExecutableInCgroupSubjects: Bool { subjects.keys.contains { if case .executableInCgroup = $0 { return true } else { return false } } }
    public var hasExecutableSubjects: Bool { subjects.keys.contains { if case .executable = $0 { return true } else { return false } } }
    public var hasCgroupSubjects: Bool { subjects.keys.contains { if case .cgroup = $0 { return true } else { return false } } }

    public func table(for key: RouteKey) -> [PortEntry]? {
        routes[key].map { tables[$0] }
    }

    /// The table of a subject's name pattern, if it has a route.
    public func table(for key: NameRouteKey) -> [PortEntry]? {
        nameRoutes[key].map { tables[$0] }
    }
}

/// A rule's fields beyond its action, as the kernel reads them when the rule decides.
public struct RuleParameters: Hashable, Sendable {
    public var rate: ConnectionRate?
    public var redirect: RedirectTarget?
    public var quota: Quota?

    public init(rate: ConnectionRate? = nil, redirect: RedirectTarget? = nil, quota: Quota? = nil) {
        self.rate = rate
        self.redirect = redirect
        self.quota = quota
    }
}

/// The image cannot be built within what the kernel programs support.
public enum DatapathImageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Subjects of one kind sit at more cgroup depths than the kernel programs check: fewer
    /// distinct depths (or a higher `maximumCgroupLevels`) fix it.
    case tooManyCgroupDepths(CgroupSubjectKind, depths: Int, maximum: Int)

    /// The subjects whose cgroup depths the kernel programs walk.
    public enum CgroupSubjectKind: String, Sendable, Hashable {
        case executableInCgroup = "executable-in-cgroup"
        case cgroup
    }

    public var description: String {
        switch self {
        case .tooManyCgroupDepths(let kind, let depths, let maximum):
            "\(kind.rawValue) subjects sit at \(depths) different cgroup depths; the kernel programs check at most \(maximum)"
        }
    }
}

extension DatapathImage {
    /// Builds the image of a compiled policy. Subject indices of `previous` are kept for
    /// subjects still present, so an unchanged subject's routes need no rewrite.
    public init(_ compiled: CompiledPolicy, previous: DatapathImage? = nil, maximumCgroupLevels: Int = 16)
        throws(DatapathImageError)
    {
        var indices = IndexAllocator(reserving: previous?.subjects.mapValues(\.index) ?? [:], keeping: Set(compiled.subjects.keys))
        var subjects: [SubjectKey: SubjectRecord] = [:]
        var builder = RouteTableBuilder()
        let node = SubjectRecord(index: 0, fallback: compiled.node.fallback ?? Verdict(ruleID: 0, action: .allow, monitor: false))
        builder.add(subject: 0, entries: compiled.node.entries)
        // Sorted so a fresh build assigns the same indices for the same policy.
        for (key, subject) in compiled.subjects.sorted(by: { $0.key.sortKey < $1.key.sortKey }) {
            let index = indices.index(for: key)
            subjects[key] = SubjectRecord(index: index, fallback: subject.fallback)
            builder.add(subject: index, entries: subject.entries)
        }
        var exeLevels = Set<Int>()
        var cgroupLevels = Set<Int>()
        for key in subjects.keys {
            switch key {
            case .executableInCgroup(_, let cgroup): exeLevels.insert(cgroup.level)
            case .cgroup(let cgroup): cgroupLevels.insert(cgroup.level)
            case .executable: break
            }
        }
        let kinds: [(DatapathImageError.CgroupSubjectKind, Set<Int>)] = [(.executableInCgroup, exeLevels), (.cgroup, cgroupLevels)]
        for (kind, levels) in kinds where levels.count > maximumCgroupLevels {
            throw .tooManyCgroupDepths(kind, depths: levels.count, maximum: maximumCgroupLevels)
        }
        self.init(
            node: node, subjects: subjects, routes: builder.routes, tables: builder.tables,
            executableInCgroupLevels: exeLevels.sorted(by: >), cgroupLevels: cgroupLevels.sorted(by: >))
        governedNames = compiled.governedNames
        for rule in compiled.rules where rule.rate != nil || rule.redirect != nil || rule.quota != nil {
            parameters[rule.id] = RuleParameters(rate: rule.rate, redirect: rule.redirect, quota: rule.quota)
        }
        nameRoutes = builder.nameRoutes
        namePatterns = builder.namePatterns
    }
}

/// Assigns subject indices, keeping earlier ones for subjects that stay.
struct IndexAllocator {
    private var assigned: [SubjectKey: UInt32] = [:]
    private var used = Set<UInt32>()
    private var next: UInt32 = 1

    init(reserving previous: [SubjectKey: UInt32], keeping live: Set<SubjectKey>) {
        for (key, index) in previous where live.contains(key) {
            assigned[key] = index
            used.insert(index)
        }
    }

    mutating func index(for key: SubjectKey) -> UInt32 {
        if let index = assigned[key] { return index }
        while used.contains(next) { next += 1 }
        assigned[key] = next
        used.insert(next)
        return next
    }
}

extension SubjectKey {
    /// A total order for deterministic index assignment.
    var sortKey: [UInt64] {
        switch self {
        case .executableInCgroup(let exe, let cgroup): return [0, UInt64(exe.device), exe.inode, cgroup.id]
        case .executable(let exe): return [1, UInt64(exe.device), exe.inode, 0]
        case .cgroup(let cgroup): return [2, cgroup.id, 0, 0]
        }
    }
}

extension Array where Element == UInt64 {
    fileprivate static func < (lhs: [UInt64], rhs: [UInt64]) -> Bool { lhs.lexicographicallyPrecedes(rhs) }
}
