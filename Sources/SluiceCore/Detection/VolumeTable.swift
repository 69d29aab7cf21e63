/// Every application's upload habit (`VolumeBaseline`), bounded, and kept across restarts in a
/// snapshot of its own (`volumes.bin` beside the detector's baselines).
public struct VolumeTable: Sendable, Hashable {
    private var baselines: [AppKey: VolumeBaseline] = [:]
    /// At most this many applications; beyond it one is dropped for each new one.
    public let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// Applications with a habit.
    public var count: Int { baselines.count }

    /// Scores one finished connection of `app` against its habit, then learns from it
    /// (`VolumeBaseline.observe`).
    public mutating func observe(app: AppKey, sent: UInt64, received: UInt64) -> VolumeFinding? {
        if baselines[app] == nil, baselines.count >= capacity, let dropped = baselines.keys.first {
            baselines[dropped] = nil
        }
        return baselines[app, default: VolumeBaseline()].observe(sent: sent, received: received)
    }

    static let snapshotMarker: [UInt8] = Array("SLVB".utf8)
    static let snapshotFormatVersion: UInt16 = 1

    /// The table as bytes: the marker `SLVB`, the format version (UInt16), the capacity, then
    /// each application (sorted by its key, so the same table gives the same bytes) with its
    /// executable, cgroup, total and non-empty buckets; integers little-endian.
    public func snapshot() -> [UInt8] {
        var writer = SnapshotWriter()
        writer.writeHeader(marker: Self.snapshotMarker, version: Self.snapshotFormatVersion)
        writer.write(UInt32(clamping: capacity))
        writer.write(UInt32(baselines.count))
        for (app, baseline) in baselines.sorted(by: { $0.key.fingerprint < $1.key.fingerprint }) {
            writer.write(app.executable)
            writer.write(app.cgroup)
            writer.write(baseline.total)
            let used = baseline.buckets.indices.filter { baseline.buckets[$0] > 0 }
            writer.write(UInt8(used.count))
            for index in used {
                writer.write(UInt8(index))
                writer.write(baseline.buckets[index])
            }
        }
        return writer.bytes
    }

    /// Reads what `snapshot()` wrote; throws on anything else, never accepting a table that
    /// breaks its own rules (more applications than its capacity, a bucket out of range, a
    /// total that is not the buckets' sum).
    public init(snapshot bytes: [UInt8]) throws(DetectorSnapshotError) {
        var reader = SnapshotReader(bytes)
        try reader.readHeader(marker: Self.snapshotMarker, version: Self.snapshotFormatVersion)
        capacity = Int(try reader.read(UInt32.self))
        let count = Int(try reader.read(UInt32.self))
        guard capacity > 0, count <= capacity else { throw .corrupt("\(count) applications for a capacity of \(capacity)") }
        for _ in 0..<count {
            let app = AppKey(executable: try reader.readString(), cgroup: try reader.readString())
            var baseline = VolumeBaseline()
            baseline.total = try reader.read()
            var sum: UInt32 = 0
            for _ in 0..<Int(try reader.read(UInt8.self)) {
                let index = Int(try reader.read(UInt8.self))
                guard index < baseline.buckets.count else { throw .corrupt("volume bucket \(index) out of range") }
                baseline.buckets[index] = try reader.read()
                sum &+= baseline.buckets[index]
            }
            guard sum == baseline.total else { throw .corrupt("volume buckets sum to \(sum), not their total \(baseline.total)") }
            baselines[app] = baseline
        }
        guard reader.isAtEnd else { throw .corrupt("\(bytes.count - reader.offset) bytes after the volume table") }
    }
}
