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
        var set = set
        set.policies += DirectLoaderPolicy.policies(for: set, resolver: resolver)
        var numbering = RuleNumbering(previous: previous?.ruleSignatures ?? [:])
        var signatures: [RuleSignature] = []
        signatures.reserveCapacity(set.policies.reduce(0) { $0 + $1.egress.count + 1 })
        for policy in set.policies {
            RuleSignature.append(of: policy, to: &signatures)
        }
        let ids = numbering.assign(signatures)
        var state = CompilerState(resolver: resolver, ids: ids)
        for policy in set.policies {
            state.add(policy)
        }
        var compiled = state.finish(signatures: numbering.assigned)
        for path in compiled.executablePaths.sorted() {
            if let governed = resolver.governedPath(path) { compiled.governedNames[governed.name] = governed.identity }
        }
        return compiled
    }
}

/// The rule an entry came from. Only a contradiction names it, so the text is built then.
private struct RuleOrigin {
    var rule: String
    var policy: String
    var location: SourceLocation

    var description: String { "rule \(rule) of policy \(policy)" }
}

/// One subject's entries while compiling, keyed for contradiction checks.
private struct SubjectBuilder {
    struct EntryKey: Hashable {
        var destination: EntryDestination
        var ports: PortRange
        var transport: TransportProtocol

        init(_ entry: DestinationEntry) {
            destination = entry.destination
            ports = entry.ports
            transport = entry.transport
        }
    }

    var names: [String] = []
    var fallback: (verdict: Verdict, location: SourceLocation, policy: String)?
    /// In the order added, each with its rule's index in `CompilerState.origins`; the first entry
    /// of each key stays.
    var entries: [(entry: DestinationEntry, origin: Int)] = []
    var positionByKey: [EntryKey: Int] = [:]
}

private struct CompilerState<Resolver: SubjectResolver> {
    let resolver: Resolver
    /// Ids of the rules in policy order (each rule, then the policy's default).
    var ids: IndexingIterator<[UInt32]>
    /// Indexed by rule id.
    var rules: [RuleInfo] = [.builtInDefault]
    /// Every rule added so far, for messages.
    var origins: [RuleOrigin] = []
    /// Contradictions already reported, by the pair of rules: one message per pair.
    var reportedConflicts = Set<[SourceLocation]>()
    var node = SubjectBuilder(names: ["node"])
    var subjects: [SubjectKey: SubjectBuilder] = [:]
    var diagnostics: [PolicyDiagnostic] = []
    var executablePaths = Set<String>()
    var cgroupPaths = Set<String>()
    var executableCache: [String: Result<[ExecutableIdentity], SubjectResolutionError>] = [:]
    var cgroupCache: [String: Result<CgroupIdentity, SubjectResolutionError>] = [:]
    /// What `host` expanded to; asked once, and only when a rule names it.
    var hostAddresses: [IPAddress]?

    init(resolver: Resolver, ids: [UInt32]) {
        self.resolver = resolver
        self.ids = ids.makeIterator()
        rules.reserveCapacity(ids.count + 1)
        origins.reserveCapacity(ids.count)
    }

    mutating func add(_ policy: Policy) {
        let monitor = policy.mode == .monitor
        let keepOpen = policy.existingConnections == .keep
        let subjectText = policy.isNodeDefault ? "node" : policy.subjects.map(\.value.description).joined(separator: ", ")
        // Expanded once, then added to each subject the policy names.
        var expanded: [(entry: DestinationEntry, origin: Int)] = []
        expanded.reserveCapacity(policy.egress.count)
        let generated = policy.encryptedDNSRules
        // What the written rules cover exactly: a generated entry with the same key gives way
        // to the author's rule rather than contradict it.
        var writtenKeys = Set<SubjectBuilder.EntryKey>()
        for (position, rule) in [policy.egress, generated].joined().enumerated() {
            let isGenerated = position >= policy.egress.count
            let label = rule.label
            let id = nextRuleID(
                RuleInfo(
                    id: 0, policy: policy.name, rule: label, action: rule.action, mode: policy.mode,
                    subject: subjectText, location: rule.location, rate: rule.rate?.value, redirect: rule.redirect?.value,
                    quota: rule.quota?.value))
            let verdict = Verdict(ruleID: id, action: rule.action, monitor: monitor, keepOpen: keepOpen, hasQuota: rule.quota != nil)
            let origin = origins.count
            origins.append(RuleOrigin(rule: label, policy: policy.name, location: rule.location))
            rule.forEachEntry(verdict: verdict, host: rule.hostDestination == nil ? [] : hostPrefixes()) { entry in
                let key = SubjectBuilder.EntryKey(entry)
                if isGenerated {
                    guard !writtenKeys.contains(key) else { return }
                } else if !generated.isEmpty {
                    writtenKeys.insert(key)
                }
                expanded.append((entry, origin))
            }
        }
        if let raw = policy.rawSockets {
            // Sugar for a rule {action: A, protocol: raw}: creating such a socket is decided as a
            // flow of protocol raw to no address yet, covered by every block.
            let id = nextRuleID(
                RuleInfo(
                    id: 0, policy: policy.name, rule: "rawSockets", action: raw.value, mode: policy.mode,
                    subject: subjectText, location: raw.location))
            let verdict = Verdict(ruleID: id, action: raw.value, monitor: monitor, keepOpen: keepOpen)
            let origin = origins.count
            origins.append(RuleOrigin(rule: "rawSockets", policy: policy.name, location: raw.location))
            for block in [IPPrefix.any(.ipv4), .any(.ipv6)] {
                expanded.append((DestinationEntry(prefix: block, ports: .any, transport: .raw, verdict: verdict), origin))
            }
        }
        var fallback: Verdict?
        if let defaultAction = policy.defaultAction {
            let id = nextRuleID(
                RuleInfo(
                    id: 0, policy: policy.name, rule: "default", action: defaultAction.value, mode: policy.mode,
                    subject: subjectText, location: defaultAction.location))
            fallback = Verdict(ruleID: id, action: defaultAction.value, monitor: monitor, keepOpen: keepOpen)
        }

        // Each builder is taken out while it grows: storage still shared with `self` would be
        // copied whole by the first append.
        if policy.isNodeDefault {
            var builder = node
            node = SubjectBuilder()
            apply(expanded, fallback: fallback, defaultLocation: policy.defaultAction?.location, policy: policy.name, to: &builder)
            node = builder
            return
        }
        for subject in policy.subjects {
            for key in resolve(subject) {
                var builder = subjects.removeValue(forKey: key) ?? SubjectBuilder()
                if !builder.names.contains(subject.value.description) { builder.names.append(subject.value.description) }
                apply(expanded, fallback: fallback, defaultLocation: policy.defaultAction?.location, policy: policy.name, to: &builder)
                subjects[key] = builder
            }
        }
    }

