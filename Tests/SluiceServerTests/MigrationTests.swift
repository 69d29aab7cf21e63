import Foundation
import Logging
import SQLKit
import Testing

@testable import SluiceServer

@Suite struct MigrationTests {
    @Test("PostgreSQL is reachable", .enabled(if: Backend.postgresShouldRun, Backend.skipComment))
    func postgresReachable() async throws {
        let database = try await TestDatabase.make(.postgres)
        defer { Task { await database.remove() } }
        guard case .success(let location) = DatabaseLocation.parse(database.url) else { throw TestFailure("bad URL") }
        let opened = try await ServerDatabase.open(location, logger: TestServer.logger)
        #expect(await opened.ping())
        await opened.close()
    }

    @Test(arguments: Backend.enabled)
    func migratesFromEmptyAndOnlyOnce(_ backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        guard case .success(let location) = DatabaseLocation.parse(database.url) else { throw TestFailure("bad URL") }
        let opened = try await ServerDatabase.open(location, logger: TestServer.logger)
        let first = try await Migrations.run(on: opened, logger: TestServer.logger)
        #expect(first == Migrations.all.map(\.version))
        let again = try await Migrations.run(on: opened, logger: TestServer.logger)
        #expect(again.isEmpty)
        #expect(try await Migrations.appliedVersions(on: opened) == Migrations.all.map(\.version))
        // Every table answers.
        for table in ["fleet_state", "users", "api_tokens", "join_tokens", "nodes", "policy_versions", "events", "event_batches", "alerts",
            "learned_rules", "rule_decisions", "audit_log"]
        {
            let count = try await opened.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()!.decode(column: "n", as: Int.self)
            }
            #expect(count == (table == "fleet_state" ? 1 : 0), "\(table)")
        }
        await opened.close()
        // A second server start on the same database applies nothing and keeps the data.
        var configuration = TestServer.configuration(database: database.url)
        configuration.bootstrapAdmin = .init(name: "root", password: "root-password")
        let app = try await ServerApp.open(configuration: configuration, logger: TestServer.logger)
        #expect(try await app.store.userCount() == 1)
        await app.close()
        let reopened = try await ServerApp.open(configuration: configuration, logger: TestServer.logger)
        #expect(try await reopened.store.userCount() == 1)
        #expect(try await Migrations.appliedVersions(on: reopened.store.database) == Migrations.all.map(\.version))
        await reopened.close()
        await database.remove()
    }

    @Test func databaseURLs() {
        #expect(DatabaseLocation.parse("sqlite:///var/lib/x.db") == .success(.sqlite(path: "/var/lib/x.db")))
        #expect(DatabaseLocation.parse("postgres://u:p@h:5432/db?sslmode=disable&schema=abc") == .success(.postgres(url: "postgres://u:p@h:5432/db?sslmode=disable", schema: "abc")))
        #expect(DatabaseLocation.parse("sqlite://relative.db") == .failure(.relativeSQLitePath("relative.db")))
        #expect(DatabaseLocation.parse("mysql://u:secret@x") == .failure(.unknownScheme("mysql://u:***@x")))
        #expect(DatabaseLocation.parse("postgres://h/db") == .failure(.notPostgresURL("postgres://h/db")))
        #expect(DatabaseLocation.parse("postgres://u:p@h/db?schema=a-b") == .failure(.badSchema("a-b")))
        #expect(DatabaseLocation.redacted("postgres://u:secret@h/db") == "postgres://u:***@h/db")
    }

    @Test func plainHTTPNeedsToBeAskedFor() throws {
        var configuration = ServerConfiguration(database: "sqlite:///tmp/x.db")
        #expect(throws: ServerStartError.self) { try SluiceServer(configuration: configuration, logger: TestServer.logger) }
        configuration.allowPlainHTTP = true
        _ = try SluiceServer(configuration: configuration, logger: TestServer.logger)
        configuration.tls = .init(certificateChain: "/nonexistent/cert.pem", privateKey: "/nonexistent/key.pem")
        let error = #expect(throws: ServerStartError.self) { try SluiceServer(configuration: configuration, logger: TestServer.logger) }
        guard case .invalidConfiguration(let problems) = error else { throw TestFailure("not a configuration problem: \(String(describing: error))") }
        #expect(problems.contains { $0.contains("/nonexistent/cert.pem") && $0.contains("cannot be read") }, "\(problems)")
    }

    @Test func aSecondLockOnOneSQLiteDatabaseNamesTheHolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = folder + "/sluice.db"
        let first = try SQLiteLock(database: database)
        #expect(throws: ServerStartError.databaseInUse(database: database, holder: getpid())) { try SQLiteLock(database: database) }
        first.release()
        try SQLiteLock(database: database).release()
        #expect(throws: ServerStartError.lockFileUnusable(path: "/proc/sluice.db.lock", operation: "open", errno: ENOENT)) {
            try SQLiteLock(database: "/proc/sluice.db")
        }
    }
}
