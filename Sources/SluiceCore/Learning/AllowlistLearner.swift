/// `sluice learn`: turns observed traffic into an allowlist policy per application, the step
/// before switching an application to default-deny. Memory is bounded: past a limit of distinct
/// destinations an application's addresses are folded into /24 (IPv4) and /64 (IPv6) blocks.
public struct AllowlistLearner: Sendable {
    struct Destination: Hashable {
        var prefix: IPPrefix
        var port: UInt16
        var transport: TransportProtocol
    }

    struct Application {
        var executable: String?
        var cgroup: String?
        var counts: [Destination: Int] = [:]
        var events = 0
        var folded = false

        mutating func observe(_ address: IPAddress, port: UInt16, transport: TransportProtocol, limit: Int) {
            let length = folded ? (address.family == .ipv4 ? 24 : 64) : address.family.bitWidth
            counts[Destination(prefix: IPPrefix(covering: address, length: length), port: port, transport: transport), default: 0] += 1
            events += 1
            guard !folded && counts.count > limit else { return }
            // Past the limit, addresses fold into /24 and /64 blocks: memory stays bounded.
            folded = true
            var blocks: [Destination: Int] = [:]
            for (destination, count) in counts {
                let length = destination.prefix.family == .ipv4 ? 24 : 64
                blocks[Destination(prefix: IPPrefix(covering: destination.prefix.address, length: length), port: destination.port, transport: destination.transport), default: 0] += count
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
        // Mutated in place through the subscript: a copy taken out and stored back would copy
        // its table on every event.
        applications[key, default: Application(executable: event.exe, cgroup: event.cgroup)]
            .observe(event.destination, port: event.port, transport: transport, limit: destinationsPerApplication)
    }

    public var applicationCount: Int { applications.count }

    /// One policy per application that made enough connections: its destinations grouped by port
    /// and protocol, `default: deny`, in monitor mode so it can be watched before it enforces.
    /// A destination needs `minimumCount` connections (the learner's own, unless given).
    public func policies(minimumCount: Int? = nil) -> [(name: String, yaml: String)] {
        let minimumCount = minimumCount ?? self.minimumCount
        var used = Set<String>()
        return applications.values.sorted { ($0.executable ?? "", $0.cgroup ?? "") < ($1.executable ?? "", $1.cgroup ?? "") }.compactMap { application in
            var byService: [String: (port: UInt16, transport: TransportProtocol, prefixes: [IPPrefix])] = [:]
            for (destination, count) in application.counts where count >= minimumCount {
                let key = "\(destination.port)/\(destination.transport.rawValue)"
                byService[key, default: (destination.port, destination.transport, [])].prefixes.append(destination.prefix)
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
                let targets = service.prefixes.sorted().map { LearnedRule.quoted($0.description) }.joined(separator: ", ")
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
