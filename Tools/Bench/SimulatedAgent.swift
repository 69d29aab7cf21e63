import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAPIRuntime
import SluiceAPI
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
/// try await agent.run(heartbeatSeconds: 10)   // watches and heartbeats until cancelled
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
        var applied: Int?
        var appliedAt: ContinuousClock.Instant?
        var appliedWall: Date?
        var sequence = 0
    }

    public init(server: String, name: String, labels: [String: String] = [:], client: HTTPClient) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.name = name
        self.labels = labels
        self.client = client
    }

    /// A client able to hold `connections` open connections to one server (one per agent's poll).
    /// - Parameters:
    ///   - idleTimeout: how long an idle connection is kept. A fleet whose polls hold one
    ///     connection each and whose heartbeats borrow another keeps about two per agent for this
    ///     long after a heartbeat: shorter keeps 10,000 agents inside one process's file limit.
    ///   - eventLoopGroup: the loops its connections run on (the process's shared ones unless given).
    public static func makeHTTPClient(
        connections: Int, idleTimeout: TimeAmount = .seconds(120), eventLoopGroup: (any EventLoopGroup)? = nil
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: idleTimeout, concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
        // No read timeout of its own: every request's deadline (the poll's wait and 30 s) bounds it,
        // and a second timer per request doubles what an event loop of thousands of polls keeps.
        configuration.timeout = .init(connect: .seconds(10))
        guard let eventLoopGroup else { return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration) }
        return HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
    }

    public var nodeID: String? { state.withLock { $0.nodeID } }
    public var credential: String? { state.withLock { $0.credential } }
    /// The last revision received, and when (monotonic and wall clock).
    public var applied: (revision: Int, at: ContinuousClock.Instant, wall: Date)? {
        state.withLock { state in
            guard let revision = state.applied, let at = state.appliedAt, let wall = state.appliedWall else { return nil }
            return (revision, at, wall)
        }
    }

    @discardableResult
    public func enroll(joinToken: String, kernel: String = "6.1.0-sim", agentVersion: String = SluiceVersion.current) async throws
        -> Components.Schemas.EnrollResponse
    {
        let request = Components.Schemas.EnrollRequest(
            joinToken: joinToken, nodeName: name, labels: .init(additionalProperties: labels), kernel: kernel, agentVersion: agentVersion)
        let response = try await connection(authorized: false).call { try await $0.enroll(body: .json(request)).created.body.json }
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
    public func heartbeat(applyError: String? = nil, failedRevision: Int? = nil) async throws -> Components.Schemas.HeartbeatResponse {
        let applied = state.withLock { $0.applied }
        let beat = Components.Schemas.Heartbeat(
            appliedRevision: applied, applyError: applyError, failedRevision: failedRevision, policyGeneration: applied ?? 0,
            rulesLoaded: 0, decisions: .init(allow: 0, alert: 0, deny: 0, monitorDeny: 0), eventsLost: .init(kernel: 0, agent: 0, upload: 0),
            eventsBuffered: 0, agentVersion: SluiceVersion.current)
        return try await connection().call { try await $0.heartbeat(body: .json(beat)).ok.body.json }
    }

    /// One long poll: the bundle when the revision passed `after`, nil on 304. A received bundle
    /// counts as applied.
    public func poll(after: Int?, wait: Int = 30) async throws -> Components.Schemas.PolicyBundle? {
        let answer = try await connection().call(timeout: .seconds(wait + 30)) { try await $0.pollPolicy(query: .init(after: after, wait: wait)) }
        guard case .ok(let ok) = answer else { return nil }
        let bundle = try ok.body.json
        received(bundle)
        return bundle
    }

    /// Reads one policy watch stream until the server ends it; each bundle received counts as
    /// applied.
    public func watch() async throws {
        for try await lines in try await connection().watchPolicy(after: applied?.revision) {
            for case .bundle(let bundle) in lines { received(bundle) }
        }
    }

    private func received(_ bundle: Components.Schemas.PolicyBundle) {
        state.withLock {
            $0.applied = bundle.revision
            $0.appliedAt = .now
            $0.appliedWall = Date()
        }
    }

    /// Uploads event lines as the next batch.
    public func upload(lines: [String]) async throws -> Components.Schemas.EventBatchResponse {
        let sequence = state.withLock { state -> Int in
            defer { state.sequence += 1 }
            return state.sequence
        }
        return try await upload(body: Self.body(lines), sequence: sequence)
    }

    /// Event lines as an upload body (NDJSON).
    public static func body(_ lines: [String]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
        for line in lines {
            body += line.utf8
            body.append(UInt8(ascii: "\n"))
        }
        return body
    }

    /// Uploads a prepared NDJSON body as batch `sequence` (benchmarks build bodies ahead).
    public func upload(body: [UInt8], sequence: Int) async throws -> Components.Schemas.EventBatchResponse {
        try await connection().call {
            try await $0.uploadEvents(query: .init(sequence: sequence), body: .applicationXNdjson(HTTPBody(body))).ok.body.json
        }
    }

    /// Watches the policy (or long-polls it, with `watching` false) and heartbeats until cancelled
    /// (or the node is refused). A failure the server may get over (a timeout, a 503 while
    /// thousands start at once) is tried again, as the agent does. The first heartbeat waits
    /// `firstHeartbeat`: a fleet's agents did not all start at once.
    public func run(heartbeatSeconds: Int = 10, wait: Int = 30, firstHeartbeat: Duration = .zero, watching: Bool = true) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: firstHeartbeat)
                while !Task.isCancelled {
                    let sent = try await Self.retrying { _ = try await self.heartbeat() }
                    try await Task.sleep(for: sent ? .seconds(heartbeatSeconds) : .milliseconds(500))
                }
            }
            group.addTask {
                while watching && !Task.isCancelled {
                    if try await !Self.retrying({ try await self.watch() }) { try await Task.sleep(for: .milliseconds(500)) }
                }
                var after = self.applied?.revision
                while !Task.isCancelled {
                    var bundle: Components.Schemas.PolicyBundle?
                    if try await Self.retrying({ bundle = try await self.poll(after: after, wait: wait) }) {
                        if let bundle { after = bundle.revision }
                    } else {
                        try await Task.sleep(for: .milliseconds(500))
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Runs `body`: true once it succeeded, false after a failure worth trying again; a refusal
    /// that will not pass on a retry (the node revoked, a bad request) is thrown.
    private static func retrying(_ body: () async throws -> Void) async throws -> Bool {
        do {
            try await body()
            return true
        } catch let failure as APIClientError where !failure.isRetryable {
            throw failure
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return false
        }
    }

    /// The generated client over the shared HTTP client, with the node's credential once enrolled.
    private func connection(authorized: Bool = true) throws -> ServerConnection {
        let credential = authorized ? state.withLock { $0.credential } : nil
        return try ServerConnection(server: server, credential: credential, userAgent: "sluice-bench/\(name)", sharing: client)
    }
}
