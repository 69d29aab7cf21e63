/// Traffic per application and per destination, summed from flow records: an open connection's
/// periodic records add what it moved since its previous record, its final record the rest. Fixed
/// memory: beyond `capacity` applications (or destinations) the lightest half is forgotten.
public struct FlowTotals: Sendable {
    /// An application as the detector and policy name it: executable within cgroup.
    public struct Application: Sendable, Hashable {
        public var executable: String?
        public var cgroup: String?

        public init(executable: String?, cgroup: String?) {
            self.executable = executable
            self.cgroup = cgroup
        }
    }

    /// Where an application's traffic went.
    public struct Destination: Sendable, Hashable {
        public var application: Application
        public var address: IPAddress
        public var domain: String?
        public var port: UInt16
        public var transport: String
    }

    /// Bytes and packets each way, and connections.
    public struct Counts: Sendable, Hashable, Codable {
        public var bytesSent: UInt64 = 0
        public var bytesReceived: UInt64 = 0
        public var packetsSent: UInt64 = 0
        public var packetsReceived: UInt64 = 0
        /// Connections whose final record was counted.
        public var connections: UInt64 = 0

        public init() {}

        /// Both directions: what "heaviest" sorts by.
        public var bytes: UInt64 { bytesSent &+ bytesReceived }

        mutating func add(_ other: Counts) {
            bytesSent &+= other.bytesSent
            bytesReceived &+= other.bytesReceived
            packetsSent &+= other.packetsSent
            packetsReceived &+= other.packetsReceived
            connections &+= other.connections
        }
    }

    public private(set) var applications: [Application: Counts] = [:]
    public private(set) var destinations: [Destination: Counts] = [:]
    /// Everything, forgotten entries included.
    public private(set) var total = Counts()
    private var deltas: FlowDeltas
    public let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        deltas = FlowDeltas(capacity: capacity * 4)
    }

    /// Adds a flow record (decisions are ignored); returns what it added.
    @discardableResult
    public mutating func add(_ event: DecisionEvent) -> Counts? {
        guard let delta = deltas.add(event) else { return nil }
        let application = Application(executable: event.exe, cgroup: event.cgroup)
        let destination = Destination(
            application: application, address: event.destination, domain: event.dstDomain, port: event.port, transport: event.transport)
        total.add(delta)
        applications[application, default: Counts()].add(delta)
        destinations[destination, default: Counts()].add(delta)
        if applications.count > capacity { Self.forgetLightest(&applications) }
        if destinations.count > capacity * 4 { Self.forgetLightest(&destinations) }
        return delta
    }

    /// The heaviest applications by bytes both ways, each with its heaviest destinations.
    public func top(applications limit: Int, destinations perApplication: Int) -> [(Application, Counts, [(Destination, Counts)])] {
        let heaviest = applications.sorted { $0.value.bytes > $1.value.bytes }.prefix(limit)
        let wanted = Set(heaviest.map(\.key))
        var byApplication: [Application: [(Destination, Counts)]] = [:]
        for (destination, counts) in destinations where wanted.contains(destination.application) {
            byApplication[destination.application, default: []].append((destination, counts))
        }
        return heaviest.map { application, counts in
            let destinations = (byApplication[application] ?? []).sorted { $0.1.bytes > $1.1.bytes }.prefix(perApplication)
            return (application, counts, Array(destinations))
        }
    }

    private static func forgetLightest<Key>(_ table: inout [Key: Counts]) {
        let keep = table.sorted { $0.value.bytes > $1.value.bytes }.prefix(table.count / 2)
        table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}

/// What each flow record adds to totals: an open connection's periodic records carry its counts
/// so far, so each adds what moved since the connection's previous record, and its final record
/// the rest. Remembers open connections by node and flow id, at most `capacity` of them (beyond
/// that it forgets them all, and their next records count from zero again).
public struct FlowDeltas: Sendable {
    private var open: [OpenFlow: FlowTotals.Counts] = [:]
    public let capacity: Int

    private struct OpenFlow: Hashable {
        var node: String
        var flowID: UInt64
    }

    public init(capacity: Int = 65536) {
        self.capacity = capacity
    }

    /// What a flow record adds (`connections` 1 for a final record); nil for a decision.
    public mutating func add(_ event: DecisionEvent) -> FlowTotals.Counts? {
        guard let flow = event.flow else { return nil }
        let key = OpenFlow(node: event.node, flowID: flow.flowID)
        let before = flow.final ? open.removeValue(forKey: key) : open[key]
        var now = FlowTotals.Counts()
        now.bytesSent = flow.bytesSent
        now.bytesReceived = flow.bytesReceived
        now.packetsSent = flow.packetsSent
        now.packetsReceived = flow.packetsReceived
        if !flow.final {
            if open.count >= capacity { open.removeAll(keepingCapacity: true) }
            open[key] = now
        }
        var delta = FlowTotals.Counts()
        // Counts never shrink; a record older than the one before it adds nothing.
        delta.bytesSent = now.bytesSent &- min(now.bytesSent, before?.bytesSent ?? 0)
        delta.bytesReceived = now.bytesReceived &- min(now.bytesReceived, before?.bytesReceived ?? 0)
        delta.packetsSent = now.packetsSent &- min(now.packetsSent, before?.packetsSent ?? 0)
        delta.packetsReceived = now.packetsReceived &- min(now.packetsReceived, before?.packetsReceived ?? 0)
        delta.connections = flow.final ? 1 : 0
        return delta
    }
}
