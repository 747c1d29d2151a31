import Foundation
import LowRankLinalg
import Targets
import Testing
import TestSupport
import VariationalInference

/// The embedded UCI tables against the split documented with them, and the network's log density
/// and held-out metrics against a loop-by-loop reference written from the documented formulas.
@Suite("Bayesian neural network target") struct BayesianNeuralNetworkTargetTests {
    @Test func diabetesSplitMatchesItsRecord() throws {
        let data = SupervisedData.diabetes
        #expect(data.trainInputs.rows == 353 && data.testInputs.rows == 89 && data.inputCount == 10)
        #expect(Array(data.testRows.prefix(10)) == [2, 9, 14, 15, 18, 23, 24, 29, 39, 44])
        guard case .continuous(let mean, let scale) = data.response else {
            Issue.record("diabetes should be a regression")
            return
        }
        #expect(mean > 100 && mean < 200 && scale > 50 && scale < 100)
        for j in 0..<10 {
            let column = (0..<353).map { data.trainInputs[$0, j] }
            let average = column.reduce(0, +) / 353
            let variance = column.reduce(0) { $0 + ($1 - average) * ($1 - average) } / 353
            #expect(abs(average) < 1e-12 && abs(variance - 1) < 1e-12)
        }
        #expect(abs(data.trainResponses.reduce(0, +)) < 1e-9)
    }

    @Test func digitsSplitMatchesItsRecord() throws {
        let data = SupervisedData.digits
        #expect(data.trainInputs.rows == 1437 && data.testInputs.rows == 360 && data.inputCount == 64)
        #expect(data.response == .categorical(classes: 10))
        #expect(Array(data.testRows.prefix(10)) == [2, 7, 11, 14, 18, 30, 45, 47, 52, 53])
        let perLabel = (0..<10).map { label in data.testResponses.filter { $0 == Double(label) }.count }
        #expect(perLabel == [29, 45, 35, 29, 37, 41, 42, 30, 46, 26])
        let trainPerLabel = (0..<10).map { label in data.trainResponses.filter { $0 == Double(label) }.count }
        #expect(trainPerLabel == [149, 137, 142, 154, 144, 141, 139, 149, 128, 154])
    }

