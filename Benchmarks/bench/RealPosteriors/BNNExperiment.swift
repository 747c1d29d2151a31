import Foundation
import LowRankLinalg
import Targets
import VariationalInference

/// `bench --experiment bnn`: pBaM, ADVI-LR and ADVI-D on Bayesian neural networks
/// (``BayesianNeuralNetworkTarget``), scored on the held-out split: the diabetes regression with 50
/// and 500 tanh units (D = 602, 6,002), the digits softmax regression (D = 650) and a digits network
/// with 128 tanh units (D = 9,610).
///
/// Two regimes per seed. **Equal evaluations**: every method runs to `budget` score evaluations,
/// pBaM with the library's defaults at rank K (`--rank`, default 32) and batch B (`--batch`, default
/// 16; `--lambda-factor f` and `--lambda-exponent s` set λ_t = f·B·D/(1 + t)^s), ADVI-LR (rank K) and ADVI-D at each
/// `--advi-rates` step size decaying linearly to 1e-5; `--mode-start` adds each of them started at
/// the mode found by ``ModeSearch``, the search's evaluations counted in the budget (pBaM through
/// `LowRankInitialization.mode`, the others by hand: their schedules need the budget left after the
/// search);
/// `--prior-start` adds pBaM and ADVI-LR from ``priorScaledStart(of:rank:using:)``; `--tail-lambda x`
/// adds pBaM with `LearningRateSchedule.withTail`: the default schedule, then the constant λ = x for
/// the last `--tail-fraction` of the budget (with `--mode-start`, also from the mode).
/// **Equal wall time**: for each ADVI family, the step size with the best −ELBO at equal evaluations
/// is run again with n = budget · T_pBaM / T_ADVI evaluations (T: the equal-evaluation fit seconds of
/// this seed; n at most 20 · budget), so that it spends about pBaM's time. Scores: the test log
/// predictive density (mean over test rows, original units) and RMSE or accuracy from 200 draws of
/// q, −ELBO (64 draws, a fixed stream) and the PSIS k̂ of the fit (1000 draws), seconds per
/// iteration and the share of it spent in the model's scores. Writes `bnn.csv` and
/// `bnn-summary.md`.
struct BNNExperiment {
    let seeds: Int
    let budget: Int
    let batch: Int
    let rank: Int
    /// pBaM's λ_t = factor·B·D/(1 + t)^exponent (1 and 1: the library default).
    let lambdaFactor: Double
    let lambdaExponent: Double
    /// Also run every method started at the mode (`--mode-start`).
    let modeStart: Bool
    /// Also run pBaM and ADVI-LR started at the prior's scale (`--prior-start`, ``priorScaledStart(of:rank:using:)``).
    let priorStart: Bool
    /// Also run pBaM with the constant λ = `tailLambda` for the last `tailFraction` of the budget (`--tail-lambda`).
    let tailLambda: Double?
    let tailFraction: Double
    let adviRates: [Double]
    /// Lower-cased algorithm families to run (pbam, advi-lr, advi-d); empty: all.
    let algorithms: Set<String>
    /// Restrict to the targets named here, or whose data set is named here (empty: all four).
    let targetFilter: [String]
    let output: String
    let progress: Progress

    /// Draws from q for the held-out metrics, and for the −ELBO.
    static let testDraws = 200, elboDraws = 64

