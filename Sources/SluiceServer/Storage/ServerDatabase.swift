@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// One storage layer over SQLite and PostgreSQL: SQLKit queries everywhere, with the dialect's
/// own driver only where speed needs it (event ingest).
///
/// SQLite: one writer connection, its transactions taken in turn (SQLite has one writer anyway,
/// and waiting here beats spinning on SQLITE_BUSY), a few reader connections that WAL lets read
/// beside it, and one for reports on a thread of its own at a lower scheduling priority, so that
/// a long report takes what the cores leave over rather than a core from ingest. PostgreSQL: a
/// pool; every transaction holds one connection.
final class ServerDatabase: Sendable {
    let kind: SQLKind
    let logger: Logger
    /// The channel of LISTEN/NOTIFY between replicas (PostgreSQL): one per schema.
    let notifyChannel: String
    private let backend: Backend

    private enum Backend: Sendable {
        case sqlite(
            writer: SQLiteConnection, readers: [SQLiteConnection], reports: SQLiteConnection, threads: [NIOThreadPool], turn: AsyncLock,
            next: RoundRobin)
        case postgres(pool: EventLoopGroupConnectionPool<PostgresConnectionSource>, configuration: SQLPostgresConfiguration)
    }

    /// The connection of a transaction, for driver-level statements.
    enum Connection {
        case sqlite(SQLiteConnection)
        case postgres(PostgresConnection)
    }

    /// A transaction: SQLKit on it, and its driver connection.
    struct Session {
        let sql: any SQLDatabase
        let connection: Connection
        let kind: SQLKind
    }

    private init(kind: SQLKind, backend: Backend, logger: Logger, notifyChannel: String) {
        self.kind = kind
        self.backend = backend
        self.logger = logger
        self.notifyChannel = notifyChannel
    }

