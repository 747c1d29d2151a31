#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm (C math library).
@inline(__always) func _log(_ x: Double) -> Double { log(x) }

/// Exponential (C math library).
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }

/// cos x (C math library).
@inline(__always) func cosine(_ x: Double) -> Double { cos(x) }

/// x^y (C math library).
@inline(__always) func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }

/// ln(2π).
let logTwoPi = 1.837_877_066_409_345_5
