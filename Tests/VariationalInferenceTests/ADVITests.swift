import Foundation
import LowRankLinalg
import Targets
import Testing
import TestSupport
import VariationalInference

/// ADVI gradients against central finite differences of the ELBO estimate with the noise held fixed,
/// L̂(θ) = (1/B)Σ_b log p(x_b(θ)) + H[q_θ]; tolerance 1e-6 relative (h = 1e-5).
@Suite("ADVI gradients and fits") struct ADVITests {
    let target: LowRankGaussianTarget = {
        var rng = Xoshiro256StarStar(seed: 31)
        return try! LowRankGaussianTarget.synthetic(dimension: 6, rank: 2, using: &rng)
    }()

    func meanLogDensity(_ points: Matrix) throws -> Double {
        try (0..<points.columns).reduce(0) { $0 + (try target.logDensity(at: points.column($1))) } / Double(points.columns)
    }

    func scores(_ points: Matrix) throws -> Matrix {
        var g = Matrix(rows: points.rows, columns: points.columns)
        try target.gradients(at: points, into: &g)
        return g
    }

    /// Central differences of f over every coordinate of θ.
    func numericalGradient(_ theta: [Double], _ f: ([Double]) throws -> Double) rethrows -> [Double] {
        var gradient = [Double](repeating: 0, count: theta.count)
        for i in theta.indices {
            let h = 1e-5 * max(1, abs(theta[i]))
            var plus = theta, minus = theta
            plus[i] += h
            minus[i] -= h
            gradient[i] = (try f(plus) - (try f(minus))) / (2 * h)
        }
        return gradient
    }

    @Test(arguments: [ADVILowRank.VarianceParameterization.logVariance, .clampedVariance(floor: 1e-6)])
    func lowRankGradient(parameterization: ADVILowRank.VarianceParameterization) throws {
        let d = 6, k = 2, b = 3
        var rng = Xoshiro256StarStar(seed: 5)
        let noise = rng.standardNormalMatrix(rows: d, columns: b), latent = rng.standardNormalMatrix(rows: k, columns: b)
        let algorithm = try ADVILowRank(rank: k, batchSize: b, optimizer: Adam(schedule: .constant(0.01)),
                                        parameterization: parameterization)
        let mean = rng.standardNormals(d), psi = rng.uniforms(d, in: 0.3..<1.3)
        let lambda = rng.standardNormalMatrix(rows: d, columns: k)
        let logVariance = parameterization == .logVariance
        func unpack(_ theta: [Double]) throws -> LowRankGaussian {
            let variance = Array(theta[d..<(2 * d)])
            return try LowRankGaussian(mean: Array(theta[0..<d]), psi: logVariance ? variance.map { exp($0) } : variance,
                                       lambda: Matrix(rows: d, columns: k, elements: Array(theta[(2 * d)...])))
        }
        let theta = mean + (logVariance ? psi.map { log($0) } : psi) + lambda.elements
        let q = try unpack(theta)
        let analytic = algorithm.elboGradient(q, scores: try scores(q.reparameterize(noise: noise, latent: latent)),
                                              noise: noise, latent: latent)
        let numeric = try numericalGradient(theta) { t in
            let q = try unpack(t)
            return try meanLogDensity(q.reparameterize(noise: noise, latent: latent)) + q.entropy
        }
        #expect(relativeError(analytic.mean + analytic.variance + analytic.lambda.elements, numeric) < 1e-6)
    }

    @Test func diagonalGradient() throws {
        let d = 6, b = 4
        var rng = Xoshiro256StarStar(seed: 6)
        let noise = rng.standardNormalMatrix(rows: d, columns: b)
        let theta = rng.standardNormals(d) + rng.uniforms(d, in: -1..<0.5)
        func unpack(_ t: [Double]) throws -> DiagonalGaussian {
            try DiagonalGaussian(mean: Array(t[0..<d]), variances: t[d...].map { exp(2 * $0) })
        }
        func points(_ q: DiagonalGaussian) -> Matrix {
            var x = TallSkinny.rowScaled(noise, by: q.variances.map { $0.squareRoot() })
            TallSkinny.addToColumns(&x, q.mean)
            return x
        }
        let q = try unpack(theta)
        let analytic = ADVIDiagonal.elboGradient(q, scores: try scores(points(q)), noise: noise)
        let numeric = try numericalGradient(theta) { t in
            let q = try unpack(t)
            return try meanLogDensity(points(q)) + q.entropy
        }
        #expect(relativeError(analytic.mean + analytic.logScale, numeric) < 1e-6)
    }

