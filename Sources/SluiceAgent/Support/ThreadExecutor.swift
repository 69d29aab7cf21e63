import Dispatch
import Foundation
import Synchronization

/// A serial executor with a thread of its own. An actor that runs on it (its `unownedExecutor`)
/// makes its blocking system calls there, never on Swift's cooperative pool, and keeps its
/// callers' async API.
///
/// The thread ends once the executor is released, which is after its actor's last job.
final class ThreadExecutor: SerialExecutor {
    private let jobs: JobQueue

    init(name: String) {
        let jobs = JobQueue()
        self.jobs = jobs
        // The thread holds the queue, not the executor: releasing the executor ends it.
        let thread = Thread { jobs.runUntilStopped() }
        thread.name = name
        thread.start()
    }

    deinit {
        jobs.stop()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        jobs.push(UnownedJob(job), on: asUnownedSerialExecutor())
    }

    /// Jobs in arrival order; one semaphore signal for each job and one for stopping.
    private final class JobQueue: Sendable {
        private let pending = Mutex<[(job: UnownedJob, executor: UnownedSerialExecutor)]>([])
        private let signals = DispatchSemaphore(value: 0)

        func push(_ job: UnownedJob, on executor: UnownedSerialExecutor) {
            pending.withLock { $0.append((job, executor)) }
            signals.signal()
        }

        func stop() {
            signals.signal()
        }

        /// Runs jobs one at a time until woken with none pending (`stop`).
        func runUntilStopped() {
            while true {
                signals.wait()
                let next = pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                guard let next else { return }
                next.job.runSynchronously(on: next.executor)
            }
        }
    }
}
