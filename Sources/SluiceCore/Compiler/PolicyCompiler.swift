/// Compiles a validated policy set against this node: resolves subjects to kernel identities,
/// numbers every rule, and expands rules into destination entries per subject.
///
/// Paths that do not resolve yet give warnings and are skipped until they appear; two paths that
/// turn out to be one identity (hard links) are merged, and a contradiction between them is an
/// error the path-level validator could not see.
public enum PolicyCompiler {
    /// Rules that were in `previous` keep their ids, so an edit rewrites only the kernel entries
    /// of the rules it touched.
    public static func compile(_ set: PolicySet, resolver: some SubjectResolver, previous: CompiledPolicy? = nil) -> CompiledPolicy {
        var numbering = RuleNumbering(previous: previous?.ruleSignatures ?? [:])
        let ids = numbering.assign(set.policies.flatMap(RuleSignature.all))
        var state = CompilerState(resolver: resolver, ids: ids)
        for policy in set.policies {
            state.add(policy)
        }
        return state.finish(signatures: numbering.assigned)
    }
}

/// One subject's entries while compiling, keyed for contradiction checks.
private struct SubjectBuilder {
    struct EntryKey: Hashable {
        var prefix: IPPrefix
        var ports: PortRange
        var transport: TransportProtocol
    }

    var names: [String] = []
    var fallback: (verdict: Verdict, location: SourceLocation, policy: String)?
    var entries: [EntryKey: (entry: DestinationEntry, location: SourceLocation, origin: String)] = [:]
    var order: [EntryKey] = []
}

private struct CompilerState<Resolver: SubjectResolver> {
    let resolver: Resolver
    /// Ids of the rules in policy order (each rule, then the policy's default).
    var ids: IndexingIterator<[UInt32]>
    var rules: [UInt32: RuleInfo] = [0: .builtInDefault]
    /// Contradictions already reported, by the pair of rules: one message per pair.
    var reportedConflicts = Set<[SourceLocation]>()
    var node = SubjectBuilder(names: ["node"])
    var subjects: [SubjectKey: SubjectBuilder] = [:]
    var diagnostics: [PolicyDiagnostic] = []
    var executablePaths = Set<String>()
    var cgroupPaths = Set<String>()
    var executableCache: [String: Result<[ExecutableIdentity], SubjectResolutionError>] = [:]
    var cgroupCache: [String: Result<CgroupIdentity, SubjectResolutionError>] = [:]

    init(resolver: Resolver, ids: [UInt32]) {
        self.resolver = resolver
        self.ids = ids.makeIterator()
    }

    mutating func add(_ policy: Policy) {
        let monitor = policy.mode == .monitor
        let subjectText = policy.isNodeDefault ? "node" : policy.subjects.map(\.value.description).joined(separator: ", ")
        var expanded: [(entries: [DestinationEntry], location: SourceLocation, origin: String)] = []
        for rule in policy.egress {
            let id = nextRuleID(
                RuleInfo(
                    id: 0, policy: policy.name, rule: rule.label, action: rule.action, mode: policy.mode,
                    subject: subjectText, location: rule.location))
            let verdict = Verdict(ruleID: id, action: rule.action, monitor: monitor)
            let prefixes = rule.destinations.isEmpty ? [IPPrefix.any(.ipv4), .any(.ipv6)] : rule.destinations.map(\.value)
            let ports = rule.ports.isEmpty ? [PortRange.any] : rule.ports.map(\.value)
            var entries: [DestinationEntry] = []
            entries.reserveCapacity(prefixes.count * ports.count)
            for prefix in prefixes {
                for range in ports {
                    entries.append(DestinationEntry(prefix: prefix, ports: range, transport: rule.transport, verdict: verdict))
                }
            }
            expanded.append((entries, rule.location, "rule \(rule.label) of policy \(policy.name)"))
        }
        var fallback: Verdict?
        if let defaultAction = policy.defaultAction {
            let id = nextRuleID(
                RuleInfo(
                    id: 0, policy: policy.name, rule: "default", action: defaultAction.value, mode: policy.mode,
                    subject: subjectText, location: defaultAction.location))
            fallback = Verdict(ruleID: id, action: defaultAction.value, monitor: monitor)
        }

        if policy.isNodeDefault {
            var builder = node
            apply(expanded, fallback: fallback, defaultLocation: policy.defaultAction?.location, policy: policy.name, to: &builder)
            node = builder
            return
        }
        for subject in policy.subjects {
            for key in resolve(subject) {
                var builder = subjects[key] ?? SubjectBuilder()
                if !builder.names.contains(subject.value.description) { builder.names.append(subject.value.description) }
                apply(expanded, fallback: fallback, defaultLocation: policy.defaultAction?.location, policy: policy.name, to: &builder)
                subjects[key] = builder
            }
        }
    }

