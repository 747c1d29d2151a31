import Foundation
import LowRankLinalg
import Targets
import VariationalInference

/// `bench --experiment fair-advi`: the comparison a skeptical reviewer asks for. pBaM, ADVI-LR and
/// ADVI-D each get a seven-point log grid of their step size — λ₀ = f·B·D with f ∈ {1e-4, …, 100}
/// (λ_t = λ₀/(1+t)) for pBaM, Adam's α ∈ {1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1} decaying linearly
/// to 1e-5 for the ADVIs — the same batch B = 32, the same evaluation budget and the same stopping
/// rule (`.fisherDivergence(below: 1e-3)`, window 10, the README example's; `--fisher-stop`), on the E1 Gaussian (D = 512, r = K = 32) and
/// the D = 50 regression (K = 40, exact posterior). Budgets 16,000 evaluations (`--full`: 64,000);
/// at least 3 seeds. Each family is reported by its best setting (lowest median KL over the seeds)
/// and by the median setting (the median over the grid of the per-setting median KL), with the
/// evaluations and seconds the rule let it use. Writes `fair-advi.csv`, `fair-advi-summary.md` and
/// one SVG of final KL against the grid value per target.
struct FairADVIExperiment {
    let seeds: Int
    let budget: Int
    /// The stopping rule every fit shares (`--fisher-stop`).
    let rule: StoppingRule
    let output: String
    let progress: Progress

    /// The shared batch size.
    static let batch = 32
    /// pBaM's λ₀ / (B·D) and the ADVIs' α.
    static let lambdaFactors = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]
    static let adviRates = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1]

    func run() throws -> String {
        var generator = Xoshiro256StarStar(seed: 123)
        let gaussian = try LowRankGaussianTarget.synthetic(dimension: 512, rank: 32, using: &generator)
        let exact = try LowRankGaussian(mean: gaussian.mean, psi: gaussian.covariance.psi, lambda: gaussian.covariance.lambda)
        var regressionGenerator = Xoshiro256StarStar(seed: 50)
        let regression = try BayesianLinearRegressionTarget.synthetic(dimension: 50, using: &regressionGenerator)
        let rows = sweep("e1-gaussian", TargetEvaluation(model: gaussian, exact: exact, referenceMean: nil, elboDraws: 1), rank: 32)
            + sweep("regression", TargetEvaluation(model: regression, exactDense: regression.posterior, elboDraws: 1), rank: 40)
        try ([FairRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n")
            .appending("\n").write(toFile: "\(output)/fair-advi.csv", atomically: true, encoding: .utf8)
        var summary = "## fair-advi: each family on its own step-size grid, one budget and one stopping rule\n\n"
            + "Budget \(budget) evaluations, B = \(Self.batch), rule: median relative Fisher divergence of 10 iterations "
            + "below \(rule.tolerance); \(seeds) seeds; KL(q‖p) medians over the seeds. Grid: pBaM λ₀/(B·D) ∈ "
            + "\(Self.lambdaFactors.map { String(format: "%g", $0) }.joined(separator: ", ")), λ_t = λ₀/(1+t); "
            + "ADVI α ∈ \(Self.adviRates.map { String(format: "%g", $0) }.joined(separator: ", ")) → 1e-5 linearly.\n\n"
        for target in ["e1-gaussian", "regression"] {
            summary += FairRow.table(rows.filter { $0.target == target }, target: target) + "\n"
            try FairRow.plot(rows.filter { $0.target == target }, target: target).render()
                .write(toFile: "\(output)/fair-advi-\(target).svg", atomically: true, encoding: .utf8)
        }
        try summary.write(toFile: "\(output)/fair-advi-summary.md", atomically: true, encoding: .utf8)
        return summary + "Wrote \(output)/fair-advi.csv, \(output)/fair-advi-summary.md and \(output)/fair-advi-*.svg.\n"
    }

    /// Every family at every grid value and seed on one target.
    private func sweep<Model: LogDensityModel>(_ name: String, _ evaluation: TargetEvaluation<Model>, rank: Int) -> [FairRow] {
        let b = Self.batch, d = evaluation.model.dimension, steps = max(1, budget / b)
        progress.note("== fair-advi \(name): D=\(d), K=\(rank), B=\(b), budget \(budget)")
        var rows = [FairRow]()
        for seed in 1...seeds {
            let s = UInt64(seed)
            for f in Self.lambdaFactors {
                rows.append(one(name, "pBaM", f, s, evaluation) {
                    try PatchedBaM(rank: rank, batchSize: b, schedule: .scaled(factor: f, exponent: 1))
                })
            }
            for rate in Self.adviRates {
                rows.append(one(name, "ADVI-LR", rate, s, evaluation) {
                    try ADVILowRank(rank: rank, batchSize: b,
                                    optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)))
                })
                rows.append(one(name, "ADVI-D", rate, s, evaluation) {
                    try ADVIDiagonal(batchSize: b, optimizer: try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps)))
                })
            }
        }
        return rows
    }

    /// One fit under the shared budget and rule, scored by its exact KL.
    private func one<Algorithm: VariationalAlgorithm, Model: LogDensityModel>(
        _ target: String, _ family: String, _ value: Double, _ seed: UInt64, _ evaluation: TargetEvaluation<Model>,
        _ make: () throws -> Algorithm
    ) -> FairRow {
        var row = FairRow(target: target, family: family, gridValue: value, seed: seed)
        var generator = Xoshiro256StarStar(seed: seed)
        do {
            let result = try fit(try make(), model: evaluation.model, using: &generator,
                                 options: FitOptions(maxGradientEvaluations: budget, stoppingRule: rule, diagnosticDraws: 0))
            row.stopped = result.stopReason == .converged
            row.evaluations = result.gradientEvaluations
            row.seconds = result.elapsedSeconds
            row.kl = evaluation.metrics(result.approximation).klReverse
        } catch {
            row.error = String(String(describing: error).prefix(200))
        }
        progress.note("[fair-advi \(target)] \(family) \(value) seed \(seed): "
                      + (row.error ?? "KL \(row.kl.map { String(format: "%.4g", $0) } ?? "–"), \(row.evaluations) evals"))
        return row
    }
}

