import Foundation

/// How a feed layer's hit meets the policy's verdict, as the kernel decides it
/// (BPF/sluice_intel.h): the feed's action applies when it is more severe (deny > alert > allow),
/// unless an allow rule naming the exact address or name decided. A redirect counts as an alert
/// (a sinkhole an alert must not undo); a monitored verdict refuses nothing.
public enum IntelPrecedence {
    public static func outcome(policy verdict: Verdict, explicitAllow: Bool, feed action: FeedAction) -> IntelOutcome {
        guard action.severity > severity(of: verdict) else { return .policy }
        if verdict.action == .allow && explicitAllow && !verdict.monitor { return .explicitAllow }
        return .decided
    }

    static func severity(of verdict: Verdict) -> Int {
        switch verdict.action {
        case .allow: 0
        case .alert, .redirect: 1
        default: verdict.monitor ? 1 : 2
        }
    }
}

extension Decision {
    /// An allow rule naming the exact address (/32, /128) or the exact name decided: a feed
    /// layer does not override it.
    public var explicitAllow: Bool {
        guard verdict.action == .allow, !byDefault else { return false }
        if let matchedName { return !matchedName.isWildcardPattern }
        if let matchedPrefix { return matchedPrefix.length == matchedPrefix.family.bitWidth }
        return false
    }
}

extension NamePattern {
    var isWildcardPattern: Bool {
        if case .wildcard = self { return true }
        return false
    }
}

extension IntelLayerSet {
    /// The live indicator the kernel would find for a destination: the most severe of the
    /// prefixes holding the address and of the looked-up name and its parents.
    public func match(destination: IPAddress, domain: DomainName?, now: Date) -> IntelIndicator? {
        strongest(installed.lazy.filter { Self.covers($0.key, destination: destination, domain: domain) }.map(\.value), now: now)
    }

    /// Whether the kernel's lookups for a destination find `target`: a prefix holding the
    /// address, or the name looked up or one of its nearest parents.
    static func covers(_ target: IntelTarget, destination: IPAddress, domain: DomainName?) -> Bool {
        switch target {
        case .prefix(let prefix): prefix.contains(destination)
        case .domain(let name): domain.map { $0 == name || $0.parents.prefix(DomainName.maximumParents).contains(name) } ?? false
        }
    }

    /// Of the entries found for one destination, the indicator that decides: the most severe
    /// live one, the lowest key on a tie.
    func strongest(_ entries: some Sequence<IntelEntry>, now: Date) -> IntelIndicator? {
        entries.lazy.filter { $0.expires.map { $0 > now } ?? true }.compactMap { indicator(id: $0.id) }.max { lhs, rhs in
            lhs.action.severity != rhs.action.severity ? lhs.action.severity < rhs.action.severity : lhs.key > rhs.key
        }
    }
}
