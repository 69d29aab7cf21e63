import Testing

@testable import SluiceCore

/// The detector's contract: deterministic, score-before-update, warm-up, adaptive thresholds,
/// feedback and bounded applications.
@Suite struct AnomalyDetectorTests {
    typealias F = DetectorFixtures

    /// A mixed stream of three applications with random destinations, from a seed.
    static func randomStream(seed: UInt64, count: Int) -> [Observation] {
        var rng = SplitMix64(seed: seed)
        let apps = [F.database, F.browser, F.service]
        var time = F.start
        return (0..<count).map { _ in
            time += Int64(rng.below(5_000)) * 1_000_000
            let address = "10.\(rng.below(3)).\(rng.below(4)).\(rng.below(20))"
            return F.observation(time, rng.pick(apps), address, UInt16(rng.pick([22, 53, 443, 5432, 8080])))
        }
    }

    @Test func sameSeedAndInputGiveIdenticalScores() {
        let stream = Self.randomStream(seed: 11, count: 5_000)
        var first = AnomalyDetector(configuration: F.configuration(seed: 3))
        var second = AnomalyDetector(configuration: F.configuration(seed: 3))
        let a = stream.map { first.score($0) }
        let b = stream.map { second.score($0) }
        #expect(a.map(\.value) == b.map(\.value))
        #expect(a.map(\.threshold) == b.map(\.threshold))
        #expect(a.map(\.isAnomaly) == b.map(\.isAnomaly))
        #expect(first.snapshot() == second.snapshot())
        // The scores are not all alike: the stream has novelty to score.
        #expect(Set(a.map(\.value)).count > 100)
    }

    @Test func aNewDestinationIsNewWhenScored() {
        var (detector, now) = F.trainedOnDatabase()
        let first = detector.score(F.observation(now, F.database, "203.0.113.9", 443))
        let second = detector.score(F.observation(now + 30 * F.second, F.database, "203.0.113.9", 443))
        #expect(first.contribution(of: .destination) > 8)
        #expect(first.value > second.value)
        #expect(first.contribution(of: .destination) > second.contribution(of: .destination))
        #expect(first.contribution(of: .service) > second.contribution(of: .service))
    }

    @Test func habitualTrafficScoresNearZeroAndNoveltyHigh() {
        var (detector, now) = F.trainedOnDatabase()
        let habitual = detector.score(F.observation(now, F.database, "10.0.1.10", 5432))
        let novel = detector.score(F.observation(now + 10 * F.second, F.database, "198.51.100.7", 4444))
        #expect(habitual.value < 1)
        #expect(habitual.contributions.isEmpty)
        #expect(novel.value > 20)
        #expect(novel.isAnomaly)
        let service = novel.contributions.first { $0.feature == .service }
        #expect(service?.detail == "port 4444/tcp never seen for this app, rare on this node")
        let destination = novel.contributions.first { $0.feature == .destination }
        #expect(destination?.detail == "198.51.100.7 never seen on this node")
        #expect(novel.contributions.map(\.value) == novel.contributions.map(\.value).sorted(by: >))
    }

    @Test func warmUpHoldsAnApplicationToTheColdStartBar() {
        var detector = AnomalyDetector(configuration: F.configuration())
        var scores: [Score] = []
        // A new application touching a new host every third connection, ten seconds apart: 49
        // events, under 600 s (a new host at every connection would be a sweep to the
        // first-contact run; see NoveltyStatisticTests).
        for index in 0..<49 {
            let host = index % 3 == 0 ? index / 3 + 2 : 1
            scores.append(detector.score(F.observation(F.start + Int64(index) * 10 * F.second, F.service, "10.1.0.\(host)", 443)))
        }
        #expect(scores.allSatisfy { $0.warmingUp && $0.threshold == 12 })
        #expect(scores.allSatisfy { !$0.isAnomaly })
        #expect(scores[0].value > 0)
        // Settle into a habit past both warm-up limits, then do something alien.
        let habit = F.habitual(F.service, [("10.1.0.1", 443)], from: F.start + 500 * F.second, count: 120, every: 10)
        for observation in habit { _ = detector.score(observation) }
        let alien = detector.score(F.observation(habit.last!.time + 10 * F.second, F.service, "198.51.100.7", 4444))
        #expect(!alien.warmingUp)
        #expect(alien.threshold >= 12)
        #expect(alien.isAnomaly)
    }

