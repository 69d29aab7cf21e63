import SluiceCore

/// MIDAS and MIDAS-R (Bhatia, Hooi, Yoon, Shin, Faloutsos, AAAI 2020): streaming anomaly
/// detection on graph edges, reimplemented from the paper and its reference code. Each event is
/// an edge from the application to the destination address; one count-min sketch counts it in the
/// current tick, another over the whole stream, and the score is the chi-squared statistic
/// `((a - s/t) · t)² / (s · (t - 1))` of the current count `a` against the total `s` over `t`
/// ticks. The original core clears the current counts each tick; MIDAS-R, the relational variant,
/// decays them by 0.5 instead and scores both of the edge's nodes as well, taking the largest of
/// the three. The paper's parameters: two rows of 1024 buckets, ticks of one second.
struct MIDAS: EvaluatedDetector {
    /// MIDAS-R rather than the original core.
    let relational: Bool
    private var edges, sources, destinations: TickedCounts
    private var clock: TickClock

    init(relational: Bool, seed: UInt64 = 7, tickSeconds: Int64 = 1) {
        self.relational = relational
        edges = TickedCounts(seed: seed &+ 1)
        sources = TickedCounts(seed: seed &+ 2)
        destinations = TickedCounts(seed: seed &+ 3)
        clock = TickClock(seconds: tickSeconds)
    }

    var name: String { relational ? "MIDAS-R" : "MIDAS" }
    var summary: String {
        relational
            ? "MIDAS with relations: edge app→address and both of its nodes, 1 s ticks, 2×1024 count-min sketches, current counts decayed by 0.5 per tick (Bhatia et al. 2020)"
            : "edge app→address, 1 s ticks, 2×1024 count-min sketches of the current tick (cleared each tick) and of all ticks (Bhatia et al. 2020)"
    }

    mutating func score(_ event: DecisionEvent) -> Double {
        let source = EdgeKeys.source(event)
        let destination = EdgeKeys.destination(event)
        let edge = EdgeKeys.edge(source: source, destination: destination)
        let newTick = clock.advance(to: event.timeNanoseconds)
        let t = clock.current
        guard relational else {
            if newTick { edges.startTick(decay: 0) }
            return edges.count(edge, ticks: t)
        }
        if newTick {
            edges.startTick(decay: 0.5)
            sources.startTick(decay: 0.5)
            destinations.startTick(decay: 0.5)
        }
        return max(edges.count(edge, ticks: t), sources.count(source, ticks: t), destinations.count(destination, ticks: t))
    }
}
