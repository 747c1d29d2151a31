/// The curvature memory of a limited-memory BFGS method on D-vectors (Nocedal & Wright, Algorithm
/// 7.4): the last m pairs (s, y) = (x₊ − x, ∇f₊ − ∇f), and the two-loop recursion that applies the
/// inverse-Hessian estimate H to a gradient.
///
/// Memory 2mD doubles plus O(m), allocated once; `direction` costs 4mD flops and allocates nothing.
struct LimitedMemoryBFGS: Sendable {
    private var steps: [[Double]]
    private var changes: [[Double]]
    private var curvatures: [Double]
    private var alphas: [Double]
    private var count = 0
    /// The number of curvature pairs held (0 … memory).
    var pairs: Int { count }
    private var newest = -1
    /// The scale γ of the initial estimate H₀ = γI: sᵀy/yᵀy of the newest pair, or `initialScale`
    /// before the first pair.
    private var scale: Double
    private let initialScale: Double

    /// Room for `memory` pairs of D-vectors; H₀ = initialScale·I until the first pair is stored.
    init(dimension: Int, memory: Int, initialScale: Double) {
        steps = (0..<memory).map { _ in [Double](repeating: 0, count: dimension) }
        changes = (0..<memory).map { _ in [Double](repeating: 0, count: dimension) }
        curvatures = [Double](repeating: 0, count: memory)
        alphas = curvatures
        scale = initialScale
        self.initialScale = initialScale
    }

    /// γ = sᵀy/yᵀy of the newest pair (the initial scale before the first): a scalar estimate of the
    /// inverse curvature.
    var inverseCurvatureScale: Double { scale }

    /// Forgets every pair.
    mutating func reset() {
        count = 0
        newest = -1
        scale = initialScale
    }

    /// Stores the pair s = x₊ − x, y = g₊ − g, unless sᵀy ≤ 1e-12·‖s‖‖y‖ (no positive curvature,
    /// which would make H indefinite). Cost 6D flops.
    mutating func record(from x: [Double], to xNext: [Double], gradient g: [Double], nextGradient gNext: [Double]) {
        guard !steps.isEmpty else { return }
        var sy = 0.0, ss = 0.0, yy = 0.0
        for i in x.indices {
            let s = xNext[i] - x[i], y = gNext[i] - g[i]
            sy += s * y
            ss += s * s
            yy += y * y
        }
        guard sy > 1e-12 * (ss * yy).squareRoot(), yy > 0 else { return }
        let slot = (newest + 1) % steps.count
        for i in x.indices {
            steps[slot][i] = xNext[i] - x[i]
            changes[slot][i] = gNext[i] - g[i]
        }
        curvatures[slot] = 1 / sy
        scale = sy / yy
        newest = slot
        count = Swift.min(count + 1, steps.count)
    }

    /// p = −H·g, into `p`. Cost 4mD + D flops.
    mutating func direction(for g: [Double], into p: inout [Double]) {
        let m = steps.count
        for i in g.indices { p[i] = -g[i] }
        for back in 0..<count {
            let slot = (newest - back + m) % m
            var dot = 0.0
            for i in p.indices { dot += steps[slot][i] * p[i] }
            let alpha = curvatures[slot] * dot
            alphas[slot] = alpha
            for i in p.indices { p[i] -= alpha * changes[slot][i] }
        }
        for i in p.indices { p[i] *= scale }
        for forward in 0..<count {
            let slot = (newest - count + 1 + forward + m) % m
            var dot = 0.0
            for i in p.indices { dot += changes[slot][i] * p[i] }
            let beta = curvatures[slot] * dot
            for i in p.indices { p[i] += (alphas[slot] - beta) * steps[slot][i] }
        }
    }
}
