import Foundation

/// log n! = log Γ(n + 1) for n ≥ 0, through the C library's `lgamma` (exact to rounding for all n).
func logFactorial(_ n: Int) -> Double {
    lgamma(Double(n) + 1)
}
