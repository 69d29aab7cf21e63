/// Everything the detector remembers about one application, in a fixed-size value: its memory
/// does not depend on how many destinations, ports or events the application has. See
/// `AnomalyDetector.bytesPerApplication` for the measured size.
struct ApplicationBaseline: Baseline, Sendable {
    /// Address, network, service and pair frequencies (2 KiB).
    var sketch = ApplicationSketch()
    var destination = CategoricalCounts<14>()
    var service = CategoricalCounts<5>()
    var pairing = CategoricalCounts<3>()
    var verdict = CategoricalCounts<4>()
    var periodicity = CategoricalCounts<3>()
    var series = CategoricalCounts<2>()
    var hours = HourProfile()
    var rates = InlineArray<6, RateHistogram>(repeating: RateHistogram())
    var scores = StreamingQuantile()
    var rhythm = PeriodicityTable()
    var windows = WindowCounters()
    var firstSeen: Int64
    var lastSeen: Int64
    var events: UInt64 = 0
    var sketchAge: UInt32 = 0
    var sketchFreshKeys: UInt32 = 0
    /// Born after the node's warm-up: its first hour is the new-application feature's business.
    var lateArrival: Bool
    /// `raiseThreshold(for:factor:)` multiplies this.
    var thresholdFactor: Float = 1
    /// The quantile threshold before the floor and the factor, refreshed every 32 events.
    var quantileThreshold: Float = 0
    /// The latest alert's score, or more when alerts came close together (decayed to `alertTime`),
    /// carried into later events by the recent-alert feature; 0 once it has faded.
    var alertLevel: Float = 0
    var alertTime: Int64 = 0

    init(firstSeen: Int64, lateArrival: Bool) {
        self.firstSeen = firstSeen
        self.lastSeen = firstSeen
        self.lateArrival = lateArrival
    }

    /// Bits over the floor an application that arrived after the node's warm-up must reach to
    /// alert while it warms up (its scores carry the new-application feature).
    static let lateArrivalMargin: Double = 8
    /// Bits over its threshold a score may reach and still teach the threshold.
    static let thresholdHeadroom: Double = 4
    /// Bits over the floor the threshold may reach at most (before `thresholdFactor`).
    static let thresholdCeilingMargin: Double = 16
    /// How fast a carried alert fades: an incident's traffic goes on for minutes to hours, and a
    /// day-old alert is for its reviewer, not for the ranking of today's events.
    static let alertHalfLifeNanoseconds: Int64 = 3_600_000_000_000
    static let sketchHalvingPeriod: UInt32 = 8192
    /// Half a row of new keys: at that load about 2–3% of new keys read as known.
    static let sketchFreshKeyLimit = UInt32(ApplicationSketch.width / 2)
    static let categoricalCap: Float = 4096
    static let hourCap: Float = 8192
    static let scoreCap: Float = 16384
    static let rateCaps: InlineArray<6, Float> = [8192, 8192, 8192, 2048, 2048, 2048]

    func write(to writer: inout SnapshotWriter) {
        writeHistory(to: &writer)
        scores.write(to: &writer)
        rhythm.write(to: &writer)
        windows.write(to: &writer)
        writer.write(firstSeen)
        writer.write(lastSeen)
        writer.write(events)
        writer.write(sketchAge)
        writer.write(sketchFreshKeys)
        writer.write(lateArrival)
        writer.write(thresholdFactor)
        writer.write(quantileThreshold)
        writer.write(alertLevel)
        writer.write(alertTime)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        self.init(firstSeen: 0, lateArrival: false)
        try readHistory(from: &reader)
        scores = try StreamingQuantile(from: &reader)
        rhythm = try PeriodicityTable(from: &reader)
        windows = try WindowCounters(from: &reader)
        firstSeen = try reader.read()
        lastSeen = try reader.read()
        events = try reader.read()
        sketchAge = try reader.read()
        sketchFreshKeys = try reader.read()
        lateArrival = try reader.readBool()
        thresholdFactor = try reader.readFloat()
        quantileThreshold = try reader.readFloat()
        alertLevel = try reader.readFloat()
        alertTime = try reader.read()
    }
}
