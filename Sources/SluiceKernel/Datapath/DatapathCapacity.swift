import SluiceABI
import SluiceCore

/// Map sizes, fixed when the maps are created. Two slots share each map, so one policy
/// generation may use half of each.
public struct DatapathCapacity: Sendable, Hashable {
    /// Entries of `sluice_subjects`.
    public var subjects: UInt32 = 16384
    /// Entries of each destination trie.
    public var destinationsPerFamily: UInt32 = 262_144
    /// Chunks of `sluice_ports`.
    public var portChunks: UInt32 = 16384
    /// Bytes of the event ring buffer: a power of two, at least a page.
    public var ringBufferBytes: UInt32 = 4 << 20

    public init() {}

    /// The limits one slot must fit in.
    public var slotLimits: SlotLimits {
        SlotLimits(
            inlineEntries: Int(SLUICE_ROUTE_INLINE_ENTRIES), chunkEntries: Int(SLUICE_PORT_TABLE_ENTRIES),
            maximumChain: Int(SLUICE_PORT_TABLE_CHAIN), subjects: Int(subjects / 2),
            routesPerFamily: Int(destinationsPerFamily / 2))
    }

    /// Chunk indices owned by `slot` (index 0 is never used).
    public func chunkRange(slot: Int) -> Range<UInt32> {
        let half = portChunks / 2
        return slot == 0 ? 1..<half : half..<portChunks
    }
}
