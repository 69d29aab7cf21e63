import Foundation
import SluiceAPI
import SluiceCore

extension FleetService {
    /// Long polls the node's feed layers and applies each answer as it comes: only the changed
    /// indicators reach the kernel. An answer that cannot be read is not applied (the layers in
    /// force stay) and is asked for again after a back-off.
    func intelFeeds(_ client: ServerConnection, _ membership: Membership) async {
        var delay = Duration.seconds(1)
        let wait = 30
        while !Task.isCancelled && !tracker.isRevoked {
            do {
                let after = await intel.cursor()
                let asked = ContinuousClock.now
                let query = Operations.PollIntel.Input.Query(after: after.map { Int(clamping: $0) }, wait: after == nil ? nil : wait)
                let answer = try await client.call(timeout: .seconds(wait + 30)) { try await $0.pollIntel(query: query) }
                guard case .ok(let ok) = answer else {
                    reached()
                    // A server that answers "no change" without waiting is not asked again at once.
                    if ContinuousClock.now - asked < .seconds(1) { await nudges.intel.wait(upTo: .seconds(1)) }
                    continue
                }
                let delta = try IntelDelta(try ok.body.json)
                reached()
                delay = .seconds(1)
                await intel.apply(delta)
                logger.debug(
                    "feed layers received",
                    metadata: [
                        "intel.cursor": "\(delta.cursor)", "intel.full": "\(delta.full)", "intel.upserts": "\(delta.upserts.count)",
                        "intel.removals": "\(delta.removals.count)",
                    ])
            } catch {
                if revoked(error, membership) { return }
                logger.debug("intel poll failed; retrying", metadata: ["error": "\(error)"])
                await nudges.intel.wait(upTo: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }
}
