import Foundation
import SluiceAPI
import SluiceCore

/// The feed layers a node enforces.
extension ServerAPI {
    // The server keeps no feeds yet, so every node's set of feed layers is empty.
    func pollIntel(_ input: Operations.PollIntel.Input) async throws -> Operations.PollIntel.Output {
        _ = try node()
        if input.query.after != nil { return .notModified }
        let empty = IntelDelta(cursor: 0, full: true, feeds: [], upserts: [], removals: [], more: false)
        return .ok(.init(body: .json(.init(empty))))
    }
}
