extension Duration {
    /// The duration in seconds with its fraction, as timings are reported (logs, metrics, status).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
