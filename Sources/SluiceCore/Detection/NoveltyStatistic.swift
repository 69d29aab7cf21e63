/// How far a young application's stream of first contacts outruns how fast an ordinary program
/// stops meeting new things: a CUSUM (Page 1954) of the log-likelihood ratio, per connection, of
/// "most connections are new" against a Chinese restaurant process (Ewens 1972), the usual null
/// for how fast new values appear in a stream.
///
/// The null, stated: the application's `i`-th connection (from 0) is new (a value it never used)
/// with probability `α / (α + i)`, so after `n` connections it has met about `α · ln(1 + n/α)`
/// distinct values: new values grow ever rarer, as a program's set of servers and ports fills
/// in. The alternative: each connection is new with probability `q`, a sweep or a scan, where
/// nearly every connection is to something the program never used. Each connection adds
/// `log2 P(outcome | alternative) / P(outcome | null)`; the sum is kept at 0 or above. From any
/// start it is a likelihood ratio, a martingale under the null, so by Ville's inequality it
/// reaches `h` bits with probability at most `2^-h`, and the CUSUM over a warm-up of `n`
/// connections at most `n · 2^-h`: its bits are a surprisal like the other features'.
///
/// It needs no history of the application's own and none of the node's, which is why it judges
/// the warm-up, when the rate features have nothing to judge by (a capture's first hour, a new
/// program's first connections). Two channels: destinations (the registrable domain where a name
/// is known, so a new address of a known site is not news, else the address) and services (port
/// and protocol). 8 bytes per application.
struct NoveltyStatistic: Sendable {
    /// Accumulated log-likelihood ratio of the destination and service channels, bits.
    private(set) var destinations: Float = 0
    private(set) var services: Float = 0

    /// The alternative's share of new connections: most of them, as in a sweep or a scan; a young
    /// browser revisits the addresses of the page it loads, and each revisit costs
    /// `log2(1 - q)` = 2 bits.
    static let alternative: Double = 0.75
    /// The null's concentration for destinations: about 21 distinct destinations in a program's
    /// first 100 connections, 37 in its first 1,000 (a handful of sites or servers and their
    /// neighbours; names fold a site's many addresses into one).
    static let destinationConcentration: Double = 8
    /// The same for services: about 5 distinct ports in the first 100 connections (DNS, HTTP,
    /// HTTPS and QUIC and one more).
    static let serviceConcentration: Double = 1

    /// The most either sum holds, bits: well over any threshold.
    static let cap: Float = 64

    init() {}

    /// Adds the application's connection number `index` (its events before this one), whether its
    /// destination and its service were new to it, and returns each channel's bits after it.
    @inline(__always)
    mutating func observe(index: UInt64, newDestination: Bool, newService: Bool) -> (destinations: Double, services: Double) {
        let i = Double(index)
        destinations = Self.step(destinations, i: i, new: newDestination, concentration: Self.destinationConcentration)
        services = Self.step(services, i: i, new: newService, concentration: Self.serviceConcentration)
        return (Double(destinations), Double(services))
    }

    @inline(__always)
    private static func step(_ sum: Float, i: Double, new: Bool, concentration: Double) -> Float {
        // P(new | null) = α / (α + i): the first connection is always new, under both hypotheses
        // only the alternative's q can be wrong about it.
        let ratio =
            new
            ? alternative * (concentration + i) / concentration
            : i == 0 ? 1 : (1 - alternative) * (concentration + i) / i
        // Bounded, so that a program whose scan ended comes back to 0 within its warm-up.
        return min(cap, max(0, sum + Float(FastLog.log2(ratio))))
    }

    func write(to writer: inout SnapshotWriter) {
        writer.write(destinations)
        writer.write(services)
    }

    init(from reader: inout SnapshotReader) throws(DetectorSnapshotError) {
        destinations = try reader.readFloat()
        services = try reader.readFloat()
        guard destinations.isFinite, destinations >= 0, services.isFinite, services >= 0 else {
            throw .corrupt("novelty statistic out of range")
        }
    }
}
