import Testing

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so every property test replays
/// the same cases from its seed on every machine and toolchain. The helpers below are our own
/// rather than the standard library's `random(in:using:)`, whose algorithm may change.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0 ..< bound.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// lower ... upper.
    mutating func between(_ lower: Int, _ upper: Int) -> Int {
        lower + below(upper - lower + 1)
    }

    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, below(index + 1))
        }
        return items
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
        }
        #expect(rng.shuffled(Array(0..<20)).sorted() == Array(0..<20))
    }
}
