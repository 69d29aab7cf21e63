import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceAgent
import SluiceCore

/// Talks to a running agent's local API over its Unix socket.
struct AgentClient {
    let socketPath: String

    init(layout: StateLayout) {
        socketPath = layout.socketPath
    }

    /// Whether an agent answers on the socket.
    var isReachable: Bool {
        get async { (try? await get("/v1/status", timeout: .seconds(2))) != nil }
    }

    func url(_ path: String) -> String {
        let host = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        return "http+unix://\(host)\(path)"
    }

    func get(_ path: String, timeout: TimeAmount = .seconds(30)) async throws -> ByteBuffer {
        try await send(HTTPClientRequest(url: url(path)), timeout: timeout)
    }

    func post(_ path: String, json body: some Encodable) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url(path))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try FleetJSON.encoder().encode(body)))
        return try await send(request, timeout: .seconds(30))
    }

    /// A POST without a body, with a bearer token when given.
    func post(_ path: String, bearer token: String?) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url(path))
        request.method = .POST
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        return try await send(request, timeout: .seconds(30))
    }

    func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try FleetJSON.decoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    private func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> ByteBuffer {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw unreachable(error)
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code < 300 || response.status.code == 422 else {
            throw CommandFailure.agentRefused(status: response.status.code, body: String(buffer: body))
        }
        return body
    }

    /// Streams NDJSON lines from `path` until the agent closes the stream, in the groups they
    /// arrived in (a follower writes one block per group, not one per line).
    func lines(_ path: String) async throws -> LineGroups<AsyncMapSequence<HTTPClientResponse.Body, ByteBufferView>> {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url(path)), timeout: .hours(24 * 365))
        } catch {
            throw unreachable(error)
        }
        guard response.status.code < 300 else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw CommandFailure.agentRefused(status: response.status.code, body: String(buffer: body))
        }
        return LineGroups(response.body.map(\.readableBytesView))
    }

    private func unreachable(_ error: any Error) -> CommandFailure {
        .agentUnreachable(socket: socketPath, cause: "\(error)")
    }
}
