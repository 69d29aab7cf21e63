import Testing

@testable import SluiceCore

/// Storms: a flood or scan that lasts window after window, from a new program's first second
/// (issue 12: the real captures' infected hosts).
@Suite struct StormTests {
    typealias F = DetectorFixtures

    /// `perWindow` connections in each of `windows` 10-second windows from `app` to one host, evenly spaced.
    static func flood(_ app: AppKey, from start: Int64, windows: Int, perWindow: Int, to address: String = "10.0.3.3") -> [Observation] {
        let gap = 10 * F.second / Int64(perWindow)
        return (0..<(windows * perWindow)).map { F.observation(start + Int64($0) * gap, app, address, 8080) }
    }

    static func storm(_ scored: [(Observation, Score)], window: Int, from start: Int64) -> Double {
        let scores = scored.filter { ($0.0.time - start) / (10 * F.second) == Int64(window) }.map { $0.1.contribution(of: .storm) }
        return scores.max() ?? 0
    }

    @Test func aFloodThatLastsWindowAfterWindowGrowsTheStorm() {
        var (detector, now) = F.trainedOnDatabase()
        let start = (now / (10 * F.second) + 1) * 10 * F.second
        let scored = Self.flood(F.service, from: start, windows: 12, perWindow: 40).map { ($0, detector.score($0)) }
        // One busy window is the burst feature's business; the storm needs one finished before it.
        #expect(Self.storm(scored, window: 0, from: start) == 0)
        let early = Self.storm(scored, window: 1, from: start)
        let late = Self.storm(scored, window: 6, from: start)
        #expect(early > 0)
        #expect(late > early)
        #expect(Self.storm(scored, window: 11, from: start) == Feature.storm.cap)
        #expect(scored.last!.1.contributions.contains { $0.feature == .storm && $0.detail.contains("busy burst windows in a row") })
        // Its evidence is the flood's: the burst outweighs the fan-out to one host.
        if case .flood = scored.last!.1.evidence {} else { Issue.record("a storm of connections to one host is a flood") }
    }

    @Test func oneBusyWindowThenQuietLeavesNoStorm() {
        var (detector, now) = F.trainedOnDatabase()
        let start = (now / (10 * F.second) + 1) * 10 * F.second
        let burst = Self.flood(F.service, from: start, windows: 1, perWindow: 40)
        let quiet = (0..<6).map { F.observation(start + Int64(20 + 10 * $0) * F.second, F.service, "10.0.3.3", 8080) }
        let scored = (burst + quiet).map { ($0, detector.score($0)) }
        #expect(scored.allSatisfy { $0.1.contribution(of: .storm) == 0 })
    }

    @Test func stormStatisticIsACUSUMWithItsAllowance() {
        var statistic = StormStatistic()
        #expect(statistic.observe(10) == 0)
        statistic.close(skipped: 0)
        #expect(statistic.excess == 6)
        // The finished windows count, while the window in progress is busy too: 6 / 2.
        #expect(statistic.observe(3) == 0)
        #expect(statistic.observe(10) == 3)
        statistic.close(skipped: 0)
        #expect(statistic.excess == 12)
        #expect(statistic.windows == 2)
        // One extreme window adds no more than the rate features' cap.
        var extreme = StormStatistic()
        _ = extreme.observe(60)
        extreme.close(skipped: 0)
        #expect(extreme.excess == 20)
        // Two empty windows take the allowance off each, and a quiet window a further 4.
        statistic.close(skipped: 2)
        #expect(statistic.excess == 0)
        #expect(statistic.windows == 0)
    }
}
