/// What rate-limit rules did to each replayed connect. Under the policies in force the node's
/// own record says it (its bucket admitted the connect, recorded `allow` by the rule, or refused
/// it), and a rate limit the change keeps as it is keeps that record. A new or changed rate limit
/// runs every application's connects under it, in time order, through its own token bucket
/// (`RateBucket`, the kernel's GCRA): an outcome `rate-limit` is a connect the bucket refused and
/// the others become the allow the kernel records. Such a bucket starts full at the first
/// replayed connect, as a bucket the kernel makes does.
enum ReplayRateLimits {
    /// One bucket of `sluice_rate_buckets`: an application (executable within cgroup) under one
    /// rule of the candidate.
    private struct BucketKey: Hashable {
        var cgroupID: UInt64
        var cgroup: String?
        var executable: ExecutableIdentity?
        var rule: String
    }

    /// Settles the rate-limited outcomes of `pairs` (one per position of `indices` into
    /// `events`, indices into the outcomes of `replay`'s deciders).
    static func run(_ pairs: inout [ReplayPair?], events: RecordedEvents, indices: [Int], replay: inout NodeReplay) {
        guard replay.current.hasRateLimits || replay.candidate.hasRateLimits else { return }
        var buckets: [BucketKey: [Int]] = [:]
        for position in pairs.indices {
            guard var pair = pairs[position] else { continue }
            let decided = replay.current.outcomes[Int(pair.before)]
            let candidate = replay.candidate.outcomes[Int(pair.after)]
            guard decided.rate != nil || candidate.rate != nil else { continue }
            let event = events[indices[position]]
            let recorded = decided.rate != nil && decided.reproduces(event)
            if recorded, event.verdict != .rateLimit {
                pair.before = replay.current.admitted(pair.before)
            }
            if let rate = candidate.rate, candidate.action == .rateLimit {
                if recorded, rate == decided.rate, candidate.ruleName == decided.ruleName {
                    if event.verdict != .rateLimit { pair.after = replay.candidate.admitted(pair.after) }
                } else {
                    let key = BucketKey(
                        cgroupID: event.cgroupID, cgroup: event.cgroup, executable: ReplayResolver.identity(of: event), rule: candidate.ruleName)
                    buckets[key, default: []].append(position)
                }
            }
            pairs[position] = pair
        }
        for positions in buckets.values {
            // The kernel sees connects as they happen; recorded events may come in any order.
            let ordered = positions.sorted { (events[indices[$0]].timeNanoseconds, $0) < (events[indices[$1]].timeNanoseconds, $1) }
            var bucket = RateBucket()
            for position in ordered {
                let index = pairs[position]!.after
                guard let rate = replay.candidate.outcomes[Int(index)].rate,
                    bucket.admits(at: UInt64(clamping: events[indices[position]].timeNanoseconds), rate: rate)
                else { continue }
                pairs[position]!.after = replay.candidate.admitted(index)
            }
        }
    }
}
