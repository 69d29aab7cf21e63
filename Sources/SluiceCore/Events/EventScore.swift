/// An event's anomaly score: the `score`, `anomaly` and `reasons` fields, which a line carries
/// together or not at all.
public struct EventScore: Sendable, Hashable {
    /// Bits; higher is more anomalous. The agent keeps two decimals (`rounded(_:)`).
    public var value: Double
    /// The score passed the application's threshold (in its warm-up, the cold-start bar).
    public var isAnomaly: Bool
    /// The features that drove the score, most first (empty unless `isAnomaly`).
    public var reasons: [String]

    public init(value: Double, isAnomaly: Bool = false, reasons: [String] = []) {
        self.value = value
        self.isAnomaly = isAnomaly
        self.reasons = reasons
    }

    /// `value` to two decimals: what the agent streams, short on the wire and still finer than
    /// any threshold compares.
    public static func rounded(_ value: Double) -> Double {
        (value * 100).rounded() / 100
    }
}
