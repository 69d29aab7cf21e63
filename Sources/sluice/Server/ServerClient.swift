import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// Where the admin commands find the server and their credential: `--server`/`--ca` or
/// `$SLUICE_SERVER`/`$SLUICE_CA`, and `$SLUICE_TOKEN` or what `sluice login` saved.
struct ServerCredentials: Codable {
    var server: String
    var token: String
    var user: String
    var certificateAuthority: String?

    static var path: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let base = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"] ?? home + "/.config"
        return base + "/sluice/credentials.json"
    }

    static func load() -> ServerCredentials? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ServerCredentials.self, from: data)
    }

    func save() throws {
        let url = URL(fileURLWithPath: Self.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try JSONEncoder().encode(self).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: Self.path)
    }
}

import ArgumentParser

struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server (https://host:port); default: $SLUICE_SERVER or the one `sluice login` saved.", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) that signed the server's certificate.", valueName: "file"))
    var ca: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// server URL.")
    var allowInsecureHTTP = false

    /// A client for the server, with the credential when there is one.
    func client(needsToken: Bool = true) throws -> ServerClient {
        let environment = ProcessInfo.processInfo.environment
        let saved = ServerCredentials.load()
        guard let url = server ?? environment["SLUICE_SERVER"] ?? saved?.server else {
            throw CommandFailure.noServer
        }
        let token = environment["SLUICE_TOKEN"] ?? (saved?.server == url ? saved?.token : nil)
        if needsToken && token == nil {
            throw CommandFailure.notLoggedIn(server: url)
        }
        return try ServerClient(
            url: url, token: token, certificateAuthority: ca ?? environment["SLUICE_CA"] ?? saved?.certificateAuthority,
            allowPlainHTTP: allowInsecureHTTP || environment["SLUICE_ALLOW_INSECURE_HTTP"] == "1")
    }
}

/// The admin API over HTTPS with a bearer token; FleetJSON bodies; errors with the server's message.
final class ServerClient: Sendable {
    let baseURL: String
    let token: String?
    private let client: HTTPClient

    init(url: String, token: String?, certificateAuthority: String?, allowPlainHTTP: Bool) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["https", "http"].contains(scheme) else {
            throw CommandFailure.invalidServerURL(url)
        }
        if scheme == "http" && !allowPlainHTTP {
            throw CommandFailure.plainHTTP(server: url)
        }
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthority { tls.trustRoots = .file(certificateAuthority) }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
    }

    deinit {
        try? client.syncShutdown()
    }

    func get<Response: Decodable>(_ path: String, as type: Response.Type = Response.self) async throws -> Response {
        try decode(try await send("GET", path, body: nil))
    }

    func send<Response: Decodable>(_ method: String, _ path: String, json body: some Encodable, as type: Response.Type = Response.self) async throws -> Response {
        try decode(try await send(method, path, body: ByteBuffer(bytes: try FleetJSON.encoder().encode(body))))
    }

    func send(_ method: String, _ path: String) async throws {
        _ = try await send(method, path, body: nil)
    }

    private func decode<Response: Decodable>(_ buffer: ByteBuffer) throws -> Response {
        try FleetJSON.decoder().decode(Response.self, from: Data(buffer: buffer))
    }

    private func request(_ method: String, _ path: String, body: ByteBuffer?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        request.headers.add(name: "user-agent", value: "sluice-cli/\(SluiceVersion.current)")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(body)
        }
        return request
    }

    func send(_ method: String, _ path: String, body: ByteBuffer?) async throws -> ByteBuffer {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request(method, path, body: body), timeout: .seconds(60))
        } catch {
            throw CommandFailure.serverUnreachable(server: baseURL, cause: "\(error)")
        }
        let payload = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code < 300 else { throw Self.failure(response.status.code, payload) }
        return payload
    }

    /// NDJSON lines from a streaming endpoint, in the groups they arrived in. The stream keeps
    /// this client alive until it ends: the caller may drop its own reference at once (shutting
    /// the client down would cancel the body still being read).
    func lines(_ path: String) async throws -> AsyncThrowingStream<[String], any Error> {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request("GET", path, body: nil), timeout: .hours(24 * 365))
        } catch {
            throw CommandFailure.serverUnreachable(server: baseURL, cause: "\(error)")
        }
        guard response.status.code < 300 else {
            throw Self.failure(response.status.code, try await response.body.collect(upTo: 1 << 20))
        }
        return response.lines(keepingAlive: self)
    }

    static func failure(_ status: UInt, _ body: ByteBuffer) -> CommandFailure {
        guard let error = try? FleetJSON.decoder().decode(APIErrorBody.self, from: Data(buffer: body)) else {
            return .serverRefused(status: status, message: "the server answered \(status): \(String(buffer: body))", details: [])
        }
        return .serverRefused(status: status, message: error.error, details: error.details ?? [])
    }
}
