import SluiceCore

/// A streaming linear autoencoder over the count features (`CountFeatures`): each event's
/// features are standardised by running means and deviations, encoded to a few dimensions and
/// decoded with the same (tied) weights; the score is the squared reconstruction error *before*
/// the event is learned, then one gradient step teaches it. What the stream keeps doing, it learns
/// to reconstruct; what it has not done, it cannot. The learned, streaming one-class model the
/// brief names (an autoencoder, linear: with tied weights it tracks the principal subspace, as
/// Oja's rule does), in fixed memory and constant time per event.
struct StreamingAutoencoder: EvaluatedDetector {
    let hidden: Int
    let learningRate: Double
    private var features = CountFeatures()
    private var mean: [Double]
    private var variance: [Double]
    /// Encoder weights, `hidden` rows of `CountFeatures.dimensions`; the decoder is their transpose.
    private var weights: [Double]
    private var seen = 0

    init(hidden: Int = 3, learningRate: Double = 0.01, seed: UInt64 = 13) {
        self.hidden = hidden
        self.learningRate = learningRate
        let dimensions = CountFeatures.dimensions
        mean = Array(repeating: 0, count: dimensions)
        variance = Array(repeating: 1, count: dimensions)
        var rng = SplitMix64(seed: seed)
        weights = (0..<(hidden * dimensions)).map { _ in (rng.unit() - 0.5) * 0.2 }
    }

    var name: String { "autoencoder (streaming)" }
    var summary: String {
        "linear autoencoder with tied weights, \(hidden) hidden units over \(CountFeatures.dimensions) standardised count features, one SGD step (rate \(learningRate)) per event after scoring it by its reconstruction error"
    }

    mutating func score(_ event: DecisionEvent) -> Double {
        let raw = features.features(of: event)
        let dimensions = raw.count
        // Standardise by the running moments (a decay of 1/1000 follows drift slowly).
        seen += 1
        let rate = max(1.0 / Double(seen), 0.001)
        var x = [Double](repeating: 0, count: dimensions)
        for index in 0..<dimensions {
            let value = Double(raw[index])
            x[index] = (value - mean[index]) / (variance[index].squareRoot() + 1e-3)
            let delta = value - mean[index]
            mean[index] += rate * delta
            variance[index] += rate * (delta * delta - variance[index])
        }
        // Encode, decode, and measure the error before learning.
        var code = [Double](repeating: 0, count: hidden)
        for unit in 0..<hidden {
            var sum = 0.0
            for index in 0..<dimensions { sum += weights[unit * dimensions + index] * x[index] }
            code[unit] = sum
        }
        var residual = x
        for index in 0..<dimensions {
            var reconstruction = 0.0
            for unit in 0..<hidden { reconstruction += weights[unit * dimensions + index] * code[unit] }
            residual[index] -= reconstruction
        }
        let error = residual.reduce(0) { $0 + $1 * $1 }
        // One gradient step on ‖x − WᵀWx‖² (tied weights): ΔW ∝ h·rᵀ + (W·r)·xᵀ, the step
        // clipped so one outlier cannot throw the weights off.
        var projected = [Double](repeating: 0, count: hidden)
        for unit in 0..<hidden {
            var sum = 0.0
            for index in 0..<dimensions { sum += weights[unit * dimensions + index] * residual[index] }
            projected[unit] = sum
        }
        let step = learningRate / max(1, error.squareRoot())
        for unit in 0..<hidden {
            for index in 0..<dimensions {
                weights[unit * dimensions + index] += step * (code[unit] * residual[index] + projected[unit] * x[index])
            }
        }
        return error
    }
}
