/// What a feed's layer does to a connection that matches one of its indicators.
public enum FeedAction: String, Hashable, Sendable, CaseIterable, Codable {
    /// Refused, like a policy deny.
    case deny
    /// Let through and raised as an alert.
    case alert
}
