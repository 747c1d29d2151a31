import LowRankLinalg

/// Evaluates the scores of the columns of `points` (D×B) into `scores` through the model's batch
/// entry point, and checks what came back. `scores` first gets B columns (a state warm-started from a
/// fit with another batch size carries its buffer over; within its capacity this allocates nothing).
///
/// When the batch call throws a recoverable ``ModelError`` (a draw outside the support, an overflow
/// at an extreme draw), the batch is scored again column by column, each column as a batch of one,
/// and only a column that fails is replaced: `redraw(b, &points)` writes a fresh draw from q into
/// column b (and into whatever noise the algorithm keeps for it). A column is redrawn at most
/// `redrawLimit` times; with 30% of calls failing and the default limit of 10, an iteration then
/// fails with probability about B·0.3¹¹ instead of 1 − 0.7^B per try. As with whole-batch retries,
/// the draws are conditioned on the model accepting them. Every evaluation, failed or not, is added
/// to `evaluations`.
///
/// - Returns: nil when every score is finite, else where the first non-finite score is (the caller
///   rejects the update).
/// - Throws: the model's own ``ModelError`` (a non-recoverable one at once, a recoverable one when a
///   column runs out of redraws); `VariationalInferenceError.dimensionMismatch` when the model
///   changed the shape of `scores`.
func evaluateScores<Model: LogDensityModel>(_ model: Model, at points: inout Matrix, into scores: inout Matrix,
                                            redrawLimit: Int, evaluations: inout Int,
                                            redraw: (_ column: Int, _ points: inout Matrix) -> Void) throws -> NonFiniteScore? {
    let rows = points.rows, columns = points.columns
    if scores.columns != columns { scores.resizeColumns(to: columns) }
    evaluations += columns
    do {
        try model.gradients(at: points, into: &scores)
    } catch let error as ModelError where error.isRecoverable && redrawLimit > 0 {
        if scores.rows != rows || scores.columns != columns { scores = Matrix(rows: rows, columns: columns) }
        try scoreColumnByColumn(model, at: &points, into: &scores, redrawLimit: redrawLimit,
                                evaluations: &evaluations, redraw: redraw)
    }
    try requireDimension(scores.rows, rows, "model scores (rows)")
    try requireDimension(scores.columns, columns, "model scores (columns)")
    return NonFiniteScore(firstIn: scores)
}

/// The fallback of `evaluateScores`: each column of `points` scored on its own (a D×1 batch through
/// `gradients(at:into:)`), a failing column redrawn up to `redrawLimit` times.
private func scoreColumnByColumn<Model: LogDensityModel>(_ model: Model, at points: inout Matrix,
                                                         into scores: inout Matrix, redrawLimit: Int,
                                                         evaluations: inout Int,
                                                         redraw: (Int, inout Matrix) -> Void) throws {
    let d = points.rows
    var point = Matrix(rows: d, columns: 1), score = Matrix(rows: d, columns: 1)
    for b in 0..<points.columns {
        var redraws = 0
        while true {
            TallSkinny.copyColumns(of: points, b..<(b + 1), into: &point, at: 0)
            evaluations += 1
            do {
                try model.gradients(at: point, into: &score)
                try requireDimension(score.rows, d, "model scores (rows)")
                try requireDimension(score.columns, 1, "model scores (columns)")
                TallSkinny.copyColumns(of: score, 0..<1, into: &scores, at: b)
                break
            } catch let error as ModelError where error.isRecoverable {
                redraws += 1
                if redraws > redrawLimit { throw error }
                redraw(b, &points)
            }
        }
    }
}

/// Where a batch's scores first stopped being finite: the column (draw) b, the coordinate i and the
/// value (NaN or ±∞). Reported on ``StepReport`` for a step rejected for it, and in the error of a fit
/// whose first step met one.
public struct NonFiniteScore: Sendable, Equatable, CustomStringConvertible {
    /// The 0-based column of the batch (the draw).
    public var column: Int
    /// The 0-based coordinate of the score.
    public var coordinate: Int
    /// The score's value there.
    public var value: Double

    /// A location given entry by entry.
    public init(column: Int, coordinate: Int, value: Double) {
        self.column = column
        self.coordinate = coordinate
        self.value = value
    }

    /// The first non-finite entry of `scores` in column-major order, or nil when all are finite.
    /// Cost one pass over the D×B block.
    init?(firstIn scores: Matrix) {
        let d = scores.rows
        guard d > 0, let index = scores.elements.firstIndex(where: { !$0.isFinite }) else { return nil }
        column = index / d
        coordinate = index % d
        value = scores.elements[index]
    }

    /// "score[i] = nan at draw b".
    public var description: String { "score[\(coordinate)] = \(value) at draw \(column) of the batch" }
}
