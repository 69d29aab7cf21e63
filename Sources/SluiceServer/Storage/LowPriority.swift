import Foundation
import Glibc

/// A thread that yields the cores: Linux keeps a nice value per thread, so lowering it on the
/// report thread leaves ingest and the other reads at full priority.
enum LowPriority {
    /// Nice 10: about a tenth of a contended core's time against threads at the default 0.
    static let nice: Int32 = 10

    /// Lowers the calling thread's priority (raising a nice value needs no privilege).
    static func apply() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
    }

    /// `body` on a new thread at nice 10, which ends with it: a pooled thread, once lowered,
    /// could not be raised again without privilege. Threads `body` starts inherit the nice
    /// value, so work spread over every core still gives way to ingest and requests.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            detach { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `body` on a new thread at nice 10, not waited for: work whose result no one needs now
    /// (freeing what a request used, after its answer).
    static func detach(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            apply()
            body()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
