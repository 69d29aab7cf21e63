import Synchronization

/// The fleet revision as this replica knows it, and the agents long-polling for the next one.
///
/// A push on this replica advances it directly; a push on another replica sharing the database
/// arrives by LISTEN/NOTIFY or the revision poll (`ReplicaSync`). Advancing resumes every
/// waiter whose revision has passed, at once.
final class RevisionWatcher: Sendable {
    private struct Waiter {
        var after: Int64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var revision: Int64
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        /// The server is stopping: no wait lasts.
        var stopped = false
    }

    private let state: Mutex<State>
    private let onWaitersChanged: @Sendable (Int) -> Void

    init(revision: Int64, onWaitersChanged: @escaping @Sendable (Int) -> Void = { _ in }) {
        state = Mutex(State(revision: revision))
        self.onWaitersChanged = onWaitersChanged
    }

    var revision: Int64 { state.withLock { $0.revision } }

    var waiterCount: Int { state.withLock { $0.waiters.count } }
    /// The server is stopping: streams that wait on this watcher end.
    var isStopping: Bool { state.withLock { $0.stopped } }

    /// Moves to `revision` if it is newer and wakes who waited for it.
    func advance(to revision: Int64) {
        let (woken, count) = state.withLock { state -> ([CheckedContinuation<Void, Never>], Int) in
            guard revision > state.revision else { return ([], state.waiters.count) }
            state.revision = revision
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters where waiter.after < revision {
                woken.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return (woken, state.waiters.count)
        }
        guard !woken.isEmpty else { return }
        for continuation in woken { continuation.resume() }
        onWaitersChanged(count)
    }

    /// Wakes every waiter now and makes later waits return at once: a stopping server answers
    /// its long polls (they see no new revision) instead of holding shutdown for up to a minute.
    func stopWaiting() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
        onWaitersChanged(0)
    }

    /// Waits until the revision passes `after` or `timeout` passes (or the task is cancelled, or
    /// the server stops); returns the revision then.
    func wait(after: Int64, timeout: Duration) async -> Int64 {
        if revision > after || state.withLock({ $0.stopped }) { return revision }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUnbounded(after: after) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return revision
    }

    private func waitUnbounded(after: Int64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (resumeNow, count) = state.withLock { state -> (Bool, Int) in
                    // Cancelled before registering, the revision moved meanwhile, or the server stops.
                    if Task.isCancelled || state.revision > after || state.stopped { return (true, state.waiters.count) }
                    state.waiters[id] = Waiter(after: after, continuation: continuation)
                    return (false, state.waiters.count)
                }
                if resumeNow {
                    continuation.resume()
                } else {
                    onWaitersChanged(count)
                }
            }
        } onCancel: {
            let (waiter, count) = state.withLock { state -> (Waiter?, Int) in
                let waiter = state.waiters.removeValue(forKey: id)
                return (waiter, state.waiters.count)
            }
            if let waiter {
                waiter.continuation.resume()
                onWaitersChanged(count)
            }
        }
    }
}
