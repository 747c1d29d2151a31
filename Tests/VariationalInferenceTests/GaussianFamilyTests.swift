import LowRankLinalg
import Testing
import TestSupport
import VariationalInference

/// The three families against dense formulas built in the test. Tolerance 1e-10 relative.
@Suite("Gaussian families") struct GaussianFamilyTests {
    /// −½[(x−μ)ᵀΣ⁻¹(x−μ) + log det Σ + D log 2π] with a dense Cholesky.
    func denseLogDensity(_ x: [Double], mean: [Double], covariance: Matrix) throws -> Double {
        let chol = try Cholesky(covariance)
        let r = Vector.subtract(x, mean)
        return -0.5 * (BLAS.dot(r, chol.solve(r)) + chol.logDeterminant + Double(x.count) * 1.8378770664093453)
    }

    func randomLowRank(d: Int, k: Int, seed: UInt64) throws -> LowRankGaussian {
        var rng = Xoshiro256StarStar(seed: seed)
        return try LowRankGaussian(mean: rng.standardNormals(d), psi: rng.uniforms(d, in: 0.2..<1.5),
                                   lambda: rng.standardNormalMatrix(rows: d, columns: k))
    }

    func denseCovariance(_ q: LowRankGaussian) -> Matrix {
        Matrix.diagonal(q.psi) + BLAS.gemm(q.lambda, q.lambda, transB: .transpose)
    }

    @Test(arguments: [(5, 1), (12, 3), (30, 0)])
    func lowRankAgainstDense(shape: (d: Int, k: Int)) throws {
        let q = try randomLowRank(d: shape.d, k: shape.k, seed: UInt64(shape.d))
        let sigma = denseCovariance(q)
        var rng = Xoshiro256StarStar(seed: 1)
        let x = rng.standardNormals(shape.d), y = rng.standardNormalMatrix(rows: shape.d, columns: 3)
        #expect(relativeError(try q.logDensity(at: x), try denseLogDensity(x, mean: q.mean, covariance: sigma)) < 1e-10)
        let logDet = try Cholesky(sigma).logDeterminant
        #expect(relativeError(q.logDeterminant, logDet) < 1e-10)
        #expect(relativeError(q.entropy, 0.5 * (Double(shape.d) * (1 + 1.8378770664093453) + logDet)) < 1e-10)
        #expect(relativeError(q.marginalVariances, sigma.diagonal) < 1e-10)
        #expect(relativeError(q.covarianceProduct(y), BLAS.gemm(sigma, y)) < 1e-10)
        #expect(relativeError(q.precisionProduct(y), try Cholesky(sigma).solve(y)) < 1e-10)
    }

    @Test func lowRankSamplingDrawsNoiseThenLatentAndIsOneReparameterization() throws {
        let q = try randomLowRank(d: 7, k: 2, seed: 4)
        var a = Xoshiro256StarStar(seed: 11), b = Xoshiro256StarStar(seed: 11)
        let sample = q.sample(count: 5, using: &a)
        let e = b.standardNormalMatrix(rows: 7, columns: 5), z = b.standardNormalMatrix(rows: 2, columns: 5)
        let expected = Matrix(rows: 7, columns: 5) { i, j in
            q.mean[i] + q.psi[i].squareRoot() * e[i, j] + (0..<2).reduce(0) { $0 + q.lambda[i, $1] * z[$1, j] }
        }
        #expect(relativeError(sample, expected) < 1e-14)
        #expect(a.next() == b.next(), "the sample consumed exactly E then Z")
    }

    /// Sample mean and covariance over n = 20,000 draws: each mean coordinate has standard error
    /// √(Σᵢᵢ/n) ≲ 0.02, each covariance entry ≲ 0.03 for these scales; tolerances are about 5 standard errors.
    @Test func samplesHaveTheRightMoments() throws {
        let q = try randomLowRank(d: 4, k: 2, seed: 9)
        let sigma = denseCovariance(q)
        var rng = Xoshiro256StarStar(seed: 12)
        let n = 20_000
        let x = q.sample(count: n, using: &rng)
        let mean = TallSkinny.columnMean(x)
        var centred = x
        TallSkinny.centerColumns(&centred, around: mean, scale: 1 / Double(n).squareRoot())
        let covariance = BLAS.syrk(centred)
        for i in 0..<4 {
            #expect(abs(mean[i] - q.mean[i]) < 5 * (sigma[i, i] / Double(n)).squareRoot())
            for j in 0..<4 {
                #expect(abs(covariance[i, j] - sigma[i, j]) < 5 * ((sigma[i, i] * sigma[j, j] + sigma[i, j] * sigma[i, j]) / Double(n)).squareRoot())
            }
        }
    }

    @Test func diagonalAndDenseAgainstTheirFormulas() throws {
        var rng = Xoshiro256StarStar(seed: 21)
        let d = 6
        let mean = rng.standardNormals(d), variances = rng.uniforms(d, in: 0.1..<2)
        let diagonal = try DiagonalGaussian(mean: mean, variances: variances)
        let x = rng.standardNormals(d), y = rng.standardNormalMatrix(rows: d, columns: 2)
        let diagonalSigma = Matrix.diagonal(variances)
        #expect(relativeError(try diagonal.logDensity(at: x), try denseLogDensity(x, mean: mean, covariance: diagonalSigma)) < 1e-10)
        #expect(relativeError(diagonal.precisionProduct(y), try Cholesky(diagonalSigma).solve(y)) < 1e-10)
        #expect(relativeError(try diagonal.asLowRank.logDensity(at: x), try diagonal.logDensity(at: x)) < 1e-12)

        let g = rng.standardNormalMatrix(rows: d, columns: d)
        let sigma = BLAS.syrk(g) + Matrix.identity(d)
        let dense = try DenseGaussian(mean: mean, covariance: sigma)
        #expect(relativeError(try dense.logDensity(at: x), try denseLogDensity(x, mean: mean, covariance: sigma)) < 1e-10)
        #expect(relativeError(dense.precisionProduct(y), try Cholesky(sigma).solve(y)) < 1e-10)
        #expect(relativeError(dense.covarianceProduct(y), BLAS.gemm(sigma, y)) < 1e-10)
        var a = Xoshiro256StarStar(seed: 3), b = Xoshiro256StarStar(seed: 3)
        let draws = dense.sample(count: 4, using: &a)
        var expected = BLAS.gemm(try Cholesky(sigma).lower, b.standardNormalMatrix(rows: d, columns: 4))
        TallSkinny.addToColumns(&expected, mean)
        #expect(relativeError(draws, expected) < 1e-14)
    }

