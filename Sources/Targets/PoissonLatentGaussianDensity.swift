import Foundation
import LowRankLinalg
import VariationalInference

/// The posterior of a latent Gaussian field with Poisson counts, shared by the GP targets (E4, E5):
///
///     log p(z) = log N(z; 0, K) + Σᵢ [ yᵢ(zᵢ + m) − e^{zᵢ + m} − log yᵢ! ],
///     ∇log p(z) = −K⁻¹z + y − e^{z + m},
///
/// with prior covariance K (D×D, given by its Cholesky factor), counts y and a scalar log-offset m.
/// Memory D²; each log-density or score costs O(D²) (two triangular solves); a batch of B scores is
/// one BLAS-3 solve, O(D²B).
struct PoissonLatentGaussianDensity: Sendable {
    /// The Cholesky factor of the prior covariance K.
    let prior: Cholesky
    /// The counts y (length D) as doubles.
    let counts: [Double]
    /// The log-offset m added to every zᵢ in the Poisson rate.
    let offset: Double
    private let normalization: Double

    /// The posterior for the prior factor K = L·Lᵀ; precomputes the constant
    /// −½ log det K − (D/2) log 2π − Σ log yᵢ!. Cost O(D).
    /// - Throws: `VariationalInferenceError` if a count is negative or the sizes differ.
    init(prior: Cholesky, counts: [Int], offset: Double) throws {
        guard counts.allSatisfy({ $0 >= 0 }) else {
            throw VariationalInferenceError.invalidArgument("Poisson counts must be ≥ 0")
        }
        guard prior.order == counts.count else {
            throw VariationalInferenceError.dimensionMismatch(what: "counts", expected: prior.order, actual: counts.count)
        }
        self.prior = prior
        self.counts = counts.map(Double.init)
        self.offset = offset
        let logFactorials = counts.reduce(0.0) { $0 + logFactorial($1) }
        normalization = -0.5 * (prior.logDeterminant + Double(counts.count) * log(2 * Double.pi)) - logFactorials
    }

    /// The dimension D.
    var dimension: Int { counts.count }

    /// log p(z). Cost O(D²).
    func logDensity(at z: [Double]) throws -> Double {
        try checkPointAndRates(z)
        let whitened = prior.solveLower(Matrix(rows: z.count, columns: 1, elements: z)).elements
        return try finiteValue(normalization - 0.5 * BLAS.dot(whitened, whitened) + likelihood(z), "latent-Gaussian Poisson log-density")
    }

    /// log p(z) and the score −K⁻¹z + y − e^{z + m}, written into `gradient`. Cost O(D²).
    func logDensityAndGradient(at z: [Double], gradient: inout [Double]) throws -> Double {
        try checkPointAndRates(z)
        let solved = prior.solve(z)
        gradient = solved
        for i in 0..<z.count { gradient[i] = counts[i] - exp(z[i] + offset) - solved[i] }
        return try finiteValue(normalization - 0.5 * BLAS.dot(z, solved) + likelihood(z), "latent-Gaussian Poisson log-density")
    }

    /// The B scores of the columns of `points` (D×B) in one Cholesky block solve. Cost O(D²B).
    func gradients(at points: Matrix, into scores: inout Matrix) throws {
        guard points.rows == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "points", expected: dimension, actual: points.rows)
        }
        try checkRates(points.elements)
        let solved = prior.solve(points)
        let d = dimension
        scores = solved
        scores.withElements { e in
            for index in 0..<e.count {
                e[index] = counts[index % d] - exp(points.elements[index] + offset) - solved.elements[index]
            }
        }
    }

    /// Σᵢ [ yᵢ(zᵢ + m) − e^{zᵢ + m} ]. Cost O(D).
    private func likelihood(_ z: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<z.count {
            let eta = z[i] + offset
            sum += counts[i] * eta - exp(eta)
        }
        return sum
    }

    private func checkPointAndRates(_ z: [Double]) throws {
        try checkPoint(z, dimension: dimension)
        try checkRates(z)
    }

    /// Throws a recoverable `ModelError` when some rate e^{zᵢ + m} would overflow (zᵢ + m > 700) or zᵢ is NaN.
    private func checkRates(_ z: [Double]) throws {
        if let i = z.firstIndex(where: { !($0 + offset <= maximumExponent) }) {
            throw ModelError("Poisson rate exp(z + m) overflows at index \(i % dimension) (z = \(z[i]), m = \(offset))")
        }
    }
}