    @Test func fullRankGradient() throws {
        let d = 6, b = 4
        var rng = Xoshiro256StarStar(seed: 7)
        let noise = rng.standardNormalMatrix(rows: d, columns: b)
        let mean = rng.standardNormals(d)
        let factor = Matrix(rows: d, columns: d) { i, j in i == j ? 1 + 0.5 * Double(i) / Double(d) : (i > j ? 0.3 * sin(Double(i + 2 * j)) : 0) }
        func points(_ m: [Double], _ l: Matrix) -> Matrix {
            var x = BLAS.gemm(l, noise)
            TallSkinny.addToColumns(&x, m)
            return x
        }
        // H = Σ log|Lᵢᵢ| + const; only the lower triangle (the diagonal included) is free.
        func objective(_ t: [Double]) throws -> Double {
            let l = Matrix(rows: d, columns: d, elements: Array(t[d...]))
            return try meanLogDensity(points(Array(t[0..<d]), l)) + (0..<d).reduce(0) { $0 + log(abs(l[$1, $1])) }
        }
        let analytic = ADVIFullRank.elboGradient(factor: factor, scores: try scores(points(mean, factor)), noise: noise)
        var numeric = try numericalGradient(mean + factor.elements, objective)
        for j in 0..<d { for i in 0..<j { numeric[d + i + j * d] = 0 } }
        #expect(relativeError(analytic.mean + analytic.factor.elements, numeric) < 1e-6)
    }

    /// The `advi` block of the test vectors: the same samples, log q, entropy, diag(Σ⁻¹) and ELBO
    /// gradients with respect to μ, ψ, Λ. Tolerance 1e-9 relative (inputs carry 6 decimals).
    @Test func agreesWithTheReferenceVectors() throws {
        let v = TestVectors()
        let q = try LowRankGaussian(mean: v.vector("mu"), psi: v.vector("psi"), lambda: v.matrix("Lambda"))
        let a = v.matrix("A")
        let target = LowRankGaussianTarget(mean: v.vector("mstar"),
                                           covariance: try LowRankPlusDiagonal(psi: [Double](repeating: 0.5, count: 6), lambda: a))
        let noise = v.matrix("eps", in: "advi").transposed(), latent = v.matrix("z", in: "advi").transposed()
        let points = try q.reparameterize(noise: noise, latent: latent)
        #expect(relativeError(points, v.matrix("X", in: "advi").transposed()) < 1e-12)
        #expect(relativeError(try (0..<3).map { try q.logDensity(at: points.column($0)) }, v.vector("logq", in: "advi")) < 1e-10)
        #expect(relativeError(q.entropy, v.number("entropy", in: "advi")) < 1e-12)
        #expect(relativeError(q.covariance.inverseDiagonal, v.vector("diag_Sigma_inv", in: "advi")) < 1e-10)
        var g = Matrix(rows: 6, columns: 3)
        try target.gradients(at: points, into: &g)
        let algorithm = try ADVILowRank(rank: 2, batchSize: 3, optimizer: Adam(schedule: .constant(0.01)),
                                        parameterization: .clampedVariance(floor: 1e-6))
        let gradient = algorithm.elboGradient(q, scores: g, noise: noise, latent: latent)
        #expect(relativeError(gradient.mean, v.vector("grad_mu", in: "advi")) < 1e-9)
        #expect(relativeError(gradient.variance, v.vector("grad_psi", in: "advi")) < 1e-9)
        #expect(relativeError(gradient.lambda, v.matrix("grad_Lambda", in: "advi")) < 1e-9)
    }

