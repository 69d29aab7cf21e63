import ArgumentParser
import SluiceCore

/// How much recorded traffic a replay reads and how long it may take: `policy test` and
/// `rules preview`.
struct ReplayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Decisions since: an RFC 3339 time or a duration back from now (15m, 2h, 7d).", valueName: "when"))
    var since: String = "7d"

    @Option(help: ArgumentHelp("At most this many of the newest decisions (server default 200000).", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Seconds the replay may take (default 30).", valueName: "seconds"))
    var budget: Int?

    func validate() throws {
        if ReplaySince.nanoseconds(since, now: 0) == nil { throw ValidationError("--since must be an RFC 3339 time or a duration like 15m, 2h, 7d") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let budget, !(1...300).contains(budget) { throw ValidationError("--budget must be from 1 to 300 seconds") }
    }

    /// How long to wait for the server's answer: the budget and a margin for reading.
    var timeout: Duration { .seconds(Int64(budget ?? 30) + 60) }
}
