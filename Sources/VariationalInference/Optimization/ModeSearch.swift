import LowRankLinalg

/// A search for a mode of log p by limited-memory BFGS with a backtracking (Armijo) line search: the
/// remedy for a target far from where a fit starts. BaM, pBaM and the ADVIs start at μ = 0 with unit
/// scale; a posterior centred at 1e8 (an intercept on unstandardized data) is then thousands of
/// steps away, and the fit spends its budget travelling. A few dozen quasi-Newton steps find the
/// mode instead, and ``ModeSearchResult`` turns it into a start for any family.
///
/// Each iteration costs one or more `logDensityAndGradient` calls (one when the full step is
/// accepted) and O(mD) flops for memory m; memory 2mD doubles. A point where the model throws a
/// recoverable ``ModelError`` or returns a non-finite value counts as log p = −∞: the line search
/// backs off from it. Deterministic: no random draws.
public struct ModeSearch: Sendable {
    /// Iterations (accepted line searches) at most.
    public var maxIterations: Int
    /// Stop when ‖∇log p‖₂ ≤ gradientTolerance · √D.
    public var gradientTolerance: Double
    /// Curvature pairs kept by L-BFGS.
    public var memory: Int

    /// A search with the given limits.
    /// - Throws: `VariationalInferenceError.invalidArgument` for maxIterations < 1, a tolerance that is
    ///   not finite and > 0, or memory < 1.
    public init(maxIterations: Int = 200, gradientTolerance: Double = 1e-6, memory: Int = 10) throws {
        try require(maxIterations >= 1, "ModeSearch maxIterations must be ≥ 1, got \(maxIterations)")
        try require(gradientTolerance > 0 && gradientTolerance.isFinite,
                    "ModeSearch gradientTolerance must be finite and > 0, got \(gradientTolerance)")
        try require(memory >= 1, "ModeSearch memory must be ≥ 1, got \(memory)")
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.memory = memory
    }

    /// Climbs log p from `start` (the origin when nil).
    /// - Returns: the best point found, with its log density, gradient norm and a scalar curvature
    ///   estimate; `converged` says whether the gradient tolerance was met (an improper or unbounded
    ///   target ends at the iteration limit with `converged == false`).
    /// - Throws: `VariationalInferenceError` for a start of the wrong length, a non-finite start, or a
    ///   start where log p or its gradient is not finite; the ``ModelError`` of the model at the start,
    ///   and a non-recoverable one anywhere.
    public func run<Model: LogDensityModel>(_ model: Model, from start: [Double]? = nil) throws -> ModeSearchResult {
        let d = model.dimension
        var x = start ?? [Double](repeating: 0, count: d)
        try requireDimension(x.count, d, "ModeSearch start")
        guard Vector.isFinite(x) else { throw VariationalInferenceError.nonFinite(what: "ModeSearch start") }
        var gradient = [Double](repeating: 0, count: d)
        var evaluations = 1
        var value = try model.logDensityAndGradient(at: x, gradient: &gradient)
        try requireDimension(gradient.count, d, "model gradient")
        guard value.isFinite, Vector.isFinite(gradient) else {
            throw VariationalInferenceError.nonFinite(what: "log p or its gradient at the ModeSearch start")
        }
        let threshold = gradientTolerance * Double(d).squareRoot()
        var quasiNewton = LimitedMemoryBFGS(dimension: d, memory: memory, initialScale: 1)
        var direction = [Double](repeating: 0, count: d), trial = x, trialGradient = gradient
        var ascent = gradient.map { -$0 }
        var iterations = 0
        while iterations < maxIterations && Vector.norm(gradient) > threshold {
            quasiNewton.direction(for: ascent, into: &direction)
            var slope = zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
            if !(slope > 0) {
                quasiNewton.reset()
                for i in 0..<d { direction[i] = gradient[i] }
                slope = gradient.reduce(0) { $0 + $1 * $1 }
            }
            var step = quasiNewton.pairs == 0 ? Swift.min(1, 1 / Vector.norm(direction)) : 1
            var accepted = false
            for _ in 0..<60 {
                for i in 0..<d { trial[i] = x[i] + step * direction[i] }
                evaluations += 1
                let trialValue = try Self.evaluate(model, at: trial, gradient: &trialGradient)
                if trialValue.isFinite, Vector.isFinite(trialGradient), trialValue >= value + 1e-4 * step * slope {
                    quasiNewton.record(from: x, to: trial, gradient: ascent, nextGradient: trialGradient.map { -$0 })
                    swap(&x, &trial)
                    swap(&gradient, &trialGradient)
                    value = trialValue
                    for i in 0..<d { ascent[i] = -gradient[i] }
                    accepted = true
                    break
                }
                step *= 0.5
            }
            guard accepted else { break }
            iterations += 1
        }
        let norm = Vector.norm(gradient)
        return ModeSearchResult(point: x, logDensity: value, gradientNorm: norm, iterations: iterations,
                                evaluations: evaluations, converged: norm <= threshold,
                                varianceScale: quasiNewton.pairs > 0 ? quasiNewton.inverseCurvatureScale : 1)
    }

