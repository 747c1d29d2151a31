import LowRankLinalg

/// A Monte Carlo estimate of the ELBO, (1/n)Σ [log p(x) − log q(x)] over n draws x ~ q from
/// `generator`, for any approximation (a monitor, as the reference's 32-draw "reverse KL" proxy:
/// for a normalized target −ELBO estimates KL(q‖p)).
///
/// Cost: n log-density evaluations of the model plus n of q.
/// - Throws: `.invalidArgument` for n < 1, `.dimensionMismatch` for a model of another dimension,
///   and the model's own errors.
public func elboEstimate<Q: GaussianApproximation, Model: LogDensityModel>(
    of q: Q, model: Model, draws: Int, using generator: inout Xoshiro256StarStar
) throws -> Double {
    try require(draws >= 1, "ELBO estimate needs at least one draw, got \(draws)")
    try requireDimension(model.dimension, q.dimension, "model")
    let points = q.sample(count: draws, using: &generator)
    var total = 0.0
    for b in 0..<draws {
        let x = points.column(b)
        total += try model.logDensity(at: x) - (try q.logDensity(at: x))
    }
    return total / Double(draws)
}
