import Testing

@testable import SluiceCore

/// The application and node baselines share one implementation of learning (and of the shared
/// part of their snapshot): the rule for when a sketch forgets is the same for both.
@Suite struct BaselineTests {
    static let hash = SeededHash(seed: 11)

    /// Keys never seen before: every event brings four fresh ones.
    static func freshKeys(_ index: Int) -> ObservationKeys {
        let address = IPAddress(family: .ipv6, high: 0x2001_0db8_0000_0000 | UInt64(index) << 16, low: UInt64(index) &+ 1)
        let observation = Observation(time: 0, app: AppKey(executable: "/x", cgroup: nil), destination: address, port: UInt16(index % 60000 + 1))
        return ObservationKeys(observation, hash: hash)
    }

    /// Feeds fresh keys until the sketch halves; how many events that took.
    static func eventsUntilHalving<B: Baseline>(_ baseline: inout B, limit: Int = 100_000) -> Int {
        for index in 0..<limit {
            baseline.learn(freshKeys(index))
            if baseline.sketchAge == 0 { return index + 1 }
        }
        return limit
    }

    @Test func freshKeysHalveAnApplicationSketchNoSoonerThanTheMinimumAge() {
        var application = ApplicationBaseline(firstSeen: 0, lateArrival: false)
        // 256 fresh keys arrive within 64 events, yet the sketch keeps them until event 128.
        #expect(Self.eventsUntilHalving(&application) == Int(ApplicationBaseline.sketchMinimumAge))
        #expect(application.sketchFreshKeys == 0)
    }

    @Test func theNodeFollowsTheSameRule() {
        #expect(NodeBaseline.sketchMinimumAge == ApplicationBaseline.sketchMinimumAge)
        var node = NodeBaseline()
        // At most 4 fresh keys an event: the node's limit of 32,768 takes 8,192 events or a few
        // more (a new key now and then reads as known), far past the minimum age.
        let events = Self.eventsUntilHalving(&node)
        #expect(events >= Int(NodeBaseline.sketchFreshKeyLimit) / 4 && events < 9000, "\(events)")
        #expect(node.sketchAge == 0 && node.sketchFreshKeys == 0)
    }

    @Test func knownKeysHalveTheSketchAtThePeriod() {
        var application = ApplicationBaseline(firstSeen: 0, lateArrival: false)
        let known = Self.freshKeys(1)
        var halvedAt = 0
        for index in 1...Int(ApplicationBaseline.sketchHalvingPeriod) + 10 {
            application.learn(known)
            if application.sketchAge == 0 {
                halvedAt = index
                break
            }
        }
        #expect(halvedAt == Int(ApplicationBaseline.sketchHalvingPeriod))
    }

    /// The shared part of the snapshot reads back what it wrote, for both baselines.
    @Test func historyRoundTrips() throws {
        var node = NodeBaseline()
        var application = ApplicationBaseline(firstSeen: 5, lateArrival: true)
        for index in 0..<300 {
            node.learn(Self.freshKeys(index))
            application.learn(Self.freshKeys(index))
            application.service.add(index % 5, weight: 1, cap: ApplicationBaseline.categoricalCap)
        }
        var writer = SnapshotWriter()
        node.write(to: &writer)
        application.write(to: &writer)
        var reader = SnapshotReader(writer.bytes)
        let nodeAgain = try NodeBaseline(from: &reader)
        let applicationAgain = try ApplicationBaseline(from: &reader)
        var again = SnapshotWriter()
        nodeAgain.write(to: &again)
        applicationAgain.write(to: &again)
        #expect(again.bytes == writer.bytes)
        #expect(applicationAgain.sketchAge == application.sketchAge && nodeAgain.sketchFreshKeys == node.sketchFreshKeys)
    }
}
