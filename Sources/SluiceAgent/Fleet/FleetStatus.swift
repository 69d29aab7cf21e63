import Foundation
import Synchronization

/// The node's membership in a fleet as `sluice status` shows it: whether the server answers,
/// whether it still accepts this node, and what waits on disk for upload.
public struct FleetStatus: Sendable, Codable, Hashable {
    /// Where the node stands with its server.
    public enum Connection: String, Sendable, Codable, Hashable {
        /// No answer from the server yet since the agent started (enrolling, or the first
        /// request with a saved credential is on its way).
        case connecting
        /// The last request reached the server.
        case connected
        /// The last request failed: no answer, or the server said it is overloaded (429, 5xx);
        /// events buffer on disk and requests are retried with back-off.
        case unreachable
        /// The server refuses this node's credential (or join token): it reports nothing more
        /// and keeps enforcing the last policy it applied.
        case revoked
        /// No credential and no join token: local and saved policy only.
        case notEnrolled = "not_enrolled"
    }

    public var server: String
    public var nodeID: String?
    public var connection: Connection
    /// Why the node is unreachable, revoked or not enrolled.
    public var error: String?
    /// When a request last reached the server.
    public var lastContact: Date?
    /// Events waiting on disk for upload.
    public var eventsBuffered: Int
    /// Events dropped since the agent started: the disk buffer was full, the agent fell behind,
    /// or the server refused a batch as malformed.
    public var eventsDropped: UInt64
}

/// The live fleet state the fleet service writes and the local API reads.
final class FleetTracker: Sendable {
    private struct State {
        var nodeID: String?
        var connection: FleetStatus.Connection = .connecting
        var error: String?
        var lastContact: Date?
    }

    let server: String
    private let outbox: EventOutbox
    private let state = Mutex(State())

    init(server: String, outbox: EventOutbox) {
        self.server = server
        self.outbox = outbox
    }

    func enrolled(nodeID: String) {
        state.withLock { $0.nodeID = nodeID }
    }

    /// A request reached the server; true when it had been unreachable before (the caller may
    /// then hurry what waited for it).
    @discardableResult
    func reached() -> Bool {
        state.withLock { state in
            let wasAway = state.connection == .unreachable
            if state.connection != .revoked {
                state.connection = .connected
                state.error = nil
            }
            state.lastContact = Date()
            return wasAway
        }
    }

    func unreachable(_ why: String) {
        state.withLock { state in
            guard state.connection != .revoked else { return }
            state.connection = .unreachable
            state.error = why
        }
    }

    /// Final: a revoked node stays revoked until it is enrolled again.
    func revoked(_ why: String) {
        state.withLock { state in
            state.connection = .revoked
            state.error = why
        }
    }

    func notEnrolled(_ why: String) {
        state.withLock { state in
            state.connection = .notEnrolled
            state.error = why
        }
    }

    var isRevoked: Bool { state.withLock { $0.connection == .revoked } }

    var status: FleetStatus {
        let totals = outbox.totals
        return state.withLock { state in
            FleetStatus(
                server: server, nodeID: state.nodeID, connection: state.connection, error: state.error, lastContact: state.lastContact,
                eventsBuffered: totals.buffered, eventsDropped: totals.dropped)
        }
    }
}
