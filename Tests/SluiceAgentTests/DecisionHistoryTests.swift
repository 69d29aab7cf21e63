import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceAgent

/// The decisions `policy test --local` replays, on disk without a kernel: what is read back,
/// the bound, a restart, a torn line. The service fed by the agent's hub is tested end to end in
/// `PolicyWhatIfTests`, whose replay reads the history a real agent wrote.
struct DecisionHistoryTests {
    static func folder() -> String {
        NSTemporaryDirectory() + "sluice-history-test-\(UUID().uuidString)"
    }

    static func decision(_ index: Int, at seconds: Int64) -> DecisionEvent {
        DecisionEvent(
            timeNanoseconds: seconds * 1_000_000_000, node: "n", pid: 1, uid: 0, comm: "curl", exe: "/usr/bin/curl", exeID: nil, cgroup: "/",
            cgroupID: 1, transport: "tcp", family: .ipv4, destination: IPAddress("10.0.0.1")!, port: UInt16(1000 + index % 60000), verdict: .allow,
            enforced: true, policy: nil, rule: "default", hook: "connect4", generation: 1, mapped: false)
    }

    static func history(_ directory: String, limit: Int) -> DecisionHistory {
        DecisionHistory(directory: directory, limitBytes: limit, hub: DecisionEventHub(), logger: Logger(label: "test"))
    }

    @Test func decisionsAreReadBackNewestWithinTheRangeAndTheLimit() async throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let history = Self.history(directory, limit: 1 << 20)
        await history.append((0..<100).map { Self.decision($0, at: 1000 + Int64($0)) })
        await history.append((100..<150).map { Self.decision($0, at: 1000 + Int64($0)) })

        let all = try DecisionHistory.read(directory: directory, sinceNanoseconds: 0, limit: 1000)
        #expect(all.events.map(\.port) == (0..<150).map { UInt16(1000 + $0) } && all.unreadable == 0)
        let recent = try DecisionHistory.read(directory: directory, sinceNanoseconds: 1140 * 1_000_000_000, limit: 1000)
        #expect(recent.events.count == 10 && recent.events.first?.port == 1140)
        let newest = try DecisionHistory.read(directory: directory, sinceNanoseconds: 0, limit: 5)
        #expect(newest.events.map(\.port) == [1145, 1146, 1147, 1148, 1149])
    }

    @Test func theOldestSegmentsGoBeyondTheLimitAndARestartContinues() async throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // 64 KiB segments (the least) under a 256 KiB limit: a few thousand decisions rotate.
        let history = Self.history(directory, limit: 256 << 10)
        for batch in 0..<40 {
            await history.append((0..<100).map { Self.decision(batch * 100 + $0, at: Int64(batch * 100 + $0)) })
        }
        let segments = DecisionHistory.segments(in: directory)
        #expect(segments.count > 1 && segments.reduce(0) { $0 + $1.bytes } <= (256 << 10) + (64 << 10))
        let kept = try DecisionHistory.read(directory: directory, sinceNanoseconds: 0, limit: 1_000_000).events
        #expect(kept.count < 4000 && kept.last?.port == UInt16(1000 + 3999), "the oldest went, the newest stayed")
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.timeNanoseconds < $1.timeNanoseconds })

        // Another agent run writes after the last segment, never over it.
        let again = Self.history(directory, limit: 256 << 10)
        await again.append([Self.decision(4000, at: 4000)])
        #expect(DecisionHistory.segments(in: directory).last!.sequence > segments.last!.sequence)
        #expect(try DecisionHistory.read(directory: directory, sinceNanoseconds: 0, limit: 1).events.first?.port == UInt16(1000 + 4000))
    }

    @Test func aTornLineIsSkippedAndCounted() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = Self.decision(1, at: 10).jsonLine + "\n" + String(Self.decision(2, at: 11).jsonLine.prefix(40))
        try text.write(toFile: DecisionHistory.path(directory, 1), atomically: true, encoding: .utf8)
        let read = try DecisionHistory.read(directory: directory, sinceNanoseconds: 0, limit: 10)
        #expect(read.events.count == 1 && read.unreadable == 1)
    }
}