    mutating func nextRuleID(_ info: RuleInfo) -> UInt32 {
        var info = info
        info.id = ids.next()!
        rules[info.id] = info
        return info.id
    }

    mutating func apply(
        _ expanded: [(entries: [DestinationEntry], location: SourceLocation, origin: String)], fallback: Verdict?,
        defaultLocation: SourceLocation?, policy: String, to builder: inout SubjectBuilder
    ) {
        for (entries, location, origin) in expanded {
            for entry in entries {
                let key = SubjectBuilder.EntryKey(prefix: entry.prefix, ports: entry.ports, transport: entry.transport)
                if let existing = builder.entries[key] {
                    let same = existing.entry.verdict.action == entry.verdict.action && existing.entry.verdict.monitor == entry.verdict.monitor
                    if !same && reportedConflicts.insert([existing.location, location]).inserted {
                        diagnostics.append(
                            PolicyDiagnostic(
                                at: location, field: "",
                                "\(origin) contradicts \(existing.origin) (\(existing.location)) for \(builder.names.joined(separator: " and ")) to \(entry.prefix) port \(entry.ports) \(entry.transport): \(Self.describe(entry.verdict)) vs \(Self.describe(existing.entry.verdict))"))
                    }
                    continue
                }
                builder.entries[key] = (entry, location, origin)
                builder.order.append(key)
            }
        }
        if let fallback, let defaultLocation {
            if let existing = builder.fallback, existing.verdict.action != fallback.action || existing.verdict.monitor != fallback.monitor {
                diagnostics.append(
                    PolicyDiagnostic(
                        at: defaultLocation, field: "spec.default",
                        "default \(fallback.action) of policy \(policy) conflicts with default \(existing.verdict.action) of policy \(existing.policy) (\(existing.location)) for \(builder.names.joined(separator: " and "))"))
            } else if builder.fallback == nil {
                builder.fallback = (fallback, defaultLocation, policy)
            }
        }
    }

    mutating func resolve(_ subject: Located<Subject>) -> [SubjectKey] {
        switch subject.value {
        case .executable(let path):
            return executables(path, at: subject).map { .executable($0) }
        case .cgroup(let path):
            return cgroup(path, at: subject).map { [.cgroup($0)] } ?? []
        case .executableInCgroup(let executable, let cgroupPath):
            let identities = executables(executable, at: subject)
            guard let group = cgroup(cgroupPath, at: subject) else { return [] }
            return identities.map { .executableInCgroup($0, group) }
        }
    }

    mutating func executables(_ path: String, at subject: Located<Subject>) -> [ExecutableIdentity] {
        executablePaths.insert(path)
        let result = executableCache[path] ?? resolver.resolveExecutable(path)
        executableCache[path] = result
        return report(result, at: subject) ?? []
    }

    mutating func cgroup(_ path: String, at subject: Located<Subject>) -> CgroupIdentity? {
        cgroupPaths.insert(path)
        let result = cgroupCache[path] ?? resolver.resolveCgroup(path)
        cgroupCache[path] = result
        return report(result, at: subject)
    }

    mutating func report<Value>(_ result: Result<Value, SubjectResolutionError>, at subject: Located<Subject>) -> Value? {
        switch result {
        case .success(let value):
            return value
        case .failure(.missing(let message)):
            diagnostics.append(PolicyDiagnostic(.warning, at: subject.location, field: subject.field, message))
            return nil
        case .failure(.invalid(let message)):
            diagnostics.append(PolicyDiagnostic(at: subject.location, field: subject.field, message))
            return nil
        }
    }

    static func describe(_ verdict: Verdict) -> String {
        "\(verdict.action)\(verdict.monitor ? " (monitor mode)" : " (enforce mode)")"
    }

    func finish(signatures: [RuleSignature: [UInt32]]) -> CompiledPolicy {
        func compiled(_ builder: SubjectBuilder) -> CompiledSubject {
            CompiledSubject(
                names: builder.names, fallback: builder.fallback?.verdict, entries: builder.order.map { builder.entries[$0]!.entry })
        }
        // Ids no rule holds any more leave holes; events never carry them.
        let count = Int(rules.keys.max() ?? 0) + 1
        let table = (0..<count).map { id in
            rules[UInt32(id)]
                ?? RuleInfo(id: UInt32(id), policy: nil, rule: "unused", action: .allow, mode: .enforce, subject: "", location: nil)
        }
        var seen = Set<PolicyDiagnostic>()
        return CompiledPolicy(
            rules: table, node: compiled(node), subjects: subjects.mapValues(compiled),
            diagnostics: diagnostics.filter { seen.insert($0).inserted }, executablePaths: executablePaths, cgroupPaths: cgroupPaths,
            ruleSignatures: signatures)
    }
}
