#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm from the C math library.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
