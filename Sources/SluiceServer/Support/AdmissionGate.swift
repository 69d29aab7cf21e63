import Synchronization

/// Admission for bounded work (event batches, password checks): `concurrency` run at once,
/// `queue` more wait in arrival order, and beyond that `enter` refuses at once.
final class AdmissionGate: Sendable {
    private struct State {
        var admitted = 0
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let concurrency: Int
    private let capacity: Int
    private let state = Mutex(State())

    init(concurrency: Int, queue: Int) {
        self.concurrency = max(1, concurrency)
        self.capacity = max(1, concurrency) + max(0, queue)
    }

    /// False when the line is full.
    func enter() -> Bool {
        state.withLock { state in
            guard state.admitted < capacity else { return false }
            state.admitted += 1
            return true
        }
    }

    func leave() {
        state.withLock { $0.admitted -= 1 }
    }

    func waitTurn() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.running < concurrency {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func finishTurn() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

extension AdmissionGate {
    /// Runs `body` in its turn; nil, running nothing, when the line is full.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
        guard enter() else { return nil }
        defer { leave() }
        await waitTurn()
        defer { finishTurn() }
        return try await body()
    }
}
