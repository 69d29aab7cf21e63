import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Open connections per client address (`ClientAddress.key`): beyond `maximum`, a new one is
/// closed as soon as it is accepted, so that one address cannot take every file descriptor and
/// everyone else (agents, people, the health check) keeps being served.
final class ConnectionCap: Sendable {
    enum Admission: Equatable {
        case admitted
        /// Refused; `first` for the first refusal since the address was last below its cap.
        case refused(first: Bool)
    }

    private struct State {
        var open: [String: Int] = [:]
        var capped: Set<String> = []
    }

    let maximum: Int
    private let state = Mutex(State())

    init(maximum: Int) {
        self.maximum = maximum
    }

    func admit(_ key: String) -> Admission {
        state.withLock { state in
            let open = state.open[key, default: 0]
            guard open >= maximum else {
                state.open[key] = open + 1
                return .admitted
            }
            return .refused(first: state.capped.insert(key).inserted)
        }
    }

    func release(_ key: String) {
        state.withLock { state in
            let open = state.open[key, default: 1] - 1
            state.open[key] = open > 0 ? open : nil
            if open < maximum { state.capped.remove(key) }
        }
    }
}

/// Why a connection was closed before it was served.
struct ConnectionRefused: Error, CustomStringConvertible {
    var address: String
    var maximum: Int

    var description: String { "\(address) already holds \(maximum) connections" }
}

/// A server child channel that admits each connection through a `ConnectionCap` before the
/// base channel (TLS, HTTP/1) sets it up.
struct CappedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let cap: ConnectionCap
    let onRefused: @Sendable () -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let key = ClientAddress.key(channel.remoteAddress)
        switch cap.admit(key) {
        case .admitted:
            channel.closeFuture.whenComplete { [cap] _ in cap.release(key) }
            return base.setup(channel: channel, logger: logger)
        case .refused(let first):
            if first {
                logger.warning(
                    "a client address reached its connection limit; closing its new connections",
                    metadata: ["connection.peer": "\(key)", "connection.limit": "\(cap.maximum)"])
            }
            onRefused()
            // A failed setup is dropped by the server's accept loop without closing: close here.
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefused(address: key, maximum: cap.maximum))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ServerChildChannel {
    /// This channel behind `cap`.
    func capped(by cap: ConnectionCap, onRefused: @escaping @Sendable () -> Void) -> any ServerChildChannel {
        CappedChannel(base: self, cap: cap, onRefused: onRefused)
    }
}
