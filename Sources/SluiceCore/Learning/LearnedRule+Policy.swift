extension LearnedRule {
    /// The rule as a policy the compiler takes with the administrator's: its own subject, one
    /// egress rule, no default (other traffic falls through to the administrator's policy).
    public func policy() -> Policy? {
        guard let subject, let prefix = try? IPPrefix.parse(destination).get() else { return nil }
        let location = SourceLocation(file: "learned:\(id)", line: 1)
        let rule = EgressRule(
            name: "learned", action: action, destinations: [Located(prefix, at: location, field: "spec.egress[0].to[0]")],
            ports: [Located(PortRange(port), at: location, field: "spec.egress[0].ports[0]")], transport: transport,
            rate: rate.map { Located($0, at: location, field: "spec.egress[0].rate") },
            quota: quota.map { Located($0, at: location, field: "spec.egress[0].quota") }, index: 0, location: location)
        return Policy(
            name: policyName, description: reasons.joined(separator: "; "), mode: .enforce,
            subjects: [Located(subject, at: location, field: "spec.subjects[0]")], egress: [rule], location: location)
    }

    /// A policy file an administrator can keep: what approving the rule writes.
    public func approvedPolicyYAML(approvedBy: String, now: Int64) -> String {
        var subjectLine: String
        switch subject {
        case .executableInCgroup(let exe, let cgroup)?:
            subjectLine = "{executable: \(Self.quoted(exe)), cgroup: \(Self.quoted(cgroup))}"
        case .executable(let exe)?:
            subjectLine = "{executable: \(Self.quoted(exe))}"
        case .cgroup(let cgroup)?:
            subjectLine = "{cgroup: \(Self.quoted(cgroup))}"
        case nil:
            subjectLine = "{}"
        }
        let why = reasons.map { "#   - \($0)" }.joined(separator: "\n")
        return """
            # Learned by Sluice (rule \(id), score \(Self.rounded(score)) over threshold \(Self.rounded(threshold))),
            # approved by \(approvedBy) at \(RFC3339.format(now)). Why:
            \(why)
            apiVersion: sluice/v1
            kind: Policy
            metadata:
              name: approved-\(id)
              description: \(Self.quoted("learned from an anomaly: " + (reasons.first ?? "")))
            spec:
              subjects: [\(subjectLine)]
              egress:
                - {name: learned, action: \(action.rawValue), to: [\(Self.quoted(destination))], ports: [\(port)], protocol: \(transport.rawValue)\(parameterFields)}

            """
    }

    /// `, rate: "20/s", burst: 2` for a rate limit, `, quota: {sent: 4194304}` for a quota;
    /// nothing otherwise.
    var parameterFields: String {
        if let quota, let sent = quota.sent { return ", quota: {sent: \(sent)}" }
        guard let rate else { return "" }
        return ", rate: \"\(rate.rateText)\", burst: \(rate.burst)"
    }

    static func quoted(_ text: String) -> String {
        var result = ""
        JSONLineWriter.appendQuoted(text, to: &result)
        return result
    }

    static func rounded(_ value: Double) -> String {
        String(Double(Int((value * 10).rounded())) / 10)
    }
}
