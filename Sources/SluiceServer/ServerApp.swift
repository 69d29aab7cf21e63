import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import ServiceLifecycle
import SluiceAPI
import SluiceCore

/// The server's parts, wired once: storage, the fleet's revision and policy cache, ingest, live
/// streams, notifications, metrics. The API's operations are in `API/`, each file one concern.
final class ServerApp: Sendable {
    let configuration: ServerConfiguration
    let store: Store
    let watcher: RevisionWatcher
    /// The intel sequence (feed indicator changes) and the nodes long-polling for its next step.
    let intelWatcher: RevisionWatcher
    let feedPoller: FeedPoller
    let catalog: PolicyCatalog
    /// The policy watch's encoded bundles, shared by the nodes they are for.
    let watchLines: WatchLineCache
    /// Woken polls' nodes, looked up together.
    let nodeRefresh: NodeRefresh
    let hub: EventLineHub
    /// Open policy watches per node, bounded.
    let policyWatches = PolicyWatchCount()
    let ingest: EventIngest
    let notifier: Notifier
    let metrics: ServerMetrics
    let throttle: LoginThrottle
    /// Password checks of logins: bcrypt work unauthenticated clients cause, bounded.
    let passwordChecks: AdmissionGate
    /// Reports and charts computed at once: a viewer's queries take a bounded share of the
    /// database and the CPU, whatever they ask, and ingest keeps the rest (two at once took both
    /// cores of a small server from its uploads: docs/benchmarks.md).
    let statsReads = AdmissionGate(concurrency: 1, queue: 16)
    let logger: Logger
    let passwords: PasswordHasher
    /// Held while this server uses a SQLite database, so that a second one refuses to start.
    let lock: SQLiteLock?

    /// Opens the database, migrates it, creates the first admin if there are no users.
    static func open(configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics()) async throws -> ServerApp {
        let location: DatabaseLocation
        switch DatabaseLocation.parse(configuration.databaseURL) {
        case .success(let parsed): location = parsed
        case .failure(let error): throw ServerStartError.invalidConfiguration(problems: [error.description])
        }
        var lock: SQLiteLock?
        if case .sqlite(let path) = location { lock = try SQLiteLock(database: path) }
        let database = try await ServerDatabase.open(location, logger: logger)
        do {
            try await Migrations.run(on: database, logger: logger)
            let store = Store(database: database)
            // Before any ingest: today's events then find their partition (PostgreSQL).
            try await store.preparePartitions()
            let revision = try await store.currentRevision()
            let intelSequence = try await store.intelSequence()
            let app = ServerApp(
                configuration: configuration, store: store, lock: lock, revision: revision, intelSequence: intelSequence, metrics: metrics,
                logger: logger)
            try await app.bootstrapAdmin()
            return app
        } catch {
            await database.close()
            throw error
        }
    }

    private init(
        configuration: ServerConfiguration, store: Store, lock: SQLiteLock?, revision: Int64, intelSequence: Int64, metrics: ServerMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.lock = lock
        self.metrics = metrics
        self.logger = logger
        watcher = RevisionWatcher(revision: revision) { metrics.longPollers.record($0) }
        let intelWatcher = RevisionWatcher(revision: intelSequence)
        self.intelWatcher = intelWatcher
        feedPoller = FeedPoller(
            store: store, watcher: intelWatcher, limits: configuration.feedLimits, tick: .milliseconds(configuration.feedTickMilliseconds),
            tombstoneDays: configuration.intelTombstoneDays, metrics: metrics, logger: logger)
        metrics.revision.record(Double(revision))
        catalog = PolicyCatalog(store: store)
        watchLines = WatchLineCache(catalog: catalog)
        nodeRefresh = NodeRefresh(store: store)
        hub = EventLineHub { metrics.streams.record($0) }
        let notifier = Notifier(
            webhooks: configuration.webhooks, smtp: configuration.smtp, serverName: configuration.serverName, metrics: metrics, logger: logger,
            retryDelays: configuration.notificationRetryDelays)
        self.notifier = notifier
        ingest = EventIngest(
            store: store, catalog: catalog, watcher: watcher, hub: hub, metrics: metrics, limits: configuration.limits,
            aggregationSeconds: configuration.alertAggregationSeconds, onAlert: { notifier.enqueue($0) })
        throttle = LoginThrottle(maximumBackoff: configuration.logins.maximumBackoff)
        passwordChecks = AdmissionGate(concurrency: configuration.logins.concurrentChecks, queue: configuration.logins.queuedChecks)
        passwords = PasswordHasher(cost: configuration.bcryptCost)
    }

    /// How long a node may go without a heartbeat before it counts as stale.
    var staleAfterUs: Int64 { Int64(configuration.staleAfterSeconds) * 1_000_000 }

    /// Who may call each operation of the API document and how large a body it reads.
    var operationRules: [String: OperationRule] { OperationRule.table(limits: configuration.limits, publicMetrics: configuration.publicMetrics) }

    /// The router: every operation of the API document through the generated server (guarded by
    /// `OperationGuard`), and the console's static files.
    func router() throws -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: APIErrorMiddleware(metrics: metrics))
        try ServerAPI(app: self).registerHandlers(
            on: router, configuration: .sluice,
            middlewares: [OperationGuard(rules: operationRules, authenticator: Authenticator(store: store))])
        addConsoleRoutes(router)
        return router
    }

    /// The background services beside the HTTP server.
    var services: [any Service] {
        [
            notifier,
            ReplicaSync(store: store, watcher: watcher, hub: hub, pollInterval: .milliseconds(configuration.revisionPollMilliseconds), logger: logger),
            RetentionService(app: self),
            RollupService(store: store, logger: logger),
            StaleMonitor(app: self),
            feedPoller,
        ]
    }

    /// Called when this replica changed the revision.
    func revisionChanged(to revision: Int64) {
        watcher.advance(to: revision)
        metrics.revision.record(Double(revision))
    }

    func close() async {
        hub.finishAll()
        // What this process stored reaches the rollups now rather than by a later recovery.
        await store.flushWaitingRollups()
        await store.database.close()
        lock?.release()
    }

    private func bootstrapAdmin() async throws {
        guard try await store.userCount() == 0 else { return }
        let admin = configuration.bootstrapAdmin
        var password = admin.password
        if password == nil, let file = admin.passwordFile {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
            } catch {
                throw ServerStartError.adminPasswordUnreadable(path: file, reason: error.localizedDescription)
            }
        }
        if password == nil, let fromEnvironment = ProcessInfo.processInfo.environment["SLUICE_ADMIN_PASSWORD"], !fromEnvironment.isEmpty {
            password = fromEnvironment
        }
        var generated = false
        if password == nil {
            password = Secrets.randomHex(bytes: 12)
            generated = true
        }
        guard let password, password.count >= PasswordHasher.minimumLength else {
            throw ServerStartError.adminPasswordTooShort(minimum: PasswordHasher.minimumLength)
        }
        let hash = try await passwords.hash(password)
        _ = try await store.createUser(name: admin.name, passwordHash: hash, role: .admin, actor: "system")
        if generated {
            FileHandle.standardError.write(
                Data("sluice server: created user \(admin.name) (admin) with password \(password)\nsluice server: this is shown once; change it with: sluice users passwd \(admin.name)\n".utf8))
        }
        logger.info("created the first admin", metadata: ["user.name": "\(admin.name)"])
    }
}

extension ServerConfiguration {
    /// Retry delays of notifications (shortened by tests).
    var notificationRetryDelays: [Duration] {
        notificationRetrySchedule ?? [.seconds(1), .seconds(5), .seconds(30)]
    }
}
