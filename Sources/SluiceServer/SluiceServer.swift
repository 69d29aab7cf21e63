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
        guard problems.isEmpty else { throw ServerStartError(problems.joined(separator: "\n")) }
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens and migrates the database, then serves the API with its background services
    /// (notifications, retention, stale detection, replica sync) until SIGTERM or SIGINT.
    public func run() async throws {
        let app = try await ServerApp.open(configuration: configuration, logger: logger)
        do {
            let application = try Self.application(app, host: configuration.host, port: configuration.port)
            let group = ServiceGroup(
                configuration: .init(
                    services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            logger.info(
                "sluice server listening",
                metadata: [
                    "server.address": "\(configuration.tls == nil ? "http" : "https")://\(configuration.host):\(configuration.port)",
                    "server.database": "\(DatabaseLocation.redacted(configuration.databaseURL))",
                ])
            try await group.run()
        } catch {
            await app.close()
            throw error
        }
        await app.close()
    }

    /// The Hummingbird application of a server: its router, TLS when configured, and the
    /// background services.
    static func application(_ app: ServerApp, host: String, port: Int) throws -> some ApplicationProtocol {
        // The request line counts against the field size: 64 KiB lets an over-long query reach the
        // routes, which refuse it with a JSON error the API document describes (the HTTP layer's
        // own refusal is a bare 400 without a body).
        let http = HTTPServerBuilder.http1(
            configuration: .init(
                idleTimeout: .seconds(Int64(AgentPaths.maximumPolicyWait * 2)),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 64 << 10, maxHeaderListSize: 128 << 10, maxHeaderFieldCount: 100)))
        let server: HTTPServerBuilder
        if let tls = app.configuration.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
                var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                configuration.minimumTLSVersion = .tlsv12
                server = try .tls(http, tlsConfiguration: configuration)
            } catch {
                throw ServerStartError("cannot load the TLS certificate or key: \(error)")
            }
        } else {
            server = http
        }
        return Application(
            router: try app.router(), server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "sluice-server"),
            services: app.services, logger: app.logger)
    }
}