    /// The four networks, smallest D first within each data set.
    static func targets() throws -> [(name: String, target: BayesianNeuralNetworkTarget)] {
        [("diabetes-H50", try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: 50)),
         ("diabetes-H500", try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: 500)),
         ("digits-softmax", try BayesianNeuralNetworkTarget(data: .digits, hiddenUnits: 0)),
         ("digits-H128", try BayesianNeuralNetworkTarget(data: .digits, hiddenUnits: 128))]
    }

    func run() throws -> String {
        var rows = [BNNRow]()
        let chosen = try Self.targets().filter { entry in
            targetFilter.isEmpty || targetFilter.contains { wanted in
                let name = entry.name.lowercased(), wanted = wanted.lowercased()
                return name == wanted || name.hasPrefix(wanted + "-")
            }
        }
        for (name, target) in chosen {
            for seed in 1...seeds {
                var perSeed = [BNNRow]()
                for method in methods(dimension: target.dimension) {
                    let row = score(method, on: target, name: name, seed: UInt64(seed), budget: budget, regime: "equal evaluations")
                    note(row)
                    perSeed.append(row)
                }
                if let reference = perSeed.first(where: { $0.algorithm == "pBaM" && $0.error == nil }) {
                    for family in ["ADVI-LR", "ADVI-D"] {
                        let candidates = perSeed.filter { $0.algorithm == family && $0.error == nil && $0.negativeELBO.isFinite }
                        guard let best = candidates.min(by: { $0.negativeELBO < $1.negativeELBO }),
                              let method = methods(dimension: target.dimension).first(where: { $0.setting == best.setting }) else { continue }
                        let scaled = Double(budget) * reference.seconds / max(best.seconds, 1e-9)
                        let n = max(batch, min(20 * budget, Int(scaled / Double(batch)) * batch))
                        let row = score(method, on: target, name: name, seed: UInt64(seed), budget: n, regime: "equal time")
                        note(row)
                        perSeed.append(row)
                    }
                }
                rows += perSeed
            }
        }
        let csv = ([BNNRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
        try csv.write(toFile: "\(output)/bnn.csv", atomically: true, encoding: .utf8)
        let summary = summaryTable(rows)
        try summary.write(toFile: "\(output)/bnn-summary.md", atomically: true, encoding: .utf8)
        return summary + "\nWrote \(output)/bnn.csv and \(output)/bnn-summary.md."
    }

    private func note(_ row: BNNRow) {
        progress.note("[bnn] \(row.target) \(row.algorithm) \(row.setting) seed \(row.seed) (\(row.regime)): "
                      + (row.error.map { "FAILED \($0)" }
                         ?? String(format: "test LPD %.4g, -ELBO %.6g, %.2f s, %d evals", row.testLPD, row.negativeELBO,
                                   row.seconds, row.evaluations)))
    }

    /// The algorithms, filtered by `algorithms`.
    private func methods(dimension d: Int) -> [BNNMethod] {
        let k = min(rank, d - 1), b = batch
        let factor = lambdaFactor, exponent = lambdaExponent, isDefault = factor == 1 && exponent == 1
        let label = isDefault ? "" : " λ=\(factor)BD/(1+t)^\(exponent)"
        var list = [BNNMethod(family: "pBaM", setting: "K=\(k) B=\(b)\(label)") { _ in
            try PatchedBaM(rank: k, batchSize: b, schedule: isDefault ? .automatic : .scaled(factor: factor, exponent: exponent))
        }]
        if let tail = tailLambda {
            let fraction = tailFraction
            list.append(BNNMethod(family: "pBaM", setting: "K=\(k) B=\(b) then λ=\(tail) for the last \(fraction)") { steps in
                try PatchedBaM(rank: k, batchSize: b, schedule: try .withTail(lambda: tail, fraction: fraction,
                                                                               gradientEvaluations: steps * b, batchSize: b))
            })
        }
        if priorStart {
            list.append(.fromPrior(family: "pBaM", setting: "K=\(k) B=\(b) prior start") { target, generator, _ in
                try PatchedBaM(rank: k, batchSize: b, initialization: .given(try priorScaledStart(of: target, rank: k, using: &generator)))
            })
            for rate in adviRates {
                list.append(.fromPrior(family: "ADVI-LR", setting: "K=\(k) B=\(b) lr=\(rate)->1e-5 prior start") { target, generator, steps in
                    try ADVILowRank(rank: k, batchSize: b,
                                    optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)),
                                    initialization: .given(try priorScaledStart(of: target, rank: k, using: &generator)))
                })
            }
        }
        if modeStart {
            list.append(BNNMethod(family: "pBaM", setting: "K=\(k) B=\(b) mode start") { _ in
                try PatchedBaM(rank: k, batchSize: b, initialization: .mode(try ModeSearch()))
            })
            if let tail = tailLambda {
                let fraction = tailFraction
                list.append(.fromMode(family: "pBaM", setting: "K=\(k) B=\(b) mode start then λ=\(tail) for the last \(fraction)",
                                      batch: b) { mode, steps, generator in
                    try PatchedBaM(rank: k, batchSize: b,
                                   schedule: try .withTail(lambda: tail, fraction: fraction, gradientEvaluations: steps * b, batchSize: b),
                                   initialization: .given(try mode.lowRankStart(rank: k, using: &generator)))
                })
            }
        }
        for rate in adviRates {
            list.append(BNNMethod(family: "ADVI-LR", setting: "K=\(k) B=\(b) lr=\(rate)->1e-5") { steps in
                try ADVILowRank(rank: k, batchSize: b, optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)))
            })
        }
        for rate in adviRates {
            list.append(BNNMethod(family: "ADVI-D", setting: "B=\(b) lr=\(rate)->1e-5") { steps in
                try ADVIDiagonal(batchSize: b, optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)))
            })
        }
        if modeStart {
            for rate in adviRates {
                list.append(.fromMode(family: "ADVI-LR", setting: "K=\(k) B=\(b) lr=\(rate)->1e-5 mode start", batch: b) { mode, steps, generator in
                    try ADVILowRank(rank: k, batchSize: b,
                                    optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)),
                                    initialization: .given(try mode.lowRankStart(rank: k, using: &generator)))
                })
                list.append(.fromMode(family: "ADVI-D", setting: "B=\(b) lr=\(rate)->1e-5 mode start", batch: b) { mode, steps, _ in
                    try ADVIDiagonal(batchSize: b, optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)),
                                     initialization: try mode.diagonalStart())
                })
            }
        }
        return algorithms.isEmpty ? list : list.filter { algorithms.contains($0.family.lowercased()) }
    }

    /// One fit to `budget` evaluations, scored; a thrown error becomes a failed row.
    private func score(_ method: BNNMethod, on target: BayesianNeuralNetworkTarget, name: String, seed: UInt64,
                       budget: Int, regime: String) -> BNNRow {
        var row = BNNRow(target: name, dimension: target.dimension, algorithm: method.family, setting: method.setting,
                         seed: seed, regime: regime)
        var generator = Xoshiro256StarStar(seed: seed)
        let outcome: BNNFit
        do {
            outcome = try method.fit(target, &generator, budget, max(1, budget / batch))
        } catch {
            row.error = String(describing: error)
            return row
        }
        row.iterations = outcome.iterations
        row.evaluations = outcome.evaluations
        row.seconds = outcome.seconds
        row.scoreSeconds = outcome.scoreSeconds
        row.paretoShape = outcome.paretoShape
        row.warnings = outcome.warnings
        var drawGenerator = Xoshiro256StarStar(seed: 1_000 + seed)
        let draws = outcome.approximation.sample(count: Self.testDraws, using: &drawGenerator)
        do {
            let metrics = try target.testMetrics(draws: draws)
            row.testLPD = metrics.logPredictiveDensity
            row.rmse = metrics.rootMeanSquaredError ?? .nan
            row.accuracy = metrics.accuracy ?? .nan
            var elboGenerator = Xoshiro256StarStar(seed: 20_250_101)
            row.negativeELBO = -(try outcome.elbo(target, Self.elboDraws, &elboGenerator))
        } catch {
            row.error = "scoring failed: \(error)"
        }
        return row
    }

    /// Per target, regime and algorithm, the medians over the seeds that did not fail, then the
    /// time per iteration against D, then every failure.
    private func summaryTable(_ rows: [BNNRow]) -> String {
        var text = "## Bayesian neural networks: held-out scores\n\n"
        text += "Budget \(budget) score evaluations (equal evaluations; equal time: the best-−ELBO ADVI step size given pBaM's "
            + "seconds), \(seeds) seed(s), medians over the seeds that did not fail. Test LPD: mean log predictive density "
            + "of the test rows (original units, \(Self.testDraws) draws of q); −ELBO from \(Self.elboDraws) draws.\n\n"
        text += "| target | D | regime | algorithm | setting | failed | evals | test LPD | RMSE | accuracy | −ELBO | k̂ | s/fit | ms/iter | score share |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        var keys = [String](), groups = [String: [BNNRow]]()
        for row in rows {
            let key = "\(row.target)|\(row.regime)|\(row.algorithm)|\(row.setting)"
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(row)
        }
        func cell(_ values: [Double], _ format: String = "%.4g") -> String {
            let numbers = values.filter { !$0.isNaN }
            return numbers.isEmpty ? "–" : String(format: format, medianValue(numbers))
        }
        for key in keys {
            guard let group = groups[key], let first = group.first else { continue }
            let ok = group.filter { $0.error == nil }
            text += "| \(first.target) | \(first.dimension) | \(first.regime) | \(first.algorithm) | \(first.setting) | "
                + "\(group.count - ok.count)/\(group.count) | \(cell(ok.map { Double($0.evaluations) }, "%.0f")) | "
                + "\(cell(ok.map(\.testLPD))) | \(cell(ok.map(\.rmse))) | \(cell(ok.map(\.accuracy), "%.3f")) | "
                + "\(cell(ok.map(\.negativeELBO), "%.6g")) | \(cell(ok.compactMap(\.paretoShape), "%.2f")) | "
                + "\(cell(ok.map(\.seconds), "%.2f")) | \(cell(ok.map { 1000 * $0.seconds / Double(max($0.iterations, 1)) }, "%.3g")) | "
                + "\(cell(ok.map { $0.scoreSeconds / max($0.seconds, 1e-12) }, "%.2f")) |\n"
        }
        text += "\n### Time per iteration against D (equal evaluations, medians; B = \(batch))\n\n"
        text += "| target | D | pBaM ms/iter | pBaM ms/iter outside the scores | ADVI-LR ms/iter | ADVI-LR outside the scores | ADVI-D ms/iter |\n|---|---|---|---|---|---|---|\n"
        var targets = [String]()
        for row in rows where !targets.contains(row.target) { targets.append(row.target) }
        for name in targets {
            let equal = rows.filter { $0.target == name && $0.regime == "equal evaluations" && $0.error == nil }
            func perIteration(_ family: String, outside: Bool) -> String {
                cell(equal.filter { $0.algorithm == family }.map {
                    1000 * ($0.seconds - (outside ? $0.scoreSeconds : 0)) / Double(max($0.iterations, 1))
                }, "%.3g")
            }
            text += "| \(name) | \(equal.first?.dimension ?? 0) | \(perIteration("pBaM", outside: false)) | "
                + "\(perIteration("pBaM", outside: true)) | \(perIteration("ADVI-LR", outside: false)) | "
                + "\(perIteration("ADVI-LR", outside: true)) | \(perIteration("ADVI-D", outside: false)) |\n"
        }
        let failures = rows.filter { $0.error != nil }
        text += "\n### Failures (\(failures.count) of \(rows.count) fits)\n\n"
        text += failures.isEmpty ? "none\n" : failures.map {
            "- \($0.target), \($0.algorithm) \($0.setting), seed \($0.seed), \($0.regime): \($0.error ?? "")\n"
        }.joined()
        return text
    }
}

