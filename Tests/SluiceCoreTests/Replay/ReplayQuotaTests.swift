import Testing

@testable import SluiceCore

/// Byte quotas in a replay: the replay decides connects, not bytes, so it says how many replayed
/// connections a new or changed quota would govern rather than guessing which it would cut.
@Suite struct ReplayQuotaTests {
    typealias R = PolicyReplayTests

    static func uploads(_ quota: String) -> String {
        Policies.document(
            "uploads",
            """
            subjects: [{executable: /usr/bin/curl}]
            egress:
              - {name: backup, action: allow, to: ["192.0.2.0/24"], ports: [443], quota: \(quota)}
            """)
    }

    static let events = (0..<4).map { R.event(R.curl, to: "192.0.2.1", port: 443, time: ReplayRateLimitTests.start + Int64($0) * 1_000_000_000) }

    @Test func aNewQuotaIsNamedInTheNotesAndChangesNoConnect() throws {
        let report = try R.replay(Self.events, candidate: Self.uploads("{sent: 1MiB, per: 1h}"))
        #expect(report.notes.contains { $0.hasPrefix("4 replayed connections would be under a byte quota the change adds or alters") })
        // The connects are allowed by the rule either way; only the bytes could differ.
        #expect(report.changed == 0 && !report.deniesAllowedTraffic)
    }

    @Test func aQuotaTheChangeKeepsIsNotNamedAndAChangedOneIs() throws {
        let events = Self.events.map { event in
            var event = event
            event.policy = "uploads"
            event.rule = "backup"
            return event
        }
        let kept = try R.replay(events, current: Self.uploads("{sent: 1MiB}"), candidate: Self.uploads("{sent: 1MiB}"))
        #expect(kept.unknown == 0 && !kept.notes.contains { $0.contains("byte quota") })
        let raised = try R.replay(events, current: Self.uploads("{sent: 1MiB}"), candidate: Self.uploads("{sent: 2MiB}"))
        #expect(raised.notes.contains { $0.hasPrefix("4 replayed connections would be under a byte quota") })
    }
}
