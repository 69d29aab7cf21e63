import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import SluiceAPI
import SluiceCore

/// Sends new alerts to webhooks (signed JSON) and by mail, off the ingest path: alerts queue here
/// (bounded; an overflow is counted and logged) and a failed delivery is retried with backoff.
final class Notifier: Service, Sendable {
    private let webhooks: [ServerConfiguration.Webhook]
    private let smtp: ServerConfiguration.SMTPSettings?
    private let serverName: String
    private let metrics: ServerMetrics
    private let logger: Logger
    private let stream: AsyncStream<Components.Schemas.AlertInfo>
    private let continuation: AsyncStream<Components.Schemas.AlertInfo>.Continuation
    /// Delays before the second, third, … attempt.
    let retryDelays: [Duration]
    private let dropped = Atomic<Int>(0)

    init(
        webhooks: [ServerConfiguration.Webhook], smtp: ServerConfiguration.SMTPSettings?, serverName: String, metrics: ServerMetrics,
        logger: Logger, retryDelays: [Duration] = [.seconds(1), .seconds(5), .seconds(30)]
    ) {
        self.webhooks = webhooks
        self.smtp = smtp
        self.serverName = serverName
        self.metrics = metrics
        self.logger = logger
        self.retryDelays = retryDelays
        (stream, continuation) = AsyncStream.makeStream(of: Components.Schemas.AlertInfo.self, bufferingPolicy: .bufferingOldest(10_000))
    }

    var isEnabled: Bool { !webhooks.isEmpty || smtp != nil }

    /// Deliveries in flight at most.
    static let concurrentDeliveries = 4

    /// Queues an alert for delivery.
    func enqueue(_ alert: Components.Schemas.AlertInfo) {
        guard isEnabled else { return }
        if case .dropped = continuation.yield(alert) {
            let count = dropped.wrappingAdd(1, ordering: .relaxed).newValue
            metrics.notification(channel: "queue", success: false)
            logger.error("alert notification queue full; notification dropped", metadata: ["alert.id": "\(alert.id)", "dropped.total": "\(count)"])
        }
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        // Ends when the stream finishes at shutdown.
        let watcher = Task { [continuation] in
            try? await gracefulShutdown()
            continuation.finish()
        }
        await withTaskGroup(of: Void.self) { group in
            // At most this many deliveries (with their retries) at once: a burst of alerts waits
            // in the bounded queue instead of opening a connection each.
            var running = 0
            func add(_ delivery: @escaping @Sendable () async -> Void) async {
                if running >= Self.concurrentDeliveries {
                    await group.next()
                    running -= 1
                }
                group.addTask(operation: delivery)
                running += 1
            }
            for await alert in stream {
                let body = Self.body(.init(_type: .alert_raised, server: serverName, sent: Date(), alert: alert))
                for webhook in webhooks {
                    await add { await self.deliver(channel: "webhook") { try await Self.post(body, to: webhook, client: client) } }
                }
                if let smtp {
                    await add {
                        await self.deliver(channel: "smtp") {
                            try await SMTPClient(settings: smtp).send(subject: Self.subject(alert), body: Self.mailBody(alert, server: self.serverName))
                        }
                    }
                }
            }
        }
        watcher.cancel()
        try? await client.shutdown()
    }

    private func deliver(channel: String, _ attempt: @Sendable () async throws -> Void) async {
        for (index, delay) in ([Duration.zero] + retryDelays).enumerated() {
            if delay > .zero { try? await Task.sleep(for: delay) }
            do {
                try await attempt()
                metrics.notification(channel: channel, success: true)
                return
            } catch {
                metrics.notification(channel: channel, success: false)
                logger.warning(
                    "alert notification failed", metadata: ["notify.channel": "\(channel)", "notify.attempt": "\(index + 1)", "error": "\(error)"])
            }
        }
        logger.error("alert notification given up", metadata: ["notify.channel": "\(channel)"])
    }

    static func body(_ notification: Components.Schemas.AlertNotification) -> Data {
        (try? FleetJSON.encoder().encode(notification)) ?? Data()
    }

    /// `sha256=` and the hex HMAC-SHA256 of the body with the shared secret.
    static func signature(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Why a webhook delivery failed (and is retried).
    enum WebhookFailure: Error, Hashable, CustomStringConvertible {
        /// The receiver answered with a status outside 2xx.
        case answered(url: String, status: UInt)

        var description: String {
            switch self {
            case .answered(let url, let status): "webhook \(url) answered \(status)"
            }
        }
    }

    /// - Parameter timeout: for the whole exchange; a receiver slower than that is a failure, retried later.
    static func post(_ body: Data, to webhook: ServerConfiguration.Webhook, client: HTTPClient, timeout: TimeAmount = .seconds(10)) async throws {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice-server/\(SluiceVersion.current)")
        request.headers.add(name: "X-Sluice-Event", value: "alert.raised")
        request.headers.add(name: "X-Sluice-Timestamp", value: String(Int(Date().timeIntervalSince1970)))
        request.headers.add(name: "X-Sluice-Signature", value: signature(body: body, secret: webhook.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: timeout)
        _ = try? await response.body.collect(upTo: 64 << 10)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw WebhookFailure.answered(url: webhook.url, status: UInt(response.status.code))
        }
    }

    static func subject(_ alert: Components.Schemas.AlertInfo) -> String {
        let what =
            switch alert.kind {
            case .alertRule: "alert rule"
            case .policyDeny: "denied"
            case .anomaly: "anomaly"
            }
        return "[sluice] \(what): \(alert.exe ?? "unknown executable") → \(alert.destinationText) on \(alert.node)"
    }

    static func mailBody(_ alert: Components.Schemas.AlertInfo, server: String) -> String {
        var lines = [
            "Sluice raised alert \(alert.id) on \(server).", "",
            "kind:        \(alert.kind.rawValue)",
            "node:        \(alert.node) (\(alert.nodeId))",
            "executable:  \(alert.exe ?? "unknown")",
            "destination: \(alert.destinationText)",
            "verdict:     \(alert.verdict.rawValue)",
            "policy:      \(alert.policy ?? "none") / \(alert.rule ?? "")",
            "first seen:  \(RFC3339.format(Micros.from(alert.firstSeen) * 1000))",
        ]
        if let score = alert.score { lines.append("score:       \(score)") }
        if let intel = (try? DecisionEvent(jsonLine: alert.sample))?.intel {
            lines.append("indicator:   \(intel.feed) / \(intel.indicator) (\(intel.outcome.rawValue))")
        }
        lines += ["", "First event:", alert.sample, "", "Acknowledge: sluice alerts ack \(alert.id)"]
        return lines.joined(separator: "\n")
    }
}