/// What a fit hands back for scoring.
private struct BNNFit {
    let approximation: any GaussianApproximation
    let iterations: Int
    let evaluations: Int
    let seconds: Double
    let scoreSeconds: Double
    let paretoShape: Double?
    let warnings: [String]
    /// The ELBO estimate of the final approximation.
    let elbo: (BayesianNeuralNetworkTarget, Int, inout Xoshiro256StarStar) throws -> Double

    /// This fit with the evaluations and seconds of a mode search before it added to its counts.
    func adding(evaluations: Int, seconds: Double) -> BNNFit {
        BNNFit(approximation: approximation, iterations: iterations, evaluations: self.evaluations + evaluations,
               seconds: self.seconds + seconds, scoreSeconds: scoreSeconds, paretoShape: paretoShape,
               warnings: warnings, elbo: elbo)
    }
}

/// An algorithm with its label, type-erased: builds it for a run of the given steps and fits it.
private struct BNNMethod {
    let family: String
    let setting: String
    /// (target, generator, evaluation budget, steps) → fit.
    let fit: (BayesianNeuralNetworkTarget, inout Xoshiro256StarStar, Int, Int) throws -> BNNFit

    init<A: VariationalAlgorithm>(family: String, setting: String, _ make: @escaping (_ steps: Int) throws -> A) {
        self.family = family
        self.setting = setting
        fit = { target, generator, budget, steps in
            try Self.run(try make(steps), on: target, using: &generator, budget: budget)
        }
    }

