/// The rhythm of connections to one destination (address, port, protocol).
struct PeriodicEntry: Sendable {
    var key: UInt32 = 0
    /// Intervals measured so far (saturating).
    var intervals: UInt16 = 0
    /// Bit 0: in use. Bit 1: suspect, the destination was new when the application (or the node,
    /// for a new application) was already established. Bit 2: its rhythm has been counted as a
    /// series. Bit 3: new to the application when first seen. Bit 4: early, an internet address
    /// new to the node that the application reached in its warm-up: suspect for its rhythm only.
    var flags: UInt8 = 0
    var lastSeen: Int64 = 0
    var firstSeen: Int64 = 0
    /// Exponentially weighted mean interval, seconds.
    var mean: Float = 0
    /// Exponentially weighted mean absolute deviation of the interval, seconds.
    var deviation: Float = 0

    var inUse: Bool { flags & 1 != 0 }
    var suspect: Bool { flags & 2 != 0 }
    var novel: Bool { flags & 8 != 0 }
    /// A steady series to it counts as beaconing while it is young: suspect, or early.
    var rhythmSuspect: Bool { flags & (2 | 16) != 0 }

    /// Steady enough to call a rhythm: four or more intervals of at least two seconds whose
    /// deviation stays within 15% of their mean.
    var isRegular: Bool { intervals >= 3 && mean >= 2 && deviation <= 0.15 * mean }
}

/// What the periodicity feature saw for one event.
enum PeriodicOutcome: Int {
    /// No steady series (most connections).
    case none = 0
    /// The event continues a steady series to an established destination (heartbeats).
    case established = 1
    /// The event continues a steady series to a young, suspect destination (beaconing).
    case young = 2
}

/// A fixed table of the sixteen destinations an application used most recently, with the rhythm
/// of each. Replacement takes the least recently seen entry, but an entry with a steady rhythm
/// counts as ten minutes more recent, so a burst of one-off destinations does not push out a beacon.
struct PeriodicityTable: Sendable {
    static let size = 16
    /// Connections closer than this are one beat (a client opening several sockets at once).
    static let sameBeat: Int64 = 1_000_000_000
    static let protection: Int64 = 600 * 1_000_000_000
    private var entries = InlineArray<16, PeriodicEntry>(repeating: PeriodicEntry())
    /// The entries' keys again, in one cache line: a lookup in a baseline that is not in cache
    /// touches one line instead of eight. 0 marks a free entry (keys always have bit 0 set).
    private var keys = InlineArray<16, UInt32>(repeating: 0)

    init() {}

    /// The entries in place. Reading a 512-byte inline array through its subscript made the
    /// optimiser copy it whole; a pointer to the stored array does not (and is why the readers
    /// below are `mutating`, though they change nothing).
    @inline(__always)
    private mutating func withEntries<R>(_ body: (UnsafeMutablePointer<PeriodicEntry>) -> R) -> R {
        withUnsafeMutableBytes(of: &entries) { body($0.baseAddress!.assumingMemoryBound(to: PeriodicEntry.self)) }
    }

    @inline(__always)
    mutating func find(_ key: UInt32) -> Int? {
        withUnsafeMutableBytes(of: &keys) { raw in
            let keys = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
            for index in 0..<Self.size where keys[index] == key { return index }
            return nil
        }
    }

    /// The mean interval of an entry, seconds.
    mutating func period(at index: Int) -> Float { withEntries { $0[index].mean } }

    /// Whether the entry's destination is suspect (new when the application was established) and
    /// was first seen less than `horizon` before `time`.
    @inline(__always)
    mutating func isYoungSuspect(at index: Int, time: Int64, horizon: Int64) -> Bool {
        withEntries { $0[index].suspect && time - $0[index].firstSeen < horizon }
    }

    /// Whether the entry's destination was new to the application when first seen, less than
    /// `horizon` before `time`: a further connection to it continues that novelty.
    @inline(__always)
    mutating func isRecentNovelty(at index: Int, time: Int64, horizon: Int64) -> Bool {
        withEntries { $0[index].novel && time - $0[index].firstSeen < horizon }
    }

