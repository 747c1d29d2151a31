import VariationalInference

/// The largest exponent the targets pass to exp before they call the result an overflow (a
/// recoverable `ModelError`): e^700 ≈ 1e304 is still finite, e^710 is not.
let maximumExponent = 700.0

/// The jitter added to the diagonal of the GP targets' prior covariance (E4, E5).
let gaussianProcessJitter = 1e-6

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
