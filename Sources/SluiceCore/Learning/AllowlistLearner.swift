/// `sluice learn`: turns observed traffic into an allowlist policy per application, the step
/// before switching an application to default-deny. A destination the application looked up by
/// name is learned as that name (its addresses change; the name is what the application meant);
/// others as addresses. Memory is bounded: past a limit of distinct destinations an application's
/// addresses are folded into /24 (IPv4) and /64 (IPv6) blocks and its names into wildcards of
/// their parent domains.
public struct AllowlistLearner: Sendable {
    /// What a learned rule names: a name is written before addresses.
    enum Target: Hashable, Comparable {
        case name(String)
        case prefix(IPPrefix)

        var text: String {
            switch self {
            case .name(let name): name
            case .prefix(let prefix): prefix.description
            }
        }

        /// A block, or a wildcard of the name's parent (itself when it has no parent of two labels).
        var folded: Target {
            switch self {
            case .prefix(let prefix):
                return .prefix(IPPrefix(covering: prefix.address, length: prefix.family == .ipv4 ? 24 : 64))
            case .name(let name):
                guard !name.hasPrefix("*."), let dot = name.firstIndex(of: "."), name[name.index(after: dot)...].contains(".") else {
                    return self
                }
                return .name("*" + name[dot...])
            }
        }

        static func < (lhs: Target, rhs: Target) -> Bool {
            switch (lhs, rhs) {
            case (.name(let a), .name(let b)): a < b
            case (.prefix(let a), .prefix(let b)): a < b
            case (.name, .prefix): true
            case (.prefix, .name): false
            }
        }
    }

    struct Destination: Hashable {
        var target: Target
        var port: UInt16
        var transport: TransportProtocol
    }

    struct Application {
        var executable: String?
        var cgroup: String?
        var counts: [Destination: Int] = [:]
        var events = 0
        var folded = false

        mutating func observe(_ target: Target, port: UInt16, transport: TransportProtocol, limit: Int) {
            counts[Destination(target: folded ? target.folded : target, port: port, transport: transport), default: 0] += 1
            events += 1
            guard !folded && counts.count > limit else { return }
            // Past the limit, addresses fold into blocks and names into wildcards: memory stays
            // bounded.
            folded = true
            var blocks: [Destination: Int] = [:]
            for (destination, count) in counts {
                blocks[Destination(target: destination.target.folded, port: destination.port, transport: destination.transport), default: 0] += count
            }
            counts = blocks
        }
    }

    public let minimumCount: Int
    public let destinationsPerApplication: Int
    /// Applications beyond this many are not tracked (counted in `ignoredApplications`).
    public let maximumApplications: Int
    private var applications: [AppKey: Application] = [:]
    public private(set) var ignoredEvents = 0

    public init(minimumCount: Int = 1, destinationsPerApplication: Int = 4096, maximumApplications: Int = 10_000) {
        self.minimumCount = minimumCount
        self.destinationsPerApplication = destinationsPerApplication
        self.maximumApplications = maximumApplications
    }

    /// Counts an allowed (or alerted) connection; denies teach nothing about normal traffic.
    public mutating func observe(_ event: DecisionEvent) {
        observe(event, app: AppKey(event))
    }

    /// The same, with the event's application already keyed (the agent's scorer has it).
    public mutating func observe(_ event: DecisionEvent, app key: AppKey) {
        guard event.verdict != .deny || !event.enforced, event.exe != nil || event.cgroup != nil else { return }
        if applications[key] == nil && applications.count >= maximumApplications {
            ignoredEvents += 1
            return
        }
        let transport = TransportProtocol(rawValue: event.transport) ?? .any
        // Only a name a policy can hold (the kernel's attribution makes valid ones; a stream
        // from elsewhere might not).
        let target: Target =
            event.dstDomain.flatMap(DomainName.init).map { .name($0.description) }
            ?? .prefix(IPPrefix(covering: event.destination, length: event.destination.family.bitWidth))
        // Mutated in place through the subscript: a copy taken out and stored back would copy
        // its table on every event.
        applications[key, default: Application(executable: event.exe, cgroup: event.cgroup)]
            .observe(target, port: event.port, transport: transport, limit: destinationsPerApplication)
    }

    public var applicationCount: Int { applications.count }

    /// One policy per application that made enough connections: its destinations grouped by port
    /// and protocol, `default: deny`, in monitor mode so it can be watched before it enforces.
    /// A destination needs `minimumCount` connections (the learner's own, unless given).
    public func policies(minimumCount: Int? = nil) -> [(name: String, yaml: String)] {
        let minimumCount = minimumCount ?? self.minimumCount
        var used = Set<String>()
        return applications.values.sorted { ($0.executable ?? "", $0.cgroup ?? "") < ($1.executable ?? "", $1.cgroup ?? "") }.compactMap { application in
            var byService: [String: (port: UInt16, transport: TransportProtocol, targets: [Target])] = [:]
            for (destination, count) in application.counts where count >= minimumCount {
                let key = "\(destination.port)/\(destination.transport.rawValue)"
                byService[key, default: (destination.port, destination.transport, [])].targets.append(destination.target)
            }
            guard !byService.isEmpty else { return nil }
            let name = Self.uniqueName(for: application, used: &used)
            var subject = ""
            switch (application.executable, application.cgroup.map { String($0.drop(while: { $0 == "/" })) }) {
            case let (exe?, cgroup?): subject = "{executable: \(LearnedRule.quoted(exe)), cgroup: \(LearnedRule.quoted(cgroup))}"
            case let (exe?, nil): subject = "{executable: \(LearnedRule.quoted(exe))}"
            case let (nil, cgroup?): subject = "{cgroup: \(LearnedRule.quoted(cgroup))}"
            case (nil, nil): return nil
            }
            var yaml = """
                # Learned by `sluice learn` from \(application.events) connections. Review it, then set
                # mode: enforce to make everything else fail.
                apiVersion: sluice/v1
                kind: Policy
                metadata:
                  name: \(name)
                spec:
                  mode: monitor
                  subjects: [\(subject)]
                  default: deny
                  egress:

                """
            for service in byService.values.sorted(by: { ($0.port, $0.transport.rawValue) < ($1.port, $1.transport.rawValue) }) {
                let targets = service.targets.sorted().map { LearnedRule.quoted($0.text) }.joined(separator: ", ")
                yaml += "    - {action: allow, to: [\(targets)], ports: [\(service.port)], protocol: \(service.transport.rawValue)}\n"
            }
            return (name, yaml)
        }
    }

    /// `allow-<executable basename>`, made a valid, unique policy name.
    static func uniqueName(for application: Application, used: inout Set<String>) -> String {
        let base = (application.executable?.split(separator: "/").last.map(String.init)
            ?? application.cgroup?.split(separator: "/").last.map(String.init) ?? "app")
        var cleaned = String(base.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
        cleaned = String(cleaned.drop(while: { !$0.isLetter && !$0.isNumber }))
        while let last = cleaned.last, !(last.isLetter || last.isNumber) { cleaned.removeLast() }
        var name = "allow-" + String((cleaned.isEmpty ? "app" : cleaned).prefix(50))
        var suffix = 2
        while used.contains(name) {
            name = "allow-\(cleaned.prefix(50))-\(suffix)"
            suffix += 1
        }
        used.insert(name)
        return name
    }
}
