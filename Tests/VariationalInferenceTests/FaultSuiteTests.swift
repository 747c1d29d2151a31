import LowRankLinalg
import Testing
@testable import VariationalInference

/// What a hostile batch does: nothing, NaN at one coordinate, +∞ in a whole column, a recoverable or
/// a fatal `ModelError`.
enum Fault: Sendable {
    case none, nanCoordinate, infiniteColumn, recoverable, fatal
}

/// A Gaussian target N(center, diag(scales)) (or a flat, improper one) whose batches misbehave on a
/// deterministic schedule: `fault(batch)` says what batch number `batch` (0-based) does.
final class HostileModel: LogDensityModel {
    let dimension: Int
    let center: Double
    let scales: [Double]
    let flat: Bool
    let fault: @Sendable (Int) -> Fault
    private var batch = 0

    init(dimension: Int, center: Double = 0, condition: Double = 1, flat: Bool = false,
         fault: @escaping @Sendable (Int) -> Fault = { _ in .none }) {
        self.dimension = dimension
        self.center = center
        scales = (0..<dimension).map { i in dimension == 1 ? 1 : _exp(_log(condition) * Double(i) / Double(dimension - 1)) }
        self.flat = flat
        self.fault = fault
    }

    func logDensity(at x: [Double]) throws -> Double {
        flat ? 0 : (0..<dimension).reduce(0) { $0 - 0.5 * (x[$1] - center) * (x[$1] - center) / scales[$1] }
    }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        for i in 0..<dimension { gradient[i] = flat ? 0 : -(x[i] - center) / scales[i] }
        return try logDensity(at: x)
    }
    func gradients(at points: Matrix, into scores: inout Matrix) throws {
        defer { batch += 1 }
        switch fault(batch) {
        case .recoverable: throw ModelError("hostile: recoverable failure on batch \(batch)")
        case .fatal: throw ModelError("hostile: fatal failure on batch \(batch)", isRecoverable: false)
        default: break
        }
        for j in 0..<points.columns {
            for i in 0..<dimension { scores[i, j] = flat ? 0 : -(points[i, j] - center) / scales[i] }
        }
        switch fault(batch) {
        case .nanCoordinate: scores[dimension / 2, 0] = .nan
        case .infiniteColumn: for i in 0..<dimension { scores[i, points.columns - 1] = .infinity }
        default: break
        }
    }
}

/// Faults that strike a fraction of the batches, from a hash of the batch number.
func randomly(_ fraction: Double, _ fault: Fault) -> @Sendable (Int) -> Fault {
    { batch in
        var generator = Xoshiro256StarStar(seed: UInt64(batch) &* 0x9E37_79B9 &+ 17)
        return generator.uniforms(1)[0] < fraction ? fault : .none
    }
}

/// The fault suite of issue 12: every algorithm against scheduled NaN/±∞ scores, recoverable and
/// fatal model errors at several rates, hostile targets, extreme starts and hyper-parameters, and
/// warm starts from states of another batch size or rank. Each case must end in a finite
/// approximation — returned, or carried by a `FitFailure` — or a typed error; a trap fails the whole
/// test run. The counts are in the README's "Reliability" section.
@Suite("Fault suite") struct FaultSuiteTests {
    static let d = 6

    /// Whether q's mean and marginal variances are finite and the variances > 0.
    static func isFinite(_ q: any GaussianApproximation) -> Bool {
        q.mean.allSatisfy(\.isFinite) && q.marginalVariances.allSatisfy { $0.isFinite && $0 > 0 }
    }

    /// Runs the fit and says whether it ended acceptably, with a description that fits in a line.
    static func outcome<A: VariationalAlgorithm>(_ algorithm: A, _ model: some LogDensityModel, iterations: Int = 30,
                                                 from state: A.State? = nil) -> (acceptable: Bool, what: String) {
        var generator = Xoshiro256StarStar(seed: 5)
        do {
            let result = try fit(algorithm, model: model, using: &generator, options: FitOptions(maxIterations: iterations),
                                 from: state)
            return (isFinite(result.approximation), "finished, \(result.acceptedSteps) accepted")
        } catch let failure as FitFailure<A.Approximation> {
            let typed = failure.underlying is ModelError || failure.underlying is LinearAlgebraError
                || failure.underlying is VariationalInferenceError || failure.underlying is AlgorithmError
                || failure.underlying is PatchError
            return (typed && isFinite(failure.lastGood), "FitFailure(\(failure.underlying))")
        } catch let error as VariationalInferenceError {
            return (true, "\(error)")
        } catch {
            return (false, "untyped \(error)")
        }
    }

