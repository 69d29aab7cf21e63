/// `--since` of `sluice policy test --local`: an RFC 3339 time or a duration back from now
/// (`15m`, `2h`, `7d`), as the server reads the API's `since`.
public enum ReplaySince {
    /// Nanoseconds since the epoch; nil when `text` is neither form.
    public static func nanoseconds(_ text: String, now: Int64) -> Int64? {
        if let time = RFC3339.parse(text) { return time }
        guard let unit = text.last, let amount = Int64(text.dropLast()), (0...36_500 * 86_400).contains(amount) else { return nil }
        let seconds: Int64? = ["s": 1, "m": 60, "h": 3600, "d": 86_400][unit]
        guard let seconds, amount <= 36_500 * 86_400 / seconds else { return nil }
        return now - amount * seconds * 1_000_000_000
    }
}
