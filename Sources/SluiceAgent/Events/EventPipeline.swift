import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel
import Synchronization

/// Reads decision records from the ring buffer on a thread of its own (libbpf's poll blocks),
/// enriches them and publishes them to the hub. Records the buffer had no room for are counted
/// by the kernel; batches this service cannot keep up with are counted here.
public final class EventPipeline: Service, Sendable {
    let controller: EnforcementController
    let scoring: ScoringService
    let learner: RuleLearner
    let hub: EventHub
    let metrics: AgentMetrics
    let nodeName: String
    let logger: Logger
    /// Records lost between the reading thread and the enricher, and malformed ones.
    private let agentDrops = Mutex(0)

    init(
        controller: EnforcementController, scoring: ScoringService, learner: RuleLearner, hub: EventHub, metrics: AgentMetrics,
        nodeName: String, logger: Logger
    ) {
        self.controller = controller
        self.scoring = scoring
        self.learner = learner
        self.hub = hub
        self.metrics = metrics
        self.nodeName = nodeName
        self.logger = logger
    }

    public var droppedInAgent: Int { agentDrops.withLock { $0 } }

    public func run() async throws {
        let reader = try RingBufferReader(events: controller.events, execs: controller.execs)
        let (batches, continuation) = AsyncStream.makeStream(of: RingBufferReader.Batch.self, bufferingPolicy: .bufferingOldest(1024))
        let stop = Mutex(false)
        let thread = Thread { [self] in
            while !stop.withLock({ $0 }) {
                do {
                    let batch = try reader.poll(timeoutMilliseconds: 50)
                    if batch.malformed > 0 {
                        agentDrops.withLock { $0 += batch.malformed }
                        metrics.agentDropped(batch.malformed)
                    }
                    if !batch.events.isEmpty || !batch.execs.isEmpty, case .dropped(let lost) = continuation.yield(batch) {
                        agentDrops.withLock { $0 += lost.events.count }
                        metrics.agentDropped(lost.events.count)
                    }
                } catch {
                    logger.error("reading the event ring buffer failed", metadata: ["error": "\(error)"])
                    Thread.sleep(forTimeInterval: 1)
                }
            }
            continuation.finish()
        }
        thread.name = "sluice-ringbuf"
        thread.start()

        let cgroupNamer = try? CgroupNamer(cgroups: CgroupFS.discover())
        let enricher = EventEnricher(nodeName: nodeName, cgroupNamer: cgroupNamer)
        enricher.learn(rules: await controller.ruleTables(), executables: await controller.executableNames())
        await withGracefulShutdownHandler {
            for await batch in batches.cancelOnGracefulShutdown() {
                enricher.learn(execs: batch.execs)
                if !enricher.unknownGenerations(in: batch.events).isEmpty {
                    enricher.learn(rules: await controller.ruleTables(), executables: await controller.executableNames())
                }
                guard !batch.events.isEmpty else { continue }
                let offset = EventEnricher.bootToWallOffset()
                // Strictly in order, each event scored before the baselines learn from it.
                let scored = await scoring.score(batch.events.map { enricher.enrich($0, clockOffset: offset) })
                let events = scored.map(\.event)
                var anomalies = 0
                for (event, score) in scored where score.isAnomaly {
                    anomalies += 1
                    await learner.consider(event, score: score)
                }
                await learner.recordHits(events)
                metrics.scored(scored.map(\.score.value), anomalies: anomalies)
                metrics.eventsReceived(events.count)
                let dropped = hub.publish(events)
                if dropped > 0 { metrics.agentDropped(dropped) }
            }
        } onGracefulShutdown: {
            stop.withLock { $0 = true }
        }
        stop.withLock { $0 = true }
        // The reader must outlive the thread polling it.
        while !thread.isFinished { try? await Task.sleep(for: .milliseconds(20)) }
        withExtendedLifetime(reader) {}
    }
}