    static func pBaM(batch: Int = 4, rank: Int = 2, initial: Double = 24) throws -> PatchedBaM {
        try PatchedBaM(rank: rank, batchSize: batch, schedule: .decaying(initial: initial, exponent: 1))
    }
    static func bam(batch: Int = 4, initial: Double = 24) throws -> BatchAndMatch {
        try BatchAndMatch(batchSize: batch, schedule: .decaying(initial: initial, exponent: 1))
    }
    static func adam(_ rate: Double = 0.05) throws -> Adam { try Adam(schedule: .constant(rate)) }

    static let models: [(String, @Sendable () -> HostileModel)] = [
        ("NaN at a coordinate, always", { HostileModel(dimension: d, fault: { _ in .nanCoordinate }) }),
        ("NaN at a coordinate on batch 3", { HostileModel(dimension: d, fault: { $0 == 3 ? .nanCoordinate : .none }) }),
        ("+∞ column on 20% of batches", { HostileModel(dimension: d, fault: randomly(0.2, .infiniteColumn)) }),
        ("recoverable error on 5%", { HostileModel(dimension: d, fault: randomly(0.05, .recoverable)) }),
        ("recoverable error on 30%", { HostileModel(dimension: d, fault: randomly(0.3, .recoverable)) }),
        ("recoverable error always", { HostileModel(dimension: d, fault: { _ in .recoverable }) }),
        ("fatal error on batch 2", { HostileModel(dimension: d, fault: { $0 == 2 ? .fatal : .none }) }),
        ("flat improper target", { HostileModel(dimension: d, flat: true) }),
        ("condition 1e12", { HostileModel(dimension: d, condition: 1e12) }),
        ("condition 1e14", { HostileModel(dimension: d, condition: 1e14) }),
        ("mean at 1e8", { HostileModel(dimension: d, center: 1e8) }),
    ]

