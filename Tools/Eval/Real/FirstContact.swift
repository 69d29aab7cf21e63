import SluiceCore

/// The one-line novelty baseline: how often this application has reached this destination
/// address before, scored `1 / (1 + count)`, so a first contact scores 1 and a habit near 0.
/// Exact counts (a dictionary); no windows, no thresholds.
struct FirstContact: EvaluatedDetector {
    private struct Edge: Hashable {
        var app: UInt64
        var destination: IPAddress
    }

    private var counts: [Edge: Int] = [:]

    var name: String { "first contact" }
    var summary: String { "1 / (1 + earlier connections from this application to this address): a first contact scores 1" }

    mutating func score(_ event: DecisionEvent) -> Double {
        let edge = Edge(app: AppKey(event).fingerprint, destination: event.destination)
        let seen = counts[edge, default: 0]
        counts[edge] = seen + 1
        return 1 / Double(1 + seen)
    }
}
