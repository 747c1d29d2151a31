import Foundation
import LowRankLinalg
import VariationalInference

/// The posterior of the weights of a Bayesian neural network with at most one hidden tanh layer,
/// on the training split of a ``SupervisedData``.
///
/// With inputs x ∈ R^P (standardized), H hidden units and C outputs (C = 1 for a regression, the
/// number of classes for a classification), the network is
///
///     f(x) = V₂ᵀ tanh(V₁ᵀ x + b₁) + b₂     (H > 0),      f(x) = V₁ᵀ x + b₁     (H = 0),
///
/// with V₁ ∈ R^{P×H} (R^{P×C} when H = 0), b₁ ∈ R^H, V₂ ∈ R^{H×C}, b₂ ∈ R^C. H = 0 gives a linear
/// regression or a softmax (multinomial logistic) regression.
///
/// Likelihood: a regression has y ~ N(f(x), σ²) with a learned log σ; a classification has
/// y ~ Categorical(softmax(f(x))). Prior, independent: each weight of a layer with fan-in m is
/// N(0, s²/m) (s = `priorScale`; m = P for V₁, H for V₂), each bias N(0, 1), log σ ~ N(0, 1).
/// `logDensity` is the log joint (normalizing constants included) of the training responses and
/// the parameters.
///
/// Parameter layout θ ∈ R^D, D = PH + H + HC + C (+1 for a regression) or PC + C (+1) when H = 0:
/// V₁ column-major (entry (p, h) at p + P·h), then b₁, then V₂ column-major, then b₂, then log σ.
///
/// Cost of a score: O(N·P·H + N·H·C) flops and N·H tanh evaluations for N training rows; a batch of
/// B scores (`gradients(at:into:)`) packs the B first-layer weight matrices side by side so that the
/// first layer's forward pass X·[V₁⁽¹⁾ … V₁⁽ᴮ⁾] and its backward pass Xᵀ·[Δ⁽¹⁾ … Δ⁽ᴮ⁾] are one
/// `dgemm` each; the second layer is B small `dgemm`s. Scratch per batch: 3·N·H·B + N·C·B doubles,
/// allocated per call. Immutable and `Sendable`.
public struct BayesianNeuralNetworkTarget: LogDensityModel, Sendable {
    /// The data; the log density uses its training split, ``testMetrics(draws:)`` its test split.
    public let data: SupervisedData
    /// The number of hidden units H (0: no hidden layer).
    public let hiddenUnits: Int
    /// The prior scale s of the weights (each weight of a layer with fan-in m is N(0, s²/m)).
    public let priorScale: Double
    /// The number of outputs C (1 for a regression).
    public let outputs: Int
    /// The dimension D of θ.
    public let dimension: Int
    /// The prior variance of each coordinate of θ (length D, in the layout of θ): s²/m for a weight
    /// of a layer with fan-in m, 1 for a bias and for log σ. A start at the prior's scale for a fit
    /// reads it.
    public let priorVariance: [Double]
    /// −½ Σⱼ log(2π vⱼ): the prior's normalizing constant.
    private let priorConstant: Double

    /// A network on `data` with `hiddenUnits` hidden units.
    /// - Parameters:
    ///   - data: the table; its response decides the likelihood.
    ///   - hiddenUnits: H ≥ 0.
    ///   - priorScale: s, finite and > 0 (default 1).
    /// - Throws: `VariationalInferenceError.invalidArgument` for H < 0 or a scale that is not finite
    ///   and positive.
    public init(data: SupervisedData, hiddenUnits: Int, priorScale: Double = 1) throws {
        guard hiddenUnits >= 0 else {
            throw VariationalInferenceError.invalidArgument("a network needs H ≥ 0 hidden units, got \(hiddenUnits)")
        }
        guard priorScale > 0, priorScale.isFinite else {
            throw VariationalInferenceError.invalidArgument("the prior scale must be finite and > 0, got \(priorScale)")
        }
        self.data = data
        self.hiddenUnits = hiddenUnits
        self.priorScale = priorScale
        let p = data.inputCount, h = hiddenUnits
        switch data.response {
        case .continuous: outputs = 1
        case .categorical(let classes): outputs = classes
        }
        let c = outputs, s2 = priorScale * priorScale
        var variance = [Double]()
        if h > 0 {
            variance += [Double](repeating: s2 / Double(p), count: p * h) + [Double](repeating: 1, count: h)
            variance += [Double](repeating: s2 / Double(h), count: h * c) + [Double](repeating: 1, count: c)
        } else {
            variance += [Double](repeating: s2 / Double(p), count: p * c) + [Double](repeating: 1, count: c)
        }
        if case .continuous = data.response { variance.append(1) }
        priorVariance = variance
        dimension = variance.count
        priorConstant = variance.reduce(0) { $0 - 0.5 * log(2 * Double.pi * $1) }
    }

