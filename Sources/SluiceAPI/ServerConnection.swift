import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// A connection to the server's API: the generated `Client` over one HTTP client that this value
/// owns, with the caller's credential and user agent, and error answers turned into
/// `APIClientError`. Call `shutdown()` once every request and stream is done (or use
/// `ServerConnection.with`, which does so when its body returns).
public final class ServerConnection: Sendable {
    /// The server's base URL, without a trailing slash.
    public let server: String
    private let http: HTTPClient
    /// False when the HTTP client is the caller's.
    private let owned: Bool
    private let base: URL
    private let middlewares: [any ClientMiddleware]

    /// - Parameters:
    ///   - credential: the bearer token (a user's API token or a node's credential), if any.
    ///   - certificateAuthority: a PEM file of the CA that signed the server's certificate.
    ///   - allowPlainHTTP: accept an `http://` URL.
    public convenience init(
        server: String, credential: String?, certificateAuthority: String?, allowPlainHTTP: Bool, userAgent: String
    ) throws(APIClientError) {
        guard let url = URL(string: server), let scheme = url.scheme, ["https", "http"].contains(scheme), url.host != nil else {
            throw .invalidServerURL(server)
        }
        if scheme == "http" && !allowPlainHTTP { throw .plainHTTP(server: server) }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthority { tls.trustRoots = .file(certificateAuthority) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5))
        // The API never redirects; following one could carry a join token or a password elsewhere.
        configuration.redirectConfiguration = .disallow
        self.init(
            server: server, credential: credential, userAgent: userAgent,
            http: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration), owned: true)
    }

    /// A connection over `client`, which the caller owns and shuts down (`shutdown()` leaves it):
    /// tests and tools that make many connections share one.
    public convenience init(server: String, credential: String?, userAgent: String, sharing client: HTTPClient) throws(APIClientError) {
        guard URL(string: server)?.host != nil else { throw .invalidServerURL(server) }
        self.init(server: server, credential: credential, userAgent: userAgent, http: client, owned: false)
    }

    private init(server: String, credential: String?, userAgent: String, http: HTTPClient, owned: Bool) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        base = URL(string: self.server)!
        self.http = http
        self.owned = owned
        middlewares = [HeadersMiddleware(credential: credential, userAgent: userAgent), ErrorAnswerMiddleware(server: self.server)]
    }

    /// The generated client, for requests that may take up to `timeout` (a long poll or a live
    /// stream needs more than the default minute).
    public func client(timeout: Duration = .seconds(60)) -> Client {
        let seconds = timeout.components.seconds
        return client(transport: AsyncHTTPClientTransport(configuration: .init(client: http, timeout: .seconds(seconds))))
    }

    /// The generated client over another transport (tests answer from memory).
    func client(transport: any ClientTransport) -> Client {
        Client(serverURL: base, configuration: .sluice, transport: transport, middlewares: middlewares)
    }

    /// Closes the connections (of an HTTP client this connection made). Bodies still being read
    /// fail with a cancellation.
    public func shutdown() async {
        if owned { try? await http.shutdown() }
    }

    /// Runs `body` with a new connection and shuts it down when `body` returns or throws: a stream
    /// read inside `body` cannot outlive its client.
    public static func with<Result: Sendable>(
        server: String, credential: String?, certificateAuthority: String?, allowPlainHTTP: Bool, userAgent: String,
        _ body: (ServerConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try ServerConnection(
            server: server, credential: credential, certificateAuthority: certificateAuthority, allowPlainHTTP: allowPlainHTTP,
            userAgent: userAgent)
        do {
            let result = try await body(connection)
            await connection.shutdown()
            return result
        } catch {
            await connection.shutdown()
            throw error
        }
    }

    /// Runs one call of the generated client, with its failures as `APIClientError`:
    /// `try await connection.call { try await $0.listNodes().ok.body.json }`.
    public func call<Result>(timeout: Duration = .seconds(60), _ operation: (Client) async throws -> Result) async throws(APIClientError)
        -> Result
    {
        do {
            return try await operation(client(timeout: timeout))
        } catch {
            throw APIClientError(error, server: server)
        }
    }
}

extension APIClientError {
    /// The typed error behind what the generated client threw.
    public init(_ error: any Error, server: String) {
        switch error {
        case let error as APIClientError:
            self = error
        case let error as ClientError:
            if let underlying = error.underlyingError as? APIClientError {
                self = underlying
            } else if let status = error.response?.status.code, status >= 300 {
                self = .unexpectedAnswer(status: status, operation: error.operationID)
            } else {
                self = .unreachable(server: server, cause: "\(error.underlyingError)")
            }
        default:
            self = .unreachable(server: server, cause: "\(error)")
        }
    }
}
