import LowRankLinalg
import Testing
@testable import VariationalInference

/// log p = −[(1 − x)² + 100(y − x²)²] (Rosenbrock), mode (1, 1); points with x > `wall` are outside
/// the support (a recoverable `ModelError`).
struct RosenbrockModel: LogDensityModel {
    var wall = Double.infinity
    let dimension = 2
    func logDensity(at x: [Double]) throws -> Double {
        guard x[0] <= wall else { throw ModelError("x = \(x[0]) beyond the wall") }
        return -((1 - x[0]) * (1 - x[0]) + 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]))
    }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        let value = try logDensity(at: x)
        let r = x[1] - x[0] * x[0]
        gradient[0] = 2 * (1 - x[0]) + 400 * x[0] * r
        gradient[1] = -200 * r
        return value
    }
}

@Suite("Mode search") struct ModeSearchTests {
    @Test func findsTheModeOfANonGaussianTarget() throws {
        let result = try ModeSearch().run(RosenbrockModel(), from: [-1.2, 1])
        #expect(result.converged)
        #expect(abs(result.point[0] - 1) < 1e-6 && abs(result.point[1] - 1) < 1e-6, "\(result.point)")
        #expect(result.iterations < 100 && result.evaluations < 200, "\(result.iterations), \(result.evaluations)")
        let walled = try ModeSearch().run(RosenbrockModel(wall: 1.05), from: [-1.2, 1])
        #expect(walled.converged && abs(walled.point[0] - 1) < 1e-6)
    }

