import Foundation

/// `IntelLayerSet.match` by lookups instead of a scan of every target, as the kernel looks up
/// its maps: for replaying many recorded decisions against 100,000 indicators.
public struct IntelIndex: Sendable {
    /// The layers looked up.
    public let layers: IntelLayerSet
    /// The prefix lengths held per family, longest first: one lookup each.
    private let lengths: [IPAddress.Family: [Int]]

    public init(_ layers: IntelLayerSet) {
        self.layers = layers
        var lengths: [IPAddress.Family: Set<Int>] = [:]
        for case .prefix(let prefix) in layers.installed.keys { lengths[prefix.family, default: []].insert(prefix.length) }
        self.lengths = lengths.mapValues { $0.sorted(by: >) }
        hasNames = layers.installed.keys.contains { if case .domain = $0 { true } else { false } }
    }

    /// Whether any indicator is a name, which a decision without a recorded name cannot meet.
    public let hasNames: Bool

    /// What `IntelLayerSet.match` answers for the destination.
    public func match(destination: IPAddress, domain: DomainName?, now: Date) -> IntelIndicator? {
        var found: [IntelEntry] = []
        for length in lengths[destination.family] ?? [] {
            if let entry = layers.installed[.prefix(IPPrefix(covering: destination, length: length))] { found.append(entry) }
        }
        if let domain, hasNames {
            for name in [domain] + domain.parents.prefix(DomainName.maximumParents) {
                if let entry = layers.installed[.domain(name)] { found.append(entry) }
            }
        }
        return layers.strongest(found, now: now)
    }
}
