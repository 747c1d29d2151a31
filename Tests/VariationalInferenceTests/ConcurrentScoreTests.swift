import LowRankLinalg
import Targets
import Testing
@testable import VariationalInference

/// The concurrent default of `gradients(at:into:)` for `ConcurrentLogDensityModel`s: bit-identical to
/// the serial default, reached by generic calls, and throwing what the serial default throws.
@Suite("Concurrent scores") struct ConcurrentScoreTests {
    @Test(arguments: [1, 2, 7, 32])
    func itemResponseScoresAreBitIdenticalToSerialDefault(batch: Int) throws {
        var rng = Xoshiro256StarStar(seed: 41)
        let target = try ItemResponseTarget.synthetic(students: 60, items: 10, using: &rng)
        let truth = try #require(target.trueParameters)
        let noise = rng.standardNormalMatrix(rows: target.dimension, columns: batch)
        try expectBitIdenticalScores(target, at: Matrix(rows: target.dimension, columns: batch) { i, b in
            truth[i] + 0.3 * noise[i, b]
        })
    }

    @Test(arguments: [1, 2, 7, 32])
    func sinhArcsinhScoresAreBitIdenticalToSerialDefault(batch: Int) throws {
        var rng = Xoshiro256StarStar(seed: 42)
        let target = try SinhArcsinhTarget(dimension: 12, skew: 0.4, tailWeight: 0.8)
        try expectBitIdenticalScores(target, at: rng.standardNormalMatrix(rows: target.dimension, columns: batch))
    }

    /// The scores of `model` at `points`, with its own worker count and with 3 workers, equal the
    /// serial default's bit for bit.
    func expectBitIdenticalScores<Model: ConcurrentLogDensityModel>(_ model: Model, at points: Matrix) throws {
        var serial = Matrix(rows: points.rows, columns: points.columns)
        try SerialModel(base: model).gradients(at: points, into: &serial)
        var concurrent = Matrix(rows: points.rows, columns: points.columns, repeating: .nan)
        try model.gradients(at: points, into: &concurrent)
        #expect(concurrent == serial)
        var threeWorkers = Matrix(rows: points.rows, columns: points.columns, repeating: .nan)
        try WorkerCountModel(base: model, scoreWorkers: 3).gradients(at: points, into: &threeWorkers)
        #expect(threeWorkers == serial)
    }

    @Test func genericCallsReachTheConcurrentDefault() throws {
        let model = WorkerReadCountingModel(dimension: 3)
        let points = Matrix(rows: 3, columns: 4) { i, b in Double(i + 3 * b) }
        var scores = Matrix(rows: 3, columns: 4)
        try scoresThroughGenericCall(model, at: points, into: &scores)
        #expect(model.workerReads == 1)
        #expect(scores == -1 * points)
        var batch = points, evaluations = 0
        #expect(try evaluateScores(model, at: &batch, into: &scores, redrawLimit: 0, evaluations: &evaluations) { _, _ in } == nil)
        #expect(evaluations == 4)
        #expect(model.workerReads == 2)
        let existential: any LogDensityModel = model
        try existential.gradients(at: points, into: &scores)
        #expect(model.workerReads == 3)
    }

    /// `model.gradients` from a context that knows only `LogDensityModel`.
    func scoresThroughGenericCall<Model: LogDensityModel>(_ model: Model, at points: Matrix,
                                                          into scores: inout Matrix) throws {
        try model.gradients(at: points, into: &scores)
    }

    @Test(arguments: [2, 3], [[3, 6], [6, 1], [0, 5]])
    func lowestFailingColumnErrorIsRethrown(workers: Int, failing: [Int]) {
        let model = FailingColumnsModel(dimension: 2, failingColumns: Set(failing), scoreWorkers: workers)
        let points = Matrix(rows: 2, columns: 8) { _, b in Double(b) }
        var scores = Matrix(rows: 2, columns: 8)
        #expect(throws: ModelError("column \(failing.min() ?? -1)")) {
            try model.gradients(at: points, into: &scores)
        }
    }

    @Test func wrongLengthGradientThrowsDimensionMismatch() {
        let model = ConcurrentShortGradientModel(dimension: 4)
        var scores = Matrix(rows: 4, columns: 5)
        #expect(throws: VariationalInferenceError.dimensionMismatch(what: "model gradient", expected: 4, actual: 3)) {
            try model.gradients(at: Matrix(rows: 4, columns: 5), into: &scores)
        }
    }

    @Test func scoresOfAnotherShapeAreReplaced() throws {
        let model = FailingColumnsModel(dimension: 2, failingColumns: [], scoreWorkers: 2)
        let points = Matrix(rows: 2, columns: 3) { i, b in Double(b + i) }
        var scores = Matrix(rows: 1, columns: 1)
        try model.gradients(at: points, into: &scores)
        #expect(scores == points)
    }
}
