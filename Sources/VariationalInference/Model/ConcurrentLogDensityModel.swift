import LowRankLinalg

/// A log-density model whose `logDensityAndGradient(at:gradient:)` is safe to call from several
/// threads at once (typically an immutable struct with no shared mutable state), so that a batch of
/// scores can be evaluated in parallel.
///
/// Conforming is enough: unless the model overrides `gradients(at:into:)` with its own batch path,
/// every call, generic ones included, uses the concurrent default below. Models with a faster batch
/// path (one BLAS-3 solve for the whole batch) should stay plain ``LogDensityModel``s.
public protocol ConcurrentLogDensityModel: LogDensityModel, Sendable {
    /// The number of threads that `gradients(at:into:)` may use (at least 1; 1 evaluates serially
    /// on the calling thread). The default is the number of processors online.
    var scoreWorkers: Int { get }
}

extension ConcurrentLogDensityModel {
    /// The number of processors online (`Matrix.onlineProcessorCount`).
    public var scoreWorkers: Int { Matrix.onlineProcessorCount }

    /// The scores of a batch, evaluated concurrently: column b of `scores` receives ∇log p at column
    /// b of `points` (D×B); `scores` is replaced by a D×B matrix if it has another shape.
    ///
    /// Runs `logDensityAndGradient` on min(`scoreWorkers`, B) threads with
    /// `Matrix.fillColumnsConcurrently(from:workers:_:)`: worker w takes columns w, w + W, … with its
    /// own two reused D-buffers, so the scores are bit-identical to the serial default's whatever the
    /// timing, and OpenBLAS runs single-threaded meanwhile. Cost: B gradient evaluations spread over
    /// the workers; memory 2·D doubles per worker.
    /// - Throws: the model's error for the lowest failing column (the one the serial default
    ///   throws); `VariationalInferenceError.dimensionMismatch` when the model changes the gradient's
    ///   length.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        let d = points.rows
        if scores.rows != d || scores.columns != points.columns {
            scores = Matrix(rows: d, columns: points.columns)
        }
        try scores.fillColumnsConcurrently(from: points, workers: scoreWorkers) { _, x, g in
            _ = try logDensityAndGradient(at: x, gradient: &g)
            guard g.count == d else {
                throw VariationalInferenceError.dimensionMismatch(what: "model gradient", expected: d, actual: g.count)
            }
        }
    }
}
