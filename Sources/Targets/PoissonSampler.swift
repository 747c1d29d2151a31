import Foundation
import VariationalInference

/// Exact Poisson(μ) draws from a caller's `Xoshiro256StarStar`.
///
/// For μ < 10, Knuth's multiplication method: uniforms u₁, u₂, … are drawn until u₁·…·u_{k+1} ≤ e^{−μ},
/// and k is returned (about μ + 1 uniforms). For μ ≥ 10, Hörmann's transformed rejection with squeeze,
/// PTRS (W. Hörmann, "The transformed rejection method for generating Poisson random variables",
/// Insurance: Mathematics and Economics 12, 1993, 39–45): each trial draws two uniforms (U then V)
/// and is accepted with probability above 0.9 for every μ ≥ 10. Both methods are exact.
enum PoissonSampler {
    /// One Poisson(μ) draw for a finite μ ≥ 0 (0 for μ = 0), consuming uniforms as described above.
    static func draw(mean mu: Double, using generator: inout Xoshiro256StarStar) -> Int {
        mu < 10 ? knuth(mu, &generator) : transformedRejection(mu, &generator)
    }

    private static func knuth(_ mu: Double, _ generator: inout Xoshiro256StarStar) -> Int {
        let threshold = exp(-mu)
        var product = generator.nextUniform()
        var k = 0
        while product > threshold {
            k += 1
            product *= generator.nextUniform()
        }
        return k
    }

    private static func transformedRejection(_ mu: Double, _ generator: inout Xoshiro256StarStar) -> Int {
        let b = 0.931 + 2.53 * mu.squareRoot()
        let a = -0.059 + 0.024_83 * b
        let logInverseAlpha = log(1.1239 + 1.1328 / (b - 3.4))
        let vr = 0.9277 - 3.6224 / (b - 2)
        let logMu = log(mu)
        while true {
            let u = generator.nextUniform() - 0.5
            let v = generator.nextUniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mu + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + logInverseAlpha - log(a / (us * us) + b) <= -mu + k * logMu - logFactorial(Int(k)) {
                return Int(k)
            }
        }
    }
}
