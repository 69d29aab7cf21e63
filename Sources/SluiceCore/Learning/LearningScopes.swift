/// Which learning settings apply to an application, by the same precedence as rules: the most
/// specific subject of a policy with a `learning` block (executable within cgroup, executable,
/// cgroup, a deeper cgroup first), then a node policy's block, then the agent's default.
public struct LearningScopes: Sendable {
    struct Scope {
        var subject: Subject?
        var settings: LearningSettings
    }

    private var scopes: [Scope] = []

    /// `cgroupPath` turns a policy's cgroup path into the form events carry (relative to the
    /// cgroup2 mount, no leading slash).
    public init(policies: [Policy], cgroupPath: (String) -> String) {
        for policy in policies {
            guard let learning = policy.learning?.value else { continue }
            if policy.isNodeDefault {
                scopes.append(Scope(subject: nil, settings: learning))
            }
            for subject in policy.subjects {
                switch subject.value {
                case .executable:
                    scopes.append(Scope(subject: subject.value, settings: learning))
                case .cgroup(let path):
                    scopes.append(Scope(subject: .cgroup(cgroupPath(path)), settings: learning))
                case .executableInCgroup(let executable, let path):
                    scopes.append(Scope(subject: .executableInCgroup(executable: executable, cgroup: cgroupPath(path)), settings: learning))
                }
            }
        }
    }

    public func settings(executable: String?, cgroup: String?, defaults: LearningSettings) -> LearningSettings {
        let eventCgroup = cgroup.map(Self.normalize)
        func cgroupDepth(_ path: String) -> Int? {
            guard let eventCgroup else { return nil }
            let policyPath = Self.normalize(path)
            let inside = policyPath.isEmpty || eventCgroup == policyPath || eventCgroup.hasPrefix(policyPath + "/")
            return inside ? policyPath.split(separator: "/").count : nil
        }
        var best: (rank: Int, depth: Int, settings: LearningSettings)?
        for scope in scopes {
            var candidate: (Int, Int)?
            switch scope.subject {
            case .executableInCgroup(let exe, let path)?:
                if exe == executable, let depth = cgroupDepth(path) { candidate = (0, depth) }
            case .executable(let exe)?:
                if exe == executable { candidate = (1, 0) }
            case .cgroup(let path)?:
                if let depth = cgroupDepth(path) { candidate = (2, depth) }
            case nil:
                candidate = (3, 0)
            }
            guard let (rank, depth) = candidate else { continue }
            if best == nil || rank < best!.rank || (rank == best!.rank && depth > best!.depth) {
                best = (rank, depth, scope.settings)
            }
        }
        return best?.settings ?? defaults
    }

    static func normalize(_ path: String) -> String {
        path.split(separator: "/").joined(separator: "/")
    }
}
