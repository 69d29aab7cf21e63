import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import SluiceCore

/// A lightweight agent that speaks the real protocol (enroll, heartbeat, long-poll the policy,
/// upload events) without a kernel: for benchmarks with a thousand nodes. It lives with the
/// benchmarks, not in the server module, so the server binary does not carry it.
///
/// ```swift
/// let client = SimulatedAgent.makeHTTPClient(connections: 1000)
/// let agent = SimulatedAgent(server: "http://127.0.0.1:8080", name: "sim-1", client: client)
/// try await agent.enroll(joinToken: token)
/// try await agent.run(heartbeatSeconds: 10)   // polls and heartbeats until cancelled
/// ```
public final class SimulatedAgent: Sendable {
    public let server: String
    public let name: String
    public let labels: [String: String]
    private let client: HTTPClient
    private let state = Mutex(State())

    private struct State {
        var nodeID: String?
        var credential: String?
        var applied: UInt64?
        var appliedAt: ContinuousClock.Instant?
        var appliedWall: Date?
        var sequence: UInt64 = 0
    }

    /// A failed call: the status and the server's message.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var status: Int
        public var message: String
        public var description: String { "HTTP \(status): \(message)" }
    }

    public init(server: String, name: String, labels: [String: String] = [:], client: HTTPClient) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.name = name
        self.labels = labels
        self.client = client
    }

    /// A client able to hold `connections` open connections to one server (one per agent's poll).
    public static func makeHTTPClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(AgentPaths.maximumPolicyWait + 30)))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public var nodeID: String? { state.withLock { $0.nodeID } }
    public var credential: String? { state.withLock { $0.credential } }
    /// The last revision received, and when (monotonic and wall clock).
    public var applied: (revision: UInt64, at: ContinuousClock.Instant, wall: Date)? {
        state.withLock { state in
            guard let revision = state.applied, let at = state.appliedAt, let wall = state.appliedWall else { return nil }
            return (revision, at, wall)
        }
    }

    @discardableResult
    public func enroll(joinToken: String, kernel: String = "6.1.0-sim", agentVersion: String = SluiceVersion.current) async throws -> EnrollResponse {
        let response: EnrollResponse = try await call(
            .POST, AgentPaths.enroll,
            json: EnrollRequest(joinToken: joinToken, nodeName: name, labels: labels, kernel: kernel, agentVersion: agentVersion),
            authorized: false)
        state.withLock {
            $0.nodeID = response.nodeId
            $0.credential = response.credential
        }
        return response
    }

    /// Uses a credential from an earlier enrollment.
    public func adopt(nodeID: String, credential: String) {
        state.withLock {
            $0.nodeID = nodeID
            $0.credential = credential
        }
    }

    @discardableResult
    public func heartbeat(applyError: String? = nil, failedRevision: UInt64? = nil) async throws -> HeartbeatResponse {
        let applied = state.withLock { $0.applied }
        let beat = Heartbeat(
            appliedRevision: applied, applyError: applyError, failedRevision: failedRevision, policyGeneration: UInt32(truncatingIfNeeded: applied ?? 0),
            rulesLoaded: 0, decisions: DecisionCounts(), eventsLost: EventLosses(), eventsBuffered: 0, agentVersion: SluiceVersion.current)
        return try await call(.POST, AgentPaths.heartbeat, json: beat)
    }

    /// One long poll: the bundle when the revision passed `after`, nil on 304. A received bundle
    /// counts as applied.
    public func poll(after: UInt64?, wait: Int = 30) async throws -> PolicyBundle? {
        var path = AgentPaths.policy + "?wait=\(wait)"
        if let after { path += "&after=\(after)" }
        let (status, body) = try await send(.GET, path, body: nil, authorized: true, timeout: .seconds(Int64(wait + 30)))
        if status == 304 { return nil }
        guard status == 200 else { throw Failure(status: status, message: Self.message(body)) }
        let bundle = try FleetJSON.decoder().decode(PolicyBundle.self, from: body)
        state.withLock {
            $0.applied = bundle.revision
            $0.appliedAt = .now
            $0.appliedWall = Date()
        }
        return bundle
    }

    /// Uploads event lines as the next batch.
    public func upload(lines: [String]) async throws -> EventBatchResponse {
        let sequence = state.withLock { state -> UInt64 in
            defer { state.sequence += 1 }
            return state.sequence
        }
        return try await upload(lines: lines, sequence: sequence)
    }

    public func upload(lines: [String], sequence: UInt64) async throws -> EventBatchResponse {
        try await upload(body: Self.body(lines), sequence: sequence)
    }

    /// Event lines as an upload body (NDJSON).
    public static func body(_ lines: [String]) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
        for line in lines {
            body.writeString(line)
            body.writeInteger(UInt8(ascii: "\n"))
        }
        return body
    }

    /// Uploads a prepared NDJSON body as batch `sequence` (benchmarks build bodies ahead).
    public func upload(body: ByteBuffer, sequence: UInt64) async throws -> EventBatchResponse {
        let (status, data) = try await send(.POST, AgentPaths.events + "?sequence=\(sequence)", body: body, authorized: true)
        guard status == 200 else { throw Failure(status: status, message: Self.message(data)) }
        return try FleetJSON.decoder().decode(EventBatchResponse.self, from: data)
    }

    /// Polls and heartbeats until cancelled (or the node is refused).
    public func run(heartbeatSeconds: Int = 10, wait: Int = 30) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await self.heartbeat()
                    try await Task.sleep(for: .seconds(heartbeatSeconds))
                }
            }
            group.addTask {
                var after = self.applied?.revision
                while !Task.isCancelled {
                    do {
                        if let bundle = try await self.poll(after: after, wait: wait) { after = bundle.revision }
                    } catch let failure as Failure where failure.status >= 400 && failure.status < 500 {
                        throw failure
                    } catch {
                        if Task.isCancelled { return }
                        try await Task.sleep(for: .milliseconds(500))
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func call<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, json: Body, authorized: Bool = true
    ) async throws -> Answer {
        let data = try FleetJSON.encoder().encode(json)
        let (status, body) = try await send(method, path, body: ByteBuffer(bytes: data), authorized: authorized)
        guard (200..<300).contains(status) else { throw Failure(status: status, message: Self.message(body)) }
        return try FleetJSON.decoder().decode(Answer.self, from: body)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer?, authorized: Bool, timeout: TimeAmount = .seconds(60))
        async throws -> (Int, Data)
    {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let body {
            request.body = .bytes(body)
            request.headers.add(name: "Content-Type", value: path.hasPrefix(AgentPaths.events) ? "application/x-ndjson" : "application/json")
        }
        if authorized, let credential = state.withLock({ $0.credential }) {
            request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        }
        let response = try await client.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer: buffer))
    }

    static func message(_ body: Data) -> String {
        (try? FleetJSON.decoder().decode(APIErrorBody.self, from: body).error) ?? String(decoding: body.prefix(200), as: UTF8.self)
    }
}
