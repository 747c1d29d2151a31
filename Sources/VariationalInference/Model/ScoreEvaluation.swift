import LowRankLinalg

/// Evaluates the scores of the columns of `points` (D×B) into `scores` through the model's batch
/// entry point, and checks what came back. `scores` first gets B columns (a state warm-started from a
/// fit with another batch size carries its buffer over; within its capacity this allocates nothing).
///
/// - Returns: whether every score is finite (a non-finite score makes the caller reject the update).
/// - Throws: the model's own ``ModelError``; `VariationalInferenceError.dimensionMismatch` when the
///   model changed the shape of `scores`.
func evaluateScores<Model: LogDensityModel>(_ model: Model, at points: Matrix, into scores: inout Matrix) throws -> Bool {
    let rows = points.rows, columns = points.columns
    if scores.columns != columns { scores.resizeColumns(to: columns) }
    try model.gradients(at: points, into: &scores)
    try requireDimension(scores.rows, rows, "model scores (rows)")
    try requireDimension(scores.columns, columns, "model scores (columns)")
    return scores.isFinite
}
