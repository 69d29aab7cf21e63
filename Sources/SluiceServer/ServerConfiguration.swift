import Foundation
import SluiceCore

/// Everything `sluice server` is told on its command line.
public struct ServerConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    public var port: Int
    /// `sqlite:///path/file.db` or `postgres://user:pass@host:port/db?sslmode=disable`; nil: a
    /// SQLite file `sluice.db` in `dataDirectory`.
    public var database: String?
    /// Where the default SQLite file lives.
    public var dataDirectory: String
    /// Serve HTTPS with these PEM files.
    public var tls: TLSFiles?
    /// Serve plain HTTP when no TLS is configured; without it and without TLS the server refuses
    /// to start.
    public var allowPlainHTTP: Bool
    /// The first administrator, created at a start that finds no users.
    public var bootstrapAdmin: BootstrapAdmin
    /// The interval agents are told to heartbeat at.
    public var heartbeatSeconds: Int
    /// A node with no heartbeat for this long is stale.
    public var staleAfterSeconds: Int
    /// Events (and event batch records) older than this are deleted.
    public var eventRetentionDays: Int
    /// Alerts older than this (by last event) are deleted.
    public var alertRetentionDays: Int
    /// Repeats within this many seconds of an open alert's last event raise its count.
    public var alertAggregationSeconds: Int
    public var webhooks: [Webhook]
    public var smtp: SMTPSettings?
    public var limits: RequestLimits
    /// Deadlines and the per-address cap of client connections.
    public var connections: ConnectionLimits
    /// Login throttling and the bound on password checks.
    public var logins: LoginLimits
    /// How long a stopping server waits for requests in flight before it cancels them.
    public var shutdownTimeout: Duration
    /// Serve `/metrics` to anyone; otherwise only to loopback clients and viewer tokens.
    public var publicMetrics: Bool
    /// bcrypt cost of password hashes (4–31; 12 by default; tests use 4).
    public var bcryptCost: UInt8
    /// How often replicas sharing a PostgreSQL database check for another replica's pushes
    /// (LISTEN/NOTIFY wakes them at once; this is the fallback).
    public var revisionPollMilliseconds: Int
    /// The name notifications carry; default the host name.
    public var serverName: String
    /// Delays before retrying a failed notification; nil: 1 s, 5 s, 30 s.
    public var notificationRetrySchedule: [Duration]?
    /// The most one threat-intelligence feed may bring in one sync.
    public var feedLimits = FeedLimits()
    /// How often the feed poller looks for feeds due a sync and expired indicators.
    public var feedTickMilliseconds = 1000
    /// Quiet on a policy watch before a keepalive line (as `openapi.yaml` says: 15 s).
    public var policyWatchKeepalive: Duration = .seconds(15)
    /// Removed indicators are remembered this long for nodes' incremental polls; a node whose
    /// cursor is older gets its whole set.
    public var intelTombstoneDays = 7

    public struct TLSFiles: Sendable, Hashable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public struct BootstrapAdmin: Sendable, Hashable {
        public var name: String
        /// nil: read `passwordFile`, then `$SLUICE_ADMIN_PASSWORD`; none of them: a random
        /// password printed once to stderr.
        public var password: String?
        public var passwordFile: String?

        public init(name: String = "admin", password: String? = nil, passwordFile: String? = nil) {
            self.name = name
            self.password = password
            self.passwordFile = passwordFile
        }
    }

    public struct Webhook: Sendable, Hashable {
        public var url: String
        /// Signs every body: `X-Sluice-Signature: sha256=<hex HMAC-SHA256>`.
        public var secret: String

        public init(url: String, secret: String) {
            self.url = url
            self.secret = secret
        }
    }

    public struct SMTPSettings: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var from: String
        public var to: [String]
        public var username: String?
        public var password: String?
        /// Upgrade the connection with STARTTLS (required when set: no plain fallback).
        public var startTLS: Bool
        /// Trust only this CA file for STARTTLS (default: the system's roots).
        public var caFile: String?
        /// The name sent in EHLO.
        public var heloName: String

        public init(
            host: String, port: Int = 25, from: String, to: [String], username: String? = nil, password: String? = nil,
            startTLS: Bool = false, caFile: String? = nil, heloName: String = "sluice"
        ) {
            self.host = host
            self.port = port
            self.from = from
            self.to = to
            self.username = username
            self.password = password
            self.startTLS = startTLS
            self.caFile = caFile
            self.heloName = heloName
        }
    }

    /// Input limits of every request.
    public struct RequestLimits: Sendable, Hashable {
        /// Most bytes of a policy push.
        public var maximumPolicyBytes: Int
        /// Event batches being stored at once; more wait in line.
        public var ingestConcurrency: Int
        /// Event batches waiting for a turn; beyond it the answer is 503 with Retry-After.
        public var ingestQueue: Int
        /// Live event streams at once.
        public var maximumStreams: Int
        /// Most stored rows (rollup rows, or events where no rollup answers) one report may read;
        /// beyond it the answer is 400 asking for a narrower range or a filter.
        public var reportRowBudget: Int

        public init(
            maximumPolicyBytes: Int = 4 << 20, ingestConcurrency: Int = 4, ingestQueue: Int = 32, maximumStreams: Int = 256,
            reportRowBudget: Int = 2_000_000
        ) {
            self.maximumPolicyBytes = maximumPolicyBytes
            self.ingestConcurrency = ingestConcurrency
            self.ingestQueue = ingestQueue
            self.maximumStreams = maximumStreams
            self.reportRowBudget = reportRowBudget
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8443, database: String? = nil, dataDirectory: String = "/var/lib/sluice-server",
        tls: TLSFiles? = nil, allowPlainHTTP: Bool = false, bootstrapAdmin: BootstrapAdmin = BootstrapAdmin(),
        heartbeatSeconds: Int = 10, staleAfterSeconds: Int? = nil, eventRetentionDays: Int = 14, alertRetentionDays: Int = 90,
        alertAggregationSeconds: Int = 300, webhooks: [Webhook] = [], smtp: SMTPSettings? = nil,
        limits: RequestLimits = RequestLimits(), connections: ConnectionLimits = ConnectionLimits(), logins: LoginLimits = LoginLimits(),
        shutdownTimeout: Duration = .seconds(10), bcryptCost: UInt8 = 12, revisionPollMilliseconds: Int = 500, serverName: String? = nil,
        publicMetrics: Bool = false
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.dataDirectory = dataDirectory
        self.tls = tls
        self.allowPlainHTTP = allowPlainHTTP
        self.bootstrapAdmin = bootstrapAdmin
        self.heartbeatSeconds = heartbeatSeconds
        self.staleAfterSeconds = staleAfterSeconds ?? heartbeatSeconds * 3
        self.eventRetentionDays = eventRetentionDays
        self.alertRetentionDays = alertRetentionDays
        self.alertAggregationSeconds = alertAggregationSeconds
        self.webhooks = webhooks
        self.smtp = smtp
        self.limits = limits
        self.connections = connections
        self.logins = logins
        self.shutdownTimeout = shutdownTimeout
        self.publicMetrics = publicMetrics
        self.bcryptCost = bcryptCost
        self.revisionPollMilliseconds = revisionPollMilliseconds
        self.serverName = serverName ?? ProcessInfo.processInfo.hostName
    }

    /// The database URL in force: the one given, or the default SQLite file.
    public var databaseURL: String {
        database ?? "sqlite://" + (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + "sluice.db"
    }

    /// Every problem with the configuration, as messages for the operator; empty when it is good.
    public func problems() -> [String] {
        var problems: [String] = []
        if tls == nil && !allowPlainHTTP {
            problems.append(
                "no TLS certificate: give --tls-cert and --tls-key, or --allow-plain-http to serve plain HTTP (only behind a TLS-terminating proxy or on a trusted network)"
            )
        }
        if let tls {
            for (what, path) in [("certificate", tls.certificateChain), ("private key", tls.privateKey)]
            where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("TLS \(what) file \(path) cannot be read")
            }
        }
        if !(1...65535).contains(port) { problems.append("port \(port) is out of range (1-65535)") }
        if heartbeatSeconds < 1 { problems.append("heartbeat interval must be at least 1 second") }
        if staleAfterSeconds <= heartbeatSeconds { problems.append("the stale interval must be longer than the heartbeat interval") }
        if eventRetentionDays < 1 { problems.append("event retention must be at least 1 day") }
        problems += connections.problems() + logins.problems()
        if shutdownTimeout < .zero { problems.append("the shutdown timeout cannot be negative") }
        if !(4...31).contains(bcryptCost) { problems.append("bcrypt cost must be 4 to 31") }
        if case .failure(let error) = DatabaseLocation.parse(databaseURL) { problems.append(error.description) }
        for hook in webhooks {
            if URL(string: hook.url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                problems.append("webhook URL \(hook.url) is not an http(s) URL")
            }
            if hook.secret.isEmpty { problems.append("webhook \(hook.url) needs a secret to sign with") }
        }
        if let smtp, smtp.to.isEmpty { problems.append("SMTP needs at least one recipient") }
        if let smtp, (smtp.username == nil) != (smtp.password == nil) {
            problems.append("SMTP authentication needs both a user name and a password")
        }
        return problems
    }
}
