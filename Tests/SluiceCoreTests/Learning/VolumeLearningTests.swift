import SluiceCore
import Testing

/// Volume as evidence: an upload far above the application's habit is scored, never learned as
/// habit, and becomes a quota (or, far enough above, a deny) for its destination.
struct VolumeLearningTests {
    static func flow(sent: UInt64, verdict: RuleAction = .allow) -> DecisionEvent {
        var event = RuleProposerTests.event(at: 0, "198.51.100.9", 443, verdict: verdict)
        event.flow = FlowCounts(
            flowID: 1, bytesSent: sent, bytesReceived: 4_096, packetsSent: 10, packetsReceived: 10, durationMilliseconds: 900, final: true)
        return event
    }

    @Test func anUploadFarAboveHabitIsScoredAndNotLearned() throws {
        var habit = VolumeBaseline()
        for index in 0..<40 {
            let usual = habit.observe(sent: 60_000 + UInt64(index) * 1_000, received: 2_000)
            #expect(usual == nil)
        }
        // Twice the usual is no news; eight times and more is.
        let double = habit.observe(sent: 200_000, received: 2_000)
        #expect(double == nil)
        let observed = habit.observe(sent: 5_000_000, received: 2_000)
        let finding = try #require(observed)
        #expect(finding.bits >= 12 && finding.usualHigh == 262_144, "the 200 KB upload joined the habit")
        #expect(finding.description.hasPrefix("volume: sent about 4MiB in one connection, 19× its usual high of 256KiB"), "\(finding)")
        // Not learned: the same upload again is still news.
        let again = habit.observe(sent: 5_000_000, received: 2_000)
        #expect(again != nil)
        // Too young a habit says nothing.
        var young = VolumeBaseline()
        for _ in 0..<5 { _ = young.observe(sent: 1_000, received: 0) }
        let tooYoung = young.observe(sent: 500_000_000, received: 0)
        #expect(tooYoung == nil)
    }

    /// The habits survive a restart: the table read back from its snapshot judges the same
    /// upload the same way, and damaged or foreign bytes are refused, not half read.
    @Test func volumeHabitsSurviveARestart() throws {
        var table = VolumeTable(capacity: 4)
        let backup = AppKey(executable: "/usr/bin/restic", cgroup: "/system.slice/backup.service")
        let browser = AppKey(executable: "/usr/bin/firefox", cgroup: nil)
        for index in 0..<40 {
            _ = table.observe(app: backup, sent: 60_000 + UInt64(index) * 1_000, received: 2_000)
            _ = table.observe(app: browser, sent: 5_000, received: 900_000)
        }
        let bytes = table.snapshot()
        var restored = try VolumeTable(snapshot: bytes)
        #expect(restored == table && restored.count == 2)
        #expect(restored.snapshot() == bytes, "the same table, the same bytes")
        var original = table
        #expect(restored.observe(app: backup, sent: 5_000_000, received: 0) == original.observe(app: backup, sent: 5_000_000, received: 0))
        #expect(restored.observe(app: backup, sent: 5_000_000, received: 0) != nil)
        // A fresh table (what the agent had before) knows no habit and says nothing.
        var fresh = VolumeTable(capacity: 4)
        #expect(fresh.observe(app: backup, sent: 5_000_000, received: 0) == nil)
        #expect(throws: DetectorSnapshotError.notASnapshot) { try VolumeTable(snapshot: Array("SLDT".utf8) + bytes.dropFirst(4)) }
        #expect(throws: DetectorSnapshotError.self) { try VolumeTable(snapshot: Array(bytes.dropLast(3))) }
        var flipped = bytes
        flipped[flipped.count - 1] ^= 0x40  // the last bucket's count no longer sums to the total
        #expect(throws: DetectorSnapshotError.self) { try VolumeTable(snapshot: flipped) }
    }

    @Test func theLearnerProposesAQuotaOrADeny() throws {
        var habit = VolumeBaseline()
        for _ in 0..<40 { _ = habit.observe(sent: 100_000, received: 2_000) }
        let settings = LearningSettings(mode: .enforce, action: .deny)
        let moderateFinding = habit.observe(sent: 5_000_000, received: 0)
        let moderate = try #require(moderateFinding)
        let quota = try #require(RuleProposer.proposal(for: Self.flow(sent: 5_000_000), volume: moderate, settings: settings))
        #expect(quota.action == .allow && quota.quota == Quota(sent: 1 << 20) && quota.port == 443)
        #expect(quota.reasons.first?.hasPrefix("verdict allow with quota sent 1MiB per connection") == true, "\(quota.reasons)")
        let parsed = PolicyParser.parse(quota.approvedPolicyYAML(approvedBy: "ana", now: quota.created), file: "approved.yaml")
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        #expect(parsed.policies.first?.egress.first?.quota?.value == Quota(sent: 1 << 20))

        let hugeFinding = habit.observe(sent: 500_000_000, received: 0)
        let huge = try #require(hugeFinding)
        #expect(RuleProposer.proposal(for: Self.flow(sent: 500_000_000), volume: huge, settings: settings)?.action == .deny)
        #expect(RuleProposer.proposal(for: Self.flow(sent: 500_000_000), volume: huge, settings: LearningSettings(mode: .suggest, action: .alert))?.action == .alert)
        var open = Self.flow(sent: 5_000_000)
        open.flow?.final = false
        #expect(RuleProposer.proposal(for: open, volume: moderate, settings: settings) == nil, "only a finished connection")
    }
}
