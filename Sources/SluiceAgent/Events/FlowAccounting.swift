import SluiceCore
import Synchronization

/// The node's traffic per application and destination, summed from the flow records the
/// pipeline publishes: `sluice status`, `sluice top` and the byte metrics read it.
final class FlowAccounting: Sendable {
    private let totals = Mutex(FlowTotals())
    private let metrics: AgentMetrics

    init(metrics: AgentMetrics) {
        self.metrics = metrics
    }

    /// Adds a batch's flow records.
    func record(_ events: [DecisionEvent]) {
        for event in events where event.flow != nil {
            guard let delta = totals.withLock({ $0.add(event) }) else { continue }
            metrics.flowed(application: event.exe ?? event.cgroup ?? "unknown", delta)
        }
    }

    /// Everything counted since the agent started.
    var total: FlowTotals.Counts { totals.withLock { $0.total } }

    /// The heaviest applications and their heaviest destinations.
    func report(applications: Int, destinations: Int) -> TrafficReport {
        let (top, total) = totals.withLock { ($0.top(applications: applications, destinations: destinations), $0.total) }
        return TrafficReport(
            total: total,
            applications: top.map { application, counts, destinations in
                TrafficReport.Application(
                    exe: application.executable, cgroup: application.cgroup, counts: counts,
                    destinations: destinations.map { destination, counts in
                        TrafficReport.Destination(
                            address: destination.address.description, domain: destination.domain, port: destination.port,
                            protocol: destination.transport, counts: counts)
                    })
            })
    }
}

/// `GET /v1/top`: the node's heaviest applications by bytes since the agent started.
public struct TrafficReport: Sendable, Codable {
    public var total: Counts
    public var applications: [Application]

    /// Bytes and packets each way, and connections that ended.
    public typealias Counts = FlowTotals.Counts

    public struct Application: Sendable, Codable {
        public var exe: String?
        public var cgroup: String?
        public var counts: Counts
        public var destinations: [Destination]
    }

    public struct Destination: Sendable, Codable {
        public var address: String
        /// The name the application looked up for the address.
        public var domain: String?
        public var port: UInt16
        public var `protocol`: String
        public var counts: Counts
    }
}
