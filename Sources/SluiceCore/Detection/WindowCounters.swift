/// The counts of the windows in progress: the burst window (connections, distinct addresses,
/// distinct ports) and the novelty window (new addresses, new services, new internal addresses),
/// and the outlying windows held back from the history.
struct WindowCounters: Sendable {
    var burstWindow: Int64 = .min
    var burstEvents: UInt32 = 0
    /// Connections in the previous burst window (0 when it was not the one just before).
    var previousBurstEvents: UInt32 = 0
    /// The highest sliding count seen in this window: what the window adds to the history.
    var burstPeak: UInt32 = 0
    var burstDestinations = LinearCounter()
    var burstPorts = LinearCounter()
    var burstTainted = false
    var noveltyWindow: Int64 = .min
    var novelDestinations: UInt32 = 0
    var novelServices: UInt32 = 0
    /// The previous novelty window's counts (0 when it was not the one just before).
    var previousNovelDestinations: UInt32 = 0
    var previousNovelServices: UInt32 = 0
    /// The highest sliding counts seen in this novelty window.
    var novelDestinationPeak: UInt32 = 0
    var novelServicePeak: UInt32 = 0
    /// New private-scope addresses (the node's own networks) in this novelty window, in the
    /// previous one when it was the one just before, and the highest sliding count.
    var novelInternal: UInt32 = 0
    var previousNovelInternal: UInt32 = 0
    var novelInternalPeak: UInt32 = 0
    var noveltyTainted = false
    /// Each rate channel's usual high bucket (its 99th percentile), refreshed when windows close.
    var typical = InlineArray<6, UInt8>(repeating: 1)
    var held = HeldWindows()
    /// The episode of busy burst windows in progress.
    var storm = StormStatistic()
    /// The warm-up's run of first contacts.
    var novelty = NoveltyStatistic()

    init() {}

    func write(to writer: inout SnapshotWriter) {
        writer.write(burstWindow)
        writer.write(burstEvents)
        writer.write(previousBurstEvents)
        writer.write(burstPeak)
        writer.write(burstDestinations.bits)
        writer.write(burstPorts.bits)
        writer.write(burstTainted)
        writer.write(noveltyWindow)
        writer.write(novelDestinations)
        writer.write(novelServices)
        writer.write(previousNovelDestinations)
        writer.write(previousNovelServices)
        writer.write(novelDestinationPeak)
        writer.write(novelServicePeak)
        writer.write(novelInternal)
        writer.write(previousNovelInternal)
        writer.write(novelInternalPeak)
        writer.write(noveltyTainted)
        for channel in 0..<RateChannel.count { writer.write(typical[channel]) }
        held.write(to: &writer)
        storm.write(to: &writer)
        novelty.write(to: &writer)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        burstWindow = try reader.read()
        burstEvents = try reader.read()
        previousBurstEvents = try reader.read()
        burstPeak = try reader.read()
        burstDestinations = LinearCounter(bits: try reader.read())
        burstPorts = LinearCounter(bits: try reader.read())
        burstTainted = try reader.readBool()
        noveltyWindow = try reader.read()
        novelDestinations = try reader.read()
        novelServices = try reader.read()
        previousNovelDestinations = try reader.read()
        previousNovelServices = try reader.read()
        novelDestinationPeak = try reader.read()
        novelServicePeak = try reader.read()
        novelInternal = try reader.read()
        previousNovelInternal = try reader.read()
        novelInternalPeak = try reader.read()
        noveltyTainted = try reader.readBool()
        for channel in 0..<RateChannel.count { typical[channel] = try reader.read() }
        held = try HeldWindows(from: &reader)
        storm = try StormStatistic(from: &reader)
        novelty = try NoveltyStatistic(from: &reader)
    }
}