    @Test(arguments: 0..<11) func everyAlgorithmSurvivesTheHostileModel(index: Int) throws {
        let (name, make) = Self.models[index]
        let cases: [(String, (acceptable: Bool, what: String))] = [
            ("pBaM", Self.outcome(try Self.pBaM(), make())),
            ("BaM", Self.outcome(try Self.bam(), make())),
            ("ADVI-LR", Self.outcome(try ADVILowRank(rank: 2, batchSize: 4, optimizer: try Self.adam()), make())),
            ("ADVI-D", Self.outcome(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam()), make())),
            ("ADVI-full", Self.outcome(try ADVIFullRank(batchSize: 4, optimizer: try Self.adam()), make())),
        ]
        for (algorithm, result) in cases {
            #expect(result.acceptable, "\(algorithm) on \(name): \(result.what)")
            #expect(result.what.count < 400, "\(algorithm) on \(name): a bounded description")
        }
    }

    @Test func extremeButFiniteSettingsEndFiniteOrTyped() throws {
        let model = HostileModel(dimension: Self.d)
        let results = [
            Self.outcome(try Self.pBaM(initial: 1e300), model),
            Self.outcome(try Self.bam(initial: 1e300), model),
            Self.outcome(try Self.pBaM(initial: 1e-300), model),
            Self.outcome(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam(1e6)), model),
            Self.outcome(try ADVILowRank(rank: 2, batchSize: 4, optimizer: try Self.adam(1e6)), model),
        ]
        for result in results { #expect(result.acceptable, "\(result.what)") }
        #expect(throws: LinearAlgebraError.self) {
            try LowRankGaussian(mean: [0, 0, 0], psi: [1, 1, 1], lambda: Matrix(rows: 3, columns: 1, repeating: 1e200))
        }
        #expect(throws: LinearAlgebraError.self) {
            try LowRankGaussian(mean: [0, 0, 0], psi: [1e-310, 1, 1], lambda: Matrix(rows: 3, columns: 1, repeating: 1))
        }
        #expect(throws: VariationalInferenceError.self) {
            try LowRankGaussian(mean: [], psi: [], lambda: Matrix(rows: 0, columns: 1))
        }
    }

    @Test func hugeBatchesAndRanksAreTypedErrors() {
        #expect(throws: VariationalInferenceError.self) { try Self.pBaM(batch: Int.max) }
        #expect(throws: VariationalInferenceError.self) { try Self.pBaM(rank: Int.max - 1) }
        #expect(throws: VariationalInferenceError.self) { try Self.bam(batch: Int.max) }
        #expect(throws: VariationalInferenceError.self) { try ADVIDiagonal(batchSize: Int.max, optimizer: try Self.adam()) }
        #expect(throws: VariationalInferenceError.self) {
            var generator = Xoshiro256StarStar(seed: 1)
            let huge = Int(Int32.max) - 2
            _ = try Self.pBaM(batch: huge, rank: huge).initialState(dimension: huge, using: &generator)
        }
    }

    /// Whether `body` fails with a `FitFailure` whose error is an invalid argument naming both ranks.
    static func rankMismatch(_ body: () throws -> Any) -> Bool {
        do {
            _ = try body()
            return false
        } catch let failure as FitFailure<LowRankGaussian> {
            guard case .invalidArgument(let message) = failure.underlying as? VariationalInferenceError else { return false }
            return message.contains("rank 2") && message.contains("rank K = 3") && isFinite(failure.lastGood)
        } catch {
            return false
        }
    }

    /// A state made with another batch size is carried over (q kept, buffers reshaped); one with
    /// another rank is a clear error that names both ranks.
    @Test func warmStartsFromAnotherBatchSizeOrRank() throws {
        let model = HostileModel(dimension: Self.d)
        var generator = Xoshiro256StarStar(seed: 2)
        let small = try fit(try Self.pBaM(batch: 3), model: model, using: &generator, options: FitOptions(maxIterations: 5))
        #expect(Self.outcome(try Self.pBaM(batch: 8), model, iterations: 5, from: small.state).acceptable)
        #expect(Self.outcome(try Self.pBaM(batch: 2), model, iterations: 5, from: small.state).acceptable)
        #expect(Self.rankMismatch { try fit(try Self.pBaM(batch: 3, rank: 3), model: model, using: &generator,
                                            options: FitOptions(maxIterations: 1), from: small.state) })
        let dense = try fit(try Self.bam(batch: 3), model: model, using: &generator, options: FitOptions(maxIterations: 3))
        #expect(Self.outcome(try Self.bam(batch: 9), model, iterations: 3, from: dense.state).acceptable)
        let diagonal = try fit(try ADVIDiagonal(batchSize: 3, optimizer: try Self.adam()), model: model, using: &generator,
                               options: FitOptions(maxIterations: 3))
        #expect(Self.outcome(try ADVIDiagonal(batchSize: 7, optimizer: try Self.adam()), model, iterations: 3,
                             from: diagonal.state).acceptable)
        let full = try fit(try ADVIFullRank(batchSize: 3, optimizer: try Self.adam()), model: model, using: &generator,
                           options: FitOptions(maxIterations: 3))
        #expect(Self.outcome(try ADVIFullRank(batchSize: 7, optimizer: try Self.adam()), model, iterations: 3,
                             from: full.state).acceptable)
        let lowRank = try fit(try ADVILowRank(rank: 2, batchSize: 3, optimizer: try Self.adam()), model: model,
                              using: &generator, options: FitOptions(maxIterations: 3))
        #expect(Self.outcome(try ADVILowRank(rank: 2, batchSize: 6, optimizer: try Self.adam()), model, iterations: 3,
                             from: lowRank.state).acceptable)
        #expect(Self.rankMismatch { try fit(try ADVILowRank(rank: 3, batchSize: 3, optimizer: try Self.adam()), model: model,
                                            using: &generator, options: FitOptions(maxIterations: 1), from: lowRank.state) })
    }

    /// ADVI at lr 1e6 overflows every proposal: ten reverted steps are a failure, not a result.
    @Test func aFitWhoseEveryStepWasRevertedIsAFailure() throws {
        var generator = Xoshiro256StarStar(seed: 3)
        do {
            _ = try fit(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam(1e6)), model: HostileModel(dimension: Self.d),
                        using: &generator, options: FitOptions(maxIterations: 10))
            Issue.record("a fit with 10 reverted steps returned normally")
        } catch let failure as FitFailure<DiagonalGaussian> {
            #expect(failure.underlying as? VariationalInferenceError == .noAcceptedSteps(iterations: 10))
            #expect(Self.isFinite(failure.lastGood))
        }
        let healthy = try fit(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam()),
                              model: HostileModel(dimension: Self.d, fault: { $0 % 2 == 1 ? .nanCoordinate : .none }),
                              using: &generator, options: FitOptions(maxIterations: 10))
        #expect(healthy.acceptedSteps == 5 && healthy.revertedSteps == 5 && healthy.retries == 0)
    }

    @Test func aScheduleThatUnderflowsSaysSo() throws {
        let model = HostileModel(dimension: Self.d)
        for algorithm in [try PatchedBaM(rank: 2, batchSize: 4, schedule: .decaying(initial: 64, exponent: 400))] {
            var generator = Xoshiro256StarStar(seed: 4)
            do {
                _ = try fit(algorithm, model: model, using: &generator, options: FitOptions(maxIterations: 10))
                Issue.record("λ_t = 0 was not reported")
            } catch let failure as FitFailure<LowRankGaussian> {
                #expect("\(failure.underlying)".contains("underflowed"))
                #expect(Self.isFinite(failure.lastGood))
            }
        }
        var generator = Xoshiro256StarStar(seed: 4)
        do {
            _ = try fit(try BatchAndMatch(batchSize: 4, schedule: .decaying(initial: 64, exponent: 400)), model: model,
                        using: &generator, options: FitOptions(maxIterations: 10))
            Issue.record("dense BaM ran λ_t = 0 steps")
        } catch let failure as FitFailure<DenseGaussian> {
            #expect("\(failure.underlying)".contains("underflowed"))
        }
    }

    @Test func inconsistentSettingsAreRejected() {
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(maxSteps: 3, minimumSteps: 4) }
        #expect((try? FactorAnalysisPatch(maxSteps: 3))?.minimumSteps == 3)
        #expect(throws: VariationalInferenceError.self) {
            try Adam(schedule: .linearDecay(initial: 1e-3, final: 1e-2, steps: 10))
        }
        #expect(throws: VariationalInferenceError.invalidArgument("pBaM maxRetries must be ≥ 0, got -1")) {
            try PatchedBaM(rank: 1, batchSize: 2, schedule: .constant(1), maxRetries: -1)
        }
        #expect(throws: VariationalInferenceError.invalidArgument("BaM maxBadUpdates must be ≥ 0, got -2")) {
            try BatchAndMatch(batchSize: 2, schedule: .constant(1), maxBadUpdates: -2)
        }
    }

    /// A model that rejects every point with x₀ > 0.8 (about a fifth of N(0, 1) draws): with B = 8 most
    /// batches hold such a point, and every algorithm redraws only those columns, so the fit runs its
    /// 40 iterations without a failed or reverted step and scores no rejected point.
    @Test func rejectedColumnsAreRedrawnAlone() throws {
        let cases: [(String, () throws -> (iterations: Int, accepted: Int, evaluations: Int))] = [
            ("pBaM", { try Self.columnRedrawFit(try Self.pBaM(batch: 8)) }),
            ("BaM", { try Self.columnRedrawFit(try Self.bam(batch: 8)) }),
            ("ADVI-LR", { try Self.columnRedrawFit(try ADVILowRank(rank: 2, batchSize: 8, optimizer: try Self.adam())) }),
            ("ADVI-D", { try Self.columnRedrawFit(try ADVIDiagonal(batchSize: 8, optimizer: try Self.adam())) }),
            ("ADVI-full", { try Self.columnRedrawFit(try ADVIFullRank(batchSize: 8, optimizer: try Self.adam())) }),
        ]
        for (name, run) in cases {
            let (iterations, accepted, evaluations) = try run()
            #expect(iterations == 40 && accepted == 40, "\(name): \(accepted) of \(iterations) accepted")
            #expect(evaluations > 40 * 8, "\(name): the redraws are counted (\(evaluations))")
        }
    }

    /// A NaN score in the first iteration, with nothing accepted to fall back on, ends the fit at once
    /// with its draw and coordinate, for every algorithm; the message is short and says what to try.
    @Test func aNonFiniteFirstScoreIsReportedAtOnce() throws {
        let model = { HostileModel(dimension: Self.d, fault: { _ in .nanCoordinate }) }
        let failures: [(String, () throws -> Any)] = [
            ("pBaM", { try Self.firstFailure(try Self.pBaM(), model()) }),
            ("BaM", { try Self.firstFailure(try Self.bam(), model()) }),
            ("ADVI-LR", { try Self.firstFailure(try ADVILowRank(rank: 2, batchSize: 4, optimizer: try Self.adam()), model()) }),
            ("ADVI-D", { try Self.firstFailure(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam()), model()) }),
            ("ADVI-full", { try Self.firstFailure(try ADVIFullRank(batchSize: 4, optimizer: try Self.adam()), model()) }),
        ]
        for (name, run) in failures {
            do {
                _ = try run()
                Issue.record("\(name): the fit did not fail")
            } catch let failure as any AnyFitFailure {
                let expected = NonFiniteScore(column: 0, coordinate: Self.d / 2, value: .nan)
                guard case .nonFiniteScore(let location, iteration: 0) = failure.underlying as? VariationalInferenceError else {
                    Issue.record("\(name): \(failure)")
                    continue
                }
                #expect(location.column == expected.column && location.coordinate == expected.coordinate && location.value.isNaN)
                #expect(failure.gradientEvaluations == 4 && failure.iterations == 0, "\(name): reported at once")
                #expect(Self.isFinite(failure.lastGoodApproximation))
                let text = "\(failure)"
                #expect(text.contains("score[3] = nan at draw 0") && text.contains("check the gradient") && text.count < 400,
                        "\(name): \(text)")
            }
        }
    }

    static func firstFailure<A: VariationalAlgorithm>(_ algorithm: A, _ model: HostileModel) throws -> FitResult<A> {
        var generator = Xoshiro256StarStar(seed: 7)
        return try fit(algorithm, model: model, using: &generator, options: FitOptions(maxIterations: 20))
    }

    /// Scores of 1e200 overflow Adam's second moment: every ADVI reports the steps as reverted and the
    /// fit as a failure, instead of freezing at the start with every step `.ok`.
    @Test func overflowingAdamMomentsAreNotSilentZeroSteps() throws {
        let model = HostileModel(dimension: Self.d, condition: 1e-200)
        let fits: [(String, () throws -> Any)] = [
            ("ADVI-D", { try Self.firstFailure(try ADVIDiagonal(batchSize: 4, optimizer: try Self.adam()), model) }),
            ("ADVI-LR", { try Self.firstFailure(try ADVILowRank(rank: 2, batchSize: 4, optimizer: try Self.adam()), model) }),
            ("ADVI-full", { try Self.firstFailure(try ADVIFullRank(batchSize: 4, optimizer: try Self.adam()), model) }),
        ]
        for (name, run) in fits {
            do {
                _ = try run()
                Issue.record("\(name): the fit froze and returned normally")
            } catch let failure as any AnyFitFailure {
                #expect(failure.underlying as? VariationalInferenceError == .noAcceptedSteps(iterations: 20), "\(name): \(failure)")
            }
        }
    }

    static func columnRedrawFit<A: VariationalAlgorithm>(_ algorithm: A) throws -> (iterations: Int, accepted: Int, evaluations: Int) {
        let model = HalfSpaceModel(dimension: d, bound: 0.8)
        var generator = Xoshiro256StarStar(seed: 6)
        let result = try fit(algorithm, model: model, using: &generator, options: FitOptions(maxIterations: 40))
        #expect(model.scoredAboveBound == 0)
        #expect(model.rejected > 40)
        return (result.iterations, result.acceptedSteps, result.gradientEvaluations)
    }
}

/// N(0, I) restricted to x₀ ≤ `bound`: a batch holding a point beyond it throws a recoverable
/// `ModelError`. Counts the rejected batches and any score written for a point beyond the bound.
final class HalfSpaceModel: LogDensityModel {
    let dimension: Int
    let bound: Double
    private(set) var rejected = 0
    private(set) var scoredAboveBound = 0

    init(dimension: Int, bound: Double) {
        self.dimension = dimension
        self.bound = bound
    }

    func logDensity(at x: [Double]) throws -> Double {
        guard x[0] <= bound else { throw ModelError("x₀ = \(x[0]) outside the support") }
        return -0.5 * x.reduce(0) { $0 + $1 * $1 }
    }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        let value = try logDensity(at: x)
        for i in 0..<dimension { gradient[i] = -x[i] }
        return value
    }
    func gradients(at points: Matrix, into scores: inout Matrix) throws {
        for j in 0..<points.columns where points[0, j] > bound {
            rejected += 1
            throw ModelError("x₀ = \(points[0, j]) outside the support")
        }
        for j in 0..<points.columns {
            for i in 0..<dimension { scores[i, j] = -points[i, j] }
        }
    }
}
