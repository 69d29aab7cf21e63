import Testing

@testable import SluiceCore

/// The recent-alert feature: an application's alert carries into its later events, so that an
/// infected program's routine ranks with its incident, without ever raising an alert itself.
@Suite struct RecentAlertTests {
    typealias F = DetectorFixtures

    /// A new node's first program scans fifty ports of one host, then settles into a habit: one
    /// connection to another host every ten seconds for `hours`.
    static func scanThenHabit(_ detector: inout AnomalyDetector, hours: Int) -> (scan: [Score], habit: [(Int64, Score)]) {
        let scan = (0..<50).map {
            detector.score(F.observation(F.start + Int64($0) * 100_000_000, F.service, "45.33.32.156", UInt16(20 + $0 * 7)))
        }
        let habit = (0..<(hours * 360)).map { beat in
            let time = F.start + 60 * F.second + Int64(beat) * 10 * F.second
            return (time, detector.score(F.observation(time, F.service, "45.33.32.200", 443)))
        }
        return (scan, habit)
    }

    @Test func anApplicationsRoutineAfterItsAlertRanksAboveItButNeverAlerts() throws {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let (scan, habit) = Self.scanThenHabit(&detector, hours: 4)
        #expect(scan.contains { $0.isAnomaly })

        // Half an hour on, the habit scores nothing of its own but carries the alert, at most half
        // the threshold.
        let halfHour = habit[180].1
        let lift = halfHour.contribution(of: .recentAlert)
        #expect(lift > 4)
        #expect(halfHour.value <= halfHour.threshold / 2 + 1e-3)
        #expect(halfHour.contributions.first?.feature == .recentAlert)
        // No event is an alert by the lift.
        #expect(habit.allSatisfy { !$0.1.isAnomaly || $0.1.contribution(of: .recentAlert) == 0 })
        // It fades: halved every hour.
        let laterLift = habit[habit.count - 1].1.contribution(of: .recentAlert)
        #expect(laterLift < lift / 2)

        // A twin that never scanned scores the same habit lower.
        var quiet = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let quietHalfHour = (0...180).map { beat in
            quiet.score(F.observation(F.start + 60 * F.second + Int64(beat) * 10 * F.second, F.service, "45.33.32.200", 443))
        }.last!
        #expect(quietHalfHour.value < halfHour.value - 4)

        // A restored agent carries it on.
        var restored = try AnomalyDetector(snapshot: detector.snapshot())
        let next = F.observation(habit[habit.count - 1].0 + 10 * F.second, F.service, "45.33.32.200", 443)
        #expect(restored.score(next).value == detector.score(next).value)
    }

    @Test func aDayLaterTheAlertNoLongerLiftsAnything() {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let (_, habit) = Self.scanThenHabit(&detector, hours: 1)
        let dayLater = detector.score(F.observation(habit[habit.count - 1].0 + 24 * 3600 * F.second, F.service, "45.33.32.200", 443))
        #expect(dayLater.contribution(of: .recentAlert) == 0)
    }
}
