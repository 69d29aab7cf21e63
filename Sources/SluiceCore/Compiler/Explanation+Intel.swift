import Foundation

/// A feed layer's hit in `sluice policy explain`.
public struct IntelExplanation: Sendable, Hashable, Codable {
    public var feed: String
    public var indicator: String
    public var target: String
    public var action: FeedAction
    public var outcome: IntelOutcome
    public var expires: Date?
}

extension Explanation {
    /// The explanation after the feed layers: `indicator` (if any) said `action`; `explicitAllow`
    /// says an allow rule naming the exact address or name decided.
    public mutating func apply(feed indicator: IntelIndicator?, policy verdict: Verdict, explicitAllow: Bool) {
        guard let indicator else { return }
        let outcome = IntelPrecedence.outcome(policy: verdict, explicitAllow: explicitAllow, feed: indicator.action)
        intel = IntelExplanation(
            feed: indicator.feed, indicator: indicator.indicator, target: indicator.target.description, action: indicator.action,
            outcome: outcome, expires: indicator.expires)
        guard outcome == .decided else { return }
        self.verdict = indicator.action == .deny ? .deny : .alert
        blocks = indicator.action == .deny
        monitor = false
        rate = nil
        redirect = nil
        quota = nil
    }

    /// The line `text` adds for a feed's hit.
    var intelLine: String? {
        guard let intel else { return nil }
        let hit = "feed \(intel.feed) indicator \(intel.indicator) (\(intel.target), \(intel.action.rawValue))"
        switch intel.outcome {
        case .decided: return "  feed layer: \(hit) decides: more severe than the policy's verdict"
        case .explicitAllow: return "  feed layer: \(hit) matched, but the allow rule naming this exact destination wins"
        case .policy: return "  feed layer: \(hit) matched; the policy's verdict is as severe already"
        }
    }
}
