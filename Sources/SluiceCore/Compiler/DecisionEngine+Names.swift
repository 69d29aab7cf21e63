/// A name route's answer for one flow: the pattern whose route the kernel found first, and the
/// entry of its table that matched.
struct NameMatch {
    /// The pattern whose route was found; its table may hold entries of wildcards above it.
    var route: NamePattern
    /// The route's place among the flow's candidates (0 is the exact name).
    var position: Int
    var entry: PortEntry
}

extension DecisionEngine {
    /// The patterns the kernel tries for a name, in order: the exact name, then a wildcard on
    /// each of the nearest parents, nearest first.
    static func candidates(for domain: DomainName) -> [NamePattern] {
        [.exact(domain)] + domain.parents.map(NamePattern.wildcard)
    }

    /// The first candidate, from `position` on, the subject has a route for.
    func nameRoute(subject: UInt32, candidates: [NamePattern], from position: Int = 0) -> (position: Int, table: [PortEntry])? {
        for index in candidates.indices.dropFirst(position) {
            if let table = image.table(for: NameRouteKey(subject: subject, pattern: candidates[index].key)) {
                return (index, table)
            }
        }
        return nil
    }

    /// What the first name route found says about the flow, if a route is found and matches.
    func nameMatch(_ flow: FlowQuery, subject: UInt32, trace: inout [String]?, name: @autoclosure () -> String) -> NameMatch? {
        guard let domain = flow.domain else { return nil }
        let candidates = Self.candidates(for: domain)
        guard let (position, table) = nameRoute(subject: subject, candidates: candidates) else { return nil }
        guard let entry = table.first(where: { $0.matches(port: flow.port, protocolNumber: flow.transport.number) }) else {
            trace?.append("\(name()): rules for \(candidates[position]) do not cover port \(flow.port)/\(flow.transport)")
            return nil
        }
        return NameMatch(route: candidates[position], position: position, entry: entry)
    }

    /// The pattern the matched entry was written for: walk on to the next route while it decides
    /// with the same entry, as `origin(of:route:subject:flow:)` walks to shorter prefixes.
    func origin(of match: NameMatch, subject: UInt32, flow: FlowQuery) -> NamePattern {
        guard let domain = flow.domain else { return match.route }
        let candidates = Self.candidates(for: domain)
        var origin = match.route
        var position = match.position
        while let (next, table) = nameRoute(subject: subject, candidates: candidates, from: position + 1),
            table.first(where: { $0.matches(port: flow.port, protocolNumber: flow.transport.number) }) == match.entry
        {
            origin = candidates[next]
            position = next
        }
        return origin
    }

    /// Whether an exact address's entry beats a name's (DESIGN.md): both are as specific as a
    /// destination gets, so the narrower ports, then a specific protocol, then the more severe
    /// action, then enforce over monitor; on a full tie the name, which says more about the
    /// peer than an address many names may share.
    static func exactAddressOutranks(_ address: PortEntry, name: PortEntry) -> Bool {
        if address.ports.width != name.ports.width { return address.ports.width < name.ports.width }
        let (addressSpecific, nameSpecific) = (address.protocolNumber != 0, name.protocolNumber != 0)
        if addressSpecific != nameSpecific { return addressSpecific }
        if address.verdict.action != name.verdict.action { return address.verdict.action > name.verdict.action }
        if address.verdict.monitor != name.verdict.monitor { return !address.verdict.monitor }
        return false
    }
}
