import SluiceCore
import Testing

/// Anomalies become narrowly scoped, explained, expiring proposals.
struct RuleProposerTests {
    static func event(at second: Int64, _ destination: String, _ port: UInt16, verdict: RuleAction = .allow) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: 1_700_000_000_000_000_000 + second * 1_000_000_000, node: "n", pid: 1, uid: 0, comm: "app",
            exe: "/opt/app/bin/app", exeID: "8:1:42", cgroup: "/app.slice", cgroupID: 10, transport: "tcp",
            family: IPAddress(destination)!.family, destination: IPAddress(destination)!, port: port, verdict: verdict,
            enforced: true, policy: nil, rule: "node-default", hook: "connect4", generation: 1, mapped: false)
    }

    /// A detector that knows the app's habit, and the score of something it never did.
    static func anomaly() -> (DecisionEvent, Score) {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(warmUpEvents: 20, warmUpDuration: .seconds(10)))
        for second in Int64(0)..<300 {
            _ = detector.score(event(at: second, "10.0.0.5", 5432))
        }
        let odd = event(at: 301, "203.0.113.66", 4444)
        return (odd, detector.score(odd))
    }

    @Test func anAnomalyBecomesANarrowProposal() throws {
        let (event, score) = Self.anomaly()
        #expect(score.isAnomaly, "score \(score.value) threshold \(score.threshold)")
        let settings = LearningSettings(mode: .enforce, action: .alert, expirySeconds: 600)
        let rule = try #require(RuleProposer.proposal(for: event, score: score, settings: settings))
        #expect(rule.executable == "/opt/app/bin/app" && rule.cgroup == "/app.slice")
        #expect(rule.subject == .executableInCgroup(executable: "/opt/app/bin/app", cgroup: "app.slice"))
        #expect(rule.destination == "203.0.113.66" && rule.port == 4444 && rule.transport == .tcp && rule.action == .alert)
        #expect(rule.expires - rule.created == 600_000_000_000)
        #expect(rule.state == .proposed && !rule.reasons.isEmpty && rule.id.hasPrefix("lr-") && rule.id.count == 11)
        #expect(rule.score == score.value && rule.threshold == score.threshold)
    }

    @Test func nothingToLearn() {
        let (event, score) = Self.anomaly()
        #expect(RuleProposer.proposal(for: event, score: score, settings: .off) == nil, "learning off")
        var denied = event
        denied.verdict = .deny
        #expect(RuleProposer.proposal(for: denied, score: score, settings: LearningSettings(mode: .suggest)) == nil, "already denied")
        var anonymous = event
        anonymous.exe = nil
        anonymous.cgroup = nil
        #expect(RuleProposer.proposal(for: anonymous, score: score, settings: LearningSettings(mode: .suggest)) == nil, "no scope")
        var detector = AnomalyDetector()
        let usual = detector.score(Self.event(at: 0, "10.0.0.5", 5432))
        #expect(RuleProposer.proposal(for: event, score: usual, settings: LearningSettings(mode: .suggest)) == nil, "not an anomaly")
    }

    @Test func approvedPolicyFileIsValidPolicy() throws {
        let (event, score) = Self.anomaly()
        let rule = try #require(RuleProposer.proposal(for: event, score: score, settings: LearningSettings(mode: .suggest)))
        let parsed = PolicyParser.parse(rule.approvedPolicyYAML(approvedBy: "ana", now: rule.created), file: "approved.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let policy = try #require(parsed.policies.first)
        #expect(policy.name == "approved-\(rule.id)")
        #expect(policy.egress.first?.action == .deny && policy.egress.first?.destinations.map(\.value.description) == ["203.0.113.66"])
    }

    /// The verdict follows the evidence: an application that connects a few times a minute and
    /// then floods its usual destination gets a rate limit above its habit, not a deny; a scan
    /// of new ports gets a deny; a learning action of alert only ever alerts.
    @Test func aFloodGetsARateLimitAndAScanADeny() throws {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(warmUpEvents: 20, warmUpDuration: .seconds(10)))
        for second in stride(from: Int64(0), to: 7_200, by: 20) {
            _ = detector.score(Self.event(at: second, "10.0.0.5", 5432))
        }
        var flood: (DecisionEvent, Score)?
        for index in 0..<400 where flood == nil {
            let event = Self.event(at: 7_200 + Int64(index / 100), "10.0.0.5", 5432)
            let score = detector.score(event)
            if score.isAnomaly { flood = (event, score) }
        }
        let (event, score) = try #require(flood, "the flood is an anomaly")
        guard case .flood = score.evidence else {
            Issue.record("evidence \(score.evidence), contributions \(score.contributions)")
            return
        }
        let rule = try #require(RuleProposer.proposal(for: event, score: score, settings: LearningSettings(mode: .enforce, action: .deny)))
        let rate = try #require(rule.rate)
        #expect(rule.action == .rateLimit)
        #expect(rule.reasons.first?.hasPrefix("verdict rate-limit \(rate): a flood of ") == true, "\(rule.reasons)")
        // Above its habit of one connection every 20 s, far below the flood.
        #expect(Double(rate.count) * 60 / Double(rate.periodSeconds) >= 3)
        #expect(Double(rate.count) / Double(rate.periodSeconds) < 100)
        let parsed = PolicyParser.parse(rule.approvedPolicyYAML(approvedBy: "ana", now: rule.created), file: "approved.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        #expect(parsed.policies.first?.egress.first?.rate?.value == rate)
        #expect(rule.policy()?.egress.first?.rate?.value == rate)
        #expect(RuleProposer.proposal(for: event, score: score, settings: LearningSettings(mode: .enforce, action: .alert))?.action == .alert)

        let (odd, oddScore) = Self.anomaly()
        if case .scan = oddScore.evidence {
            #expect(RuleProposer.proposal(for: odd, score: oddScore, settings: LearningSettings(mode: .enforce, action: .deny))?.action == .deny)
        }
    }

    @Test(arguments: [("8:1:42", UInt32(8 << 20 | 1), UInt64(42)), ("259:3:7", UInt32(259 << 20 | 3), UInt64(7))])
    func executableIdentityFromText(_ text: String, _ device: UInt32, _ inode: UInt64) {
        let identity = ExecutableIdentity(text: text)
        #expect(identity == ExecutableIdentity(device: device, inode: inode))
        #expect(identity?.description == text)
    }

    @Test(arguments: ["", "8:1", "a:b:c", "8:1:2:3", "5000:1:1"])
    func badExecutableIdentityText(_ text: String) {
        #expect(ExecutableIdentity(text: text) == nil)
    }
}