    @Test func thresholdsAdaptToEachApplication() {
        var detector = AnomalyDetector(configuration: F.configuration(thresholdFloor: 2, alertQuantile: 0.99))
        var rng = SplitMix64(seed: 5)
        // A quiet client and a noisy one that now and then (5%) uses a port it never used before.
        func noisy(_ index: Int, from: Int64) -> Observation {
            let port = rng.chance(5) ? UInt16(rng.between(10_000, 60_000)) : 443
            return F.observation(from + Int64(index) * 2 * F.second + 1, F.browser, "104.16.\(rng.below(4)).\(rng.below(8))", port)
        }
        let quiet = F.habitual(F.database, F.databaseHabits, count: 3_000, every: 2)
        let history = (0..<3_000).map { noisy($0, from: F.start) }
        _ = F.scoreMerged(&detector, quiet, history)
        let quietThreshold = try! #require(detector.threshold(for: F.database))
        let noisyThreshold = try! #require(detector.threshold(for: F.browser))
        #expect(quietThreshold == 2)
        #expect(noisyThreshold > quietThreshold + 2)
        // More of the same: the floor alone would alert on every new port; the adapted threshold
        // on at most a few percent of them.
        let scores = (0..<2_000).map { detector.score(noisy($0, from: F.start + 7_000 * F.second)) }
        let overFloor = scores.count { $0.value > 2 }
        let alerts = scores.count(where: \.isAnomaly)
        #expect(overFloor > 50)
        #expect(alerts * 5 < overFloor)
    }

    @Test func raisingAThresholdMultipliesIt() {
        var (detector, _) = F.trainedOnDatabase()
        let before = try! #require(detector.threshold(for: F.database))
        detector.raiseThreshold(for: F.database, factor: 1.5)
        let after = try! #require(detector.threshold(for: F.database))
        #expect(abs(after - before * 1.5) < 1e-6)
        #expect(detector.threshold(for: F.browser) == nil)
    }

    @Test func teachingMakesADestinationNormalForThatApplication() {
        var (taught, now) = F.trainedOnDatabase()
        var untaught = taught
        taught.teach(app: F.database, destination: F.ip("10.0.9.40"), port: 9000, transport: .tcp)
        let event = F.observation(now, F.database, "10.0.9.40", 9000)
        let a = taught.score(event)
        let b = untaught.score(event)
        #expect(a.value < b.value - 10)
        #expect(a.contribution(of: .destination) == 0)
        #expect(a.contribution(of: .service) == 0)
        // Only for that application: another one still finds it new (though known on the node).
        let other = taught.score(F.observation(now + F.second, F.service, "10.0.9.40", 9000))
        #expect(other.contribution(of: .destination) > 0)
        #expect(other.contributions.contains { $0.detail == "10.0.9.40 never seen for this app, in a network new to it" })
    }

    @Test func applicationsBeyondTheMaximumEvictTheLeastRecent() {
        var detector = AnomalyDetector(configuration: F.configuration(maximumApplications: 3))
        let apps = (0..<4).map { AppKey(executable: "/bin/app\($0)", cgroup: nil) }
        for (index, app) in apps.prefix(3).enumerated() {
            _ = detector.score(F.observation(F.start + Int64(index) * F.second, app, "10.0.0.1", 80))
        }
        // app0 is touched again, so app1 is now the least recently seen.
        _ = detector.score(F.observation(F.start + 10 * F.second, apps[0], "10.0.0.1", 80))
        _ = detector.score(F.observation(F.start + 11 * F.second, apps[3], "10.0.0.1", 80))
        #expect(detector.applicationCount == 3)
        #expect(detector.evictedApplications == 1)
        #expect(detector.isTracking(apps[0]) && !detector.isTracking(apps[1]))
        #expect(detector.isTracking(apps[2]) && detector.isTracking(apps[3]))
    }

    @Test func observationsComeFromEventsWithWhateverIdentityTheyCarry() {
        var event = DecisionEvent(
            timeNanoseconds: F.start, node: "n", pid: 1, uid: 0, comm: "x", exe: nil, exeID: nil, cgroup: "/batch",
            cgroupID: 3, transport: "udp", family: .ipv4, destination: F.ip("10.0.0.2"), port: 53, verdict: .deny,
            enforced: true, policy: nil, rule: "default", hook: "sendmsg4", generation: 1, mapped: false)
        let observation = Observation(event)
        #expect(observation.app == AppKey(executable: nil, cgroup: "/batch"))
        #expect(observation.app.description == "@/batch")
        #expect(observation.transport == .udp)
        #expect(observation.verdict == .deny)
        event.cgroup = nil
        event.transport = "132"
        #expect(Observation(event).app.description == "unknown")
        #expect(Observation(event).transport == .any)
        #expect(AppKey(executable: "/x", cgroup: nil) != AppKey(executable: nil, cgroup: "/x"))
        #expect(AppKey(executable: "/x", cgroup: "/y").description == "/x@/y")
    }
}
