/// Little-endian byte output for detector snapshots: fixed widths, no padding, no Foundation.
struct SnapshotWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    /// A snapshot's first bytes: its marker and format version.
    mutating func writeHeader(marker: [UInt8], version: UInt16) {
        bytes.append(contentsOf: marker)
        write(version)
    }

    mutating func write(_ value: Float) { write(value.bitPattern) }
    mutating func write(_ value: Double) { write(value.bitPattern) }
    mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    mutating func write(_ text: String?) {
        guard let text else {
            write(UInt32.max)
            return
        }
        let utf8 = Array(text.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what `SnapshotWriter` wrote; every read checks the length and throws `truncated`.
struct SnapshotReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(DetectorSnapshotError) -> Int {
        guard count <= bytes.count - offset else { throw .truncated(needed: count - (bytes.count - offset), at: offset) }
        defer { offset += count }
        return offset
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(DetectorSnapshotError) -> T {
        let start = try take(MemoryLayout<T>.size)
        var value: T = 0
        for index in (0..<MemoryLayout<T>.size).reversed() {
            value = value << 8 | T(truncatingIfNeeded: bytes[start + index])
        }
        return value
    }

    /// Checks a snapshot's marker and format version (`SnapshotWriter.writeHeader`).
    mutating func readHeader(marker: [UInt8], version supported: UInt16) throws(DetectorSnapshotError) {
        for byte in marker {
            guard let read = try? read(UInt8.self), read == byte else { throw .notASnapshot }
        }
        let version = try read(UInt16.self)
        guard version == supported else { throw .unsupportedVersion(found: version, supported: supported) }
    }

    mutating func readFloat() throws(DetectorSnapshotError) -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readDouble() throws(DetectorSnapshotError) -> Double { Double(bitPattern: try read(UInt64.self)) }
    mutating func readBool() throws(DetectorSnapshotError) -> Bool { try read(UInt8.self) != 0 }

    mutating func readString() throws(DetectorSnapshotError) -> String? {
        let count = try read(UInt32.self)
        if count == .max { return nil }
        let start = try take(Int(count))
        return String(decoding: bytes[start..<start + Int(count)], as: UTF8.self)
    }

    /// A count that must not exceed `limit`, or the snapshot is corrupt.
    mutating func readCount(limit: Int, of what: String) throws(DetectorSnapshotError) -> Int {
        let count = Int(try read(UInt32.self))
        guard count <= limit else { throw .corrupt("\(count) \(what), at most \(limit) expected") }
        return count
    }
}
