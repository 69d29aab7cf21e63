import SluiceCore
import Testing

/// `sluice learn` writes valid allowlist policies from observed traffic.
struct AllowlistLearnerTests {
    static func event(
        _ exe: String?, _ cgroup: String?, _ destination: String, _ port: UInt16, _ transport: String = "tcp", verdict: RuleAction = .allow,
        domain: String? = nil
    ) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: 0, node: "n", pid: 1, uid: 0, comm: "c", exe: exe, exeID: nil, cgroup: cgroup, cgroupID: 0,
            transport: transport, family: IPAddress(destination)!.family, destination: IPAddress(destination)!, port: port,
            verdict: verdict, enforced: true, policy: nil, rule: "node-default", hook: "connect4", generation: 1, mapped: false,
            dstDomain: domain)
    }

    /// What the application looked up is what it meant: its addresses change, the name does not.
    @Test func learnsNamesWhereTheyAreKnown() {
        var learner = AllowlistLearner(minimumCount: 1)
        for host in 1...5 {
            learner.observe(Self.event("/usr/bin/git", nil, "140.82.112.\(host)", 443, domain: "API.GitHub.com."))
        }
        learner.observe(Self.event("/usr/bin/git", nil, "192.0.2.7", 443))
        learner.observe(Self.event("/usr/bin/git", nil, "192.0.2.8", 443, domain: "not a name"))
        let parsed = PolicyParser.parse(learner.policies()[0].yaml, file: "git.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let rule = parsed.policies[0].egress[0]
        #expect(rule.names.map(\.value.description) == ["api.github.com"])
        #expect(Set(rule.destinations.map(\.value.description)) == ["192.0.2.7", "192.0.2.8"])
    }

    @Test func foldsNamesIntoWildcardsPastTheLimit() {
        var learner = AllowlistLearner(minimumCount: 1, destinationsPerApplication: 8)
        for host in 1...40 {
            learner.observe(Self.event("/usr/bin/browser", nil, "198.51.100.\(host)", 443, domain: "edge\(host).cdn.example.com"))
        }
        let parsed = PolicyParser.parse(learner.policies()[0].yaml, file: "b.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        #expect(parsed.policies[0].egress[0].names.map(\.value.description) == ["*.cdn.example.com"])
        #expect(parsed.policies[0].egress[0].destinations.isEmpty)
    }

    @Test func writesOneValidPolicyPerApplication() {
        var learner = AllowlistLearner(minimumCount: 2)
        for _ in 0..<3 {
            learner.observe(Self.event("/usr/bin/curl", "/app.slice", "93.184.216.34", 443))
            learner.observe(Self.event("/usr/bin/curl", "/app.slice", "2606:2800:220:1::1", 443))
            learner.observe(Self.event("/usr/sbin/named", nil, "192.0.2.53", 53, "udp"))
        }
        learner.observe(Self.event("/usr/bin/curl", "/app.slice", "198.51.100.1", 8080))  // once: below --min-count
        learner.observe(Self.event("/usr/bin/curl", "/app.slice", "203.0.113.1", 22, verdict: .deny))  // denied: not normal
        learner.observe(Self.event(nil, nil, "203.0.113.2", 22))  // nothing to scope by

        let policies = learner.policies()
        #expect(policies.map(\.name) == ["allow-curl", "allow-named"])
        let parsed = PolicyParser.parse(policies.map(\.yaml).joined(separator: "---\n"), file: "learned.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        #expect(PolicyValidator.validate(PolicySet(parsed.policies)).isEmpty)
        let curl = parsed.policies[0]
        #expect(curl.mode == .monitor && curl.defaultAction?.value == .deny)
        #expect(curl.subjects.map(\.value) == [.executableInCgroup(executable: "/usr/bin/curl", cgroup: "app.slice")])
        #expect(curl.egress.count == 1)
        #expect(Set(curl.egress[0].destinations.map(\.value.description)) == ["93.184.216.34", "2606:2800:220:1::1"])
        #expect(curl.egress[0].ports.map(\.value) == [PortRange(443)] && curl.egress[0].transport == .tcp)
        #expect(parsed.policies[1].egress[0].transport == .udp)
    }

    @Test func foldsAddressesPastTheLimit() {
        var learner = AllowlistLearner(minimumCount: 1, destinationsPerApplication: 8)
        for host in 1...40 {
            learner.observe(Self.event("/usr/bin/browser", nil, "198.51.100.\(host)", 443))
        }
        let parsed = PolicyParser.parse(learner.policies()[0].yaml, file: "b.yaml")
        #expect(parsed.policies[0].egress[0].destinations.map(\.value.description) == ["198.51.100.0/24"])
    }
}
