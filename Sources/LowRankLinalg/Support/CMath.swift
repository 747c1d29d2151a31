#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C math library's elementary functions for this package's modules (the standard library has
// none without Foundation). Package-visible, so that LowRankLinalg and VariationalInference share
// one set of wrappers.

/// Natural logarithm (C math library).
@inlinable @inline(__always) package func _log(_ x: Double) -> Double { log(x) }

/// Exponential (C math library).
@inlinable @inline(__always) package func _exp(_ x: Double) -> Double { exp(x) }

/// cos x (C math library).
@inlinable @inline(__always) package func cosine(_ x: Double) -> Double { cos(x) }

/// x^y (C math library).
@inlinable @inline(__always) package func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }

/// ln(2π).
package let logTwoPi = 1.837_877_066_409_345_5

/// log(1 + x), accurate for small x (C math library).
@inlinable @inline(__always) package func _log1p(_ x: Double) -> Double { log1p(x) }

/// exp(x) − 1, accurate for small x (C math library).
@inlinable @inline(__always) package func _expm1(_ x: Double) -> Double { expm1(x) }

/// Base-10 logarithm (C math library).
@inlinable @inline(__always) package func _log10(_ x: Double) -> Double { log10(x) }

/// The error function (C math library).
@inlinable @inline(__always) package func _erf(_ x: Double) -> Double { erf(x) }

/// The complementary error function (C math library).
@inlinable @inline(__always) package func _erfc(_ x: Double) -> Double { erfc(x) }
