/// Element-wise helpers on `[Double]` vectors that BLAS level 1 does not cover.
///
/// All are O(n) and allocate only their result.
public enum Vector {
    /// The Euclidean norm ‖x‖₂, scaled to avoid overflow and underflow.
    public static func norm(_ x: [Double]) -> Double {
        let scale = x.reduce(0) { Swift.max($0, Swift.abs($1)) }
        guard scale > 0, scale.isFinite else { return scale }
        var sum = 0.0
        for v in x { let r = v / scale; sum += r * r }
        return scale * sum.squareRoot()
    }

    /// The entry-wise product x ∘ y.
    public static func hadamard(_ x: [Double], _ y: [Double]) -> [Double] {
        precondition(x.count == y.count, "Vector.hadamard: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).map(*)
    }

    /// x + y.
    public static func add(_ x: [Double], _ y: [Double]) -> [Double] {
        precondition(x.count == y.count, "Vector.add: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).map(+)
    }

    /// x − y.
    public static func subtract(_ x: [Double], _ y: [Double]) -> [Double] {
        precondition(x.count == y.count, "Vector.subtract: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).map(-)
    }

    /// The sum of the entries, with four accumulators.
    public static func sum(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { p in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i + 4 <= p.count { s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]; i += 4 }
            while i < p.count { s0 += p[i]; i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
    }

    /// Whether every entry is finite.
    public static func isFinite(_ x: [Double]) -> Bool { x.allSatisfy(\.isFinite) }

    /// The largest |xᵢ − yᵢ|.
    public static func maxAbsDifference(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "Vector.maxAbsDifference: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
    }
}
