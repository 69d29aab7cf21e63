import Testing

@testable import SluiceCore

/// Rate limits in a replay: each application's connects under a rule through its own bucket, in
/// time order, with the kernel's arithmetic.
@Suite struct ReplayRateLimitTests {
    typealias R = PolicyReplayTests
    static let start: Int64 = 1_795_276_501_000_000_000
    static let millisecond: Int64 = 1_000_000

    static func limited(_ rate: String, burst: Int? = nil, mode: String = "enforce") -> String {
        Policies.document(
            "limited",
            """
            subjects: [{executable: /usr/bin/curl}, {executable: /usr/bin/python3}]
            mode: \(mode)
            egress:
              - {name: slow, action: rate-limit, rate: "\(rate)"\(burst.map { ", burst: \($0)" } ?? ""), ports: [443]}
            """)
    }

    /// `count` connects of `exe` to one address, `spacing` ms apart, allowed by the node default.
    static func connects(_ exe: String, count: Int, spacing: Int64) -> [DecisionEvent] {
        (0..<count).map { R.event(exe, to: "192.0.2.1", port: 443, time: start + Int64($0) * spacing * millisecond) }
    }

    @Test func aNewRateLimitRefusesWhatItsBucketWouldRefuse() throws {
        // 2/s, burst 1: one connect every 500 ms; ten connects 100 ms apart get two through.
        let events = Self.connects(R.curl, count: 10, spacing: 100)
        let report = try R.replay(events, candidate: Self.limited("2/s", burst: 1))
        #expect(report.rateAdmitted == 2 && report.rateLimited == 8 && report.newlyRateLimited == 8)
        #expect(report.unchanged == 2 && report.changed == 8 && report.newlyDenied == 0)
        #expect(report.deniesAllowedTraffic)
        #expect(report.rows.first?.changes == [ReplayChange(from: "allow", to: "rate-limit", count: 8, newlyDenied: false)])
        #expect(report.summary.contains("its rate limits would refuse 8 (8 that passed) and admit 2"))
    }

    @Test func eachApplicationHasItsOwnBucketAndEventsComeInAnyOrder() throws {
        let events = (Self.connects(R.curl, count: 10, spacing: 100) + Self.connects(R.python, count: 10, spacing: 100)).reversed()
        let report = try R.replay(Array(events), candidate: Self.limited("2/s", burst: 1))
        #expect(report.rateAdmitted == 4 && report.rateLimited == 16)
        // The first connect of each application is admitted, not the last.
        let refusedTimes = report.rows.flatMap(\.examples).map(\.time)
        #expect(!refusedTimes.contains(RFC3339.format(Self.start)))
    }

    @Test func connectsAtThePaceAreAllAdmitted() throws {
        let report = try R.replay(Self.connects(R.curl, count: 20, spacing: 500), candidate: Self.limited("2/s", burst: 1))
        #expect(report.rateAdmitted == 20 && report.rateLimited == 0 && report.changed == 0 && !report.deniesAllowedTraffic)
    }

    @Test func aMonitoredRateLimitReportsRefusalsWithoutFailingTraffic() throws {
        let report = try R.replay(Self.connects(R.curl, count: 10, spacing: 100), candidate: Self.limited("2/s", burst: 1, mode: "monitor"))
        #expect(report.rateLimited == 8 && report.newlyRateLimited == 0 && !report.deniesAllowedTraffic)
        #expect(report.rows.first?.changes == [ReplayChange(from: "allow", to: "rate-limit (monitor)", count: 8, newlyDenied: false)])
    }

    @Test func aRateLimitTheChangeKeepsKeepsWhatTheNodeRecorded() throws {
        // A second apart, which a fresh bucket admits; the node's bucket, spent before the range,
        // refused them, and a policy left as it is changes nothing of that.
        let events = (0..<3).map {
            R.event(R.curl, to: "192.0.2.1", port: 443, verdict: .rateLimit, policy: "limited", rule: "slow", time: Self.start + Int64($0) * 1_000 * Self.millisecond)
        }
        let kept = try R.replay(events, current: Self.limited("2/s", burst: 1), candidate: Self.limited("2/s", burst: 1))
        #expect(kept.unchanged == 3 && kept.changed == 0 && kept.unknown == 0 && kept.rateLimited == 3)

        // A changed rate is run through a bucket: these connects pass it.
        let loosened = try R.replay(events, current: Self.limited("2/s", burst: 1), candidate: Self.limited("10/s", burst: 1))
        #expect(loosened.rateAdmitted == 3 && loosened.newlyAllowed == 3 && !loosened.deniesAllowedTraffic)
    }
}
