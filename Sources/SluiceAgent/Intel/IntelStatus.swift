import Foundation
import SluiceKernel

/// The feed layers in `sluice status`.
public struct IntelStatus: Sendable, Codable {
    /// Indicators held per feed (local feed files are `file:<name>`).
    public var indicators: [String: Int]
    /// The server's cursor; nil before its first answer.
    public var cursor: UInt64?
    /// The last write to the kernel.
    public var lastWrites: Int?
    public var lastSeconds: Double?
    /// The last failure (a feed file refused, a kernel write failed); nil after a success.
    public var lastError: String?
}

extension IntelLayer {
    public func status() -> IntelStatus {
        IntelStatus(
            indicators: counts(), cursor: cursor(), lastWrites: lastApply?.writes, lastSeconds: lastApply?.seconds, lastError: lastError)
    }
}
