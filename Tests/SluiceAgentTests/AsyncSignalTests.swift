import Testing

@testable import SluiceAgent

/// The fleet loops' wake-up: a signal wakes a waiter at once, one given early is kept for the
/// next wait, and cancellation ends a wait. The hour-long limits show that nothing here returns
/// by timing out (the suite's time limit fails a wait that does). The limit leaves room for a
/// full run on two cores, where the kernel tests' blocking probes can hold the cooperative pool
/// for a while before these tasks run at all (one CI run took over a minute to start them).
@Suite(.timeLimit(.minutes(10)))
struct AsyncSignalTests {
    @Test func aSignalGivenBeforeTheWaitIsKept() async {
        let signal = AsyncSignal()
        signal.signal()
        await signal.wait(upTo: .seconds(3600))
    }

    @Test func aSignalWakesAWaiter() async {
        let signal = AsyncSignal()
        async let woken: Void = signal.wait(upTo: .seconds(3600))
        // Whether it lands before the wait starts or during it, the signal wakes it.
        signal.signal()
        await woken
    }

    @Test func cancellationEndsAWait() async {
        let signal = AsyncSignal()
        let waiting = Task { await signal.wait(upTo: .seconds(3600)) }
        waiting.cancel()
        await waiting.value
    }

    @Test func aWaitWithoutASignalEndsAtItsLimit() async {
        await AsyncSignal().wait(upTo: .milliseconds(10))
    }
}
