import Testing

@testable import SluiceCore

/// Attacks that unfold over many windows: lateral movement, a sustained flood, and the rule that
/// a rate needs history before it is judged.
@Suite struct EpisodeTests {
    typealias F = DetectorFixtures

    /// Forty hours of the database client's habits, one connection a minute: enough novelty
    /// windows (hours) for the hourly rates to be judged.
    static func trainedForHours() -> (AnomalyDetector, Int64) {
        var detector = AnomalyDetector(configuration: F.configuration())
        let history = F.habitual(F.database, F.databaseHabits, count: 2400, every: 60)
        for observation in history { _ = detector.score(observation) }
        return (detector, history.last!.time + 60 * F.second)
    }

    @Test func lateralMovementRaisesTheNovelInternalRateOnEveryConnectionOfIt() {
        var (detector, now) = Self.trainedForHours()
        // Eight internal hosts the client never used, two minutes apart, three connections each.
        var movement: [Observation] = []
        for host in 0..<8 {
            for attempt in 0..<3 {
                let time = now + Int64(host) * 120 * F.second + Int64(attempt) * 5 * F.second + 2 * F.second
                movement.append(F.observation(time, F.database, "10.0.6.\(100 + host)", host % 2 == 0 ? 22 : 445))
            }
        }
        let habit = F.habitual(F.database, F.databaseHabits, from: now, count: 16, every: 60)
        let scored = F.scoreMerged(&detector, habit, movement)
        let hops = scored.filter { $0.0.destination.description.hasPrefix("10.0.6.") }.map(\.1)
        #expect(hops.count == 24)
        // The first hosts are too few to be news; from the fourth host on, every connection
        // carries the rate, the second and third to each host too (they continue its novelty).
        #expect(hops[0].contribution(of: .novelInternalRate) == 0)
        #expect(hops[9...].allSatisfy { $0.contribution(of: .novelInternalRate) >= 4 })
        #expect(hops[22].contributions.contains { $0.feature == .novelInternalRate && $0.detail.hasSuffix("new internal addresses in the current novelty window") })
        // The habitual connections in between are not part of it.
        #expect(scored.filter { !$0.0.destination.description.hasPrefix("10.0.6.") }.allSatisfy { $0.1.contribution(of: .novelInternalRate) == 0 })
    }

    @Test func aSustainedFloodIsJudgedAgainstTheHistoryFromBeforeIt() throws {
        var (detector, now) = F.trainedOnDatabase()
        let slot = try #require(detector.table.slot(of: F.database))
        func history() -> Float { detector.table.baselines[slot].rates[RateChannel.burst.rawValue].total }
        func holding() -> Bool { detector.table.baselines[slot].windows.held.isHolding(.burst) }
        // A minute at 100 connections a second to a habitual destination.
        let flood = (0..<6000).map { F.observation(now + Int64($0) * 10_000_000, F.database, "10.0.1.10", 5432) }
        var scores = [detector.score(flood[0])]
        let before = history()
        for observation in flood.dropFirst() { scores.append(detector.score(observation)) }
        // Its windows (ten seconds each) are held back from the application's history while it
        // lasts, so it is judged against the history from before it and does not fade.
        #expect(history() == before)
        #expect(holding())
        #expect(scores[1500].contribution(of: .burst) >= 12)
        #expect(scores[5900].contribution(of: .burst) >= 12)
        // Once a window closes at the usual level, they join the history (at 1/64 of a normal
        // window each): a second flood later is less news than the first.
        let after = now + 70 * F.second
        for observation in F.habitual(F.database, F.databaseHabits, from: after, count: 60, every: 10) { _ = detector.score(observation) }
        #expect(!holding())
        #expect(history() > before + 5.0 / 64)
        let again = after + 11 * 60 * F.second
        let second = (0..<1600).map { detector.score(F.observation(again + Int64($0) * 10_000_000, F.database, "10.0.1.10", 5432)) }
        #expect(second[1500].contribution(of: .burst) < scores[1500].contribution(of: .burst))
        #expect(second[1500].contribution(of: .burst) >= 8)
    }

    @Test func ratesNeedHistoryBeforeTheyAreJudged() {
        // The node's first minutes: an application meets its thirty internal peers, between
        // messages to its server. No application and not the node have a novelty window behind
        // them yet: the hourly rates score nothing, and the warm-up's first-contact run (a new
        // peer every third connection is no sweep) only a few bits.
        var detector = AnomalyDetector(configuration: F.configuration())
        let peers = (0..<90).map {
            F.observation(F.start + Int64($0) * 10 * F.second, F.service, $0 % 3 == 0 ? "10.0.3.\(10 + $0 / 3)" : "10.0.3.1", 8301, .udp)
        }
        let scores = peers.map { detector.score($0) }
        #expect(scores.allSatisfy { $0.contribution(of: .novelInternalRate) == 0 && $0.contribution(of: .novelDestinationRate) < 4 })
    }

    @Test func heldWindowsAreReleasedWholeOrWhenTheySaturate() {
        var held = HeldWindows()
        #expect(!held.isHolding(.burst))
        let saturatedEarly = [held.hold(.burst, bucket: 9), held.hold(.burst, bucket: 9), held.hold(.burst, bucket: 11)]
        #expect(saturatedEarly == [false, false, false])
        #expect(held.isHolding(.burst) && !held.isHolding(.novelInternal))
        var released: [(Int, Int)] = []
        held.release(.burst) { released.append(($0, $1)) }
        #expect(released.map(\.0) == [9, 11] && released.map(\.1) == [2, 1])
        #expect(!held.isHolding(.burst))
        var saturated = false
        for _ in 0..<255 { saturated = held.hold(.novelInternal, bucket: 5) }
        #expect(saturated)
    }
}
