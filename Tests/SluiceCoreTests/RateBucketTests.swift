import Testing

@testable import SluiceCore

/// The kernel's GCRA step (BPF/sluice_rate.h) as user space runs it.
@Suite struct RateBucketTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aFullBucketAdmitsTheBurstThenThePace() {
        // 2/s with a burst of 2: one token every 0.5 s, one connect may run ahead.
        let rate = ConnectionRate(count: 2, periodSeconds: 1, burst: 2)
        var bucket = RateBucket()
        let at: [(UInt64, Bool)] = [
            (0, true), (0, true), (0, false),
            (Self.second / 2, true), (Self.second * 6 / 10, false), (Self.second, true), (Self.second, false),
        ]
        for (now, expected) in at {
            let admitted = bucket.admits(at: now, rate: rate)
            #expect(admitted == expected, "connect at \(now) ns")
        }
    }

    @Test func aRefusedConnectLeavesTheBucketAsItWas() {
        var bucket = RateBucket()
        let rate = ConnectionRate(count: 1, periodSeconds: 1, burst: 1)
        let first = bucket.admits(at: 0, rate: rate)
        let arrival = bucket.arrival
        let second = bucket.admits(at: Self.second / 2, rate: rate)
        #expect(first && !second)
        #expect(bucket.arrival == arrival && arrival == Self.second)
    }

    @Test func aFloodGetsTheRatePlusTheBurstOverAPeriod() {
        // README: over any whole period at most count + burst - 1 get through.
        let rate = ConnectionRate(count: 20, periodSeconds: 1)
        var bucket = RateBucket()
        let admitted = (0..<10_000).filter { bucket.admits(at: UInt64($0) * 1_000_000, rate: rate) }.count
        #expect(admitted == 10 * 20 + Int(rate.burst) - 1)
    }

    @Test func aPaceAtTheRateIsNeverRefused() {
        let rate = ConnectionRate(count: 600, periodSeconds: 60, burst: 1)
        var bucket = RateBucket()
        #expect((0..<1000).allSatisfy { bucket.admits(at: UInt64($0) * rate.intervalNanoseconds, rate: rate) })
    }

    @Test func anIntervalOfZeroAdmitsNothing() {
        var bucket = RateBucket()
        let admitted = bucket.admits(at: 5, interval: 0, tolerance: 0)
        #expect(!admitted && bucket.arrival == nil)
    }
}