    /// ADVI-LR's step runs in its workspace (recycled approximation storage, Adam split into a proposal
    /// and a commit); three steps must equal, bit for bit, the same steps composed from the public
    /// allocating pieces: `reparameterize`, `elboGradient` and `Adam.descend`. A state stepped by an
    /// algorithm with another batch size gets a workspace of the new shape.
    @Test(arguments: [ADVILowRank.VarianceParameterization.logVariance, .clampedVariance(floor: 1e-6)])
    func stepEqualsItsPublicParts(parameterization: ADVILowRank.VarianceParameterization) throws {
        let d = 6, k = 2, b = 3
        let adam = try Adam(schedule: .linearDecay(initial: 0.05, final: 0.01, steps: 10))
        let algorithm = try ADVILowRank(rank: k, batchSize: b, optimizer: adam, parameterization: parameterization)
        var generator = Xoshiro256StarStar(seed: 12)
        var state = try algorithm.initialState(dimension: d, using: &generator)
        var reference = generator
        var q = state.approximation, moments = AdamMoments(count: d * (k + 2))
        let logVariance = parameterization == .logVariance
        for _ in 0..<3 {
            let report = try algorithm.step(&state, model: target, using: &generator)
            #expect(report.status == .ok && report.gradientEvaluations == b)

            let noise = reference.standardNormalMatrix(rows: d, columns: b)
            let latent = reference.standardNormalMatrix(rows: k, columns: b)
            let gradient = algorithm.elboGradient(q, scores: try scores(q.reparameterize(noise: noise, latent: latent)),
                                                  noise: noise, latent: latent)
            var theta = q.mean + (logVariance ? q.psi.map { log($0) } : q.psi) + q.lambda.elements
            try adam.descend(&theta, gradient: (gradient.mean + gradient.variance + gradient.lambda.elements).map { -$0 },
                             moments: &moments)
            let variance = Array(theta[d..<(2 * d)])
            q = try LowRankGaussian(mean: Array(theta[0..<d]), psi: logVariance ? variance.map { exp($0) } : variance.map { max($0, 1e-6) },
                                    lambda: Matrix(rows: d, columns: k, elements: Array(theta[(2 * d)...])))
            #expect(state.approximation.mean == q.mean)
            #expect(state.approximation.psi == q.psi)
            #expect(state.approximation.lambda == q.lambda)
            #expect(state.moments == moments)
        }
        let wider = try ADVILowRank(rank: k, batchSize: 5, optimizer: adam, parameterization: parameterization)
        let report = try wider.step(&state, model: target, using: &generator)
        #expect(report.status == .ok && report.gradientEvaluations == 5)
    }

    /// A D = 64 Gaussian target from poor starts (ADVI-LR: unscaled initial Λ, variances ≈ K + ½;
    /// ADVI-D: μ = 3, σ² = 0.05): both baselines cut the reverse KL by at least 10× within 400 steps,
    /// and a seed fixes the fit.
    @Test func baselinesDecreaseTheKLAndAreReproducible() throws {
        var targetGenerator = Xoshiro256StarStar(seed: 64)
        let target = try LowRankGaussianTarget.synthetic(dimension: 64, rank: 4, using: &targetGenerator)
        let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
        let lowRank = try ADVILowRank(rank: 4, batchSize: 16, optimizer: Adam(schedule: .constant(0.05)),
                                      initialization: .random(lambdaScale: 16))
        var generator = Xoshiro256StarStar(seed: 1)
        let start = try lowRank.initialState(dimension: 64, using: &generator)
        let fitted = try fit(lowRank, model: target, using: &generator, options: FitOptions(maxIterations: 400), from: start)
        let before = try klDivergence(start.approximation, exact), after = try klDivergence(fitted.approximation, exact)
        #expect(after < before / 10, "ADVI-LR KL \(before) → \(after)")

        // The diagonal family cannot fit the rank-4 part, so its start is made poor in the mean and scale.
        let poorStart = try DiagonalGaussian(mean: [Double](repeating: 3, count: 64), variances: [Double](repeating: 0.05, count: 64))
        let diagonal = try ADVIDiagonal(batchSize: 16, optimizer: Adam(schedule: .constant(0.05)), initialization: poorStart)
        var diagonalGenerator = Xoshiro256StarStar(seed: 2)
        let diagonalStart = try diagonal.initialState(dimension: 64, using: &diagonalGenerator)
        let diagonalFit = try fit(diagonal, model: target, using: &diagonalGenerator,
                                  options: FitOptions(maxIterations: 400), from: diagonalStart)
        let diagonalBefore = try klDivergence(diagonalStart.approximation.asLowRank, exact)
        let diagonalAfter = try klDivergence(diagonalFit.approximation.asLowRank, exact)
        #expect(diagonalAfter < diagonalBefore / 10, "ADVI-D KL \(diagonalBefore) → \(diagonalAfter)")

        var again = Xoshiro256StarStar(seed: 1)
        let repeated = try fit(lowRank, model: target, using: &again, options: FitOptions(maxIterations: 400))
        #expect(repeated.approximation.mean == fitted.approximation.mean)
        #expect(repeated.approximation.lambda == fitted.approximation.lambda)
    }

    @Test func fullRankADVIFitsASmallGaussian() throws {
        let exact = try DenseGaussian(mean: target.mean, covariance: Matrix.diagonal(target.covariance.psi)
                                      + BLAS.gemm(target.covariance.lambda, target.covariance.lambda, transB: .transpose))
        let algorithm = try ADVIFullRank(batchSize: 8, optimizer: Adam(schedule: .linearDecay(initial: 0.05, final: 1e-3, steps: 800)))
        var generator = Xoshiro256StarStar(seed: 3)
        let start = try algorithm.initialState(dimension: 6, using: &generator)
        let result = try fit(algorithm, model: target, using: &generator, options: FitOptions(maxIterations: 800), from: start)
        #expect(try klDivergence(result.approximation, exact) < klDivergence(start.approximation, exact) / 10)
    }

