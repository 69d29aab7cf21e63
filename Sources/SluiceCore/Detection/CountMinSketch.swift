/// A count-min sketch with conservative update and saturating 8-bit counters (Cormode and
/// Muthukrishnan 2005; conservative update after Estan and Varghese 2002): an upper bound of how
/// often each key was seen, in fixed memory. Four rows; each row index is 16 bits of one 64-bit
/// seeded hash. The node keeps one of these; `ApplicationSketch` is the per-application size.
struct CountMinSketch: Sendable, Equatable {
    static let rows = 4
    /// Cells per row; a power of two of at most 2^16.
    let width: Int
    private var cells: ContiguousArray<UInt8>

    init(width: Int) {
        precondition(width.nonzeroBitCount == 1 && width <= 1 << 16, "width must be a power of two up to 65536")
        self.width = width
        cells = ContiguousArray(repeating: 0, count: width * Self.rows)
    }

    var byteCount: Int { cells.count }

    @inline(__always)
    private func index(_ hash: UInt64, row: Int) -> Int {
        row * width + Int(truncatingIfNeeded: hash >> UInt64(16 * row)) & (width - 1)
    }

    /// At least how often `hash` was added (never less than the truth, up to 255).
    @inline(__always)
    func estimate(_ hash: UInt64) -> Int {
        cells.withUnsafeBufferPointer { cells in
            var least = cells[index(hash, row: 0)]
            for row in 1..<Self.rows { least = min(least, cells[index(hash, row: row)]) }
            return Int(least)
        }
    }

    /// Adds `amount` occurrences, raising only the cells that hold the minimum. True when the key
    /// was absent before (its estimate was 0).
    @discardableResult
    @inline(__always)
    mutating func add(_ hash: UInt64, amount: Int = 1) -> Bool {
        let s0 = index(hash, row: 0)
        let s1 = index(hash, row: 1)
        let s2 = index(hash, row: 2)
        let s3 = index(hash, row: 3)
        return cells.withUnsafeMutableBufferPointer { conservativeAdd(&$0, amount, at: s0, s1, s2, s3) }
    }

    /// Halves every count: old keys fade, a key seen once is forgotten.
    mutating func halve() {
        cells.withUnsafeMutableBufferPointer { cells in
            for index in cells.indices { cells[index] >>= 1 }
        }
    }

    func write(to writer: inout SnapshotWriter) {
        writer.write(UInt32(width))
        for cell in cells { writer.write(cell) }
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        let width = Int(try reader.read(UInt32.self))
        guard width.nonzeroBitCount == 1, width <= 1 << 16 else { throw .corrupt("count-min width \(width)") }
        self.init(width: width)
        for index in 0..<cells.count { cells[index] = try reader.read(UInt8.self) }
    }
}

/// The per-application count-min sketch: the same algorithm as `CountMinSketch`, four rows of 512
/// 8-bit counters held inline (2 KiB), so an application's baseline is one contiguous block.
struct ApplicationSketch: Sendable {
    static let rows = 4
    static let width = 512
    private var cells = InlineArray<2048, UInt8>(repeating: 0)

    init() {}

    @inline(__always)
    private static func slot(_ hash: UInt64, _ row: Int) -> Int {
        row &* width &+ Int(truncatingIfNeeded: hash >> UInt64(16 &* row)) & (width &- 1)
    }

    // Cells are reached through a pointer to the stored array: reading an inline array this
    // large through its subscript or span made the optimiser copy all 2 KiB per access. That is
    // also why `estimate` is `mutating` (it changes nothing).
    @inline(__always)
    mutating func estimate(_ hash: UInt64) -> Int {
        withUnsafeMutableBytes(of: &cells) { cells in
            let a = cells[Self.slot(hash, 0)]
            let b = cells[Self.slot(hash, 1)]
            let c = cells[Self.slot(hash, 2)]
            let d = cells[Self.slot(hash, 3)]
            return Int(min(min(a, b), min(c, d)))
        }
    }

    @discardableResult
    @inline(__always)
    mutating func add(_ hash: UInt64, amount: Int = 1) -> Bool {
        let s0 = Self.slot(hash, 0)
        let s1 = Self.slot(hash, 1)
        let s2 = Self.slot(hash, 2)
        let s3 = Self.slot(hash, 3)
        return withUnsafeMutableBytes(of: &cells) { cells in
            var cells = cells
            return conservativeAdd(&cells, amount, at: s0, s1, s2, s3)
        }
    }

    mutating func halve() {
        withUnsafeMutableBytes(of: &cells) { cells in
            for index in 0..<cells.count { cells[index] >>= 1 }
        }
    }

    func write(to writer: inout SnapshotWriter) {
        for index in 0..<2048 { writer.write(cells[index]) }
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        for index in 0..<2048 { cells[index] = try reader.read(UInt8.self) }
    }
}

/// The conservative update both sketches make over a key's cell in each of the four rows: only
/// the cells holding the minimum rise, to the minimum plus `amount` (saturating at 255). True when
/// the key was absent before. `cells` is one of the sketches' unsafe buffers.
@inline(__always)
private func conservativeAdd<Cells: MutableCollection<UInt8>>(
    _ cells: inout Cells, _ amount: Int, at s0: Int, _ s1: Int, _ s2: Int, _ s3: Int
) -> Bool where Cells.Index == Int {
    let least = min(min(cells[s0], cells[s1]), min(cells[s2], cells[s3]))
    let target = UInt8(min(255, Int(least) + amount))
    if cells[s0] < target { cells[s0] = target }
    if cells[s1] < target { cells[s1] = target }
    if cells[s2] < target { cells[s2] = target }
    if cells[s3] < target { cells[s3] = target }
    return least == 0
}
