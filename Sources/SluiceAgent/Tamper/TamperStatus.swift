import Foundation
import SluiceKernel

/// What the verifier found since the agent started: the `tamper` part of `sluice status`.
public struct TamperStatus: Sendable, Codable {
    /// Checks of the kernel state made so far, and when the last one ran.
    public var checks: Int
    public var lastCheck: Date?
    /// Findings since start, and how many could not be repaired.
    public var total: Int
    public var unrepaired: Int
    /// Findings by `TamperKind` raw value.
    public var byKind: [String: Int]
    /// The most recent findings, oldest first.
    public var recent: [TamperRecord]
    /// Protect mode: the kernel refuses changes to Sluice's objects by anyone but the agent.
    public var protected: Bool
    /// Operations protect mode refused (signals, detaches, map writes, pin access by others).
    public var protectRefusals: UInt64

    public init(checks: Int = 0, lastCheck: Date? = nil, total: Int = 0, unrepaired: Int = 0, byKind: [String: Int] = [:], recent: [TamperRecord] = [], protected: Bool = false, protectRefusals: UInt64 = 0) {
        self.protectRefusals = protectRefusals
        self.checks = checks
        self.lastCheck = lastCheck
        self.total = total
        self.unrepaired = unrepaired
        self.byKind = byKind
        self.recent = recent
        self.protected = protected
    }
}

/// One finding with its time.
public struct TamperRecord: Sendable, Codable {
    public var time: Date
    public var kind: TamperKind
    public var subject: String
    public var detail: String
    public var repaired: Bool
    public var repairError: String?

    init(_ finding: TamperFinding, time: Date) {
        self.time = time
        kind = finding.kind
        subject = finding.subject
        detail = finding.detail
        repaired = finding.repaired
        repairError = finding.repairError
    }
}
