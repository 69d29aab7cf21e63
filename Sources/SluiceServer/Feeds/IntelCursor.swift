/// The cursor a node's intel poll carries. Usually the intel sequence it has seen; while a
/// whole-set transfer runs over several pages, a continuation: the last sequence sent, flagged,
/// with the layout it began under (a continuation under another layout starts over). Without the
/// flag a page cut inside a whole set would send the node back to its first page whenever the
/// indicators are older than the last layout change.
enum IntelCursor {
    static let continuationFlag: Int64 = 1 << 62
    static let sequenceMask: Int64 = (1 << 48) - 1
    static let layoutBits: Int64 = (1 << 14) - 1

    static func continuation(after sequence: Int64, layout: Int64) -> Int64 {
        continuationFlag | ((layout & layoutBits) << 48) | (sequence & sequenceMask)
    }

    static func isContinuation(_ cursor: Int64) -> Bool { cursor & continuationFlag != 0 }

    static func sequence(_ cursor: Int64) -> Int64 { cursor & sequenceMask }

    /// Whether a continuation began under `layout`.
    static func began(_ cursor: Int64, under layout: Int64) -> Bool { (cursor >> 48) & layoutBits == layout & layoutBits }
}
