import SluiceAPI

/// The `after` and `wait` of an agent's long poll (policy or intel), checked.
struct LongPollQuery {
    var after: Int64?
    /// Seconds to wait for a change (30 unless asked).
    var wait: Int

    /// `cursor` names what `after` is in the error message.
    init(after: Int?, wait: Int?, cursor: String) throws {
        self.wait = try QueryCheck.int(wait, "wait", range: 0...NodeAPI.maximumPolicyWait) ?? 30
        if let after {
            guard after >= 0 else { throw APIError.badRequest("after must be \(cursor) (0 or more)") }
            self.after = Int64(after)
        }
    }
}
