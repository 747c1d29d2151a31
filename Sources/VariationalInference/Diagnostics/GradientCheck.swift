import LowRankLinalg

/// Checks a model's hand-written gradient against central finite differences of its log density —
/// the first thing to run on a new model: a wrong score makes every score-based method (BaM, pBaM,
/// the ADVIs) converge confidently to the wrong answer.
///
/// At each point, up to `coordinates` coordinates (all of them when D is at most that, a seeded
/// random subset otherwise) are differenced with step h_i = `relativeStep`·max(1, |x_i|), plus one
/// random direction v, which sees every coordinate at once: gᵀv against (log p(x + hv) − log p(x −
/// hv))/2h. The relative error of a pair (a, n) is |a − n| / (max(|a|, |n|) + 1e-8·(1 + ‖g‖∞)).
/// Cost per point one gradient and 2(c + 1) log densities for c coordinates.
public enum GradientCheck {
    /// Checks at the given points (each of length D).
    /// - Throws: `.invalidArgument` for no points, coordinates < 1 or a step not in (0, 0.1);
    ///   `.dimensionMismatch` for a point of the wrong length; what the model throws.
    public static func run<Model: LogDensityModel>(_ model: Model, at points: [[Double]], coordinates: Int = 64,
                                                   relativeStep: Double = 1e-5, tolerance: Double = 1e-4,
                                                   using generator: inout Xoshiro256StarStar) throws -> GradientCheckResult {
        try require(!points.isEmpty, "GradientCheck needs at least one point")
        try require(coordinates >= 1, "GradientCheck coordinates must be ≥ 1, got \(coordinates)")
        try require(relativeStep > 0 && relativeStep < 0.1, "GradientCheck relativeStep must be in (0, 0.1), got \(relativeStep)")
        let d = model.dimension
        var result = GradientCheckResult(tolerance: tolerance)
        var gradient = [Double](repeating: 0, count: d)
        for (p, point) in points.enumerated() {
            try requireDimension(point.count, d, "GradientCheck point \(p)")
            _ = try model.logDensityAndGradient(at: point, gradient: &gradient)
            try requireDimension(gradient.count, d, "model gradient")
            let floor = 1e-8 * (1 + gradient.reduce(0) { Swift.max($0, abs($1)) })
            let chosen = d <= coordinates ? Array(0..<d) : randomSubset(of: d, count: coordinates, using: &generator)
            var x = point
            for i in chosen {
                let h = relativeStep * Swift.max(1, abs(point[i]))
                x[i] = point[i] + h
                let up = try model.logDensity(at: x)
                x[i] = point[i] - h
                let down = try model.logDensity(at: x)
                x[i] = point[i]
                result.record(analytic: gradient[i], numeric: (up - down) / (2 * h), floor: floor, point: p, coordinate: i)
            }
            let direction = generator.standardNormals(d)
            let scale = 1 / Vector.norm(direction)
            let h = relativeStep * Swift.max(1, Vector.norm(point) / Double(d).squareRoot())
            let up = try model.logDensity(at: (0..<d).map { point[$0] + h * scale * direction[$0] })
            let down = try model.logDensity(at: (0..<d).map { point[$0] - h * scale * direction[$0] })
            let analytic = (0..<d).reduce(0) { $0 + gradient[$1] * scale * direction[$1] }
            result.record(analytic: analytic, numeric: (up - down) / (2 * h), floor: floor, point: p, coordinate: nil)
        }
        return result
    }

    /// Checks at `points` draws from q (a fitted approximation, or the start of a fit).
    /// - Throws: as ``run(_:at:coordinates:relativeStep:tolerance:using:)``.
    public static func run<Model: LogDensityModel>(_ model: Model, drawsFrom q: some GaussianApproximation, points: Int = 3,
                                                   coordinates: Int = 64, relativeStep: Double = 1e-5,
                                                   tolerance: Double = 1e-4,
                                                   using generator: inout Xoshiro256StarStar) throws -> GradientCheckResult {
        try require(points >= 1, "GradientCheck points must be ≥ 1, got \(points)")
        let draws = q.sample(count: points, using: &generator)
        return try run(model, at: (0..<points).map { draws.column($0) }, coordinates: coordinates,
                       relativeStep: relativeStep, tolerance: tolerance, using: &generator)
    }

    /// `count` distinct indices of 0..<n in increasing order (partial Fisher–Yates).
    private static func randomSubset(of n: Int, count: Int, using generator: inout Xoshiro256StarStar) -> [Int] {
        var pool = Array(0..<n)
        for j in 0..<count {
            let k = j + Int(generator.next() % UInt64(n - j))
            pool.swapAt(j, k)
        }
        return pool[0..<count].sorted()
    }
}

/// The outcome of a ``GradientCheck``: the largest relative error and where it was.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The relative error above which the check fails.
    public var tolerance: Double
    /// The largest relative error over every checked pair.
    public var maxRelativeError = 0.0
    /// The index of the point where it was.
    public var worstPoint = 0
    /// The coordinate where it was, or nil for the random-direction check.
    public var worstCoordinate: Int?
    /// The model's derivative there.
    public var analytic = 0.0
    /// The finite-difference derivative there.
    public var numeric = 0.0
    /// Pairs checked.
    public var checks = 0

    /// Whether every relative error is at most `tolerance`.
    public var passed: Bool { maxRelativeError <= tolerance }

    /// An empty result with the given tolerance.
    init(tolerance: Double) { self.tolerance = tolerance }

    mutating func record(analytic a: Double, numeric n: Double, floor: Double, point: Int, coordinate: Int?) {
        checks += 1
        let error = a.isFinite && n.isFinite ? abs(a - n) / (Swift.max(abs(a), abs(n)) + floor) : .infinity
        guard error > maxRelativeError || (checks == 1 && !error.isNaN) else { return }
        maxRelativeError = error
        worstPoint = point
        worstCoordinate = coordinate
        analytic = a
        numeric = n
    }

    /// "gradient check passed: largest relative error 3.1e-9 (coordinate 4 of point 0) over 21 checks".
    public var description: String {
        let place = worstCoordinate.map { "coordinate \($0)" } ?? "a random direction"
        let verdict = passed ? "passed" : "FAILED"
        var text = "gradient check \(verdict): largest relative error \(rounded(maxRelativeError, 3)) at \(place) of point "
            + "\(worstPoint) (model \(rounded(analytic, 6)), finite differences \(rounded(numeric, 6))) over \(checks) checks"
        if !passed && maxRelativeError > 1.5 && maxRelativeError < 2.5 && analytic * numeric < 0 {
            text += "; the signs disagree: is the gradient of −log p returned instead of ∇log p?"
        }
        return text
    }
}
