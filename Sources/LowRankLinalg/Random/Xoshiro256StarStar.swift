/// A seedable pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018) with its 256-bit state
/// expanded from a 64-bit seed by SplitMix64.
///
/// The algorithm is fixed and documented so that a seed gives bit-identical streams across runs and
/// releases of this library. Every algorithm in this package takes its generator from the caller;
/// nothing uses a global or system generator. `Codable`: its state can be saved with a fit
/// checkpoint so that a resumed fit draws what the uninterrupted one would. Not for cryptography.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// The second normal draw of the last polar-method pair, returned by the next call.
    private var spareNormal: Double?

    /// A generator whose state is four successive SplitMix64 outputs started at `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
        spareNormal = nil
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform draw from [0, 1) with 53 random bits: (next() >> 11)·2⁻⁵³.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw by Marsaglia's polar method: uniform pairs (u, v) on (−1, 1)² are drawn
    /// until 0 < s = u² + v² < 1, then u·√(−2 ln s / s) is returned and v·√(−2 ln s / s) is kept for the
    /// next call.
    public mutating func nextStandardNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * _log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