    /// The outcome of a connection at `time` to the destination of entry `index` (from `find`),
    /// without changing anything.
    @inline(__always)
    mutating func outcome(at index: Int?, time: Int64, youngHorizon: Int64) -> PeriodicOutcome {
        guard let index else { return .none }
        let entry = withEntries { $0[index] }
        guard entry.isRegular else { return .none }
        let gap = time - entry.lastSeen
        let seconds = Float(gap) * 1e-9
        // Within a beat, or on the beat within 20% (at least a second) of the mean interval.
        let onBeat = gap < Self.sameBeat || abs(seconds - entry.mean) <= max(1, 0.2 * entry.mean)
        guard onBeat else { return .none }
        let young = entry.rhythmSuspect && time - entry.firstSeen < youngHorizon
        return young ? .young : .established
    }

    /// Records the connection. For a destination not in the table, `novel` says it is new to the
    /// application, `suspect` that it is new while the application is established, and `early`
    /// that it is an internet address new to the node, reached in the warm-up. Returns the
    /// kind of series when this connection makes the rhythm regular for the first time.
    @inline(__always)
    mutating func record(
        _ key: UInt32, at index: Int?, time: Int64, novel: Bool, suspect: Bool, early: Bool = false, youngHorizon: Int64
    ) -> PeriodicOutcome? {
        guard let index else {
            insert(key, time: time, flags: 1 | (suspect ? 2 : 0) | (novel ? 8 : 0) | (early ? 16 : 0))
            return nil
        }
        return withEntries { entries -> PeriodicOutcome? in
            let gap = time - entries[index].lastSeen
            guard gap >= Self.sameBeat else { return nil }
            let seconds = Float(gap) * 1e-9
            if entries[index].intervals == 0 {
                entries[index].mean = seconds
                entries[index].deviation = 0.25 * seconds
            } else {
                let alpha: Float = 0.25
                entries[index].deviation += alpha * (abs(seconds - entries[index].mean) - entries[index].deviation)
                entries[index].mean += alpha * (seconds - entries[index].mean)
            }
            if entries[index].intervals < .max { entries[index].intervals += 1 }
            entries[index].lastSeen = time
            guard entries[index].isRegular, entries[index].flags & 4 == 0 else { return nil }
            entries[index].flags |= 4
            let young = entries[index].rhythmSuspect && time - entries[index].firstSeen < youngHorizon
            return young ? .young : .established
        }
    }

    private mutating func insert(_ key: UInt32, time: Int64, flags: UInt8) {
        let slot = withEntries { entries in
            var victim = 0
            var oldest = Int64.max
            for index in 0..<Self.size {
                let entry = entries[index]
                guard entry.inUse else {
                    victim = index
                    break
                }
                let rank = entry.isRegular ? entry.lastSeen &+ Self.protection : entry.lastSeen
                if rank < oldest {
                    oldest = rank
                    victim = index
                }
            }
            entries[victim] = PeriodicEntry(
                key: key, intervals: 0, flags: flags, lastSeen: time, firstSeen: time, mean: 0, deviation: 0)
            return victim
        }
        keys[slot] = key
    }

    /// The destination is normal for the application: its rhythm is no longer suspect.
    mutating func absolve(_ key: UInt32) {
        if let index = find(key) { withEntries { $0[index].flags &= ~2 } }
    }

    func write(to writer: inout SnapshotWriter) {
        for index in 0..<Self.size {
            let entry = entries[index]
            writer.write(entry.key)
            writer.write(entry.intervals)
            writer.write(entry.flags)
            writer.write(entry.lastSeen)
            writer.write(entry.firstSeen)
            writer.write(entry.mean)
            writer.write(entry.deviation)
        }
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        for index in 0..<Self.size {
            let entry = PeriodicEntry(
                key: try reader.read(), intervals: try reader.read(), flags: try reader.read(),
                lastSeen: try reader.read(), firstSeen: try reader.read(), mean: try reader.readFloat(),
                deviation: try reader.readFloat())
            guard entry.key & 1 == 1 || !entry.inUse else { throw .corrupt("periodicity key without its marker bit") }
            entries[index] = entry
            keys[index] = entry.inUse ? entry.key : 0
        }
    }
}
