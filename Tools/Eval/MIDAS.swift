import SluiceCore

/// MIDAS, the original core (Bhatia, Hooi, Yoon, Shin, Faloutsos, AAAI 2020): each event is an
/// edge from the application to the destination address; one count-min sketch counts the edge in
/// the current tick (cleared when a new tick starts), another counts it over the whole stream,
/// and the score is the chi-squared statistic `((a - s/t) · t)² / (s · (t - 1))` of the current
/// count `a` against the total `s` over `t` ticks. The paper's parameters: two rows of 1024
/// buckets, ticks of one second.
struct MIDAS: EvaluatedDetector {
    private var edges: TickedCounts
    private var clock: TickClock

    init(seed: UInt64 = 7, tickSeconds: Int64 = 1) {
        edges = TickedCounts(seed: seed &+ 1)
        clock = TickClock(seconds: tickSeconds)
    }

    var name: String { "MIDAS" }
    var summary: String {
        "edge app→address, 1 s ticks, 2×1024 count-min sketches of the current tick (cleared each tick) and of all ticks (Bhatia et al. 2020)"
    }

    mutating func score(_ event: DecisionEvent) -> Double {
        if clock.advance(to: event.timeNanoseconds) { edges.startTick(decay: 0) }
        let edge = EdgeKeys.edge(source: EdgeKeys.source(event), destination: EdgeKeys.destination(event))
        return edges.count(edge, ticks: clock.current)
    }
}