    /// log p(y_train, θ). Cost: one forward pass (no backward pass).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length D; a
    ///   recoverable `ModelError` when log σ is beyond ±350 or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        try checkPoint(theta, dimension: dimension)
        var none: Matrix?
        return try evaluate(Matrix(rows: dimension, columns: 1, elements: theta), scores: &none)[0]
    }

    /// log p(y_train, θ) and its gradient (written into `gradient`, resized to D if needed).
    /// - Throws: as ``logDensity(at:)``.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(theta, dimension: dimension)
        var scores: Matrix? = Matrix(rows: dimension, columns: 1)
        let value = try evaluate(Matrix(rows: dimension, columns: 1, elements: theta), scores: &scores)[0]
        gradient = scores?.elements ?? []
        return value
    }

    /// The B scores of the columns of `points` (D×B) into `scores` (replaced by a D×B matrix if it
    /// has another shape), with the batched passes described on the type.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when `points` does not have D rows; a
    ///   recoverable `ModelError` when a column's log σ is beyond ±350 or its value is not finite.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        guard points.rows == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "points", expected: dimension, actual: points.rows)
        }
        if scores.rows != points.rows || scores.columns != points.columns {
            scores = Matrix(rows: points.rows, columns: points.columns)
        }
        var buffer: Matrix? = scores
        scores = Matrix(rows: 0, columns: 0)
        defer { scores = buffer ?? Matrix(rows: points.rows, columns: points.columns) }
        _ = try evaluate(points, scores: &buffer)
    }

    /// The held-out performance of the posterior predictive estimated from S draws of θ (the columns
    /// of `draws`, D×S): p(y | x) ≈ (1/S) Σₛ p(y | x, θₛ) on each test row.
    ///
    /// Cost: S forward passes over the test rows, in blocks of at most 64 draws.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when `draws` does not have D rows;
    ///   `.invalidArgument` when it has no column; a recoverable `ModelError` when a draw's log σ is
    ///   beyond ±350.
    public func testMetrics(draws: Matrix) throws -> PredictiveMetrics {
        guard draws.rows == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "draws", expected: dimension, actual: draws.rows)
        }
        guard draws.columns >= 1 else { throw VariationalInferenceError.invalidArgument("testMetrics needs at least one draw") }
        let x = data.testInputs, y = data.testResponses, n = x.rows, c = outputs, s = draws.columns
        // Per test row: the log of each draw's predictive density, and the running predictive mean.
        var logTerms = [[Double]](repeating: [], count: n)
        var meanOutput = [Double](repeating: 0, count: n * c)
        var start = 0
        while start < s {
            let block = draws.columns(start..<min(s, start + 64))
            let f = forward(inputs: x, parameters: block).outputs
            for b in 0..<block.columns {
                for i in 0..<n {
                    switch data.response {
                    case .continuous:
                        let logSigma = block[dimension - 1, b]
                        let r = y[i] - f[i, b]
                        logTerms[i].append(-0.5 * log(2 * Double.pi) - logSigma - 0.5 * r * r * exp(-2 * logSigma))
                        meanOutput[i] += f[i, b] / Double(s)
                    case .categorical:
                        var largest = -Double.infinity
                        for k in 0..<c { largest = max(largest, f[i, b * c + k]) }
                        var total = 0.0
                        for k in 0..<c { total += exp(f[i, b * c + k] - largest) }
                        let logNormalizer = largest + log(total)
                        logTerms[i].append(f[i, b * c + Int(y[i])] - logNormalizer)
                        for k in 0..<c { meanOutput[i * c + k] += exp(f[i, b * c + k] - logNormalizer) / Double(s) }
                    }
                }
            }
            start += block.columns
        }
        let logS = log(Double(s))
        var lpd = 0.0
        for i in 0..<n {
            let largest = logTerms[i].max() ?? 0
            lpd += largest + log(logTerms[i].reduce(0) { $0 + exp($1 - largest) }) - logS
        }
        lpd /= Double(n)
        switch data.response {
        case .continuous(_, let scale):
            var squares = 0.0
            for i in 0..<n { squares += (y[i] - meanOutput[i]) * (y[i] - meanOutput[i]) }
            let rmse = scale * (squares / Double(n)).squareRoot()
            return PredictiveMetrics(logPredictiveDensity: try finiteValue(lpd - log(scale), "test log predictive density"),
                                     rootMeanSquaredError: rmse, accuracy: nil)
        case .categorical:
            var correct = 0
            for i in 0..<n {
                let row = meanOutput[(i * c)..<((i + 1) * c)]
                if let best = row.indices.max(by: { row[$0] < row[$1] }), best - i * c == Int(y[i]) { correct += 1 }
            }
            return PredictiveMetrics(logPredictiveDensity: try finiteValue(lpd, "test log predictive density"),
                                     rootMeanSquaredError: nil, accuracy: Double(correct) / Double(n))
        }
    }

    /// The network's outputs F (N × C·B: block b holds the C outputs of column b of `parameters`) on
    /// `inputs` (N×P), and the hidden activations Z = tanh(·) (N × H·B; empty when H = 0).
    private func forward(inputs x: Matrix, parameters theta: Matrix) -> (hidden: Matrix, outputs: Matrix) {
        let n = x.rows, p = data.inputCount, h = hiddenUnits, c = outputs, batch = theta.columns
        let firstWidth = h > 0 ? h : c, t = theta.elements, d = theta.rows
        var first = Matrix(rows: p, columns: firstWidth * batch)
        first.withElements { w in
            for b in 0..<batch {
                for k in 0..<(p * firstWidth) { w[b * p * firstWidth + k] = t[b * d + k] }
            }
        }
        var layer = Matrix(rows: n, columns: firstWidth * batch)
        BLAS.gemm(x, first, into: &layer)
        let biasOffset = p * firstWidth
        layer.withElements { a in
            for b in 0..<batch {
                for k in 0..<firstWidth {
                    let bias = t[b * d + biasOffset + k], column = (b * firstWidth + k) * n
                    if h > 0 {
                        for i in 0..<n { a[column + i] = tanh(a[column + i] + bias) }
                    } else {
                        for i in 0..<n { a[column + i] += bias }
                    }
                }
            }
        }
        guard h > 0 else { return (Matrix(rows: n, columns: 0), layer) }
        let secondOffset = biasOffset + h
        var second = Matrix(rows: h, columns: c * batch)
        second.withElements { w in
            for b in 0..<batch {
                for k in 0..<(h * c) { w[b * h * c + k] = t[b * d + secondOffset + k] }
            }
        }
        var output = Matrix(rows: n, columns: c * batch)
        for b in 0..<batch {
            BLAS.gemm(layer, second, into: &output, aColumns: (b * h)..<((b + 1) * h),
                      bColumns: (b * c)..<((b + 1) * c), cColumns: (b * c)..<((b + 1) * c))
        }
        let outputBias = secondOffset + h * c
        output.withElements { f in
            for b in 0..<batch {
                for k in 0..<c {
                    let bias = t[b * d + outputBias + k], column = (b * c + k) * n
                    for i in 0..<n { f[column + i] += bias }
                }
            }
        }
        return (layer, output)
    }

    /// The log joint of each column of `points` (D×B) on the training split, and, when `scores` is
    /// non-nil (a D×B buffer), the scores written into it.
    private func evaluate(_ points: Matrix, scores: inout Matrix?) throws -> [Double] {
        let x = data.trainInputs, y = data.trainResponses
        let n = x.rows, p = data.inputCount, h = hiddenUnits, c = outputs, batch = points.columns, d = dimension
        let theta = points.elements
        let isRegression: Bool
        if case .continuous = data.response { isRegression = true } else { isRegression = false }
        for b in 0..<batch where isRegression {
            let logSigma = theta[b * d + d - 1]
            guard abs(logSigma) <= maximumExponent / 2 else {
                throw ModelError("log σ = \(logSigma) at batch column \(b) is beyond ±\(maximumExponent / 2): σ⁻² would overflow")
            }
        }
        let (hidden, outputMatrix) = forward(inputs: x, parameters: points)
        let output = outputMatrix.elements
        // The log likelihood per column, and G = ∂ log-likelihood / ∂F (N × C·B).
        var values = [Double](repeating: 0, count: batch)
        var outputGradient = Matrix(rows: n, columns: scores == nil ? 0 : c * batch)
        var noiseGradient = [Double](repeating: 0, count: batch)
        let wantScores = scores != nil
        try outputGradient.withElements { g in
            for b in 0..<batch {
                var total = 0.0
                if isRegression {
                    let logSigma = theta[b * d + d - 1], precision = exp(-2 * logSigma)
                    var squares = 0.0
                    for i in 0..<n {
                        let r = y[i] - output[b * n + i]
                        squares += r * r
                        if wantScores { g[b * n + i] = r * precision }
                    }
                    total = -Double(n) * (0.5 * log(2 * Double.pi) + logSigma) - 0.5 * squares * precision
                    noiseGradient[b] = -Double(n) + squares * precision
                } else {
                    for i in 0..<n {
                        var largest = -Double.infinity
                        for k in 0..<c { largest = max(largest, output[(b * c + k) * n + i]) }
                        var sum = 0.0
                        for k in 0..<c { sum += exp(output[(b * c + k) * n + i] - largest) }
                        let logNormalizer = largest + log(sum), label = Int(y[i])
                        total += output[(b * c + label) * n + i] - logNormalizer
                        if wantScores {
                            for k in 0..<c {
                                g[(b * c + k) * n + i] = (k == label ? 1 : 0) - exp(output[(b * c + k) * n + i] - logNormalizer)
                            }
                        }
                    }
                }
                var prior = priorConstant
                for j in 0..<d { prior -= 0.5 * theta[b * d + j] * theta[b * d + j] / priorVariance[j] }
                values[b] = try finiteValue(total + prior, "network log density (batch column \(b))")
            }
        }
        guard var score = scores else { return values }
        scores = nil
        // Backward pass: ∂/∂(first-layer pre-activations) Δ (N × width·B), then Xᵀ Δ in one dgemm.
        let firstWidth = h > 0 ? h : c
        var delta: Matrix
        var secondGradient = Matrix(rows: h, columns: h > 0 ? c * batch : 0)
        if h > 0 {
            var second = Matrix(rows: h, columns: c * batch)
            let secondOffset = p * h + h
            second.withElements { w in
                for b in 0..<batch {
                    for k in 0..<(h * c) { w[b * h * c + k] = theta[b * d + secondOffset + k] }
                }
            }
            delta = Matrix(rows: n, columns: h * batch)
            for b in 0..<batch {
                let hiddenColumns = (b * h)..<((b + 1) * h), outputColumns = (b * c)..<((b + 1) * c)
                BLAS.gemm(hidden, outputGradient, transA: .transpose, into: &secondGradient,
                          aColumns: hiddenColumns, bColumns: outputColumns, cColumns: outputColumns)
                BLAS.gemm(outputGradient, second, transB: .transpose, into: &delta,
                          aColumns: outputColumns, bColumns: outputColumns, cColumns: hiddenColumns)
            }
            let activations = hidden.elements
            delta.withElements { e in
                activations.withUnsafeBufferPointer { z in
                    for k in 0..<e.count { e[k] *= 1 - z[k] * z[k] }
                }
            }
        } else {
            delta = outputGradient
        }
        var firstGradient = Matrix(rows: p, columns: firstWidth * batch)
        BLAS.gemm(x, delta, transA: .transpose, into: &firstGradient)
        let firstElements = firstGradient.elements, secondElements = secondGradient.elements
        let deltaElements = delta.elements, outputElements = outputGradient.elements
        func columnSum(_ m: [Double], _ column: Int) -> Double {
            var sum = 0.0
            for i in (column * n)..<((column + 1) * n) { sum += m[i] }
            return sum
        }
        score.withElements { s in
            for b in 0..<batch {
                let base = b * d
                for k in 0..<(p * firstWidth) { s[base + k] = firstElements[b * p * firstWidth + k] }
                var offset = p * firstWidth
                for k in 0..<firstWidth { s[base + offset + k] = columnSum(deltaElements, b * firstWidth + k) }
                offset += firstWidth
                if h > 0 {
                    for k in 0..<(h * c) { s[base + offset + k] = secondElements[b * h * c + k] }
                    offset += h * c
                    for k in 0..<c { s[base + offset + k] = columnSum(outputElements, b * c + k) }
                    offset += c
                }
                if isRegression { s[base + offset] = noiseGradient[b] }
                for j in 0..<d { s[base + j] -= theta[base + j] / priorVariance[j] }
            }
        }
        guard score.isFinite else { throw ModelError("network score is not finite") }
        scores = score
        return values
    }
}

/// Held-out performance of a posterior predictive (``BayesianNeuralNetworkTarget/testMetrics(draws:)``).
public struct PredictiveMetrics: Sendable, Equatable {
    /// The mean over test rows of log p(yᵢ | xᵢ, training data), in the response's original units.
    public var logPredictiveDensity: Double
    /// Regression: the root mean squared error of the predictive mean, original units; nil otherwise.
    public var rootMeanSquaredError: Double?
    /// Classification: the fraction of test rows whose most probable class (under the averaged
    /// probabilities) is the label; nil otherwise.
    public var accuracy: Double?
}
