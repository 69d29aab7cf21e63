import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): the workload's only source of randomness, so a seed
/// gives the same events on every machine. The helpers are our own, not the standard library's
/// `random(in:using:)`, whose algorithm may change between releases.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one part of the workload, independent of how much the others draw.
    func fork(_ label: UInt64) -> SplitMix64 {
        var copy = SplitMix64(seed: state ^ (label &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// 0 ..< bound.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// lower ... upper.
    mutating func between(_ lower: Int, _ upper: Int) -> Int { lower + below(upper - lower + 1) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }

    /// Normal (Box–Muller).
    mutating func normal(mean: Double = 0, deviation: Double = 1) -> Double {
        let u = max(unit(), 1e-12)
        return mean + deviation * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// Zipf-like rank in 0 ..< count with exponent `s` (inverse-CDF on a precomputed table).
    mutating func zipf(_ table: ZipfTable) -> Int { table.sample(unit()) }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for index in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(index, below(index + 1)) }
        return items
    }
}

/// Cumulative Zipf weights for fast sampling.
struct ZipfTable {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var sum = 0.0
        var values: [Double] = []
        for rank in 1...count {
            sum += 1 / pow(Double(rank), exponent)
            values.append(sum)
        }
        cumulative = values.map { $0 / sum }
    }

    func sample(_ u: Double) -> Int {
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
