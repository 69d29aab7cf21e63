import Foundation

/// Runs blocking work (epoll, inotify reads) on a thread of its own, off Swift's cooperative
/// pool, and lets async code await its end instead of polling `Thread.isFinished`.
enum DedicatedThread {
    /// Starts `body` on a new thread named `name`; returns when it returns.
    static func run(name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                body()
                continuation.resume()
            }
            thread.name = name
            thread.start()
        }
    }
}