    /// log p at `x` with its gradient; −∞ where the model throws a recoverable error.
    private static func evaluate<Model: LogDensityModel>(_ model: Model, at x: [Double],
                                                         gradient: inout [Double]) throws -> Double {
        do {
            return try model.logDensityAndGradient(at: x, gradient: &gradient)
        } catch let error as ModelError where error.isRecoverable {
            return -.infinity
        }
    }
}

/// What ``ModeSearch`` found, and starts built from it.
public struct ModeSearchResult: Sendable {
    /// The point reached (length D): the mode when `converged`.
    public var point: [Double]
    /// log p there.
    public var logDensity: Double
    /// ‖∇log p‖₂ there.
    public var gradientNorm: Double
    /// Accepted L-BFGS iterations.
    public var iterations: Int
    /// log-density-and-gradient evaluations, the start's included.
    public var evaluations: Int
    /// Whether the gradient tolerance was met.
    public var converged: Bool
    /// sᵀy/yᵀy of the last curvature pair: a scalar estimate of the posterior variance at the point
    /// (1 when no pair was stored).
    public var varianceScale: Double

    /// N(point, varianceScale·I) as a diagonal start (ADVI-D's `initialization`).
    /// - Throws: `VariationalInferenceError` when the point or the scale is not finite.
    public func diagonalStart() throws -> DiagonalGaussian {
        try DiagonalGaussian(mean: point, variances: [Double](repeating: varianceScale, count: point.count))
    }

    /// N(point, varianceScale·I) as a dense start (dense BaM's, full-rank ADVI's `initialization`).
    /// Memory D².
    /// - Throws: `VariationalInferenceError` when the point or the scale is not finite.
    public func denseStart() throws -> DenseGaussian {
        try DenseGaussian(mean: point, covariance: varianceScale * Matrix.identity(point.count))
    }

    /// N(point, varianceScale·(diag(u) + ΛΛᵀ)) with u ~ U(½, 1)^D and Λ ~ N(0, 1)^{D×K}/√(DK), for
    /// `.given(_:)` of pBaM and ADVI-LR.
    /// - Throws: `VariationalInferenceError` for K outside 1..<D or a non-finite point or scale.
    public func lowRankStart(rank: Int, using generator: inout Xoshiro256StarStar) throws -> LowRankGaussian {
        let d = point.count
        try require(rank >= 1 && rank < d, "rank K = \(rank) must be in 1..<D = \(d)")
        try require(varianceScale > 0 && varianceScale.isFinite, "variance scale must be finite and > 0, got \(varianceScale)")
        let psi = generator.uniforms(d, in: 0.5..<1).map { $0 * varianceScale }
        var lambda = generator.standardNormalMatrix(rows: d, columns: rank)
        let factor = varianceScale.squareRoot() / Double(d * rank).squareRoot()
        lambda.withElements { e in for i in e.indices { e[i] *= factor } }
        return try LowRankGaussian(mean: point, psi: psi, lambda: lambda)
    }
}
