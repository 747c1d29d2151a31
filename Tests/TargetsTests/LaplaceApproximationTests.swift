import LowRankLinalg
import Targets
import Testing
import VariationalInference

/// The Laplace reference of the latent-GP targets: the mode is a stationary point, and the
/// covariance inverts the negative Hessian of log p (central differences of the score).
@Suite("Laplace approximation") struct LaplaceApproximationTests {
    /// ‖Σ·(−H) − I‖_max for H from central differences of the score at the mode (step 1e-5).
    static func inverseError(_ model: some LogDensityModel, _ laplace: DenseGaussian) throws -> Double {
        let d = model.dimension
        var hessian = Matrix(rows: d, columns: d)
        var up = [Double](repeating: 0, count: d), down = up
        for j in 0..<d {
            var x = laplace.mean
            x[j] += 1e-5
            _ = try model.logDensityAndGradient(at: x, gradient: &up)
            x[j] -= 2e-5
            _ = try model.logDensityAndGradient(at: x, gradient: &down)
            for i in 0..<d { hessian[i, j] = -(up[i] - down[i]) / 2e-5 }
        }
        let product = BLAS.gemm(laplace.covariance, hessian)
        var worst = 0.0
        for i in 0..<d { for j in 0..<d { worst = max(worst, abs(product[i, j] - (i == j ? 1 : 0))) } }
        return worst
    }

    static func gradientNorm(_ model: some LogDensityModel, at x: [Double]) throws -> Double {
        var g = [Double](repeating: 0, count: x.count)
        _ = try model.logDensityAndGradient(at: x, gradient: &g)
        return Vector.norm(g)
    }

    /// GP-Poisson with D = 30: ‖∇log p(ẑ)‖ < 1e-8 and Σ·(−H) = I to 1e-5.
    @Test func gaussianProcessPoissonLaplaceIsTheModeAndItsCurvature() throws {
        var generator = Xoshiro256StarStar(seed: 1234)
        let target = try GaussianProcessPoissonTarget.synthetic(dimension: 30, using: &generator)
        let laplace = try target.laplaceApproximation()
        #expect(try Self.gradientNorm(target, at: laplace.mean) < 1e-8)
        #expect(try Self.inverseError(target, laplace) < 1e-5)
    }

    /// The LGCP on 60 bins, a stiff prior (jitter 1e-6, precision entries up to ~1e6): ‖∇log p(ẑ)‖ <
    /// 1e-8 and Σ·(−H) = I to 1e-8 (measured: 6e-10 and 3e-11).
    @Test func coxProcessLaplaceIsTheModeAndItsCurvature() throws {
        let target = try CoalMiningCoxProcessTarget(binCount: 60)
        let laplace = try target.laplaceApproximation()
        #expect(try Self.gradientNorm(target, at: laplace.mean) < 1e-8)
        #expect(try Self.inverseError(target, laplace) < 1e-8)
        #expect(laplace.marginalVariances.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// Whitened coordinates: log p_u(u) = log p_z(Lu) + log det L at random points (the change of
    /// variables that keeps the ELBO), the whitened Laplace mode maps to the centred one (Lû = ẑ), and
    /// its covariance inverts the whitened Hessian.
    @Test func whitenedCoordinatesAreTheSamePosterior() throws {
        let centred = try CoalMiningCoxProcessTarget(binCount: 50)
        let whitened = try CoalMiningCoxProcessTarget(binCount: 50, parameterization: .whitened)
        let laplace = try centred.laplaceApproximation(), whitenedLaplace = try whitened.laplaceApproximation()
        let mapped = try whitened.latentField(of: whitenedLaplace.mean)
        #expect(zip(mapped, laplace.mean).map { abs($0 - $1) }.max()! < 1e-9)
        #expect(try Self.inverseError(whitened, whitenedLaplace) < 1e-8)
        #expect(abs(whitenedLaplace.logDeterminant - laplace.logDeterminant + (try centred.priorDense().logDeterminant)) < 1e-7)
        var generator = Xoshiro256StarStar(seed: 5)
        let halfLogDetK = 0.5 * (try centred.priorDense().logDeterminant)
        for _ in 0..<3 {
            let u = generator.standardNormals(50).map { 0.3 * $0 }
            let difference = try whitened.logDensity(at: u) - centred.logDensity(at: try whitened.latentField(of: u))
            #expect(abs(difference - halfLogDetK) < 1e-8)
        }
    }
}
