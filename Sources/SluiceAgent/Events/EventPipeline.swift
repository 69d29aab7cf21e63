import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel
import Synchronization

/// Reads decision records from the ring buffer on a thread of its own (libbpf's poll blocks),
/// enriches, scores and publishes them. Records the kernel's ring buffer had no room for are
/// counted by the kernel; when this service falls behind, the reading thread stops draining the
/// ring (see `BatchHandoff`), so a burst is lost there, counted, never silently. Malformed records
/// are counted here.
public final class EventPipeline: Service, Sendable {
    let controller: EnforcementController
    let scoring: ScoringService
    let learner: RuleLearner
    let hub: DecisionEventHub
    let metrics: AgentMetrics
    /// Traffic per application, from the flow records.
    let traffic: FlowAccounting
    let nodeName: String
    let flowInterval: Duration
    let logger: Logger
    /// Names the feed indicators of events a feed matched.
    let intel: IntelLayer?
    /// Events read but not yet published, at most: about 50 MiB of raw records (and the batch
    /// being enriched), on top of the kernel's ring. With the ring's 4 MiB (about 43,000
    /// records) this absorbs over half a second of a two-core connect flood before the kernel
    /// starts counting losses; the bound, not the kernel, used to be the agent's memory.
    static let handoffCapacity = 524_288
    /// Records lost in the agent: malformed ones. (Deliveries dropped for slow subscribers are
    /// counted by the hub, and in the metric.)
    private let agentDrops = Mutex(0)

    init(
        controller: EnforcementController, scoring: ScoringService, learner: RuleLearner, hub: DecisionEventHub, metrics: AgentMetrics,
        nodeName: String, flowInterval: Duration, logger: Logger, intel: IntelLayer? = nil
    ) {
        self.intel = intel
        self.controller = controller
        self.scoring = scoring
        self.learner = learner
        self.hub = hub
        self.metrics = metrics
        traffic = FlowAccounting(metrics: metrics)
        self.nodeName = nodeName
        self.flowInterval = flowInterval
        self.logger = logger
    }

    public var droppedInAgent: Int { agentDrops.withLock { $0 } }

    private func countLost(_ count: Int) {
        agentDrops.withLock { $0 += count }
        metrics.agentDropped(count)
    }

    public func run() async throws {
        let reader = try RingBufferReader(events: controller.events, execs: controller.execs)
        let handoff = BatchHandoff(capacity: Self.handoffCapacity)
        let sweeper = controller.flowSweeper
        async let polling: Void = DedicatedThread.run(name: "sluice-ringbuf") { [self] in
            var openFlows = OpenFlowReporter(interval: flowInterval)
            while handoff.waitForRoom() {
                do {
                    var batch = try reader.poll(timeoutMilliseconds: 50)
                    if batch.events.contains(where: { $0.action == .quota && $0.hookName == "quota" && $0.enforced }) {
                        // A quota cut: its packets are dropped already; end the socket now.
                        do {
                            _ = try sweeper.endCutConnections()
                        } catch {
                            logger.warning("ending connections cut by a quota failed", metadata: ["error": "\(error)"])
                        }
                    }
                    if openFlows.isDue() {
                        // A failed sweep costs this interval's open-flow records, never the batch.
                        do {
                            batch.events += openFlows.select(try sweeper.sweep())
                        } catch {
                            logger.warning("reading open connections' counts failed", metadata: ["error": "\(error)"])
                        }
                    }
                    if batch.malformed > 0 { countLost(batch.malformed) }
                    if !batch.events.isEmpty || !batch.execs.isEmpty { handoff.send(batch) }
                } catch {
                    logger.error("reading the event ring buffer failed", metadata: ["error": "\(error)"])
                    Thread.sleep(forTimeInterval: 1)
                }
            }
            handoff.finish()
        }

        let cgroupNamer = try? CgroupNamer(cgroups: CgroupFS.discover())
        let enricher = EventEnricher(nodeName: nodeName, cgroupNamer: cgroupNamer, domainNames: controller.domainNames, intel: intel)
        enricher.learn(rules: await controller.ruleTables(), executables: await controller.executableNames())
        await withGracefulShutdownHandler {
            for await batch in handoff.batches.cancelOnGracefulShutdown() {
                await process(batch, enricher: enricher)
                handoff.done(batch.events.count)
            }
        } onGracefulShutdown: {
            handoff.stop()
        }
        handoff.stop()
        // The reader must outlive the thread polling it.
        await polling
        withExtendedLifetime(reader) {}
    }

    /// One batch, strictly in order: every event scored before the baselines learn from it, then
    /// the anomalies offered to the learner, then published. One hop to the scorer and one to the
    /// learner a batch, not one an event.
    private func process(_ batch: RingBufferReader.Batch, enricher: EventEnricher) async {
        enricher.learn(execs: batch.execs)
        if !enricher.unknownGenerations(in: batch.events).isEmpty {
            enricher.learn(rules: await controller.ruleTables(), executables: await controller.executableNames())
        }
        guard !batch.events.isEmpty else { return }
        let offset = Datapath.bootToWallOffset()
        var events: [DecisionEvent] = []
        var apps: [AppKey] = []
        events.reserveCapacity(batch.events.count)
        apps.reserveCapacity(batch.events.count)
        for raw in batch.events {
            let (event, app) = enricher.enrich(raw, clockOffset: offset)
            if let hit = event.intel, event.flow == nil { metrics.intelHit(feed: hit.feed, outcome: hit.outcome.rawValue) }
            events.append(event)
            apps.append(app)
        }
        let scores = await scoring.score(events, apps: apps)
        apps = []
        // The scorer's reference to `events` is gone: the scores are written in place.
        var next = scores.anomalies.startIndex
        for index in events.indices where events[index].flow == nil {
            var anomaly: Score?
            if next < scores.anomalies.endIndex, scores.anomalies[next].index == index {
                anomaly = scores.anomalies[next].score
                next += 1
            }
            ScoringService.annotate(&events[index], value: scores.values[index], anomaly: anomaly)
        }
        for (index, finding) in scores.volumeAnomalies {
            ScoringService.annotate(&events[index], volume: finding)
        }
        for (index, score) in scores.anomalies {
            await learner.consider(events[index], score: score)
        }
        for (index, finding) in scores.volumeAnomalies {
            await learner.consider(events[index], volume: finding)
        }
        await learner.recordHits(events)
        metrics.scored(scores.values, anomalies: scores.anomalies.count + scores.volumeAnomalies.count)
        metrics.eventsReceived(events.count)
        traffic.record(events)
        let dropped = hub.publish(events)
        if dropped > 0 { metrics.agentDropped(dropped) }
    }
}
