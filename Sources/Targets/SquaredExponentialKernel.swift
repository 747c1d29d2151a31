import Foundation
import LowRankLinalg
import VariationalInference

/// The squared-exponential (RBF) covariance k(x, x') = σ_f²·exp(−(x − x')²/(2ℓ²)) on the real line,
/// shared by the Gaussian-process targets (algorithm.md §8 E4 and E5).
struct SquaredExponentialKernel: Sendable {
    /// The signal scale σ_f (> 0).
    let signalScale: Double
    /// The length-scale ℓ (> 0), in the units of the inputs.
    let lengthScale: Double

    /// The n×n matrix K_ij = k(xᵢ, xⱼ) + jitter·δᵢⱼ for n = `points.count`. Cost O(n²) exponentials.
    func matrix(at points: [Double], jitter: Double) -> Matrix {
        let n = points.count
        let variance = signalScale * signalScale
        let scale = -0.5 / (lengthScale * lengthScale)
        var k = Matrix(rows: n, columns: n)
        k.withElements { e in
            for j in 0..<n {
                for i in 0..<n {
                    let difference = points[i] - points[j]
                    e[i + j * n] = variance * exp(scale * difference * difference) + (i == j ? jitter : 0)
                }
            }
        }
        return k
    }

    /// The Cholesky factor of `matrix(at: points, jitter: jitter)`. Cost O(n³/3).
    /// - Throws: `VariationalInferenceError.invalidArgument` if the matrix is not numerically positive
    ///   definite (jitter too small for the grid).
    func choleskyFactor(at points: [Double], jitter: Double) throws -> Cholesky {
        switch Cholesky.attempt(matrix(at: points, jitter: jitter)) {
        case .success(let factor): return factor
        case .failure(let error):
            throw VariationalInferenceError.invalidArgument("squared-exponential kernel matrix (σ_f = \(signalScale), ℓ = \(lengthScale), jitter = \(jitter)) is not positive definite: \(error)")
        }
    }
}
