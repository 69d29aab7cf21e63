import ServiceLifecycle

/// A stop asked for through the local API (`sluice stop`). Its `run` returns once asked, and the
/// agent's service group is configured to shut down gracefully then, exactly as on SIGTERM:
/// no signal is sent, so protect mode has nothing to allow.
final class StopRequest: Service, Sendable {
    private let requests: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (requests, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the agent to stop; later calls change nothing.
    func request() {
        continuation.yield()
        continuation.finish()
    }

    func run() async {
        // A stop by signal ends the wait as well.
        for await _ in requests.cancelOnGracefulShutdown() { return }
    }
}
