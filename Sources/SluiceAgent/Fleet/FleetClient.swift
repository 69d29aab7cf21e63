import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// The agent's side of the server's protocol (`/api/v1/agent/*`).
final class FleetClient: Sendable {
    let baseURL: String
    private let client: HTTPClient

    /// A failed request, with what the server said.
    enum Failure: Error, CustomStringConvertible {
        /// The server could not be reached (or answered 5xx/429): retry later.
        case unreachable(String)
        /// The node's credential was refused: it was revoked.
        case revoked(String)
        /// The server refused the request as wrong; retrying will not help.
        case refused(Int, String)

        var description: String {
            switch self {
            case .unreachable(let why): return "server unreachable: \(why)"
            case .revoked(let why): return "this node's credential was refused (revoked?): \(why)"
            case .refused(let status, let why): return "server refused (\(status)): \(why)"
            }
        }
    }

    init(configuration: FleetConfiguration) throws {
        guard let url = URL(string: configuration.serverURL), let scheme = url.scheme, ["https", "http"].contains(scheme) else {
            throw AgentError("--server must be an https:// URL, not \(configuration.serverURL)")
        }
        if scheme == "http" && !configuration.allowPlainHTTP {
            throw AgentError("--server \(configuration.serverURL) is plain HTTP: credentials and policy would travel unprotected; use https, or --allow-insecure-http if you mean it")
        }
        baseURL = configuration.serverURL.hasSuffix("/") ? String(configuration.serverURL.dropLast()) : configuration.serverURL
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.certificateAuthorityFile {
            tls.trustRoots = .file(file)
        }
        var settings = HTTPClient.Configuration(tlsConfiguration: tls)
        settings.timeout = .init(connect: .seconds(5), read: .seconds(90))
        // A redirect could carry the enrollment body (the join token) to another origin, or to http.
        settings.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func enroll(_ request: EnrollRequest) async throws -> EnrollResponse {
        try await send("POST", "/api/v1/agent/enroll", body: request, credential: nil, as: EnrollResponse.self)
    }

    func heartbeat(_ heartbeat: Heartbeat, credential: String) async throws -> HeartbeatResponse {
        try await send("POST", "/api/v1/agent/heartbeat", body: heartbeat, credential: credential, as: HeartbeatResponse.self)
    }

    /// The policies for this node once the fleet revision passes `after`; nil when the server
    /// answered 304 after waiting.
    func policy(after revision: UInt64?, waitSeconds: Int, credential: String) async throws -> PolicyBundle? {
        var path = "/api/v1/agent/policy?wait=\(waitSeconds)"
        if let revision { path += "&after=\(revision)" }
        let (status, body) = try await raw("GET", path, body: nil, contentType: nil, credential: credential, timeout: .seconds(Int64(waitSeconds + 30)))
        if status == 304 { return nil }
        return try FleetJSON.decoder().decode(PolicyBundle.self, from: Data(buffer: body))
    }

    /// Uploads NDJSON event lines as batch `sequence`.
    func upload(events: ByteBuffer, sequence: UInt64, credential: String) async throws -> EventBatchResponse {
        let (_, body) = try await raw(
            "POST", "/api/v1/agent/events?sequence=\(sequence)", body: events, contentType: "application/x-ndjson", credential: credential,
            timeout: .seconds(30))
        return try FleetJSON.decoder().decode(EventBatchResponse.self, from: Data(buffer: body))
    }

    func upload(rules: [LearnedRule], credential: String) async throws {
        let body = ByteBuffer(bytes: try FleetJSON.encoder().encode(rules))
        _ = try await raw("POST", "/api/v1/agent/rules", body: body, contentType: "application/json", credential: credential, timeout: .seconds(30))
    }

    private func send<Response: Decodable>(
        _ method: String, _ path: String, body: some Encodable, credential: String?, as type: Response.Type
    ) async throws -> Response {
        let encoded = ByteBuffer(bytes: try FleetJSON.encoder().encode(body))
        let (_, response) = try await raw(method, path, body: encoded, contentType: "application/json", credential: credential, timeout: .seconds(30))
        return try FleetJSON.decoder().decode(Response.self, from: Data(buffer: response))
    }

    /// One request; classifies failures for the caller's retry logic.
    private func raw(
        _ method: String, _ path: String, body: ByteBuffer?, contentType: String?, credential: String?, timeout: TimeAmount
    ) async throws -> (Int, ByteBuffer) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let credential { request.headers.add(name: "authorization", value: "Bearer \(credential)") }
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        request.headers.add(name: "user-agent", value: "sluice-agent/\(SluiceVersion.current)")
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw Failure.unreachable("\(error)")
        }
        let payload = try await response.body.collect(upTo: 64 << 20)
        let status = Int(response.status.code)
        switch status {
        case 200..<300, 304:
            return (status, payload)
        case 401, 403 where response.headers.first(name: AgentPaths.revokedHeader) == "true":
            throw Failure.revoked(Self.message(payload))
        case 400, 413, 422:
            throw Failure.refused(status, Self.message(payload))
        default:
            // Anything else may pass (a proxy in the way, a server being deployed): retry.
            throw Failure.unreachable("\(status): \(Self.message(payload))")
        }
    }

    static func message(_ body: ByteBuffer) -> String {
        (try? FleetJSON.decoder().decode(APIErrorBody.self, from: Data(buffer: body)))?.error ?? String(buffer: body)
    }
}