    @Test func badDataAndSettingsThrow() throws {
        #expect(throws: VariationalInferenceError.self) {
            try SupervisedData(name: "ragged", inputs: [[1, 2], [3]], responses: [0, 1], isTest: [false, true])
        }
        #expect(throws: VariationalInferenceError.self) {
            try SupervisedData(name: "label", inputs: [[1], [2], [3]], responses: [0, 2, 1], isTest: [false, false, true], classes: 2)
        }
        #expect(throws: VariationalInferenceError.self) {
            try SupervisedData(name: "no test", inputs: [[1], [2]], responses: [0, 1], isTest: [false, false])
        }
        #expect(throws: VariationalInferenceError.self) { try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: -1) }
        #expect(throws: VariationalInferenceError.self) { try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: 2, priorScale: 0) }
        let target = try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: 2)
        #expect(throws: VariationalInferenceError.self) { try target.logDensity(at: [0]) }
        var theta = [Double](repeating: 0, count: target.dimension)
        theta[target.dimension - 1] = -400
        #expect(throws: ModelError.self) { try target.logDensity(at: theta) }
    }

    /// A small table (N = 12, P = 3) with a regression or a 3-class response.
    static func smallData(classes: Int?) throws -> SupervisedData {
        var rng = Xoshiro256StarStar(seed: 31)
        let inputs = (0..<12).map { _ in rng.standardNormals(3).map { 2 * $0 + 1 } }
        let responses = (0..<12).map { i in classes.map { Double(i % $0) } ?? 3 + 5 * inputs[i][0] + rng.nextStandardNormal() }
        return try SupervisedData(name: "small", inputs: inputs, responses: responses,
                                  isTest: (0..<12).map { $0 % 4 == 3 }, classes: classes)
    }

    /// The network's outputs at one input, loop by loop from the documented layout.
    static func network(_ theta: [Double], _ x: [Double], hidden h: Int, outputs c: Int) -> [Double] {
        let p = x.count
        guard h > 0 else {
            return (0..<c).map { k in (0..<p).reduce(theta[p * c + k]) { $0 + theta[$1 + p * k] * x[$1] } }
        }
        let z = (0..<h).map { j in tanh((0..<p).reduce(theta[p * h + j]) { $0 + theta[$1 + p * j] * x[$1] }) }
        let second = p * h + h
        return (0..<c).map { k in (0..<h).reduce(theta[second + h * c + k]) { $0 + theta[second + $1 + h * k] * z[$1] } }
    }

    /// log N(v; 0, variance).
    static func logNormal(_ v: Double, _ variance: Double) -> Double {
        -0.5 * log(2 * Double.pi * variance) - 0.5 * v * v / variance
    }

    /// The log joint from the documented likelihood and prior, written without the target's code.
    static func referenceLogJoint(_ target: BayesianNeuralNetworkTarget, _ theta: [Double]) -> Double {
        let data = target.data, p = data.inputCount, h = target.hiddenUnits, c = target.outputs
        var total = 0.0
        for i in 0..<data.trainInputs.rows {
            let x = (0..<p).map { data.trainInputs[i, $0] }
            let f = network(theta, x, hidden: h, outputs: c)
            if case .continuous = data.response {
                let sigma = exp(theta[target.dimension - 1])
                total += logNormal(data.trainResponses[i] - f[0], sigma * sigma)
            } else {
                total += f[Int(data.trainResponses[i])] - log(f.reduce(0) { $0 + exp($1) })
            }
        }
        var index = 0
        func prior(_ count: Int, _ variance: Double) {
            for _ in 0..<count {
                total += logNormal(theta[index], variance)
                index += 1
            }
        }
        if h > 0 {
            prior(p * h, 1 / Double(p)); prior(h, 1); prior(h * c, 1 / Double(h)); prior(c, 1)
        } else {
            prior(p * c, 1 / Double(p)); prior(c, 1)
        }
        if case .continuous = data.response { prior(1, 1) }
        return total
    }

    @Test(arguments: [(nil, 4), (3, 4), (nil, 0), (3, 0)] as [(Int?, Int)])
    func logDensityMatchesReference(classes: Int?, hidden: Int) throws {
        let data = try Self.smallData(classes: classes)
        let target = try BayesianNeuralNetworkTarget(data: data, hiddenUnits: hidden)
        let c = classes ?? 1
        let expectedD = (hidden > 0 ? 3 * hidden + hidden + hidden * c + c : 3 * c + c) + (classes == nil ? 1 : 0)
        #expect(target.dimension == expectedD)
        var rng = Xoshiro256StarStar(seed: 32)
        for _ in 0..<3 {
            let theta = rng.standardNormals(target.dimension).map { 0.7 * $0 }
            #expect(relativeError(try target.logDensity(at: theta), Self.referenceLogJoint(target, theta)) < 1e-12)
        }
    }

    /// `priorVariance` in θ's documented layout: s²/P for V₁, 1 for b₁, s²/H for V₂, 1 for b₂ and log σ.
    @Test(arguments: [(nil, 4), (3, 4), (nil, 0), (3, 0)] as [(Int?, Int)])
    func priorVarianceFollowsTheLayout(classes: Int?, hidden: Int) throws {
        let data = try Self.smallData(classes: classes)
        let target = try BayesianNeuralNetworkTarget(data: data, hiddenUnits: hidden, priorScale: 2)
        let c = classes ?? 1, p = 3.0
        func run(_ count: Int, _ value: Double) -> [Double] { [Double](repeating: value, count: count) }
        var expected = hidden > 0
            ? run(3 * hidden, 4 / p) + run(hidden, 1) + run(hidden * c, 4 / Double(hidden)) + run(c, 1)
            : run(3 * c, 4 / p) + run(c, 1)
        if classes == nil { expected.append(1) }
        #expect(target.priorVariance == expected)
    }

    @Test(arguments: [nil, 3] as [Int?])
    func testMetricsMatchReference(classes: Int?) throws {
        let data = try Self.smallData(classes: classes)
        let target = try BayesianNeuralNetworkTarget(data: data, hiddenUnits: 2)
        var rng = Xoshiro256StarStar(seed: 33)
        let draws = (0..<70).map { _ in rng.standardNormals(target.dimension).map { 0.6 * $0 } }
        let metrics = try target.testMetrics(draws: Matrix(columns: draws))
        let n = data.testInputs.rows
        var lpd = 0.0, squares = 0.0, correct = 0
        for i in 0..<n {
            let x = (0..<3).map { data.testInputs[i, $0] }, y = data.testResponses[i]
            let outputs = draws.map { Self.network($0, x, hidden: 2, outputs: target.outputs) }
            if case .continuous(_, let scale) = data.response {
                let densities = zip(draws, outputs).map { theta, f in
                    exp(Self.logNormal(scale * (y - f[0]), pow(scale * exp(theta[target.dimension - 1]), 2)))
                }
                lpd += log(densities.reduce(0, +) / 70)
                let mean = outputs.reduce(0) { $0 + $1[0] } / 70
                squares += pow(scale * (y - mean), 2)
            } else {
                let probabilities = outputs.map { f in f.map { exp($0) / f.reduce(0) { $0 + exp($1) } } }
                let average = (0..<3).map { k in probabilities.reduce(0) { $0 + $1[k] } / 70 }
                lpd += log(average[Int(y)])
                if average.indices.max(by: { average[$0] < average[$1] }) == Int(y) { correct += 1 }
            }
        }
        #expect(relativeError(metrics.logPredictiveDensity, lpd / Double(n)) < 1e-10)
        if classes == nil {
            #expect(relativeError(try #require(metrics.rootMeanSquaredError), (squares / Double(n)).squareRoot()) < 1e-10)
            #expect(metrics.accuracy == nil)
        } else {
            #expect(metrics.accuracy == Double(correct) / Double(n))
            #expect(metrics.rootMeanSquaredError == nil)
        }
    }
}
