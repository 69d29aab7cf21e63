extension AnomalyDetector {
    /// The snapshot format this build writes and reads. Bump it with any change to the layout.
    public static let snapshotFormatVersion: UInt16 = 5
    private static let snapshotMarker: [UInt8] = Array("SLDT".utf8)

    /// The detector's complete state, to restore after an agent restart with
    /// `init(snapshot:)`. Deterministic: the same state gives the same bytes. Layout: the marker
    /// `SLDT`, the format version (UInt16), the configuration, the node state, then each
    /// application (least recently seen first) with its key and baseline; integers little-endian.
    public func snapshot() -> [UInt8] {
        var writer = SnapshotWriter()
        writer.writeHeader(marker: Self.snapshotMarker, version: Self.snapshotFormatVersion)
        writer.write(configuration.seed)
        writer.write(UInt32(clamping: configuration.maximumApplications))
        writer.write(UInt32(clamping: configuration.warmUpEvents))
        writer.write(configuration.warmUpDuration.detectorNanoseconds)
        writer.write(configuration.nodeWarmUpDuration.detectorNanoseconds)
        writer.write(configuration.alertQuantile)
        writer.write(configuration.thresholdFloor)
        writer.write(configuration.burstWindow.detectorNanoseconds)
        writer.write(configuration.noveltyWindow.detectorNanoseconds)
        writer.write(configuration.youngDestinationHorizon.detectorNanoseconds)
        writer.write(configuration.anomalousLearningWeight)
        writer.write(latestTime)
        node.write(to: &writer)
        let order = table.slotsByRecency
        writer.write(UInt32(order.count))
        for slot in order {
            writer.write(table.keys[slot].executable)
            writer.write(table.keys[slot].cgroup)
            table.baselines[slot].write(to: &writer)
        }
        return writer.bytes
    }

    /// Restores a detector from `snapshot()` bytes: it scores the next observations exactly as
    /// the detector that wrote them would have.
    ///
    /// - Throws: `DetectorSnapshotError.unsupportedVersion` for a format this build does not
    ///   read, `.notASnapshot`, `.truncated` or `.corrupt` for damaged bytes.
    public init(snapshot bytes: [UInt8]) throws(DetectorSnapshotError) {
        var reader = SnapshotReader(bytes)
        try reader.readHeader(marker: Self.snapshotMarker, version: Self.snapshotFormatVersion)
        let seed: UInt64 = try reader.read()
        let maximumApplications = Int(try reader.read(UInt32.self))
        let warmUpEvents = Int(try reader.read(UInt32.self))
        let warmUp: Int64 = try reader.read()
        let nodeWarmUp: Int64 = try reader.read()
        let alertQuantile = try reader.readDouble()
        let thresholdFloor = try reader.readDouble()
        let burst: Int64 = try reader.read()
        let novelty: Int64 = try reader.read()
        let young: Int64 = try reader.read()
        let anomalousWeight = try reader.readDouble()
        guard maximumApplications >= 1, alertQuantile > 0, alertQuantile < 1, anomalousWeight >= 0,
            anomalousWeight <= 1, warmUp > 0, nodeWarmUp > 0, burst > 0, novelty > 0, young > 0
        else { throw .corrupt("configuration out of range") }
        let configuration = DetectorConfiguration(
            seed: seed, maximumApplications: maximumApplications, warmUpEvents: warmUpEvents,
            warmUpDuration: .nanoseconds(warmUp), nodeWarmUpDuration: .nanoseconds(nodeWarmUp), alertQuantile: alertQuantile, thresholdFloor: thresholdFloor,
            burstWindow: .nanoseconds(burst), noveltyWindow: .nanoseconds(novelty),
            youngDestinationHorizon: .nanoseconds(young), anomalousLearningWeight: anomalousWeight)
        self.init(configuration: configuration)
        latestTime = try reader.read()
        node = try NodeBaseline(from: &reader)
        let count = try reader.readCount(limit: maximumApplications, of: "applications")
        for _ in 0..<count {
            let key = AppKey(executable: try reader.readString(), cgroup: try reader.readString())
            let baseline = try ApplicationBaseline(from: &reader)
            guard !table.contains(key) else { throw .corrupt("application \(key) appears twice") }
            _ = table.touch(key) { baseline }
        }
        guard reader.isAtEnd else { throw .corrupt("unexpected bytes after the last application") }
    }
}

extension ApplicationTable {
    func contains(_ key: AppKey) -> Bool { slot(of: key) != nil }
}