    /// A method started at the mode: ``ModeSearch`` (L-BFGS, at most 200 iterations) from 0, then
    /// `make(mode, generator)` builds the algorithm from it; the search's evaluations and seconds
    /// count against the fit's budget and time.
    static func fromMode<A: VariationalAlgorithm>(
        family: String, setting: String, batch b: Int,
        _ make: @escaping (ModeSearchResult, _ steps: Int, inout Xoshiro256StarStar) throws -> A
    ) -> BNNMethod {
        BNNMethod(family: family, setting: setting) { target, generator, budget, _ in
            let started = ContinuousClock.now
            let mode = try ModeSearch().run(target)
            let remaining = max(b, budget - mode.evaluations)
            let algorithm = try make(mode, max(1, remaining / b), &generator)
            let searchSeconds = started.duration(to: .now).inSeconds
            return try run(algorithm, on: target, using: &generator, budget: remaining)
                .adding(evaluations: mode.evaluations, seconds: searchSeconds)
        }
    }

    /// A method whose start depends on the target: `make(target, generator, steps)` builds it.
    static func fromPrior<A: VariationalAlgorithm>(
        family: String, setting: String,
        _ make: @escaping (BayesianNeuralNetworkTarget, inout Xoshiro256StarStar, _ steps: Int) throws -> A
    ) -> BNNMethod {
        BNNMethod(family: family, setting: setting) { target, generator, budget, steps in
            try run(try make(target, &generator, steps), on: target, using: &generator, budget: budget)
        }
    }

