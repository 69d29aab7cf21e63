import SluiceCore

/// MIDAS-R (Bhatia, Hooi, Yoon, Shin, Faloutsos, AAAI 2020): streaming anomaly detection on graph
/// edges. Each event is an edge from the application to the destination address; count-min
/// sketches hold decayed counts for the current tick and total counts, for the edge and for both
/// of its nodes, and the score is the largest chi-squared statistic
/// `((a - s/t) · t)² / (s · (t - 1))` of the three. Reimplemented from the paper and its
/// reference code, with the paper's parameters: two rows of 1024 buckets, decay factor 0.5, and
/// ticks of one second.
struct MIDASR: EvaluatedDetector {
    private var edges, sources, destinations: TickedCounts
    private var clock: TickClock
    let decay = 0.5

    init(seed: UInt64 = 7, tickSeconds: Int64 = 1) {
        edges = TickedCounts(seed: seed &+ 1)
        sources = TickedCounts(seed: seed &+ 2)
        destinations = TickedCounts(seed: seed &+ 3)
        clock = TickClock(seconds: tickSeconds)
    }

    var name: String { "MIDAS-R" }
    var summary: String {
        "MIDAS with relations: edge app→address and both of its nodes, 1 s ticks, 2×1024 count-min sketches, current counts decayed by 0.5 per tick (Bhatia et al. 2020)"
    }

    mutating func score(_ event: DecisionEvent) -> Double {
        if clock.advance(to: event.timeNanoseconds) {
            edges.startTick(decay: decay)
            sources.startTick(decay: decay)
            destinations.startTick(decay: decay)
        }
        let source = EdgeKeys.source(event)
        let destination = EdgeKeys.destination(event)
        let t = clock.current
        return max(
            edges.count(EdgeKeys.edge(source: source, destination: destination), ticks: t),
            sources.count(source, ticks: t),
            destinations.count(destination, ticks: t))
    }
}
