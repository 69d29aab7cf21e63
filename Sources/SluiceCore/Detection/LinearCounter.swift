/// Linear counting (Whang, Vander-Zanden, Taylor 1990) in one 64-bit word: about how many
/// distinct keys a window saw, good to a few hundred, in eight bytes.
struct LinearCounter: Sendable, Equatable {
    var bits: UInt64 = 0

    /// Adds a key; true when it set a bit no earlier key had (almost surely a key new to the window).
    @inline(__always)
    mutating func insert(_ hash: UInt64) -> Bool {
        let bit: UInt64 = 1 << (hash >> 58)
        defer { bits |= bit }
        return bits & bit == 0
    }

    /// The estimate's log2 bucket (as `RateHistogram.bucket`), from a table: no logarithm per event.
    @inline(__always)
    var bucket: Int { Self.bucketTable[bits.nonzeroBitCount] }

    /// The estimate -64·ln(zero bits / 64); the full word reads as 300.
    var estimate: Int { Self.estimates[bits.nonzeroBitCount] }

    static let estimates: [Int] = (0...64).map { set in
        set == 64 ? 300 : Int((-64 * logNatural(Double(64 - set) / 64)).rounded())
    }
    static let bucketTable: [Int] = estimates.map { RateHistogram.bucket($0) }

    /// ln(x) from `FastLog` (table construction only).
    private static func logNatural(_ x: Double) -> Double { FastLog.log2(x) * 0.693_147_180_559_945_3 }
}
