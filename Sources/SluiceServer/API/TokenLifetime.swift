/// How long a secret the server hands out stays valid: join tokens, API tokens and CLI logins all
/// expire by default, so a leaked one does not work for ever.
enum TokenLifetime {
    /// A join token: a day.
    static let joinToken = 86_400
    /// A token from `sluice login`: thirty days, then sign in again.
    static let login = 30 * 86_400
    /// A token made with `POST /api/v1/tokens` (for scripts): ninety days.
    static let apiToken = 90 * 86_400
    /// The longest lifetime that may be asked for (0, never, aside).
    static let longest = 366 * 86_400

    /// When a secret asked to live `seconds` (nil: `standard`; 0: never) expires, in server micros.
    static func expiry(_ seconds: Int?, standard: Int, field: String = "expires_in") throws -> Int64? {
        let seconds = seconds ?? standard
        if seconds == 0 { return nil }
        guard (60...longest).contains(seconds) else {
            throw APIError.badRequest("\(field) must be 60 seconds to 366 days, or 0 for never")
        }
        return Micros.now() + Int64(seconds) * 1_000_000
    }
}
