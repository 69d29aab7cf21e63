import SluiceCore

/// MIDAS-R (Bhatia, Hooi, Yoon, Shin, Faloutsos, AAAI 2020): streaming anomaly detection on graph
/// edges. Each event is an edge from the application to the destination address; count-min
/// sketches hold decayed counts for the current tick and total counts, for the edge and for both
/// of its nodes, and the score is the largest chi-squared statistic
/// `((a - s/t) · t)² / (s · (t - 1))` of the three. Reimplemented from the paper and its
/// reference code, with the paper's parameters: two rows of 1024 buckets, decay factor 0.5, and
/// ticks of one second.
struct MIDASR: EvaluatedDetector {
    private var currentEdge, totalEdge, currentSource, totalSource, currentDestination, totalDestination: EdgeSketch
    private var clock: TickClock
    private var tick: Int64 = 0
    let decay = 0.5

    init(seed: UInt64 = 7, tickSeconds: Int64 = 1) {
        currentEdge = EdgeSketch(seed: seed &+ 1)
        totalEdge = EdgeSketch(seed: seed &+ 1)
        currentSource = EdgeSketch(seed: seed &+ 2)
        totalSource = EdgeSketch(seed: seed &+ 2)
        currentDestination = EdgeSketch(seed: seed &+ 3)
        totalDestination = EdgeSketch(seed: seed &+ 3)
        clock = TickClock(seconds: tickSeconds)
    }

    var name: String { "MIDAS-R" }
    var summary: String {
        "MIDAS with relations: edge app→address and both of its nodes, 1 s ticks, 2×1024 count-min sketches, current counts decayed by 0.5 per tick (Bhatia et al. 2020)"
    }

    mutating func score(_ event: DecisionEvent) -> Double {
        let now = clock.tick(event.timeNanoseconds)
        if now > tick {
            currentEdge.multiply(decay)
            currentSource.multiply(decay)
            currentDestination.multiply(decay)
            tick = now
        }
        let source = EdgeKeys.source(event)
        let destination = EdgeKeys.destination(event)
        let e = currentEdge.cells(EdgeKeys.edge(source: source, destination: destination))
        let s = currentSource.cells(source)
        let d = currentDestination.cells(destination)
        currentEdge.add(e)
        totalEdge.add(e)
        currentSource.add(s)
        totalSource.add(s)
        currentDestination.add(d)
        totalDestination.add(d)
        let t = Double(tick)
        return max(
            EdgeSketch.chiSquared(currentEdge.value(e), totalEdge.value(e), t),
            EdgeSketch.chiSquared(currentSource.value(s), totalSource.value(s), t),
            EdgeSketch.chiSquared(currentDestination.value(d), totalDestination.value(d), t))
    }
}
