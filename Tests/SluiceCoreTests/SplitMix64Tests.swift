import Testing

@testable import SluiceCore

extension SplitMix64 {
    /// True `percent` times in a hundred. The property tests' own odds, in whole percent: their
    /// recorded seeds replay the cases drawn this way.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }
}

@Suite struct SplitMix64Tests {
    /// The reference outputs for seed 0 (from the published algorithm), so a typo in the
    /// constants cannot silently weaken the property tests.
    @Test func matchesTheReferenceSequence() {
        var rng = SplitMix64(seed: 0)
        #expect([rng.next(), rng.next(), rng.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test func helpersStayInBounds() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<1000 {
            #expect((0..<7).contains(rng.below(7)))
            #expect((3...5).contains(rng.between(3, 5)))
            #expect((0..<1).contains(rng.unit()))
        }
        #expect(rng.shuffled(Array(0..<20)).sorted() == Array(0..<20))
    }
}
