import Foundation
import SluiceCore

/// Isolation Forest (Liu, Ting and Zhou, ICDM 2008): an ensemble of random binary trees, each
/// grown on a small random sample until every point is alone or the height limit is reached.
/// Anomalies are few and different, so random splits isolate them close to the root; the score
/// `2^(-E[h(x)] / c(ψ))` is near 1 for them and at most about 0.5 for ordinary points.
/// Deterministic for its seed.
struct IsolationForest {
    /// One node of a tree: an internal node splits on `feature` at `split`; a leaf (feature -1)
    /// holds how many training points ended in it.
    private struct Node {
        var feature: Int32
        var split: Float
        /// Index of the left child (right is `left + 1`), or the leaf's size.
        var left: Int32
    }

    let dimensions: Int
    let sampleSize: Int
    private var nodes: [Node] = []
    private var roots: [Int32] = []
    /// c(ψ): the average path length of an unsuccessful search in a binary search tree of ψ
    /// points, which normalises the score.
    private let normaliser: Double

    /// Grows `trees` trees, each on `sampleSize` points drawn without replacement from `points`
    /// (all of them when there are fewer), with the height limit ⌈log2 ψ⌉ of the paper.
    init(points: [[Float]], trees: Int = 100, sampleSize: Int = 256, seed: UInt64) {
        precondition(!points.isEmpty, "a forest needs training points")
        dimensions = points[0].count
        let psi = min(sampleSize, points.count)
        self.sampleSize = psi
        normaliser = Self.averagePathLength(psi)
        let heightLimit = max(1, Int(ceil(log2(Double(max(psi, 2))))))
        var rng = SplitMix64(seed: seed)
        var order = Array(points.indices)
        for _ in 0..<trees {
            // A partial Fisher–Yates shuffle gives ψ distinct points.
            for index in 0..<psi {
                order.swapAt(index, index + rng.below(order.count - index))
            }
            var sample = order[0..<psi].map { points[$0] }
            roots.append(Int32(nodes.count))
            nodes.append(Node(feature: -1, split: 0, left: 0))
            grow(at: nodes.count - 1, &sample[...], depth: 0, limit: heightLimit, &rng)
        }
    }

    private mutating func grow(at node: Int, _ sample: inout ArraySlice<[Float]>, depth: Int, limit: Int, _ rng: inout SplitMix64) {
        guard depth < limit, sample.count > 1 else {
            nodes[node] = Node(feature: -1, split: 0, left: Int32(sample.count))
            return
        }
        // A random attribute among those that still vary here (as scikit-learn does), and a split
        // uniformly between its minimum and maximum.
        var candidates = Array(0..<dimensions)
        while !candidates.isEmpty {
            let pick = rng.below(candidates.count)
            let feature = candidates[pick]
            candidates.swapAt(pick, candidates.count - 1)
            candidates.removeLast()
            var low = Float.infinity
            var high = -Float.infinity
            for point in sample {
                low = min(low, point[feature])
                high = max(high, point[feature])
            }
            guard low < high else { continue }
            var split = low + Float(rng.unit()) * (high - low)
            if split <= low { split = low.nextUp }
            let middle = sample.partition { $0[feature] >= split }
            let left = nodes.count
            nodes.append(Node(feature: -1, split: 0, left: 0))
            nodes.append(Node(feature: -1, split: 0, left: 0))
            nodes[node] = Node(feature: Int32(feature), split: split, left: Int32(left))
            var lower = sample[sample.startIndex..<middle]
            var upper = sample[middle..<sample.endIndex]
            grow(at: left, &lower, depth: depth + 1, limit: limit, &rng)
            grow(at: left + 1, &upper, depth: depth + 1, limit: limit, &rng)
            return
        }
        nodes[node] = Node(feature: -1, split: 0, left: Int32(sample.count))
    }

    /// The anomaly score of a point: 2^(-mean path length / c(ψ)), in (0, 1].
    func score(_ point: [Float]) -> Double {
        var total = 0.0
        for root in roots {
            var node = Int(root)
            var depth = 0
            while nodes[node].feature >= 0 {
                let split = nodes[node]
                node = Int(split.left) + (point[Int(split.feature)] < split.split ? 0 : 1)
                depth += 1
            }
            total += Double(depth) + Self.averagePathLength(Int(nodes[node].left))
        }
        return pow(2, -(total / Double(roots.count)) / normaliser)
    }

    /// c(n) = 2 H(n - 1) - 2 (n - 1) / n, with H(i) ≈ ln(i) + γ; c(1) = 0.
    static func averagePathLength(_ n: Int) -> Double {
        guard n > 1 else { return 0 }
        if n == 2 { return 1 }
        let harmonic = log(Double(n - 1)) + 0.577_215_664_901_532_9
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }
}
