import Foundation
@preconcurrency import Glibc
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel

/// The node agent: enforces policy in the kernel, watches it, streams decisions, serves its
/// local API and metrics. SIGTERM or SIGINT stops the agent; enforcement stays pinned.
public struct Agent: Sendable {
    public let configuration: AgentConfiguration
    let logger: Logger

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let state = configuration.state
        let tightened = try state.secure()
        if !tightened.isEmpty {
            logger.notice("state folder had loose permissions; tightened", metadata: ["state.paths": "\(tightened)"])
        }
        let lock = try StateLock(path: state.lockPath)
        unlink(state.socketPath)  // left behind by an agent that was killed

        let metrics = AgentMetrics()
        let controller = try EnforcementController(configuration: configuration, logger: logger, metrics: metrics)
        let identity = try ProcessIdentity.current()
        try await controller.start(agent: identity)
        let tamperLog = TamperLog()
        if configuration.protect != nil {
            try await controller.engageProtection(agent: identity)
            tamperLog.setProtected(true)
        }
        let hub = DecisionEventHub(recentLimit: configuration.recentEvents)
        let scoring = ScoringService(
            configuration: configuration.detector, snapshotPath: state.detectorSnapshotPath, volumesPath: state.volumeSnapshotPath, logger: logger)
        let learner = RuleLearner(controller: controller, scoring: scoring, configuration: configuration, logger: logger, metrics: metrics)
        let intel = IntelLayer(controller: controller, path: state.intelPath, metrics: metrics, logger: logger)
        let pipeline = EventPipeline(
            controller: controller, scoring: scoring, learner: learner, hub: hub, metrics: metrics, nodeName: configuration.nodeName,
            flowInterval: configuration.flowInterval, logger: logger, intel: intel)
        let membership = try configuration.fleet.map { fleet in
            let outbox = try EventOutbox(directory: state.outboxDirectory, limitBytes: fleet.uploadBufferBytes)
            return (fleet: fleet, outbox: outbox, tracker: FleetTracker(server: fleet.serverURL, outbox: outbox))
        }
        let stop = StopRequest()
        let dependencies = LocalAPI.Dependencies(
            controller: controller, hub: hub, pipeline: pipeline, learner: learner, scoring: scoring, configuration: configuration,
            started: Date(), version: SluiceVersion.current, fleet: membership?.tracker, tamper: tamperLog, intel: intel, stop: stop)
        let socketPath = state.socketPath
        let localAPI = Application(
            router: LocalAPI.router(dependencies),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "sluice-agent"),
            onServerRunning: { _ in chmod(socketPath, 0o600) },
            logger: logger)
        var services: [any Service] = [
            pipeline, localAPI, PolicyWatcher(controller: controller, configuration: configuration, logger: logger),
            HostAddressWatcher(controller: controller, logger: logger),
            CounterPoller(controller: controller, metrics: metrics, logger: logger),
            LearningService(learner: learner, scoring: scoring),
            IntelService(layer: intel, files: configuration.feedFiles, interval: .seconds(2)),
            TamperVerifier(
                controller: controller, log: tamperLog, hub: hub, metrics: metrics, nodeName: configuration.nodeName,
                pinDirectory: state.pinDirectory, interval: configuration.verifyInterval, logger: logger),
        ]
        if let membership {
            services.append(
                FleetService(
                    fleet: membership.fleet, controller: controller, learner: learner, hub: hub, pipeline: pipeline,
                    configuration: configuration, outbox: membership.outbox, tracker: membership.tracker, logger: logger, intel: intel))
        }
        if let path = configuration.originSocket {
            services.append(OriginSocket(path: path, origins: controller.redirectOrigins, logger: logger))
        }
        if configuration.historyBytes > 0 {
            services.append(DecisionHistory(directory: state.historyDirectory, limitBytes: configuration.historyBytes, hub: hub, logger: logger))
        }
        if let address = configuration.metricsAddress {
            services.append(
                Application(
                    router: MetricsEndpoint.router(metrics: metrics, controller: controller),
                    configuration: .init(address: .hostname(address.host, port: address.port), serverName: "sluice-agent"),
                    logger: logger))
        }
        let configurations =
            services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            + [.init(service: stop, successTerminationBehavior: .gracefullyShutdownGroup)]
        let group = ServiceGroup(
            configuration: .init(services: configurations, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info(
            "agent running",
            metadata: ["state.directory": "\(state.directory)", "agent.socket": "\(socketPath)", "node.name": "\(configuration.nodeName)"])
        try await group.run()
        unlink(socketPath)
        withExtendedLifetime(lock) {}
        logger.info("agent stopped; enforcement stays pinned", metadata: ["pins.directory": "\(state.pinDirectory)"])
    }
}

/// An exclusive flock on the state folder's lock file, held while the agent runs.
final class StateLock: Sendable {
    let descriptor: Int32

    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FilesystemError.last("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw AgentError.stateFolderLocked(lockFile: path)
        }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }
}

