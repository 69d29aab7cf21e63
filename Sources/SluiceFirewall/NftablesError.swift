import SluiceCore

/// Why nftables did not take or show a ruleset; in every case the ruleset that was installed
/// before stays in force.
public enum NftablesError: Error, Sendable, CustomStringConvertible {
    /// `nft` could not be started (not installed: Debian's `nftables` package).
    case cannotRun(command: String, reason: String)
    /// `nft` refused the batch or the command; its message says where.
    case refused(command: String, status: Int32, message: String)
    /// The listing `nft -j list table` printed could not be read.
    case unreadable(NftTableSummary.ParseError)
    /// After an apply the table does not hold what was rendered.
    case readBackMismatch(expected: NftTableSummary, installed: NftTableSummary?)

    public var description: String {
        switch self {
        case .cannotRun(let command, let reason):
            "cannot run \(command): \(reason) (Debian: apt-get install nftables)"
        case .refused(let command, let status, let message):
            "\(command) failed (exit \(status)); the previous ruleset stays: \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .unreadable(let error):
            "\(error)"
        case .readBackMismatch(let expected, let installed):
            "the installed table differs from what was rendered: expected \(expected), found \(installed.map(\.description) ?? "no table")"
        }
    }
}
