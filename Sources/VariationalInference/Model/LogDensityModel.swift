import LowRankLinalg

/// A target density p on R^D, known up to a constant, that can report its score ∇log p.
///
/// BaM and pBaM need only the score; the log-density is for monitoring (ELBO estimates, reverse-KL
/// proxies). Implement `logDensityAndGradient(at:gradient:)`; override `gradients(at:into:)` when the
/// model can evaluate a whole batch faster than point by point, or conform to
/// ``ConcurrentLogDensityModel`` when `logDensityAndGradient` is safe to call from several threads at once.
public protocol LogDensityModel {
    /// The dimension D of the parameter space.
    var dimension: Int { get }

    /// log p(x) up to an additive constant, for a point x of length D.
    /// - Throws: ``ModelError`` when x is outside the support or the value is not finite.
    func logDensity(at x: [Double]) throws -> Double

    /// log p(x), with ∇log p(x) written into `gradient` (length D, owned by the caller and reused
    /// across calls).
    /// - Throws: ``ModelError`` when x is outside the support or the value is not finite.
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double

    /// The scores of a batch: column b of `scores` (D×B) receives ∇log p at column b of `points`
    /// (D×B). The default calls `logDensityAndGradient` column by column with two reused D-buffers.
    func gradients(at points: Matrix, into scores: inout Matrix) throws
}

extension LogDensityModel {
    /// Column-by-column default: reuses one point buffer and one gradient buffer for the whole batch,
    /// and checks that the model keeps the gradient's length.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when `scores` is not shaped like
    ///   `points` or a gradient has the wrong length; what `logDensityAndGradient` throws.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        let d = points.rows
        try requireDimension(scores.rows, d, "scores buffer rows (must equal the points' D)")
        try requireDimension(scores.columns, points.columns, "scores buffer columns (must equal the points' B)")
        var x = [Double](repeating: 0, count: d)
        var g = [Double](repeating: 0, count: d)
        for b in 0..<points.columns {
            for i in 0..<d { x[i] = points[i, b] }
            _ = try logDensityAndGradient(at: x, gradient: &g)
            guard g.count == d else {
                throw VariationalInferenceError.dimensionMismatch(what: "model gradient", expected: d, actual: g.count)
            }
            scores.withElements { e in
                for i in 0..<d { e[i + b * d] = g[i] }
            }
        }
    }
}

/// A failure reported by a model: a point outside the support, an overflow, a non-finite value.
public struct ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, for people.
    public var message: String
    /// Whether the algorithm may retry with another batch (true for a point outside the support or an
    /// overflow at an extreme draw; false for a broken model).
    public var isRecoverable: Bool

    /// A model error with a message; recoverable unless stated.
    public init(_ message: String, isRecoverable: Bool = true) {
        self.message = message
        self.isRecoverable = isRecoverable
    }

    /// "model error (recoverable): message", the message cut at 300 characters.
    public var description: String {
        "model error (\(isRecoverable ? "recoverable" : "not recoverable")): \(message.prefix(300))"
    }
}
