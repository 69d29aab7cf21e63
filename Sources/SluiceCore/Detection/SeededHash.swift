/// Fast integer hashing and logarithms for the scoring path. Every sketch index comes from
/// `SeededHash` with the detector's seed, so two detectors with one seed agree bit for bit and an
/// adversary who does not know the seed cannot aim collisions at one bucket.
struct SeededHash: Sendable, Hashable {
    let seed: UInt64

    init(seed: UInt64) {
        self.seed = Self.mix(seed ^ 0x5151_1CE0_DE7E_C7ED)
    }

    /// The 64-bit finaliser of MurmurHash3 (fmix64): every input bit reaches every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }

    /// Hash of two words and a domain tag (which kind of key this is).
    @inline(__always)
    func hash(_ a: UInt64, _ b: UInt64, tag: UInt64) -> UInt64 {
        Self.mix(Self.mix(a ^ seed ^ (tag &* 0x9E37_79B9_7F4A_7C15)) ^ b)
    }
}

/// Base-2 logarithms without calling libm: the exponent from the bit pattern and a fitted
/// polynomial for the mantissa; the error is below 1e-6 bits. Inputs must be positive and finite.
enum FastLog {
    @inline(__always)
    static func log2(_ x: Double) -> Double {
        let bits = x.bitPattern
        let exponent = Double(Int64(bitPattern: (bits >> 52) & 0x7ff) - 1023)
        let mantissa = Double(bitPattern: (bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)  // [1, 2)
        // log2(m) for m in [1, 2): least-squares polynomial in t = m - 1 (error < 1e-6).
        let t = mantissa - 1
        let p =
            t * (1.442_659_256 + t * (-0.720_458_317 + t * (0.472_893_375 + t * (-0.324_294_866
                + t * (0.192_307_104 + t * (-0.078_356_911 + t * 0.015_251_047))))))
        return exponent + p
    }

    /// Surprisal in bits of an event of probability `p`: -log2(p), 0 for p >= 1.
    @inline(__always)
    static func surprisal(_ p: Double) -> Double {
        p >= 1 ? 0 : -log2(p)
    }
}
