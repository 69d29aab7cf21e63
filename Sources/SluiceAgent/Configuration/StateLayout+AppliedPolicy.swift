extension StateLayout {
    /// The policy texts the agent last applied (local folder and server bundle as merged), for
    /// `sluice policy test --local`; learned rules are not among them.
    public func appliedPolicySources() throws -> [PolicySource] {
        try SavedPolicy.load(from: appliedPolicyPath).sources
    }
}
