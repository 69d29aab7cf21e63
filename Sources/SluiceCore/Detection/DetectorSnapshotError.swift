/// Why a snapshot could not be restored.
public enum DetectorSnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not start with the snapshot marker: not a detector snapshot at all.
    case notASnapshot
    /// Written by a detector whose format this one does not know (newer or retired).
    case unsupportedVersion(found: UInt16, supported: UInt16)
    /// The bytes end before the snapshot does.
    case truncated(needed: Int, at: Int)
    /// A field holds a value no detector writes.
    case corrupt(String)

    public var description: String {
        switch self {
        case .notASnapshot:
            return "not a Sluice detector snapshot (the marker is missing)"
        case .unsupportedVersion(let found, let supported):
            return "detector snapshot format version \(found) is not supported (this build reads version \(supported)); "
                + "start with an empty baseline or use a matching agent"
        case .truncated(let needed, let offset):
            return "detector snapshot is truncated: \(needed) more bytes needed at offset \(offset)"
        case .corrupt(let reason):
            return "detector snapshot is corrupt: \(reason)"
        }
    }
}
