/// A feed indicator that matched a decision's destination, and how it went: what an event says
/// (`intel_feed`, `intel_indicator`, `intel_outcome`).
public struct IntelHit: Hashable, Sendable {
    public var feed: String
    public var indicator: String
    public var outcome: IntelOutcome

    public init(feed: String, indicator: String, outcome: IntelOutcome) {
        self.feed = feed
        self.indicator = indicator
        self.outcome = outcome
    }
}
