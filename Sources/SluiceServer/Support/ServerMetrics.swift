import CoreMetrics
import Metrics
import Synchronization
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The server's metrics through swift-metrics, exported in Prometheus text format. The factory
/// is explicit (no global bootstrap), so tests can run several servers in one process.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requests = Mutex<[RequestKey: Counter]>([:])
    private let requestSeconds = Mutex<[String: Metrics.Timer]>([:])
    let eventsIngested: Counter
    let eventBatches: Counter
    let duplicateBatches: Counter
    let batchesRejected: Counter
    let alertsRaised: Counter
    private let notificationResults = Mutex<[String: Counter]>([:])
    let longPollers: Gauge
    let streams: Gauge
    let staleNodes: Gauge
    let nodes: Gauge
    let revision: Gauge
    /// Feed syncs by result (`ok`, `failed`: refused or unreachable, the last good set kept).
    let feedSyncs: [Bool: Counter]
    /// Connections closed for a slow client (`header`, `body`, `idle`) or over the address cap.
    private let connectionsClosed: [String: Counter]

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10), .seconds(60)]
        self.factory = factory
        eventsIngested = Counter(label: "sluice_server_events_ingested_total", factory: factory)
        eventBatches = Counter(label: "sluice_server_event_batches_total", dimensions: [("result", "stored")], factory: factory)
        duplicateBatches = Counter(label: "sluice_server_event_batches_total", dimensions: [("result", "duplicate")], factory: factory)
        batchesRejected = Counter(label: "sluice_server_event_batches_total", dimensions: [("result", "overloaded")], factory: factory)
        alertsRaised = Counter(label: "sluice_server_alerts_raised_total", factory: factory)
        longPollers = Gauge(label: "sluice_server_policy_pollers", factory: factory)
        streams = Gauge(label: "sluice_server_event_streams", factory: factory)
        staleNodes = Gauge(label: "sluice_server_nodes_stale", factory: factory)
        nodes = Gauge(label: "sluice_server_nodes", factory: factory)
        revision = Gauge(label: "sluice_server_policy_revision", factory: factory)
        feedSyncs = [
            true: Counter(label: "sluice_server_feed_syncs_total", dimensions: [("result", "ok")], factory: factory),
            false: Counter(label: "sluice_server_feed_syncs_total", dimensions: [("result", "failed")], factory: factory),
        ]
        connectionsClosed = Dictionary(
            uniqueKeysWithValues: ["header", "body", "idle", "address_limit"].map {
                ($0, Counter(label: "sluice_server_connections_closed_total", dimensions: [("reason", $0)], factory: factory))
            })
    }

    /// One answered request, by route pattern (never the raw path: ids would explode the labels).
    func request(route: String, method: String, status: Int, seconds: Double) {
        let key = RequestKey(route: route, method: method, status: status)
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "sluice_server_requests_total",
                dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
        let timer = requestSeconds.withLock { timers in
            if let timer = timers[route] { return timer }
            let timer = Metrics.Timer(label: "sluice_server_request_seconds", dimensions: [("route", route)], factory: factory)
            timers[route] = timer
            return timer
        }
        timer.recordSeconds(seconds)
    }

    /// A notification delivered or failed, by channel (`webhook`, `smtp`).
    func notification(channel: String, success: Bool) {
        let result = success ? "delivered" : "failed"
        let counter = notificationResults.withLock { counters in
            let key = channel + "/" + result
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "sluice_server_notifications_total", dimensions: [("channel", channel), ("result", result)], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// A connection the server closed: `reason` is a `SlowClientGuard.Deadline` or `address_limit`.
    func connectionClosed(reason: String) {
        connectionsClosed[reason]?.increment()
    }

    func text() -> String { registry.emitToString() }
}