    /// The blocks `host` stands for on this node: the loopback blocks and each interface address.
    mutating func hostPrefixes() -> [IPPrefix] {
        let addresses = hostAddresses ?? resolver.hostAddresses()
        hostAddresses = addresses
        let own = addresses.map { IPPrefix(covering: $0, length: $0.family.bitWidth) }
        return DestinationAlias.hostBlocks + own.filter { prefix in !DestinationAlias.hostBlocks.contains { $0.contains(prefix.address) } }
    }

    mutating func nextRuleID(_ info: RuleInfo) -> UInt32 {
        var info = info
        info.id = ids.next()!
        let index = Int(info.id)
        // Ids no rule holds any more leave holes; events never carry them.
        while rules.count <= index {
            rules.append(
                RuleInfo(
                    id: UInt32(rules.count), policy: nil, rule: "unused", action: .allow, mode: .enforce, subject: "",
                    location: nil))
        }
        rules[index] = info
        return info.id
    }

    mutating func apply(
        _ expanded: [(entry: DestinationEntry, origin: Int)], fallback: Verdict?, defaultLocation: SourceLocation?,
        policy: String, to builder: inout SubjectBuilder
    ) {
        builder.entries.reserveCapacity(builder.entries.count + expanded.count)
        builder.positionByKey.reserveCapacity(builder.positionByKey.count + expanded.count)
        for (entry, origin) in expanded {
            let key = SubjectBuilder.EntryKey(entry)
            if let position = builder.positionByKey[key] {
                let existing = builder.entries[position]
                let same = existing.entry.verdict.action == entry.verdict.action && existing.entry.verdict.monitor == entry.verdict.monitor
                let (here, there) = (origins[origin], origins[existing.origin])
                if !same && reportedConflicts.insert([there.location, here.location]).inserted {
                    diagnostics.append(
                        PolicyDiagnostic(
                            at: here.location, field: "",
                            "\(here.description) contradicts \(there.description) (\(there.location)) for \(builder.names.joined(separator: " and ")) to \(entry.destination) port \(entry.ports) \(entry.transport): \(Self.describe(entry.verdict)) vs \(Self.describe(existing.entry.verdict))"))
                }
                continue
            }
            builder.positionByKey[key] = builder.entries.count
            builder.entries.append((entry, origin))
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
            CompiledSubject(names: builder.names, fallback: builder.fallback?.verdict, entries: builder.entries.map(\.entry))
        }
        var seen = Set<PolicyDiagnostic>()
        return CompiledPolicy(
            rules: rules, node: compiled(node), subjects: subjects.mapValues(compiled),
            diagnostics: diagnostics.filter { seen.insert($0).inserted }, executablePaths: executablePaths, cgroupPaths: cgroupPaths,
            ruleSignatures: signatures, hostAddresses: hostAddresses)
    }
}

extension EgressRule {
    /// Calls `body` with each entry the rule expands to: each block and name (the whole of both
    /// families when it lists none) with each port range (any port when it lists none).
    fileprivate func forEachEntry(verdict: Verdict, host: [IPPrefix], _ body: (DestinationEntry) -> Void) {
        func expand(_ destination: EntryDestination) {
            guard !ports.isEmpty else {
                body(DestinationEntry(destination: destination, ports: .any, transport: transport, verdict: verdict))
                return
            }
            for range in ports {
                body(DestinationEntry(destination: destination, ports: range.value, transport: transport, verdict: verdict))
            }
        }
        if coversAnyDestination {
            expand(.prefix(.any(.ipv4)))
            expand(.prefix(.any(.ipv6)))
        }
        for destination in destinations {
            expand(.prefix(destination.value))
        }
        for prefix in host where !destinations.contains(where: { $0.value == prefix }) {
            expand(.prefix(prefix))
        }
        for name in names {
            expand(.name(name.value))
        }
    }
}
