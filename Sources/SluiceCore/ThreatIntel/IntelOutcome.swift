/// How a feed layer's hit went against the policy's verdict (DESIGN.md, precedence).
public enum IntelOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// The feed's action was more severe than the policy's verdict and replaced it.
    case decided
    /// The feed's action was more severe, but an allow rule naming the exact address or name won.
    case explicitAllow = "explicit-allow"
    /// The policy's verdict was already as severe as the feed's action.
    case policy
}
