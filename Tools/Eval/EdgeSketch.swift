import SluiceCore

/// The count-min sketch of the MIDAS reference code (Bhatia et al.): two rows of 1024 counters
/// (doubles, so counts can decay), one seeded hash per row, read as the minimum of the rows. A
/// current-tick sketch and a total sketch made with one seed give a key the same cells in both,
/// so its cells are hashed once per event.
struct EdgeSketch {
    static let rows = 2
    static let columns = 1024
    /// The cells of one key, one per row.
    typealias Cells = (Int, Int)
    private var cells = [Double](repeating: 0, count: rows * columns)
    private let seeds: (UInt64, UInt64)

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        seeds = (rng.next(), rng.next())
    }

    func cells(_ key: UInt64) -> Cells {
        (Int(EdgeKeys.mix(key ^ seeds.0) % UInt64(Self.columns)),
         Self.columns + Int(EdgeKeys.mix(key ^ seeds.1) % UInt64(Self.columns)))
    }

    func value(_ index: Cells) -> Double { min(cells[index.0], cells[index.1]) }

    mutating func add(_ index: Cells) {
        cells[index.0] += 1
        cells[index.1] += 1
    }

    mutating func multiply(_ factor: Double) {
        for i in cells.indices { cells[i] *= factor }
    }

    /// MIDAS's statistic: the chi-squared goodness of fit of the current tick's count `a` against
    /// the mean `s / t` over `t` ticks, `((a - s/t) · t)² / (s · (t - 1))`; 0 in the first tick
    /// or for a key never counted.
    static func chiSquared(_ a: Double, _ s: Double, _ t: Double) -> Double {
        guard s > 0, t > 1 else { return 0 }
        let deviation = (a - s / t) * t
        return deviation * deviation / (s * (t - 1))
    }
}

/// The graph the MIDAS detectors see: an edge from the application to the destination address.
enum EdgeKeys {
    static func source(_ event: DecisionEvent) -> UInt64 { AppKey(event).fingerprint }

    static func destination(_ event: DecisionEvent) -> UInt64 {
        event.destination.high &* 0x9E37_79B9_7F4A_7C15 ^ event.destination.low
    }

    static func edge(source: UInt64, destination: UInt64) -> UInt64 {
        source &* 31 ^ destination &* 0x100_0000_01b3
    }

    /// The 64-bit finaliser of MurmurHash3 (fmix64).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }
}

/// The tick an event falls in, counted from 1 at the first event, as the reference code numbers
/// its time stamps.
struct TickClock {
    let length: Int64
    private var origin: Int64?
    /// The latest tick an event has reached, 0 before the first.
    private(set) var current: Int64 = 0

    init(seconds: Int64) { length = seconds * 1_000_000_000 }

    private mutating func tick(_ time: Int64) -> Int64 {
        let origin = origin ?? time
        self.origin = origin
        return (time - origin) / length + 1
    }

    /// Moves to the tick of `time`; true when that starts a new tick (the first event's does).
    mutating func advance(to time: Int64) -> Bool {
        let now = tick(time)
        guard now > current else { return false }
        current = now
        return true
    }
}

/// One quantity MIDAS scores, such as an edge or a node: a key's count in the current tick and
/// over all ticks, in two sketches made with one seed so a key's cells are hashed once.
struct TickedCounts {
    private var current, total: EdgeSketch

    init(seed: UInt64) {
        current = EdgeSketch(seed: seed)
        total = EdgeSketch(seed: seed)
    }

    /// A new tick: the current counts are multiplied by `decay` (0 clears them).
    mutating func startTick(decay: Double) { current.multiply(decay) }

    /// Counts `key` once; its chi-squared score after `ticks` ticks.
    mutating func count(_ key: UInt64, ticks: Int64) -> Double {
        let cells = current.cells(key)
        current.add(cells)
        total.add(cells)
        return EdgeSketch.chiSquared(current.value(cells), total.value(cells), Double(ticks))
    }
}