/// One fit of `fair-advi`.
private struct FairRow {
    var target: String
    var family: String
    /// λ₀/(B·D) for pBaM, α for the ADVIs.
    var gridValue: Double
    var seed: UInt64
    var stopped = false
    var evaluations = 0
    var seconds = 0.0
    var kl: Double?
    var error: String?

    static let csvHeader = "target,family,grid_value,seed,stopped_by_rule,grad_evals,wall_seconds,kl_reverse,error"

    var csvLine: String {
        "\(target),\(family),\(gridValue),\(seed),\(stopped ? 1 : 0),\(evaluations),\(seconds),"
            + "\(kl.map { String($0) } ?? ""),\"\((error ?? "").replacingOccurrences(of: "\"", with: "'"))\""
    }

    /// The median over the seeds of one setting's runs (a failed run counts as KL = ∞).
    private struct Setting {
        var value: Double
        var kl: Double
        var evaluations: Double
        var seconds: Double
        var stopped: Int
        var failed: Int
        var runs: Int
    }

    private static func settings(_ rows: [FairRow], family: String) -> [Setting] {
        let groups = Dictionary(grouping: rows.filter { $0.family == family }, by: \.gridValue)
        var result = [Setting]()
        for (value, runs) in groups {
            let kls: [Double] = runs.map { $0.kl ?? .infinity }
            let evaluations: [Double] = runs.map { Double($0.evaluations) }
            let seconds: [Double] = runs.map(\.seconds)
            let failed = runs.filter { $0.error != nil || $0.kl == nil }.count
            result.append(Setting(value: value, kl: medianValue(kls), evaluations: medianValue(evaluations), seconds: medianValue(seconds),
                                  stopped: runs.filter(\.stopped).count, failed: failed, runs: runs.count))
        }
        return result.sorted { $0.value < $1.value }
    }

    /// Best and median setting per family.
    static func table(_ rows: [FairRow], target: String) -> String {
        var lines = ["### \(target)", "",
                     "| family | best setting | its KL | its evals (s) | stopped by the rule | median setting's KL | settings with KL < 1 | failed runs |",
                     "|---|---|---|---|---|---|---|---|"]
        for family in ["pBaM", "ADVI-LR", "ADVI-D"] {
            let all = settings(rows, family: family)
            guard let best = all.min(by: { ($0.kl, $0.evaluations) < ($1.kl, $1.evaluations) }) else { continue }
            let name = family == "pBaM" ? "λ₀ = \(format(best.value))·B·D" : "α = \(format(best.value))"
            lines.append("| \(family) | \(name) | \(format(best.kl)) | \(Int(best.evaluations)) (\(String(format: "%.3g", best.seconds)) s) | "
                         + "\(best.stopped)/\(best.runs) | \(format(medianValue(all.map(\.kl)))) | \(all.filter { $0.kl < 1 }.count)/\(all.count) | "
                         + "\(all.map(\.failed).reduce(0, +))/\(all.map(\.runs).reduce(0, +)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Final KL (median over seeds) against the grid value, one line per family.
    static func plot(_ rows: [FairRow], target: String) -> SVGPlot {
        SVGPlot(title: "fair-advi, \(target): final KL against the step size", xLabel: "α (ADVI) or λ₀/(B·D) (pBaM)",
                yLabel: "KL(q‖p), median over seeds",
                series: ["pBaM", "ADVI-LR", "ADVI-D"].map { family in
                    SVGPlot.Series(name: family, points: settings(rows, family: family).map { ($0.value, $0.kl) })
                })
    }

    private static func format(_ x: Double) -> String {
        x.isFinite ? String(format: "%.3g", x) : "∞"
    }
}
