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

    /// x + y.
    public static func add(_ x: [Double], _ y: [Double]) -> [Double] {
        shapePrecondition(x.count == y.count, "Vector.add: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).map(+)
    }

    /// x − y.
    public static func subtract(_ x: [Double], _ y: [Double]) -> [Double] {
        shapePrecondition(x.count == y.count, "Vector.subtract: lengths \(x.count) and \(y.count) differ")
        return zip(x, y).map(-)
    }

    /// Whether every entry is finite.
    public static func isFinite(_ x: [Double]) -> Bool { x.allSatisfy(\.isFinite) }
}
