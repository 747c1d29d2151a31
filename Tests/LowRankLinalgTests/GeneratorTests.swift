import LowRankLinalg
import Testing

@Suite("Seeded generator") struct GeneratorTests {
    @Test func splitMixSeedingAndXoshiroOutputAreFixed() {
        // Reference values: SplitMix64(seed 0) expands to the state
        // e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec, and xoshiro256**
        // from that state gives these first outputs (computed independently in Python).
        var g = Xoshiro256StarStar(seed: 0)
        #expect([g.next(), g.next(), g.next()] == Self.referenceOutputs)
    }

    static let referenceOutputs: [UInt64] = [11091344671253066420, 13793997310169335082, 1900383378846508768]

    @Test func sameSeedSameStreamDifferentSeedDifferentStream() {
        var a = Xoshiro256StarStar(seed: 42), b = Xoshiro256StarStar(seed: 42), c = Xoshiro256StarStar(seed: 43)
        let x = a.standardNormals(1000), y = b.standardNormals(1000), z = c.standardNormals(1000)
        #expect(x == y)
        #expect(x != z)
    }

    @Test func uniformsAndNormalsHaveTheRightMoments() {
        var g = Xoshiro256StarStar(seed: 7)
        let n = 200_000
        let u = g.uniforms(n)
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let uMean = u.reduce(0, +) / Double(n)
        #expect(abs(uMean - 0.5) < 0.005)
        let z = g.standardNormals(n)
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let fourth = z.reduce(0) { $0 + pow4($1 - mean) } / Double(n)
        // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, fourth moment √(96/n) ≈ 0.022.
        #expect(abs(mean) < 0.011)
        #expect(abs(variance - 1) < 0.016)
        #expect(abs(fourth - 3) < 0.11)
    }
}

private func pow4(_ x: Double) -> Double { x * x * x * x }
