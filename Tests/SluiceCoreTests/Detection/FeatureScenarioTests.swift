import Testing

@testable import SluiceCore

/// Each behaviour raises its own feature in a targeted scenario, and habitual traffic does not.
@Suite struct FeatureScenarioTests {
    typealias F = DetectorFixtures

    @Test func aFloodRaisesTheBurstFeature() {
        var (detector, now) = F.trainedOnDatabase()
        let flood = (0..<400).map { F.observation(now + Int64($0) * 10_000_000, F.database, "10.0.1.10", 5432) }
        let scores = flood.map { detector.score($0) }
        #expect(scores[0].contribution(of: .burst) == 0)
        #expect(scores[399].contribution(of: .burst) >= 12)
        #expect(scores[399].value > scores[0].value + 10)
        // Only the rate is unusual: the destination is habitual.
        #expect(scores[399].contribution(of: .destination) == 0)
    }

    @Test func aSweepRaisesDestinationFanOutAndNovelty() {
        var (detector, now) = F.trainedOnDatabase()
        let sweep = (0..<200).map { F.observation(now + Int64($0) * 40_000_000, F.database, "10.0.4.\($0 + 1)", 22) }
        let scores = sweep.map { detector.score($0) }
        let late = scores[150...]
        #expect(late.contains { $0.contribution(of: .fanOutDestinations) >= 8 })
        // A few sweep addresses collide with known ones in the sketch and do not count as new.
        #expect(late.count { $0.contribution(of: .novelDestinationRate) >= 8 } >= 45)
        #expect(scores[0].contribution(of: .fanOutDestinations) == 0)
    }

    @Test func aFastPortScanRaisesPortFanOut() {
        var (detector, now) = F.trainedOnDatabase()
        let scan = (0..<200).map { F.observation(now + Int64($0) * 40_000_000, F.database, "10.0.1.10", UInt16(1000 + $0)) }
        let scores = scan.map { detector.score($0) }
        #expect(scores[150...].contains { $0.contribution(of: .fanOutPorts) >= 8 })
        #expect(scores[150...].allSatisfy { $0.contribution(of: .novelServiceRate) >= 8 })
        #expect(scores[0].contribution(of: .fanOutPorts) == 0)
    }

    @Test func aSlowPortScanStandsOutThroughItsRateOfNewPorts() {
        var (detector, now) = F.trainedOnDatabase()
        // One new port a minute for ninety minutes, while the habitual traffic goes on.
        let habit = F.habitual(F.database, F.databaseHabits, from: now, count: 540, every: 10)
        let scan = (0..<90).map { F.observation(now + 5 * F.second + Int64($0) * 60 * F.second, F.database, "10.0.1.10", UInt16(2000 + $0)) }
        let scored = F.scoreMerged(&detector, habit, scan)
        let scanScores = scored.filter { (2000..<2100).contains($0.0.port) }.map(\.1)
        let habitScores = scored.filter { !(2000..<2100).contains($0.0.port) }.map(\.1)
        #expect(scanScores.count == 90)
        #expect(scanScores.first!.contribution(of: .novelServiceRate) == 0)
        // The count of new ports climbs and slides on past the hour: from the twentieth port on the
        // rate alone is worth several bits (with two hours of history; more history, more bits).
        #expect(scanScores[20...].allSatisfy { $0.contribution(of: .novelServiceRate) >= 6 })
        #expect(scanScores[60...].allSatisfy { $0.contribution(of: .novelServiceRate) >= 6 })
        #expect(habitScores.allSatisfy { $0.contribution(of: .novelServiceRate) == 0 })
        // Every probe outranks every habitual connection.
        let loudestHabit = habitScores.map(\.value).max()!
        #expect(scanScores.allSatisfy { $0.value > max(7, loudestHabit) })
    }

    @Test func aBeaconToANewDestinationRaisesPeriodicityButAHeartbeatDoesNot() {
        var (detector, now) = F.trainedOnDatabase()
        let habit = F.habitual(F.database, F.databaseHabits, from: now, count: 180, every: 10)
        let beacon = (0..<20).map { index in
            F.observation(now + 3 * F.second + Int64(index) * 60 * F.second + Int64(index % 3) * 500_000_000, F.database, "198.51.100.77", 8443)
        }
        let scored = F.scoreMerged(&detector, habit, beacon)
        let beats = scored.filter { $0.0.port == 8443 }.map(\.1)
        #expect(beats[0].contribution(of: .periodicity) == 0)
        // Bounded by how rarely this application starts a young series (none before: about 6 bits).
        #expect(beats[10...].allSatisfy { $0.contribution(of: .periodicity) >= 5 })
        let loudestHabit = scored.filter { $0.0.port != 8443 }.map(\.1.value).max()!
        #expect(beats[10...].allSatisfy { $0.value > loudestHabit + 5 })
        #expect(beats[19].contributions.contains { $0.feature == .periodicity && $0.detail.hasPrefix("steady beacon every 60 s") })
        // The database heartbeat-like habit is just as regular, but established.
        #expect(scored.filter { $0.0.port != 8443 }.allSatisfy { $0.1.contribution(of: .periodicity) == 0 })
    }

    @Test func anUnusualHourCountsOnlyForAnApplicationWithHours() {
        var detector = AnomalyDetector(configuration: F.configuration())
        // Office hours on three days: 09:00 to 17:00.
        for day in 0..<3 {
            let from = F.start + Int64(day) * 86_400 * F.second
            for observation in F.habitual(F.browser, [("104.16.1.1", 443)], from: from, count: 480, every: 60) {
                _ = detector.score(observation)
            }
        }
        let night = F.start + 3 * 86_400 * F.second - 6 * 3600 * F.second  // 03:00
        let odd = detector.score(F.observation(night, F.browser, "104.16.1.1", 443))
        let usual = detector.score(F.observation(night + 7 * 3600 * F.second, F.browser, "104.16.1.1", 443))
        #expect(odd.contribution(of: .timeOfDay) > 2)
        #expect(usual.contribution(of: .timeOfDay) == 0)
    }

    @Test func aDenyIsNewsOnlyWhereDeniesAreRare() {
        var (detector, now) = F.trainedOnDatabase()
        let denied = detector.score(F.observation(now, F.database, "10.0.1.10", 5432, verdict: .deny))
        let allowed = detector.score(F.observation(now + F.second, F.database, "10.0.1.10", 5432, verdict: .allow))
        #expect(denied.contribution(of: .verdict) > 6)
        #expect(allowed.contribution(of: .verdict) == 0)
    }
}
