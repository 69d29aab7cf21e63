/// Resolves a policy's subjects the way one node did, from what that node's recorded events show:
/// an executable path is every identity (`exe_id`) events ran it under, a cgroup is its path. The
/// server sees no node's files, so a path no event ran resolves to nothing (reported as missing:
/// hard links and copies the kernel would match by inode stay unknown), and `host` is loopback only.
public struct ReplayResolver: SubjectResolver {
    /// Where cgroup2 is commonly mounted: an absolute policy path under one is read below it.
    public static let commonMounts = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]

    public let node: String
    private let executables: [String: [ExecutableIdentity]]
    private let mounts: [String]

    /// - Parameter mounts: the node's cgroup2 mount when known, else `commonMounts`.
    /// - Parameter indices: which of `events` are this node's.
    init(node: String, events: RecordedEvents, indices: some Sequence<Int>, mounts: [String] = ReplayResolver.commonMounts) {
        self.node = node
        self.mounts = mounts.sorted { $0.count > $1.count }
        // Millions of events run a few executables: each pair of path and `exe_id` is parsed once.
        var pairs = Set<RanAs>()
        for index in indices {
            guard let exe = events[index].exe else { continue }
            pairs.insert(RanAs(exe: exe, exeID: events[index].exeID))
        }
        var seen: [String: Set<ExecutableIdentity>] = [:]
        for pair in pairs {
            seen[pair.exe, default: []].insert(pair.exeID.flatMap(ExecutableIdentity.init(text:)) ?? PathIdentity.executable(pair.exe))
        }
        executables = seen.mapValues { $0.sorted() }
    }

    /// An executable's path and the identity an event recorded it under.
    private struct RanAs: Hashable {
        var exe: String
        var exeID: String?
    }

    /// What the kernel matched the event's executable by: its `exe_id`, else an identity made
    /// from its path; nil when the event names neither.
    public static func identity(of event: DecisionEvent) -> ExecutableIdentity? {
        if let text = event.exeID, let identity = ExecutableIdentity(text: text) { return identity }
        return event.exe.map(PathIdentity.executable)
    }

    /// The event's cgroup and its ancestors, as `resolveCgroup` names them.
    public func ancestry(of event: DecisionEvent) -> [CgroupIdentity] {
        PathIdentity.cgroupAncestry(PathIdentity.cgroupParts(event.cgroup ?? "/"))
    }

    public func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        guard let identities = executables[path] else {
            return .failure(.missing("no recorded event of node \(node) ran \(path): what the node matches by inode there (hard links, copies) is unknown"))
        }
        return .success(identities)
    }

    public func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
        var relative = path
        if path.hasPrefix("/"), let mount = mounts.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            relative = String(path.dropFirst(mount.count))
        }
        return .success(PathIdentity.cgroupAncestry(PathIdentity.cgroupParts(relative)).last!)
    }
}
