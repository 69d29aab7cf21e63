import Testing

@testable import SluiceCore

/// Snapshots and bounded memory.
@Suite struct DetectorStateTests {
    typealias F = DetectorFixtures

    static func workload(seed: UInt64, from: Int64, count: Int) -> [Observation] {
        var rng = SplitMix64(seed: seed)
        var time = from
        return (0..<count).map { index in
            time += Int64(rng.below(3_000)) * 1_000_000
            switch index % 4 {
            case 0: return F.observation(time, F.database, "10.0.1.\(10 + rng.below(3))", 5432)
            case 1: return F.observation(time, F.browser, "104.16.\(rng.below(40)).\(rng.below(256))", 443, rng.chance(30) ? .udp : .tcp)
            case 2: return F.observation(time, F.service, "2001:db8::\(rng.below(5) + 1)", 8443)
            default: return F.observation(time, AppKey(executable: nil, cgroup: "/batch"), "10.9.\(rng.below(9)).1", UInt16(rng.between(1, 1024)))
            }
        }
    }

    @Test func aRestoredDetectorScoresExactlyAsTheOriginal() throws {
        var original = AnomalyDetector(configuration: F.configuration(seed: 99))
        for observation in Self.workload(seed: 1, from: F.start, count: 6_000) { _ = original.score(observation) }
        original.teach(app: F.database, destination: F.ip("10.0.1.99"), port: 5432, transport: .tcp)
        original.raiseThreshold(for: F.browser, factor: 1.25)
        let bytes = original.snapshot()
        var restored = try AnomalyDetector(snapshot: bytes)
        #expect(restored.snapshot() == bytes)
        #expect(restored.configuration == original.configuration)
        #expect(restored.applicationCount == 4)

        let next = Self.workload(seed: 2, from: F.start + 3 * 3600 * F.second, count: 4_000)
        let a = next.map { original.score($0) }
        let b = next.map { restored.score($0) }
        #expect(a.map(\.value) == b.map(\.value))
        #expect(a.map(\.threshold) == b.map(\.threshold))
        #expect(a.map(\.isAnomaly) == b.map(\.isAnomaly))
        #expect(a.map(\.warmingUp) == b.map(\.warmingUp))
        #expect(a.map { $0.contributions.map(\.detail) } == b.map { $0.contributions.map(\.detail) })
        #expect(original.snapshot() == restored.snapshot())
    }

    @Test func anUnknownSnapshotVersionIsRefused() {
        var detector = AnomalyDetector(configuration: F.configuration())
        _ = detector.score(F.observation(F.start, F.database, "10.0.1.10", 5432))
        var bytes = detector.snapshot()
        #expect(Array(bytes[0..<4]) == Array("SLDT".utf8))
        bytes[4] = 99
        bytes[5] = 0
        #expect(throws: DetectorSnapshotError.unsupportedVersion(found: 99, supported: AnomalyDetector.snapshotFormatVersion)) {
            try AnomalyDetector(snapshot: bytes)
        }
        let message = DetectorSnapshotError.unsupportedVersion(found: 99, supported: 1).description
        #expect(message.contains("version 99 is not supported"))
    }

    @Test func damagedSnapshotsAreRefused() {
        var detector = AnomalyDetector(configuration: F.configuration())
        _ = detector.score(F.observation(F.start, F.database, "10.0.1.10", 5432))
        let bytes = detector.snapshot()
        #expect(throws: DetectorSnapshotError.notASnapshot) { try AnomalyDetector(snapshot: Array("hello, world".utf8)) }
        #expect(throws: DetectorSnapshotError.notASnapshot) { try AnomalyDetector(snapshot: []) }
        do {
            _ = try AnomalyDetector(snapshot: Array(bytes.dropLast(100)))
            Issue.record("a truncated snapshot was accepted")
        } catch {
            guard case .truncated = error else {
                Issue.record("expected truncated, got \(error)")
                return
            }
        }
        #expect(throws: DetectorSnapshotError.corrupt("unexpected bytes after the last application")) {
            try AnomalyDetector(snapshot: bytes + [0])
        }
    }

    @Test func memoryPerApplicationStaysFixedWhateverItsDestinations() {
        var detector = AnomalyDetector(configuration: F.configuration())
        _ = detector.score(F.observation(F.start, F.browser, "10.0.0.1", 443))
        let footprint = detector.memoryFootprint
        let snapshotSize = detector.snapshot().count
        // Two million distinct destinations, each on its own port.
        var time = F.start
        for index in 0..<2_000_000 {
            time += 1_000_000
            let address = IPAddress(family: .ipv6, high: 0x2001_0db8_0000_0000 | UInt64(index >> 16), low: UInt64(index))
            _ = detector.score(
                Observation(time: time, app: F.browser, destination: address, port: UInt16(truncatingIfNeeded: index | 1), transport: .tcp))
        }
        #expect(detector.applicationCount == 1)
        #expect(detector.memoryFootprint == footprint)
        #expect(detector.snapshot().count == snapshotSize)
        #expect(AnomalyDetector.bytesPerApplication < 4_096)
        #expect(footprint == AnomalyDetector.nodeBytes + AnomalyDetector.bytesPerApplication + F.browser.executable!.utf8.count + F.browser.cgroup!.utf8.count)
    }
}
