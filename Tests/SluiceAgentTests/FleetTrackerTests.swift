import Foundation
import Testing

@testable import SluiceAgent

/// What `sluice status` says of the fleet link as requests succeed and fail.
struct FleetTrackerTests {
    @Test func aRevokedNodeStaysRevoked() throws {
        let directory = EventOutboxTests.folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tracker = FleetTracker(server: "https://server", outbox: try EventOutbox(directory: directory, limitBytes: 1 << 20))
        #expect(tracker.status.connection == .connecting)
        tracker.unreachable("connection refused")
        #expect(tracker.reached(), "back after being away")
        #expect(!tracker.reached())
        tracker.revoked("node was revoked")
        tracker.unreachable("connection refused")
        tracker.reached()
        #expect(tracker.status.connection == .revoked && tracker.status.error == "node was revoked")
    }
}
