import Foundation
import Testing

@testable import SluiceCore

/// Lines parsed over several threads come out as one list in line order, unreadable lines left
/// out and counted, however the chunks fall.
@Suite struct ReplayEventBufferTests {
    static func line(_ n: Int) -> String {
        PolicyReplayTests.event("/usr/bin/app\(n % 7)", to: "198.51.\(n / 250 % 250).\(n % 250 + 1)", port: UInt16(1024 + n % 50_000)).jsonLine
    }

    @Test(arguments: [1, 2, 3, 8])
    func linesComeOutInOrderWithoutTheUnreadable(lanes: Int) {
        let buffer = ReplayEventBuffer(capacity: 3 * 7_001)
        var expected: [String] = []
        var unreadable = 0
        for page in 0..<3 {
            var lines: [String] = []
            for n in page * 7_001..<(page + 1) * 7_001 {
                // Unreadable lines in runs at varied places, so chunks end with gaps of their own.
                if n % 997 < n % 5 || n % 4_001 == 3 {
                    lines.append(n % 2 == 0 ? "{\"time\":" : "not json \(n)")
                    unreadable += 1
                } else {
                    lines.append(Self.line(n))
                    expected.append(lines.last!)
                }
            }
            buffer.parse(lines, lanes: lanes)
        }
        let lines = buffer.withEvents { events in events.indices.map { events[$0].jsonLine } }
        #expect(lines.count == expected.count)
        let same = zip(lines, expected).allSatisfy { $0 == (try? DecisionEvent(jsonLine: $1))?.jsonLine }
        #expect(same, "every event is its line's, in the lines' order")
        #expect(buffer.unreadable == unreadable)
        buffer.removeAll()
        #expect(buffer.count == 0)
        buffer.withEvents { #expect($0.count == 0) }
    }

    @Test func aBufferFreesWhatItHoldsWhetherEmptiedOrNot() {
        weak var held: ReplayEventBuffer?
        do {
            let buffer = ReplayEventBuffer(capacity: 10)
            buffer.parse((0..<30).map(Self.line), lanes: 2)
            held = buffer
            #expect(buffer.count == 10)
            buffer.removeAll()
            buffer.parse((0..<3).map(Self.line), lanes: 2)
            #expect(buffer.count == 3)
        }
        #expect(held == nil)
    }
}
