/// A sustained episode of busy burst windows, as a one-sided CUSUM (Page 1954) of each window's
/// largest rate surprisal: after each finished window the excess becomes
/// `max(0, excess + bits - allowance)`, and an empty window takes `allowance` off.
///
/// The null, stated: each window's bits are the surprisal of a tail probability under the
/// application's baseline (`RateHistogram.surprisal`), so `P(bits ≥ x) ≤ 2^-x` for each of the
/// three channels and `≤ 3 · 2^-x` for their largest, windows independent. With an allowance of
/// 4 bits, `E[2^((bits - 4) / 2)] ≤ 3^(1/2) / (1 - 1/2) · 2^-2 < 1`, so by the random walk's
/// exponential bound the excess ever reaching `h` has probability at most `2^(-h/2)`: half the
/// excess is its surprisal in bits. One window alone adds nothing; a storm whose windows each
/// exceed the allowance grows by their excess, window after window, whatever its history says.
/// A window adds at most the rate features' cap (24 bits), so one extreme window is not a storm.
/// The feature reads the finished windows only (the window in progress is the burst and fan-out
/// features' business), while the window in progress is itself busy. 10 bytes per application.
struct StormStatistic: Sendable {
    /// Accumulated excess after the last finished window, bits.
    private(set) var excess: Float = 0
    /// The largest rate surprisal in the window in progress, bits.
    private(set) var windowBits: Float = 0
    /// Finished windows since the excess was last 0 (saturating).
    private(set) var windows: UInt16 = 0

    /// Bits a window must exceed to add to the episode.
    static let allowance: Float = 4
    /// Bits of surprisal per bit of excess (the bound's exponent).
    static let bitsPerExcess: Float = 0.5
    /// The most one window adds before the allowance: the rate features' cap.
    static let windowCap: Float = 24

    init() {}

    /// Closes the window in progress and `skipped` empty windows after it.
    @inline(__always)
    mutating func close(skipped: Int64) {
        excess = max(0, excess + min(windowBits, Self.windowCap) - Self.allowance)
        if skipped > 0 { excess = max(0, excess - Self.allowance * Float(min(skipped, 1 << 20))) }
        windows = excess > 0 ? (windows == .max ? windows : windows &+ 1) : 0
        windowBits = 0
    }

    /// Notes an event's rate surprisal in the window in progress and returns the episode's bits:
    /// those of the finished windows, while the window in progress is busy too (over the allowance).
    @inline(__always)
    mutating func observe(_ bits: Double) -> Double {
        windowBits = max(windowBits, Float(min(bits, 64)))
        guard windowBits > Self.allowance else { return 0 }
        return Double(excess * Self.bitsPerExcess)
    }

    func write(to writer: inout SnapshotWriter) {
        writer.write(excess)
        writer.write(windowBits)
        writer.write(windows)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        excess = try reader.readFloat()
        windowBits = try reader.readFloat()
        windows = try reader.read()
        guard excess.isFinite, excess >= 0, windowBits.isFinite, windowBits >= 0 else {
            throw .corrupt("storm statistic out of range")
        }
    }
}
