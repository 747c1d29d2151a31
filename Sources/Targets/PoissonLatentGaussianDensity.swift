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
///
/// Whitened (non-centred), the variable is u with z = Lu, K = LLᵀ, u ~ N(0, I) a priori:
///
///     log p(u) = log N(u; 0, I) + Σᵢ [ yᵢ(zᵢ + m) − e^{zᵢ + m} − log yᵢ! ],
///     ∇log p(u) = −u + Lᵀ(y − e^{Lu + m}),
///
/// the same density times the Jacobian det L, so the ELBO of q_u and of its image q_z = Lq_u agree.
/// A batch costs two triangular products, O(D²B), and no solve.
struct PoissonLatentGaussianDensity: Sendable {
    /// The Cholesky factor of the prior covariance K.
    let prior: Cholesky
    /// The counts y (length D) as doubles.
    let counts: [Double]
    /// The log-offset m added to every zᵢ in the Poisson rate.
    let offset: Double
    /// The coordinates: z itself (centred) or u with z = Lu (whitened).
    let parameterization: LatentParameterization
    private let normalization: Double

    /// The posterior for the prior factor K = L·Lᵀ; precomputes the constant
    /// −½ log det K − (D/2) log 2π − Σ log yᵢ!. Cost O(D).
    /// - Throws: `VariationalInferenceError` if a count is negative or the sizes differ.
    init(prior: Cholesky, counts: [Int], offset: Double, parameterization: LatentParameterization = .centred) throws {
        guard counts.allSatisfy({ $0 >= 0 }) else {
            throw VariationalInferenceError.invalidArgument("Poisson counts must be ≥ 0")
        }
        guard prior.order == counts.count else {
            throw VariationalInferenceError.dimensionMismatch(what: "counts", expected: prior.order, actual: counts.count)
        }
        self.prior = prior
        self.counts = counts.map(Double.init)
        self.offset = offset
        self.parameterization = parameterization
        let logFactorials = counts.reduce(0.0) { $0 + logFactorial($1) }
        let logDeterminant = parameterization == .centred ? prior.logDeterminant : 0
        normalization = -0.5 * (logDeterminant + Double(counts.count) * log(2 * Double.pi)) - logFactorials
    }

    /// The dimension D.
    var dimension: Int { counts.count }

    /// The same posterior in the coordinates `parameterization`.
    func reparameterized(_ parameterization: LatentParameterization) throws -> PoissonLatentGaussianDensity {
        try PoissonLatentGaussianDensity(prior: prior, counts: counts.map { Int($0) }, offset: offset,
                                         parameterization: parameterization)
    }

    /// The latent field z of a point: the point itself (centred) or L·u (whitened). Cost O(D²).
    func latentField(_ x: [Double]) -> [Double] {
        parameterization == .centred ? x : BLAS.gemv(prior.lower, x)
    }

    /// log p(z) (or log p(u)). Cost O(D²).
    func logDensity(at z: [Double]) throws -> Double {
        if parameterization == .whitened {
            try checkPoint(z, dimension: dimension)
            let field = latentField(z)
            try checkRates(field)
            return try finiteValue(normalization - 0.5 * BLAS.dot(z, z) + likelihood(field), "whitened latent-Gaussian Poisson log-density")
        }
        try checkPointAndRates(z)
        let whitened = prior.solveLower(Matrix(rows: z.count, columns: 1, elements: z)).elements
        return try finiteValue(normalization - 0.5 * BLAS.dot(whitened, whitened) + likelihood(z), "latent-Gaussian Poisson log-density")
    }

    /// log p(z) and the score −K⁻¹z + y − e^{z + m}, written into `gradient`. Cost O(D²).
    func logDensityAndGradient(at z: [Double], gradient: inout [Double]) throws -> Double {
        if parameterization == .whitened {
            let value = try logDensity(at: z)
            let field = latentField(z)
            let residual = (0..<z.count).map { counts[$0] - exp(field[$0] + offset) }
            gradient = BLAS.gemv(prior.lower, residual, trans: .transpose)
            for i in 0..<z.count { gradient[i] -= z[i] }
            return value
        }
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
        let d = dimension
        if parameterization == .whitened {
            var field = points
            BLAS.trmm(prior.lower, triangle: .lower, side: .left, into: &field)
            try checkRates(field.elements)
            field.withElements { e in for index in e.indices { e[index] = counts[index % d] - exp(e[index] + offset) } }
            BLAS.trmm(prior.lower, triangle: .lower, transA: .transpose, side: .left, into: &field)
            scores = field
            scores.withElements { e in for index in e.indices { e[index] -= points.elements[index] } }
            return
        }
        try checkRates(points.elements)
        let solved = prior.solve(points)
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

/// The coordinates of a latent-Gaussian target: the field z itself (centred, the paper's setting)
/// or u with z = Lu, K = LLᵀ (whitened, non-centred), in which the prior is N(0, I) and the
/// posterior covariance is (I + LᵀWL)⁻¹: the identity minus a low-rank part.
public enum LatentParameterization: Sendable, Equatable {
    /// z ~ N(0, K).
    case centred
    /// u ~ N(0, I), z = Lu.
    case whitened
}
