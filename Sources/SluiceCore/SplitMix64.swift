/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so a seed gives the same
/// sequence on every machine and toolchain. The property tests replay their cases from it and
/// sluice-eval draws its workload from it; one copy keeps the two from drifting. The helpers are
/// our own rather than the standard library's `random(in:using:)`, whose algorithm may change.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one part of a workload, independent of how much the others draw.
    public func fork(_ label: UInt64) -> SplitMix64 {
        var copy = SplitMix64(seed: state ^ (label &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// 0 ..< bound.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// lower ... upper.
    public mutating func between(_ lower: Int, _ upper: Int) -> Int { lower + below(upper - lower + 1) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for index in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(index, below(index + 1)) }
        return items
    }
}