    /// The reliability issue's target: N(1e8·1, diag(1 … 100)) in D = 6. From the default start pBaM's
    /// mean ends far from 1e8 after 30 iterations; from the mode search's start it is within 0.05
    /// posterior sds in every coordinate, as is dense BaM's.
    @Test func aTargetFarFromTheStartIsReachedFromTheMode() throws {
        let model = HostileModel(dimension: 6, center: 1e8, condition: 100)
        let mode = try ModeSearch().run(model)
        #expect(mode.converged && mode.evaluations < 60, "\(mode.evaluations) evaluations")
        for (i, x) in mode.point.enumerated() { #expect(abs(x - 1e8) < 1e-3 * model.scales[i].squareRoot()) }
        #expect(mode.varianceScale >= 1 && mode.varianceScale <= 100, "\(mode.varianceScale)")

        func worstError(_ q: some GaussianApproximation) -> Double {
            (0..<6).map { abs(q.mean[$0] - 1e8) / model.scales[$0].squareRoot() }.max()!
        }
        var generator = Xoshiro256StarStar(seed: 9)
        let options = FitOptions(maxIterations: 30)
        let pBaM = try PatchedBaM(rank: 2, batchSize: 8, schedule: .decaying(initial: 48, exponent: 1))
        let cold = try fit(pBaM, model: model, using: &generator, options: options)
        var warm = pBaM
        warm.initialization = .given(try mode.lowRankStart(rank: 2, using: &generator))
        let fromMode = try fit(warm, model: model, using: &generator, options: options)
        #expect(worstError(cold.approximation) > 1e3, "the default start does not get there")
        #expect(worstError(fromMode.approximation) < 0.05, "pBaM from the mode: \(worstError(fromMode.approximation)) sds")
        let bam = try BatchAndMatch(batchSize: 8, schedule: .decaying(initial: 48, exponent: 1),
                                    initialization: try mode.denseStart())
        let dense = try fit(bam, model: model, using: &generator, options: options)
        #expect(worstError(dense.approximation) < 0.05, "dense BaM from the mode: \(worstError(dense.approximation)) sds")
        #expect(try mode.diagonalStart().mean == mode.point)
    }

    /// `.mode(search)` run by `fit` gives, bit for bit, the fit a user builds by hand (search, then
    /// `.given(lowRankStart)` from the same generator, with the budget less the search's
    /// evaluations), for pBaM and ADVI-LR; the search's evaluations count in the result and its
    /// budget and the search is reported; a warm start runs no search; a budget the search uses up
    /// is a typed failure holding the start; `initialState(dimension:)` cannot run the search; an
    /// unconverged search still starts the fit and says so; the model's error at the origin is
    /// thrown as it is.
    @Test func aModeStartInTheFitIsTheHandMadeOne() throws {
        let model = HostileModel(dimension: 6, center: 1e8, condition: 100)
        let search = try ModeSearch()
        let mode = try search.run(model)
        let budget = 400
        try #require(mode.evaluations < budget / 2)

        func compare<A: VariationalAlgorithm>(_ automatic: A, _ byHand: (LowRankInitialization) throws -> A)
            throws -> A.Approximation where A.Approximation == LowRankGaussian {
            var generator = Xoshiro256StarStar(seed: 3), handGenerator = Xoshiro256StarStar(seed: 3)
            let result = try fit(automatic, model: model, using: &generator,
                                 options: FitOptions(maxGradientEvaluations: budget))
            let start = try mode.lowRankStart(rank: 2, using: &handGenerator)
            let hand = try fit(try byHand(.given(start)), model: model, using: &handGenerator,
                               options: FitOptions(maxGradientEvaluations: budget - mode.evaluations))
            #expect(result.approximation.mean == hand.approximation.mean)
            #expect(result.approximation.psi == hand.approximation.psi)
            #expect(result.approximation.lambda == hand.approximation.lambda)
            #expect(result.iterations == hand.iterations && result.iterations > 0)
            #expect(result.gradientEvaluations == hand.gradientEvaluations + mode.evaluations)
            #expect(result.gradientEvaluations <= budget + 8)
            #expect(generator.next() == handGenerator.next(), "the same draws, in the same order")
            #expect(result.modeSearch?.evaluations == mode.evaluations && result.modeSearch?.converged == true)
            #expect(hand.modeSearch == nil)

            let warm = try fit(automatic, model: model, using: &generator, options: FitOptions(maxIterations: 2),
                               from: result.state)
            #expect(warm.modeSearch == nil && warm.gradientEvaluations == 16, "a warm start runs no search")

            var short = Xoshiro256StarStar(seed: 3)
            do {
                _ = try fit(automatic, model: model, using: &short, options: FitOptions(maxGradientEvaluations: mode.evaluations))
                Issue.record("a budget the search uses up must not pass as a fit")
            } catch let failure as FitFailure<LowRankGaussian> {
                #expect(failure.underlying as? VariationalInferenceError
                        == .budgetSpentOnStart(evaluations: mode.evaluations, budget: mode.evaluations))
                #expect(failure.lastGood.mean == mode.point && failure.gradientEvaluations == mode.evaluations)
                #expect(String(describing: failure).contains("raise maxGradientEvaluations"))
            }
            var unused = Xoshiro256StarStar(seed: 3)
            #expect(throws: VariationalInferenceError.self) { try automatic.initialState(dimension: 6, using: &unused) }
            return result.approximation
        }

        let schedule = LearningRateSchedule.decaying(initial: 48, exponent: 1)
        let pBaM = try compare(try PatchedBaM(rank: 2, batchSize: 8, schedule: schedule, initialization: .mode(search))) {
            try PatchedBaM(rank: 2, batchSize: 8, schedule: schedule, initialization: $0)
        }
        let worst = (0..<6).map { abs(pBaM.mean[$0] - 1e8) / model.scales[$0].squareRoot() }.max() ?? .infinity
        #expect(worst < 0.05, "pBaM from the mode: \(worst) sds")
        let adam = try Adam(schedule: .constant(0.01))
        _ = try compare(try ADVILowRank(rank: 2, batchSize: 8, optimizer: adam, initialization: .mode(search))) {
            try ADVILowRank(rank: 2, batchSize: 8, optimizer: adam, initialization: $0)
        }

        var generator = Xoshiro256StarStar(seed: 4)
        let oneStep = try PatchedBaM(rank: 2, batchSize: 8, schedule: schedule, initialization: .mode(try ModeSearch(maxIterations: 1)))
        let unconverged = try fit(oneStep, model: model, using: &generator, options: FitOptions(maxIterations: 3))
        #expect(unconverged.modeSearch?.converged == false && unconverged.iterations == 3)
        #expect(throws: ModelError.self, "the model's error at the origin") {
            try fit(try PatchedBaM(rank: 1, batchSize: 4, initialization: .mode(search)), model: RosenbrockModel(wall: -1),
                    using: &generator, options: FitOptions(maxIterations: 3))
        }
    }

    @Test func badInputsAreClearErrors() {
        #expect(throws: VariationalInferenceError.self) { try ModeSearch(maxIterations: 0) }
        #expect(throws: VariationalInferenceError.self) { try ModeSearch(gradientTolerance: .nan) }
        #expect(throws: VariationalInferenceError.self) { try ModeSearch(memory: 0) }
        #expect(throws: VariationalInferenceError.self) { try ModeSearch().run(RosenbrockModel(), from: [0]) }
        #expect(throws: VariationalInferenceError.self) { try ModeSearch().run(RosenbrockModel(), from: [.nan, 0]) }
        let flat = try? ModeSearch().run(HostileModel(dimension: 3, flat: true))
        #expect(flat?.iterations == 0 && flat?.point == [0, 0, 0], "a flat target has nowhere to go")
    }
}
