/// Whether and how the agent turns anomalies into rules, for a policy's subjects or the node.
public enum LearningMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Anomalies are scored and reported; no rules are proposed.
    case off
    /// Rules are proposed for review (`sluice rules`); nothing reaches the kernel until approved.
    case suggest
    /// Rules are installed in the kernel at once and removed when they expire.
    case enforce
}

/// A policy's `spec.learning` block (or the agent's node-wide default).
public struct LearningSettings: Sendable, Hashable {
    public var mode: LearningMode
    /// What a learned rule does: `deny` or `alert`.
    public var action: RuleAction
    /// How long a learned rule lives unless approved.
    public var expirySeconds: Int64
    /// Destinations no learned rule may ever target (DNS servers, the control plane, …).
    /// Loopback is always protected.
    public var protected: [IPPrefix]

    public init(mode: LearningMode = .off, action: RuleAction = .deny, expirySeconds: Int64 = 24 * 3600, protected: [IPPrefix] = []) {
        self.mode = mode
        self.action = action
        self.expirySeconds = expirySeconds
        self.protected = protected
    }

    public static let off = LearningSettings()

    /// Destinations a learned rule never targets, whatever the settings say.
    public static let alwaysProtected: [IPPrefix] = [
        try! IPPrefix.parse("127.0.0.0/8").get(),  // swiftlint:disable:this force_try
        try! IPPrefix.parse("::1").get(),  // swiftlint:disable:this force_try
    ]
}
