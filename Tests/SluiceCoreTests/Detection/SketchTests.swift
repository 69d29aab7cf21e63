import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import SluiceCore

/// The building blocks: sketches, counters, histograms, the quantile and the logarithm.
@Suite struct SketchTests {
    @Test func countMinNeverUnderestimatesAndHalves() {
        var sketch = CountMinSketch(width: 1024)
        var truth: [UInt64: Int] = [:]
        var rng = SplitMix64(seed: 4)
        for _ in 0..<20_000 {
            let key = SeededHash.mix(UInt64(rng.below(3_000)))
            sketch.add(key)
            truth[key, default: 0] += 1
        }
        #expect(truth.allSatisfy { sketch.estimate($0.key) >= min(255, $0.value) })
        let unseen = (0..<1000).count { sketch.estimate(SeededHash.mix(UInt64(1_000_000 + $0))) == 0 }
        #expect(unseen > 0)
        let key = SeededHash.mix(7)
        var fresh = CountMinSketch(width: 64)
        let wasNew = fresh.add(key, amount: 40)
        let wasNewAgain = fresh.add(key)
        #expect(wasNew && !wasNewAgain)
        #expect(fresh.estimate(key) == 41)
        fresh.halve()
        #expect(fresh.estimate(key) == 20)
    }

    @Test func applicationSketchAgreesWithTheNodeSketchForFewKeys() {
        var small = ApplicationSketch()
        for index in 0..<50 { small.add(SeededHash.mix(UInt64(index)), amount: index % 5 + 1) }
        var estimates: [Int] = []
        for index in 0..<50 { estimates.append(small.estimate(SeededHash.mix(UInt64(index)))) }
        #expect(estimates.enumerated().allSatisfy { $0.element >= $0.offset % 5 + 1 })
        let absent = small.estimate(SeededHash.mix(999))
        #expect(absent == 0)
        small.add(SeededHash.mix(999), amount: 300)
        let saturated = small.estimate(SeededHash.mix(999))
        #expect(saturated == 255)
    }

    @Test func linearCounterEstimatesDistinctKeys() {
        for distinct in [5, 20, 60, 150] {
            var counter = LinearCounter()
            for index in 0..<distinct { _ = counter.insert(SeededHash.mix(UInt64(index) &+ 77)) }
            let error = abs(Double(counter.estimate - distinct)) / Double(distinct)
            #expect(error < 0.35, "\(distinct) distinct keys estimated as \(counter.estimate)")
        }
        var counter = LinearCounter()
        let first = counter.insert(1 << 60)
        let second = counter.insert(1 << 60)
        #expect(first && !second)
    }

    @Test func rateHistogramBucketsAndTails() {
        #expect([0, 1, 2, 3, 4, 7, 8, 1000, 1 << 40].map(RateHistogram.bucket) == [0, 1, 2, 2, 3, 3, 4, 10, 15])
        var history = RateHistogram()
        for _ in 0..<1000 { history.add(bucket: 2, weight: 1, cap: 1e9) }
        for _ in 0..<20 { history.add(bucket: 5, weight: 1, cap: 1e9) }
        // 20 of 1020 windows (2%) reach bucket 5: the 99th percentile is there, the 97th is not.
        #expect(history.typicalBucket(0.99) == 5)
        #expect(history.typicalBucket(0.97) == 2)
        let node = RateHistogram()
        // At the usual level: nothing; a doubling over it: at most 4 bits; far over: much more.
        #expect(history.surprisal(reaching: 5, typical: 5, node: node, prior: 32) == 0)
        #expect(history.surprisal(reaching: 6, typical: 5, node: node, prior: 32) <= 4)
        #expect(history.surprisal(reaching: 12, typical: 5, node: node, prior: 32) > 15)
    }

    @Test func streamingQuantileFollowsTheDistribution() {
        var quantile = StreamingQuantile()
        for index in 0..<10_000 { quantile.add(Double(index % 40), cap: 1e9) }
        #expect(abs(quantile.quantile(0.9) - 36) < 1.01)
        #expect(abs(quantile.quantile(0.5) - 20) < 1.01)
        #expect(StreamingQuantile().quantile(0.99) == 0)
    }

    @Test func categoricalTailsOnlyPunishTheUnfamiliar() {
        var app = CategoricalCounts<6>()
        var node = CategoricalCounts<6>()
        for _ in 0..<1000 {
            app.add(0, weight: 1, cap: 1e9)
            node.add(0, weight: 1, cap: 1e9)
        }
        app.add(5, weight: 1, cap: 1e9)
        #expect(app.tailSurprisal(from: 0, node: node, prior: 4) == 0)
        let alien = app.tailSurprisal(from: 5, node: node, prior: 4)
        #expect(alien > 9 && alien < 10.1)
        #expect(app.tailSurprisal(from: 3, node: node, prior: 4) <= alien)
    }

    @Test func fastLogarithmIsAccurate() {
        var rng = SplitMix64(seed: 8)
        for _ in 0..<10_000 {
            let x = Double(rng.next() >> 11) * 0x1.0p-53 * 1000 + 1e-9
            #expect(abs(FastLog.log2(x) - log2(x)) < 1e-5)
        }
        #expect(FastLog.surprisal(1) == 0)
        #expect(abs(FastLog.surprisal(0.25) - 2) < 1e-6)
    }

    @Test func seededHashesDependOnTheSeed() {
        let a = SeededHash(seed: 1)
        let b = SeededHash(seed: 2)
        #expect(a.hash(1, 2, tag: 3) == SeededHash(seed: 1).hash(1, 2, tag: 3))
        #expect(a.hash(1, 2, tag: 3) != b.hash(1, 2, tag: 3))
        #expect(a.hash(1, 2, tag: 3) != a.hash(1, 2, tag: 4))
    }
}
