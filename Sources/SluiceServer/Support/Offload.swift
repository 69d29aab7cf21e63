import NIOPosix

/// CPU-heavy work a request can ask for (parsing a policy of up to 4 MiB, diffing versions) runs
/// on NIO's blocking thread pool: on the cooperative pool it would stall every other request,
/// health checks included, on a two-core machine.
enum Offload {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
