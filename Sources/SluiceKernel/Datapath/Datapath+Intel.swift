@preconcurrency import Glibc
import SluiceABI
import SluiceCore

/// The outcome of one write to the feed layers.
public struct IntelApplyResult: Sendable, Hashable {
    /// Map writes and deletes.
    public var writes: Int
    /// Seconds from the first write to the last.
    public var seconds: Double
}

extension Datapath {
    /// Writes `changes` into the feed layers' maps while decisions run: no generation flip, no
    /// policy slot touched. Deletes go first, then upserts in batches; the config flags follow, so a
    /// map that became empty is no longer looked up and a new one is.
    @discardableResult
    public func applyIntel(_ changes: IntelChanges) throws -> IntelApplyResult {
        let start = ContinuousClock.now
        let offset = Self.bootToWallOffset()
        var deletes4: [sluice_intel_key4] = []
        var deletes6: [sluice_intel_key6] = []
        var deletesNames: [UInt64] = []
        for target in changes.deletes {
            switch target {
            case .prefix(let prefix) where prefix.family == .ipv4: deletes4.append(sluice_intel_key4(prefix))
            case .prefix(let prefix): deletes6.append(sluice_intel_key6(prefix))
            case .domain(let name): deletesNames.append(name.hash)
            }
        }
        try deleteExisting(maps.intel4, deletes4)
        try deleteExisting(maps.intel6, deletes6)
        try deleteExisting(maps.intelNames, deletesNames)
        var keys4: [sluice_intel_key4] = []
        var values4: [sluice_intel_value] = []
        var keys6: [sluice_intel_key6] = []
        var values6: [sluice_intel_value] = []
        var keysNames: [UInt64] = []
        var valuesNames: [sluice_intel_value] = []
        for (target, entry) in changes.upserts {
            let value = sluice_intel_value(entry, bootToWall: offset)
            switch target {
            case .prefix(let prefix) where prefix.family == .ipv4:
                keys4.append(sluice_intel_key4(prefix))
                values4.append(value)
            case .prefix(let prefix):
                keys6.append(sluice_intel_key6(prefix))
                values6.append(value)
            case .domain(let name):
                keysNames.append(name.hash)
                valuesNames.append(value)
            }
        }
        try maps.intel4.updateBatch(keys: keys4, values: values4)
        try maps.intel6.updateBatch(keys: keys6, values: values6)
        try maps.intelNames.updateBatch(keys: keysNames, values: valuesNames)
        try updateIntelFlags()
        return IntelApplyResult(writes: changes.count, seconds: (ContinuousClock.now - start).seconds)
    }

    /// Deletes what the feed layers' maps hold beyond `targets` (what an earlier agent left).
    /// Returns how many entries went.
    @discardableResult
    public func pruneIntel(keeping targets: Set<IntelTarget>) throws -> Int {
        var wanted4 = Set<[UInt8]>()
        var wanted6 = Set<[UInt8]>()
        var wantedNames = Set<UInt64>()
        for target in targets {
            switch target {
            case .prefix(let prefix) where prefix.family == .ipv4: wanted4.insert(sluice_intel_key4(prefix).bytes)
            case .prefix(let prefix): wanted6.insert(sluice_intel_key6(prefix).bytes)
            case .domain(let name): wantedNames.insert(name.hash)
            }
        }
        let extra4 = try maps.intel4.keys(as: sluice_intel_key4.self).filter { !wanted4.contains($0.bytes) }
        let extra6 = try maps.intel6.keys(as: sluice_intel_key6.self).filter { !wanted6.contains($0.bytes) }
        let extraNames = try maps.intelNames.keys(as: UInt64.self).filter { !wantedNames.contains($0) }
        try deleteExisting(maps.intel4, extra4)
        try deleteExisting(maps.intel6, extra6)
        try deleteExisting(maps.intelNames, extraNames)
        try updateIntelFlags()
        return extra4.count + extra6.count + extraNames.count
    }

    /// Entries the feed layers' maps hold now (walks them), for status and tests.
    public func intelEntryCount() throws(KernelError) -> Int {
        try maps.intel4.keys(as: sluice_intel_key4.self).count + maps.intel6.keys(as: sluice_intel_key6.self).count
            + maps.intelNames.keys(as: UInt64.self).count
    }

    /// Nanoseconds to add to CLOCK_BOOTTIME to get the Unix time.
    public static func bootToWallOffset() -> Int64 {
        var wall = timespec()
        var boot = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(wall.tv_sec) - Int64(boot.tv_sec)) * 1_000_000_000 + Int64(wall.tv_nsec) - Int64(boot.tv_nsec)
    }

    /// A delete of a key the map no longer has is no failure: the end state is what was asked.
    private func deleteExisting<Key: BitwiseCopyable>(_ map: BPFMap, _ keys: [Key]) throws(KernelError) {
        for key in keys { _ = try map.delete(key) }
    }

    /// Sets a flag per map that has entries; written only when one changes.
    private func updateIntelFlags() throws {
        var flags: UInt32 = 0
        if try maps.intel4.firstKey(as: sluice_intel_key4.self) != nil { flags |= SLUICE_INTEL_HAS_ADDRESSES4.rawValue }
        if try maps.intel6.firstKey(as: sluice_intel_key6.self) != nil { flags |= SLUICE_INTEL_HAS_ADDRESSES6.rawValue }
        if try maps.intelNames.firstKey(as: UInt64.self) != nil { flags |= SLUICE_INTEL_HAS_NAMES.rawValue }
        guard flags != intelFlags else { return }
        intelFlags = flags
        try writeState(activeSlot: activeSlot)
    }
}

extension sluice_intel_key4 {
    init(_ prefix: IPPrefix) {
        self.init()
        prefixlen = UInt32(prefix.length)
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: prefix.address.bytes.prefix(4)) }
    }

    var bytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }
}

extension sluice_intel_key6 {
    init(_ prefix: IPPrefix) {
        self.init()
        prefixlen = UInt32(prefix.length)
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: prefix.address.bytes.prefix(16)) }
    }

    var bytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }
}

extension sluice_intel_value {
    init(_ entry: IntelEntry, bootToWall offset: Int64) {
        self.init()
        intel_id = entry.id
        action = UInt8(entry.action == .deny ? SLUICE_ACTION_DENY.rawValue : SLUICE_ACTION_ALERT.rawValue)
        if let expires = entry.expires {
            let wall = expires.timeIntervalSince1970 * 1e9
            // An expiry before boot is long past: 1 ns after boot, never 0 (which means never).
            expires_ns = UInt64(max(1, min(wall - Double(offset), Double(Int64.max))))
        }
    }
}
