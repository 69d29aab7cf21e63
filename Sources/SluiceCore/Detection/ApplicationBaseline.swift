/// Everything the detector remembers about one application, in a fixed-size value: its memory
/// does not depend on how many destinations, ports or events the application has. See
/// `AnomalyDetector.bytesPerApplication` for the measured size.
struct ApplicationBaseline: Sendable {
    /// Address, network, service and pair frequencies (2 KiB).
    var sketch = ApplicationSketch()
    /// Destination outcomes, public destinations then private ones (7 each).
    var destination = CategoricalCounts<14>()
    var service = CategoricalCounts<5>()
    var pairing = CategoricalCounts<3>()
    var verdict = CategoricalCounts<4>()
    var periodicity = CategoricalCounts<3>()
    /// Steady series that began: to established destinations (0) and to young ones (1).
    var series = CategoricalCounts<2>()
    var hours = HourProfile()
    var rates = InlineArray<6, RateHistogram>(repeating: RateHistogram())
    var scores = StreamingQuantile()
    var rhythm = PeriodicityTable()
    var windows = WindowCounters()
    var firstSeen: Int64
    var lastSeen: Int64
    var events: UInt64 = 0
    /// Events since the sketch last halved.
    var sketchAge: UInt32 = 0
    /// Keys new to the sketch since it last halved.
    var sketchFreshKeys: UInt32 = 0
    /// Born after the node's warm-up: its first hour is the new-application feature's business.
    var lateArrival: Bool
    /// `raiseThreshold(for:factor:)` multiplies this.
    var thresholdFactor: Float = 1
    /// The quantile threshold before the floor and the factor, refreshed every 32 events.
    var quantileThreshold: Float = 0

    init(firstSeen: Int64, lateArrival: Bool) {
        self.firstSeen = firstSeen
        self.lastSeen = firstSeen
        self.lateArrival = lateArrival
    }

    static let sketchHalvingPeriod: UInt32 = 8192
    /// Half a row of new keys: at that load about 2–3% of new keys read as known.
    static let sketchFreshKeyLimit = UInt32(ApplicationSketch.width / 2)
    static let categoricalCap: Float = 4096
    static let hourCap: Float = 8192
    static let scoreCap: Float = 16384
    static let rateCaps: InlineArray<6, Float> = [8192, 8192, 8192, 2048, 2048, 2048]

    /// Adds one event's keys to the sketch, halving it every `sketchHalvingPeriod` events.
    /// Adds one event's keys to the sketch. The sketch halves (one-off keys vanish, habits stay)
    /// after `sketchHalvingPeriod` events, or sooner when new keys would fill it: an application
    /// with many destinations forgets faster, so its sketch keeps telling new from known.
    @inline(__always)
    mutating func learn(_ keys: ObservationKeys, amount: Int = 1) {
        var fresh: UInt32 = 0
        if sketch.add(keys.address, amount: amount) { fresh += 1 }
        if sketch.add(keys.network, amount: amount) { fresh += 1 }
        if sketch.add(keys.service, amount: amount) { fresh += 1 }
        if sketch.add(keys.pair, amount: amount) { fresh += 1 }
        sketchAge &+= 1
        sketchFreshKeys &+= fresh
        // Fresh keys halve it at most every 128 events: a scan's thousand new ports must not wipe
        // out the application's habits in a minute.
        if sketchAge >= Self.sketchHalvingPeriod || (sketchFreshKeys >= Self.sketchFreshKeyLimit && sketchAge >= 128) {
            sketch.halve()
            sketchAge = 0
            sketchFreshKeys = 0
        }
    }

    func write(to writer: inout SnapshotWriter) {
        sketch.write(to: &writer)
        destination.write(to: &writer)
        service.write(to: &writer)
        pairing.write(to: &writer)
        verdict.write(to: &writer)
        periodicity.write(to: &writer)
        series.write(to: &writer)
        hours.write(to: &writer)
        for channel in 0..<RateChannel.count { rates[channel].write(to: &writer) }
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
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        sketch = try ApplicationSketch(from: &reader)
        destination = try CategoricalCounts(from: &reader)
        service = try CategoricalCounts(from: &reader)
        pairing = try CategoricalCounts(from: &reader)
        verdict = try CategoricalCounts(from: &reader)
        periodicity = try CategoricalCounts(from: &reader)
        series = try CategoricalCounts(from: &reader)
        hours = try HourProfile(from: &reader)
        for channel in 0..<RateChannel.count { rates[channel] = try RateHistogram(from: &reader) }
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
    }
}
