import LowRankLinalg
import VariationalInference

/// How a target's approximations are scored: closed-form KLs when the target is a known Gaussian,
/// otherwise a fixed-draw −ELBO estimate, and the error of the mean against a reference.
struct TargetEvaluation<Model: LogDensityModel> {
    let model: Model
    /// The target itself, when it is Gaussian.
    let exact: LowRankGaussian?
    /// A reference for the mean (the exact mean, or the latent field that generated the data).
    let referenceMean: [Double]?
    /// Draws for the −ELBO estimate (common random numbers across algorithms: a fixed seed).
    let elboDraws: Int
    /// A reference approximation for non-Gaussian targets (the Laplace approximation of the GP
    /// targets), scored like the runs and drawn as a dashed line; its name for the table.
    var reference: (name: String, approximation: DenseGaussian)?
    /// Starts that replace the algorithms' defaults (the GP prior for the GP targets): a rank-K
    /// low-rank-plus-diagonal start (pBaM, ADVI-LR), a diagonal one (ADVI-D) and a dense one (dense
    /// BaM); nil entries keep the default. Full-rank ADVI always keeps its default N(0, I).
    var starts: (lowRank: (Int) throws -> LowRankGaussian, diagonal: DiagonalGaussian?, dense: DenseGaussian?)?
    private let denseExact: DenseGaussian?

    init(model: Model, exact: LowRankGaussian?, referenceMean: [Double]?, elboDraws: Int) {
        self.model = model
        self.exact = exact
        self.referenceMean = referenceMean ?? exact?.mean
        self.elboDraws = elboDraws
        denseExact = exact.flatMap { p in
            p.dimension <= 2048 ? try? DenseGaussian(mean: p.mean, covariance: Matrix.diagonal(p.psi)
                                                      + BLAS.gemm(p.lambda, p.lambda, transB: .transpose)) : nil
        }
    }

    /// Scoring against a dense Gaussian target (small D): closed-form KLs through the dense forms.
    init(model: Model, exactDense: DenseGaussian, elboDraws: Int) {
        self.model = model
        exact = nil
        referenceMean = exactDense.mean
        self.elboDraws = elboDraws
        denseExact = exactDense
    }

    func metrics<Q: GaussianApproximation>(_ q: Q) -> Metrics {
        var result = Metrics()
        if exact == nil, let p = denseExact {
            result.klReverse = try? klDivergence(q, p)
            result.klForward = try? klDivergence(p, q)
        } else if let p = exact {
            if let lowRank = (q as? LowRankGaussian) ?? (q as? DiagonalGaussian)?.asLowRank {
                result.klReverse = try? klDivergence(lowRank, p)
                result.klForward = try? klDivergence(p, lowRank)
            } else if let dense = q as? DenseGaussian, let denseP = denseExact {
                result.klReverse = try? klDivergence(dense, denseP)
                result.klForward = try? klDivergence(denseP, dense)
            }
        } else {
            var generator = Xoshiro256StarStar(seed: 20_250_101)
            result.objective = (try? elboEstimate(of: q, model: model, draws: elboDraws, using: &generator)).map { -$0 }
        }
        if let reference = referenceMean {
            result.meanError = Vector.norm(Vector.subtract(q.mean, reference)) / Double(reference.count).squareRoot()
        }
        if let p = reference?.approximation {
            let sd = p.marginalVariances.map { $0.squareRoot() }, qsd = q.marginalVariances.map { $0.squareRoot() }
            result.referenceMeanError = medianValue(q.mean.indices.map { abs(q.mean[$0] - p.mean[$0]) / sd[$0] })
            result.referenceSDError = medianValue(qsd.indices.map { abs(qsd[$0] / sd[$0] - 1) })
        }
        return result
    }
}

/// The median of a non-empty list.
func medianValue(_ values: [Double]) -> Double {
    let sorted = values.sorted(), n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
}
