import ArgumentParser
import Foundation
import Logging
import SluiceServer

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the central server: policy distribution, nodes, events, alerts, RBAC, console.",
        discussion: """
            Stores everything in an embedded SQLite file in --data-dir, or in PostgreSQL with \
            --database postgres://… (or $SLUICE_DATABASE), which several replicas can share. TLS with \
            --tls-cert/--tls-key; plain HTTP only with --allow-insecure-http. On first start with no users \
            an admin is created: its password comes from --admin-password-file or $SLUICE_ADMIN_PASSWORD, \
            or is generated and printed once.
            """)

    @Option(help: ArgumentHelp("host:port to listen on.", valueName: "address"))
    var listen: String = "127.0.0.1:8443"

    @Option(help: ArgumentHelp("postgres://user:pass@host:port/db (default: SQLite in --data-dir).", valueName: "url"))
    var database: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Folder for the SQLite database and server state.", valueName: "dir"))
    var dataDirectory: String = "/var/lib/sluice-server"

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Certificate chain (PEM).", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("Private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Serve plain HTTP (no TLS): for a lab or behind a TLS proxy.")
    var allowInsecureHTTP = false

    @Option(name: .customLong("admin-user"), help: "Name of the admin created on first start.")
    var adminUser: String = "admin"

    @Option(name: .customLong("admin-password-file"), help: ArgumentHelp("File holding the first admin's password.", valueName: "file"))
    var adminPasswordFile: String?

    @Option(name: .customLong("heartbeat"), help: "Seconds between agent heartbeats.")
    var heartbeatSeconds: Int = 10

    @Option(name: .customLong("event-retention"), help: "Days events are kept.")
    var eventRetentionDays: Int = 14

    @Option(name: .customLong("webhook"), help: ArgumentHelp("Alert webhook URL=secret (repeatable); the body is signed with HMAC-SHA256 of the secret.", valueName: "url=secret"))
    var webhooks: [String] = []

    @Option(name: .customLong("smtp"), help: ArgumentHelp("Alert email server host:port.", valueName: "address"))
    var smtp: String?

    @Option(name: .customLong("smtp-from"), help: "Sender of alert email.")
    var smtpFrom: String = "sluice@localhost"

    @Option(name: .customLong("smtp-to"), help: "Recipient of alert email (repeatable).")
    var smtpTo: [String] = []

    @Flag(name: .customLong("smtp-starttls"), help: "Upgrade the SMTP connection with STARTTLS.")
    var smtpStartTLS = false

    @Option(name: .customLong("header-timeout"), help: ArgumentHelp("Seconds a client has from connecting to a complete request head.", valueName: "seconds"))
    var headerTimeout: Double = 10

    @Option(name: .customLong("body-timeout"), help: ArgumentHelp("Seconds a client has from a request head to the end of its body.", valueName: "seconds"))
    var bodyTimeout: Double = 60

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a kept-alive connection may wait for its next request.", valueName: "seconds"))
    var idleTimeout: Double = 75

    @Option(
        name: .customLong("max-connections-per-address"),
        help: "Open connections one client address (an IPv6 /64) may hold; more are closed at once.")
    var maximumConnectionsPerAddress: Int = 256

    @Option(name: .customLong("login-checks"), help: "Password checks (bcrypt) at once; 16 more may wait, beyond that login answers 503.")
    var loginChecks: Int = 2

    @Option(
        name: .customLong("ingest-concurrency"),
        help: ArgumentHelp(
            "Event batches stored at once; \(ServerConfiguration.RequestLimits().ingestQueue) more may wait, beyond that an upload answers 503 and the agent retries. (default: \(ServerConfiguration.RequestLimits().ingestConcurrency))"))
    var ingestConcurrency: Int?

    @Option(name: .customLong("shutdown-timeout"), help: ArgumentHelp("Seconds a stopping server waits for requests in flight.", valueName: "seconds"))
    var shutdownTimeout: Double = 10

    @Flag(name: .customLong("public-metrics"), help: "Serve /metrics to anyone (by default: loopback clients and viewer tokens only).")
    var publicMetrics = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard MetricsAddress(listen) != nil else { throw ValidationError("--listen must be host:port, not \(listen)") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("give both --tls-cert and --tls-key") }
        if tlsCertificate == nil && !allowInsecureHTTP {
            throw ValidationError("no TLS: give --tls-cert and --tls-key, or --allow-insecure-http to serve plain HTTP on purpose")
        }
        for webhook in webhooks where !webhook.contains("=") {
            throw ValidationError("--webhook must be URL=secret, not \(webhook)")
        }
        if smtp != nil && smtpTo.isEmpty { throw ValidationError("--smtp needs at least one --smtp-to") }
        for (name, seconds) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)]
        where !(seconds > 0 && seconds <= 86_400) {
            throw ValidationError("\(name) must be more than 0 and at most 86400 seconds")
        }
        guard shutdownTimeout >= 0 && shutdownTimeout <= 3600 else { throw ValidationError("--shutdown-timeout must be 0 to 3600 seconds") }
        guard maximumConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        guard loginChecks >= 1 else { throw ValidationError("--login-checks must be at least 1") }
        if let ingestConcurrency, !(1...64).contains(ingestConcurrency) { throw ValidationError("--ingest-concurrency must be 1 to 64") }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "sluice.server")
        let address = MetricsAddress(listen)!
        let environment = ProcessInfo.processInfo.environment
        var smtpSettings: ServerConfiguration.SMTPSettings?
        if let smtp, let smtpAddress = MetricsAddress(smtp) {
            smtpSettings = ServerConfiguration.SMTPSettings(
                host: smtpAddress.host, port: smtpAddress.port, from: smtpFrom, to: smtpTo,
                username: environment["SLUICE_SMTP_USER"], password: environment["SLUICE_SMTP_PASSWORD"], startTLS: smtpStartTLS)
        }
        var configuration = ServerConfiguration(
            host: address.host, port: address.port, database: database ?? environment["SLUICE_DATABASE"], dataDirectory: dataDirectory,
            tls: tlsCertificate.map { ServerConfiguration.TLSFiles(certificateChain: $0, privateKey: tlsKey!) },
            allowPlainHTTP: allowInsecureHTTP,
            bootstrapAdmin: ServerConfiguration.BootstrapAdmin(
                name: adminUser, password: environment["SLUICE_ADMIN_PASSWORD"], passwordFile: adminPasswordFile),
            heartbeatSeconds: heartbeatSeconds, eventRetentionDays: eventRetentionDays,
            webhooks: webhooks.map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return ServerConfiguration.Webhook(url: String(parts[0]), secret: parts.count > 1 ? String(parts[1]) : "")
            },
            smtp: smtpSettings,
            connections: .init(
                headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout), idleTimeout: .seconds(idleTimeout),
                maximumPerAddress: maximumConnectionsPerAddress),
            logins: .init(concurrentChecks: loginChecks), shutdownTimeout: .seconds(shutdownTimeout), publicMetrics: publicMetrics)
        if let ingestConcurrency { configuration.limits.ingestConcurrency = ingestConcurrency }
        do {
            try await SluiceServer(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("server failed: \(error)")
            throw ExitCode.failure
        }
    }
}
