extension PolicySet {
    /// The set after deploying `changes`: a policy of the same name is replaced, the others stay,
    /// new ones are added (as a push does it).
    public func replacing(with changes: [Policy]) -> PolicySet {
        let names = Set(changes.map(\.name))
        return PolicySet(policies.filter { !names.contains($0.name) } + changes)
    }
}