    private init(family: String, setting: String,
                 fit: @escaping (BayesianNeuralNetworkTarget, inout Xoshiro256StarStar, Int, Int) throws -> BNNFit) {
        self.family = family
        self.setting = setting
        self.fit = fit
    }

    /// One fit to `budget` evaluations, with the seconds spent in the scores.
    private static func run<A: VariationalAlgorithm>(_ algorithm: A, on target: BayesianNeuralNetworkTarget,
                                                     using generator: inout Xoshiro256StarStar, budget: Int) throws -> BNNFit {
        var scoreSeconds = 0.0
        let options = FitOptions(maxGradientEvaluations: budget, callback: { info, _ in
            scoreSeconds += info.timings.scores
            return .proceed
        })
        let result = try VariationalInference.fit(algorithm, model: target, using: &generator, options: options)
        let q = result.approximation
        return BNNFit(approximation: q, iterations: result.iterations, evaluations: result.gradientEvaluations,
                         seconds: result.elapsedSeconds, scoreSeconds: scoreSeconds,
                         paretoShape: result.diagnostics?.paretoShape, warnings: result.warnings.map(\.description),
                         elbo: { model, draws, elboGenerator in try elboEstimate(of: q, model: model, draws: draws, using: &elboGenerator) })
    }
}

/// One fit's line of the CSV.
private struct BNNRow {
    let target: String
    let dimension: Int
    let algorithm: String
    let setting: String
    let seed: UInt64
    let regime: String
    var iterations = 0
    var evaluations = 0
    var seconds = Double.nan
    var scoreSeconds = Double.nan
    var testLPD = Double.nan
    var rmse = Double.nan
    var accuracy = Double.nan
    var negativeELBO = Double.nan
    var paretoShape: Double?
    var warnings = [String]()
    /// The error's description for a failed fit; nil otherwise.
    var error: String?

    static let csvHeader = "target,D,algorithm,setting,seed,regime,iterations,evaluations,failed,seconds,score_seconds,"
        + "test_lpd,rmse,accuracy,neg_elbo,khat,warnings,error"

    var csvLine: String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\"" }
        let numbers = [seconds, scoreSeconds, testLPD, rmse, accuracy, negativeELBO].map { String(format: "%.6g", $0) }
        return [quoted(target), String(dimension), algorithm, quoted(setting), String(seed), quoted(regime), String(iterations),
                String(evaluations), error == nil ? "0" : "1"].joined(separator: ",") + "," + numbers.joined(separator: ",") + ","
            + (paretoShape.map { String(format: "%.4g", $0) } ?? "") + ",\(quoted(warnings.joined(separator: "; "))),\(quoted(error ?? ""))"
    }
}

/// A rank-K start at the prior's scale: μ = 0, ψⱼ = vⱼ·uⱼ with uⱼ ~ U(0.5, 1) and vⱼ the prior
/// variance of coordinate j, Λ's row j ~ N(0, I_K)·√(vⱼ/(DK)); the library's random start with
/// every coordinate rescaled to its prior variance. Cost O(DK).
/// - Throws: `VariationalInferenceError.invalidArgument` unless 1 ≤ K < D.
func priorScaledStart(of target: BayesianNeuralNetworkTarget, rank k: Int,
                      using generator: inout Xoshiro256StarStar) throws -> LowRankGaussian {
    let variance = target.priorVariance, d = variance.count
    guard k >= 1, k < d else { throw VariationalInferenceError.invalidArgument("rank K = \(k) must be in 1..<D = \(d)") }
    let psi = zip(generator.uniforms(d, in: 0.5..<1), variance).map { $0 * $1 }
    var lambda = generator.standardNormalMatrix(rows: d, columns: k)
    let scales = variance.map { ($0 / Double(d * k)).squareRoot() }
    lambda.withElements { e in for i in e.indices { e[i] *= scales[i % d] } }
    return try LowRankGaussian(mean: [Double](repeating: 0, count: d), psi: psi, lambda: lambda)
}