    static func open(_ location: DatabaseLocation, logger: Logger, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> ServerDatabase
    {
        switch location {
        case .sqlite(let path):
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            let threads = NIOThreadPool(numberOfThreads: 4)
            threads.start()
            let reportThread = NIOThreadPool(numberOfThreads: 1)
            reportThread.start()
            func connect(writer: Bool, on threads: NIOThreadPool = threads) async throws -> SQLiteConnection {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threads, logger: logger, on: eventLoopGroup.any())
                // WAL: readers beside the writer; NORMAL: durable at checkpoints, fast commits.
                var pragmas = [
                    "PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL",
                    "PRAGMA secure_delete = OFF", "PRAGMA cache_size = -32000", "PRAGMA temp_store = MEMORY",
                ]
                if writer {
                    pragmas.insert("PRAGMA journal_mode = WAL", at: 0)
                    // The writer checkpoints only when the background checkpoints fall behind:
                    // a checkpoint on the writer stalls ingest for its length.
                    pragmas.append("PRAGMA wal_autocheckpoint = \(Self.writerCheckpointPages)")
                }
                for pragma in pragmas { try await connection.query(pragma, []) { _ in } }
                return connection
            }
            do {
                let writer = try await connect(writer: true)
                var readers: [SQLiteConnection] = []
                for _ in 0..<3 { readers.append(try await connect(writer: false)) }
                let reports = try await connect(writer: false, on: reportThread)
                try await reportThread.runIfActive { LowPriority.apply() }
                return ServerDatabase(
                    kind: .sqlite,
                    backend: .sqlite(
                        writer: writer, readers: readers, reports: reports, threads: [threads, reportThread], turn: AsyncLock(), next: RoundRobin()),
                    logger: logger, notifyChannel: "sluice_fleet")
            } catch {
                try? await threads.shutdownGracefully()
                try? await reportThread.shutdownGracefully()
                throw ServerStartError.sqliteUnusable(path: path, reason: "\(error)")
            }
        case .postgres(let url, let schema):
            var configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw ServerStartError.postgresURLUnusable(url: DatabaseLocation.redacted(url), reason: "\(error)")
            }
            if let schema { configuration.searchPath = [schema] }
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: 8,
                requestTimeout: .seconds(10), logger: logger, on: eventLoopGroup)
            let database = ServerDatabase(
                kind: .postgres, backend: .postgres(pool: pool, configuration: configuration), logger: logger,
                notifyChannel: "sluice_fleet" + (schema.map { "_" + $0.lowercased() } ?? ""))
            do {
                if let schema {
                    try await database.read { try await $0.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run() }
                }
                try await database.read { try await $0.raw("SELECT 1").run() }
            } catch {
                await database.close()
                throw ServerStartError.postgresUnreachable(url: DatabaseLocation.redacted(url), reason: String(reflecting: error))
            }
            return database
        }
    }

    /// Runs read-only queries (outside any transaction).
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readSession { try await body($0.sql) }
    }

    /// Runs read-only queries (outside any transaction), with the driver's connection too: rows
    /// read from SQLite's driver directly skip SQLKit's per-row decoding.
    func readSession<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let readers, _, _, _, let next):
            let reader = readers[next.increment() % readers.count]
            return try await body(Session(sql: reader.sql(), connection: .sqlite(reader), kind: .sqlite))
        case .postgres(let pool, _):
            let connection = try await pool.requestConnection(logger: logger).get()
            defer { pool.releaseConnection(connection, logger: logger) }
            return try await body(Session(sql: connection.sql(), connection: .postgres(connection), kind: .postgres))
        }
    }

    /// Runs a report's read-only queries: with SQLite on the report connection, whose thread
    /// yields the cores to ingest and the other reads; the callers take turns (`statsReads`).
    func readReport<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, _, let reports, _, _, _):
            return try await body(reports.sql())
        case .postgres:
            return try await read(body)
        }
    }

    /// WAL pages beyond which SQLite's writer checkpoints itself (64 MB of 4 KiB pages).
    static let writerCheckpointPages = 16_000

    /// SQLite: copies the write-ahead log into the database (a passive checkpoint: it never waits
    /// for the writer or the readers), on the report connection's low-priority thread rather than
    /// in the writer's commits. Run after each rollup flush. PostgreSQL checkpoints itself.
    func checkpoint() async throws {
        guard case .sqlite(_, _, let reports, _, _, _) = backend else { return }
        try await reports.query("PRAGMA wal_checkpoint(PASSIVE)", []) { _ in }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let writer, _, _, _, let turn, _):
            return try await turn.withLock {
                try await Self.run(Session(sql: writer.sql(), connection: .sqlite(writer), kind: .sqlite), begin: "BEGIN IMMEDIATE", body)
            }
        case .postgres(let pool, _):
            let connection = try await pool.requestConnection(logger: logger).get()
            defer { pool.releaseConnection(connection, logger: logger) }
            return try await Self.run(Session(sql: connection.sql(), connection: .postgres(connection), kind: .postgres), begin: "BEGIN", body)
        }
    }

    private static func run<T>(_ session: Session, begin: String, _ body: @Sendable (Session) async throws -> T) async throws -> T {
        try await session.sql.raw(SQLQueryString(begin)).run()
        do {
            let result = try await body(session)
            try await session.sql.raw("COMMIT").run()
            return result
        } catch {
            try? await session.sql.raw("ROLLBACK").run()
            throw error
        }
    }

    /// A new connection of its own for LISTEN (PostgreSQL only); the caller closes it.
    func listenerConnection() async throws -> PostgresConnection? {
        guard case .postgres(let pool, let configuration) = backend else { return nil }
        return try await PostgresConnection.connect(
            on: pool.eventLoopGroup.any(), configuration: configuration.coreConfiguration, id: 0, logger: logger)
    }

    /// Whether the database answers.
    func ping() async -> Bool {
        do {
            try await read { try await $0.raw("SELECT 1").run() }
            return true
        } catch {
            return false
        }
    }

    func close() async {
        switch backend {
        case .sqlite(let writer, let readers, let reports, let threads, _, _):
            for connection in readers + [reports, writer] { try? await connection.close() }
            for pool in threads { try? await pool.shutdownGracefully() }
        case .postgres(let pool, _):
            try? await pool.shutdownAsync()
        }
    }
}

