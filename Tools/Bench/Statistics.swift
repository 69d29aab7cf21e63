/// Order statistics of repeated measurements.
struct Sample {
    var values: [Double]

    var median: Double { quantile(0.5) }
    var minimum: Double { values.min() ?? .nan }
    var maximum: Double { values.max() ?? .nan }

    func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    let scale = pow10(digits)
    return String((value * scale).rounded() / scale)
}

private func pow10(_ digits: Int) -> Double {
    (0..<digits).reduce(1.0) { result, _ in result * 10 }
}
