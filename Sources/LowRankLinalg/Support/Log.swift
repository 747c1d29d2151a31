#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm from the C math library (the standard library has none without Foundation).
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