    @Test func invalidParametersAreClearErrors() throws {
        let lambda = Matrix(rows: 3, columns: 1, repeating: 1)
        #expect(throws: VariationalInferenceError.self) { try LowRankGaussian(mean: [0, 0], psi: [1, 1, 1], lambda: lambda) }
        #expect(throws: VariationalInferenceError.self) { try LowRankGaussian(mean: [0, .nan, 0], psi: [1, 1, 1], lambda: lambda) }
        #expect(throws: LinearAlgebraError.self) { try LowRankGaussian(mean: [0, 0, 0], psi: [1, -1, 1], lambda: lambda) }
        #expect(throws: VariationalInferenceError.self) { try DiagonalGaussian(mean: [0, 0], variances: [1, 0]) }
        #expect(throws: VariationalInferenceError.self) { try DiagonalGaussian(mean: [], variances: []) }
        #expect(throws: LinearAlgebraError.inMatrix("the covariance Σ of q", .notPositiveDefinite(leadingMinor: 2))) {
            try DenseGaussian(mean: [0, 0], covariance: Matrix(rows: 2, columns: 2, elements: [1, 2, 2, 1]))
        }
        #expect(throws: VariationalInferenceError.self) { try DenseGaussian(mean: [0, 0], covariance: Matrix.identity(3)) }
        let q = try LowRankGaussian(mean: [0, 0, 0], psi: [1, 1, 1], lambda: lambda)
        #expect(throws: VariationalInferenceError.dimensionMismatch(what: "point", expected: 3, actual: 2)) {
            try q.logDensity(at: [0, 0])
        }
        #expect(throws: VariationalInferenceError.self) { try DiagonalGaussian(mean: [0, 0], variances: [1, 1]).logDensity(at: [0]) }
        let twoDimensional = try DiagonalGaussian(mean: [0, 0], variances: [1, 1]).asLowRank
        #expect(throws: VariationalInferenceError.dimensionMismatch(what: "KL arguments", expected: 2, actual: 3)) {
            try klDivergence(q, twoDimensional)
        }
        #expect(throws: VariationalInferenceError.self) {
            try q.reparameterize(noise: Matrix(rows: 3, columns: 2), latent: Matrix(rows: 1, columns: 3))
        }
    }
}

/// Closed-form KLs against the dense formula
/// ½[tr(Σp⁻¹Σq) + (μp−μq)ᵀΣp⁻¹(μp−μq) − D + log det Σp − log det Σq]. Tolerance 1e-10 relative.
@Suite("Closed-form KL divergences") struct KLDivergenceTests {
    func denseKL(meanQ: [Double], sigmaQ: Matrix, meanP: [Double], sigmaP: Matrix) throws -> Double {
        let p = try Cholesky(sigmaP)
        let difference = Vector.subtract(meanP, meanQ)
        return 0.5 * (p.solve(sigmaQ).trace + BLAS.dot(difference, p.solve(difference)) - Double(meanQ.count)
                      + p.logDeterminant - (try Cholesky(sigmaQ).logDeterminant))
    }

    func random(d: Int, k: Int, _ rng: inout Xoshiro256StarStar) throws -> LowRankGaussian {
        try LowRankGaussian(mean: rng.standardNormals(d), psi: rng.uniforms(d, in: 0.3..<1.3),
                            lambda: rng.standardNormalMatrix(rows: d, columns: k))
    }

    func sigma(_ q: LowRankGaussian) -> Matrix { Matrix.diagonal(q.psi) + BLAS.gemm(q.lambda, q.lambda, transB: .transpose) }

    @Test(arguments: [(4, 1, 2), (16, 3, 5), (32, 8, 0), (20, 0, 4)])
    func lowRankAgainstDense(shape: (d: Int, kq: Int, kp: Int)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(shape.d * 100 + shape.kq * 10 + shape.kp))
        let q = try random(d: shape.d, k: shape.kq, &rng), p = try random(d: shape.d, k: shape.kp, &rng)
        let expected = try denseKL(meanQ: q.mean, sigmaQ: sigma(q), meanP: p.mean, sigmaP: sigma(p))
        #expect(expected > 0)
        #expect(relativeError(try klDivergence(q, p), expected) < 1e-10)
        let denseP = try DenseGaussian(mean: p.mean, covariance: sigma(p))
        let denseQ = try DenseGaussian(mean: q.mean, covariance: sigma(q))
        #expect(relativeError(try klDivergence(q, denseP), expected) < 1e-10)
        #expect(relativeError(try klDivergence(denseQ, p), expected) < 1e-10)
        #expect(abs(try klDivergence(q, q)) < 1e-10)
        #expect(abs(try klDivergence(denseQ, denseQ)) < 1e-10)
    }
}
