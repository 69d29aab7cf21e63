/// Where a rule's entry applies: an address block, or the name the application looked up.
public enum EntryDestination: Hashable, Sendable, CustomStringConvertible {
    case prefix(IPPrefix)
    case name(NamePattern)

    public var description: String {
        switch self {
        case .prefix(let prefix): return prefix.description
        case .name(let pattern): return pattern.description
        }
    }
}
