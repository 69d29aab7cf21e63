import Foundation
import Testing

@testable import SluiceAgent

/// The disk outbox without a kernel or a server: the bound, the drop count, order, and what
/// survives a restart.
struct EventOutboxTests {
    static func folder() -> String {
        NSTemporaryDirectory() + "sluice-outbox-test-\(UUID().uuidString)"
    }

    static func batch(_ events: Int, bytesEach: Int = 100) -> [UInt8] {
        Array(repeating: UInt8(ascii: "x"), count: events * bytesEach)
    }

    @Test func aBatchBeyondTheBoundIsDroppedWholeAndCounted() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try EventOutbox(directory: directory, limitBytes: 2500)
        #expect(outbox.append(Self.batch(10), events: 10))
        #expect(outbox.append(Self.batch(10), events: 10))
        #expect(!outbox.append(Self.batch(10), events: 10), "3000 bytes do not fit in 2500")
        #expect(outbox.append(Self.batch(5), events: 5), "a smaller batch still fits")
        #expect(outbox.totals.buffered == 25 && outbox.totals.dropped == 10)

        // Acknowledged batches leave oldest first and make room again.
        let first = try #require(outbox.oldest())
        outbox.remove(first)
        #expect(outbox.totals.buffered == 15)
        #expect(outbox.append(Self.batch(10), events: 10))
        #expect(EventOutbox.list(directory).map(\.events) == [10, 5, 10])
    }

    @Test func batchesAndSequenceNumbersSurviveARestart() throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var outbox = try EventOutbox(directory: directory, limitBytes: 1 << 20)
        outbox.append(Self.batch(3), events: 3)
        outbox.append(Self.batch(4), events: 4)
        let sent = try #require(outbox.oldest())
        outbox.remove(sent)
        let last = try #require(EventOutbox.list(directory).last).sequence

        outbox = try EventOutbox(directory: directory, limitBytes: 1 << 20)
        #expect(outbox.totals.buffered == 4 && outbox.totals.dropped == 0)
        outbox.append(Self.batch(1), events: 1)
        let sequences = EventOutbox.list(directory).map(\.sequence)
        #expect(sequences.count == 2 && sequences[1] > last, "a new batch never reuses a number: \(sequences)")
        #expect(sequences.allSatisfy { $0 != sent.sequence })
    }
}
