/// The safe default for directly-run dynamic loaders. `ld.so PROGRAM` runs PROGRAM with the
/// loader's identity (the kernel executed the loader), so a loader is a subject of its own: when
/// policies name executables and none names a loader, a built-in policy denies egress from
/// directly-run loaders. A policy that names the loader's path (any path to the same file)
/// replaces it. Programs started normally are unaffected: their identity is the program, not
/// its `PT_INTERP` loader.
public enum DirectLoaderPolicy {
    /// The built-in policy's name, as events and `policy explain` show it.
    public static let name = "builtin:direct-loader"

    static func policies(for set: PolicySet, resolver: some SubjectResolver) -> [Policy] {
        var named: [String] = []
        for policy in set.policies {
            for subject in policy.subjects {
                switch subject.value {
                case .executable(let path), .executableInCgroup(let path, _): named.append(path)
                case .cgroup: break
                }
            }
        }
        guard !named.isEmpty else { return [] }
        let candidates = resolver.directLoaders(for: named.sorted())
        guard !candidates.isEmpty else { return [] }
        var namedIdentities = Set<ExecutableIdentity>()
        for path in Set(named) {
            if case .success(let identities) = resolver.resolveExecutable(path) { namedIdentities.formUnion(identities) }
        }
        var seen = Set<ExecutableIdentity>()
        var loaders: [String] = []
        for path in candidates {
            guard case .success(let identities) = resolver.resolveExecutable(path), let identity = identities.first,
                namedIdentities.isDisjoint(with: identities), seen.insert(identity).inserted
            else { continue }
            loaders.append(path)
        }
        guard !loaders.isEmpty else { return [] }
        let location = SourceLocation(file: name, line: 1)
        return [
            Policy(
                name: name, description: "dynamic loaders run directly (ld.so PROGRAM) may not connect",
                subjects: loaders.enumerated().map { Located(.executable($1), at: location, field: "spec.subjects[\($0)]") },
                defaultAction: Located(.deny, at: location, field: "spec.default"), location: location)
        ]
    }
}
