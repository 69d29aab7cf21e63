extension PolicyValidator {
    /// A subject as the validator compares them: two spellings of one path are one subject, and the
    /// node default (a policy without subjects) is a subject of its own.
    enum CanonicalSubject: Hashable {
        case nodeDefault
        case subject(Subject)

        init(_ subject: Subject) {
            switch subject {
            case .executable(let path):
                self = .subject(.executable(Self.canonicalExecutable(path)))
            case .cgroup(let path):
                self = .subject(.cgroup(Self.canonicalCgroup(path)))
            case .executableInCgroup(let executable, let cgroup):
                self = .subject(
                    .executableInCgroup(
                        executable: Self.canonicalExecutable(executable), cgroup: Self.canonicalCgroup(cgroup)))
            }
        }

        /// The policy's subjects, each once, with the spelling the policy wrote first for messages.
        static func keys(of policy: Policy) -> [(key: CanonicalSubject, written: String)] {
            guard !policy.isNodeDefault else { return [(.nodeDefault, "the node default")] }
            var seen: Set<CanonicalSubject> = []
            return policy.subjects.compactMap { located in
                let key = CanonicalSubject(located.value)
                return seen.insert(key).inserted ? (key, located.value.description) : nil
            }
        }

        /// `/usr//bin/curl/` and `/usr/bin/curl` name one file.
        static func canonicalExecutable(_ path: String) -> String {
            let components = path.split(separator: "/")
            return (path.hasPrefix("/") ? "/" : "") + components.joined(separator: "/")
        }

        /// `/app.slice/` and `app.slice` name one cgroup: both are relative to the cgroup2 mount.
        static func canonicalCgroup(_ path: String) -> String {
            var trimmed = Substring(path)
            while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }
    }
}
