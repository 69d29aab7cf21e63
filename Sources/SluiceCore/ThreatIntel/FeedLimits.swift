/// The most one feed may bring in one sync; beyond any of them the sync is refused whole and the
/// feed's last good set stays in force.
public struct FeedLimits: Hashable, Sendable {
    /// Bytes of one list body or one TAXII page.
    public var maximumBytes: Int
    /// Lines of one list body.
    public var maximumLines: Int
    /// Indicators one feed holds.
    public var maximumIndicators: Int
    /// TAXII pages fetched in one sync.
    public var maximumPages: Int

    public init(maximumBytes: Int = 64 << 20, maximumLines: Int = 2_000_000, maximumIndicators: Int = 1_000_000, maximumPages: Int = 1000) {
        self.maximumBytes = maximumBytes
        self.maximumLines = maximumLines
        self.maximumIndicators = maximumIndicators
        self.maximumPages = maximumPages
    }
}
