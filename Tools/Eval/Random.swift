import Foundation
import SluiceCore

/// The workload's draws beyond the core generator's: probabilities and the distributions of
/// `NormalTraffic` and `AttackTraffic`.
extension SplitMix64 {
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }

    /// Normal (Box–Muller).
    mutating func normal(mean: Double = 0, deviation: Double = 1) -> Double {
        let u = max(unit(), 1e-12)
        return mean + deviation * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// Zipf-like rank in 0 ..< count with exponent `s` (inverse-CDF on a precomputed table).
    mutating func zipf(_ table: ZipfTable) -> Int { table.sample(unit()) }
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
