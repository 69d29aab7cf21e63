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
    /// `events`).
    static func run(_ pairs: inout [ReplayPair?], events: [DecisionEvent], indices: [Int]) {
        var buckets: [BucketKey: [Int]] = [:]
        for position in pairs.indices {
            guard var pair = pairs[position], pair.before.rate != nil || pair.after.rate != nil else { continue }
            let event = events[indices[position]]
            let decided = pair.before
            if decided.rate != nil, decided.reproduces(event) {
                pair.before = event.verdict == .rateLimit ? decided : decided.admitted
            }
            if let rate = pair.after.rate, pair.after.action == .rateLimit {
                if rate == decided.rate, pair.after.ruleName == decided.ruleName, decided.reproduces(event) {
                    pair.after = pair.before
                } else {
                    let key = BucketKey(
                        cgroupID: event.cgroupID, cgroup: event.cgroup, executable: ReplayResolver.identity(of: event), rule: pair.after.ruleName)
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
                let outcome = pairs[position]!.after
                guard let rate = outcome.rate, bucket.admits(at: UInt64(clamping: events[indices[position]].timeNanoseconds), rate: rate) else { continue }
                pairs[position]!.after = outcome.admitted
            }
        }
    }
}