    @Test func nonFiniteScoresSkipTheStepAndNeverPoisonTheParameters() throws {
        let model = FaultyModel(target, nanEvery: 3)
        let algorithm = try ADVILowRank(rank: 2, batchSize: 4, optimizer: Adam(schedule: .constant(0.05)))
        var generator = Xoshiro256StarStar(seed: 4)
        var statuses: [StepStatus] = []
        let result = try fit(algorithm, model: model, using: &generator, options: FitOptions(
            maxIterations: 30, callback: { info, _ in statuses.append(info.status); return .proceed }))
        #expect(statuses.filter { $0 == .reverted }.count == 10)
        #expect(result.state.moments.steps == 20, "Adam advanced only on accepted steps")
        #expect(Vector.isFinite(result.approximation.mean) && result.approximation.lambda.isFinite)
        let diagonal = try ADVIDiagonal(batchSize: 4, optimizer: Adam(schedule: .constant(0.05)), maxBadUpdates: 2)
        #expect(throws: FitFailure<DiagonalGaussian>.self) {
            try fit(diagonal, model: FaultyModel(target, nanEvery: 1), using: &generator, options: FitOptions(maxIterations: 10))
        }
    }

    @Test func adamAndItsSchedules() throws {
        #expect(StepSizeSchedule.linearDecay(initial: 1, final: 0.1, steps: 10).value(at: 5) == 0.55)
        #expect(StepSizeSchedule.linearDecay(initial: 1, final: 0.1, steps: 10).value(at: 50) == 0.1)
        #expect(abs(StepSizeSchedule.cosineDecay(initial: 1, final: 0, steps: 10).value(at: 5) - 0.5) < 1e-15)
        #expect(abs(StepSizeSchedule.decaying(initial: 0.3, exponent: 1).value(at: 2) - 0.1) < 1e-16)
        #expect(abs(StepSizeSchedule.decaying(initial: 0.3, exponent: 0.5).value(at: 3) - 0.15) < 1e-16)
        #expect(throws: VariationalInferenceError.self) { try Adam(schedule: .decaying(initial: 0.1, exponent: -1)) }
        #expect(throws: VariationalInferenceError.self) { try Adam(schedule: .constant(0)) }
        #expect(throws: VariationalInferenceError.self) { try Adam(schedule: .constant(0.1), beta1: 1) }
        // Adam's first step moves every coordinate by the step size against the gradient's sign.
        let adam = try Adam(schedule: .constant(0.1))
        var theta = [1.0, -2.0], moments = AdamMoments(count: 2)
        try adam.descend(&theta, gradient: [3, -0.5], moments: &moments)
        #expect(abs(theta[0] - 0.9) < 1e-7 && abs(theta[1] + 1.9) < 1e-7, "|Δθ| = α·|g|/(|g| + ε)")
        var short = [0.0]
        #expect(throws: VariationalInferenceError.self) { try adam.descend(&short, gradient: [1, 2], moments: &moments) }
        // Minimizes ½‖θ‖².
        for _ in 0..<2000 { try adam.descend(&theta, gradient: theta, moments: &moments) }
        #expect(Vector.norm(theta) < 1e-2)
    }

    /// ADVI-D and full-rank ADVI time their phases, as ADVI-LR and BaM do (no patch phase).
    @Test func packedADVIReportsPhaseTimings() throws {
        var rng = Xoshiro256StarStar(seed: 41)
        let target = try LowRankGaussianTarget.synthetic(dimension: 12, rank: 2, using: &rng)
        var generator = Xoshiro256StarStar(seed: 42)
        let diagonal = try ADVIDiagonal(batchSize: 4, optimizer: try Adam(schedule: .constant(0.01)))
        var diagonalState = try diagonal.initialState(dimension: 12, using: &generator)
        let fullRank = try ADVIFullRank(batchSize: 4, optimizer: try Adam(schedule: .constant(0.01)))
        var fullRankState = try fullRank.initialState(dimension: 12, using: &generator)
        for report in [try diagonal.step(&diagonalState, model: target, using: &generator),
                       try fullRank.step(&fullRankState, model: target, using: &generator)] {
            #expect(report.timings.sampling > 0 && report.timings.scores > 0 && report.timings.update > 0)
            #expect(report.timings.patch == 0)
        }
    }
}
