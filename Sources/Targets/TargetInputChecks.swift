import VariationalInference

/// Throws `VariationalInferenceError.dimensionMismatch` unless the point x has length `dimension`.
func checkPoint(_ x: [Double], dimension: Int) throws {
    guard x.count == dimension else {
        throw VariationalInferenceError.dimensionMismatch(what: "point", expected: dimension, actual: x.count)
    }
}

/// `value` if it is finite; otherwise throws a recoverable `ModelError` saying that `what` is not finite.
func finiteValue(_ value: Double, _ what: String) throws -> Double {
    guard value.isFinite else { throw ModelError("\(what) is not finite") }
    return value
}
