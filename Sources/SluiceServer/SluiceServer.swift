import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SluiceCore

/// `sluice server`: the central management server (docs/api.md).
///
/// ```swift
/// let server = try SluiceServer(configuration: configuration, logger: logger)
/// try await server.run()   // until SIGTERM or SIGINT
/// ```
public struct SluiceServer: Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger

    /// Checks the configuration; throws `ServerStartError` listing every problem.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ServerStartError.invalidConfiguration(problems: problems) }
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens and migrates the database, then serves the API with its background services
    /// (notifications, retention, stale detection, replica sync) until SIGTERM or SIGINT.
    public func run() async throws {
        MallocArenas.limit()
        // Each connection holds a file descriptor: take all the hard limit allows.
        let files = OpenFileLimit.raise()
        if files.after < 4096 {
            logger.warning(
                "the open file limit is low: a few thousand connections will exhaust it; raise LimitNOFILE (ulimit -Hn)",
                metadata: ["server.open_files": "\(files.after)"])
        }
        let app = try await ServerApp.open(configuration: configuration, logger: logger)
        do {
            let application = try Self.application(app, host: configuration.host, port: configuration.port)
            var groupConfiguration = ServiceGroupConfiguration(
                services: [application, ShutdownDrain(app: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // Requests still running after the drain and this long are cancelled.
            groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
            let group = ServiceGroup(configuration: groupConfiguration)
            logger.info(
                "sluice server listening",
                metadata: [
                    "server.address": "\(configuration.tls == nil ? "http" : "https")://\(configuration.host):\(configuration.port)",
                    "server.database": "\(DatabaseLocation.redacted(configuration.databaseURL))",
                    "server.open_files": "\(files.after)",
                ])
            try await group.run()
        } catch {
            await app.close()
            throw error
        }
        await app.close()
        logger.info("sluice server stopped")
    }

    /// The Hummingbird application of a server: its router, TLS when configured, the slow-client
    /// deadlines and the per-address connection cap, and the background services.
    static func application(_ app: ServerApp, host: String, port: Int) throws -> some ApplicationProtocol {
        let limits = app.configuration.connections
        let metrics = app.metrics
        let logger = app.logger
        // The request line counts against the field size: 64 KiB lets an over-long query reach the
        // routes, which refuse it with a JSON error the API document describes (the HTTP layer's
        // own refusal is a bare 400 without a body). Idle connections are `SlowClientGuard`'s.
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                SlowClientGuard(limits: limits, logger: logger) { metrics.connectionClosed(reason: $0.rawValue) }
            ],
            idleTimeout: nil,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: 64 << 10, maxHeaderListSize: 128 << 10, maxHeaderFieldCount: 100))
        let tls = try app.configuration.tls.map(Self.tlsConfiguration)
        let cap = ConnectionCap(maximum: limits.maximumPerAddress)
        let refused: @Sendable () -> Void = { metrics.connectionClosed(reason: "address_limit") }
        let server = HTTPServerBuilder { responder in
            let channel = HTTP1Channel(responder: responder, configuration: http)
            guard let tls else { return channel.capped(by: cap, onRefused: refused) }
            return try TLSChannel(channel, tlsConfiguration: tls).capped(by: cap, onRefused: refused)
        }
        return Application(
            router: try app.router(), server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "sluice-server"),
            services: app.services, logger: app.logger)
    }

    private static func tlsConfiguration(_ files: ServerConfiguration.TLSFiles) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw ServerStartError.tlsUnusable(certificateChain: files.certificateChain, privateKey: files.privateKey, reason: "\(error)")
        }
    }
}
