import ArgumentParser
import Foundation
import LowRankLinalg
import Targets
import VariationalInference

/// `bench --experiment posteriordb`: pBaM, dense BaM, ADVI-LR, ADVI-D and full-rank ADVI on the six
/// posteriordb posteriors (``PosteriorDB/all``), scored on the constrained scale against the
/// reference NUTS draws' means and sds.
///
/// Every algorithm runs with the library's defaults (pBaM's profile patch and λ_t = B·D/(1 + t),
/// dense BaM's λ_t, the default starts), rank K = min(D − 1, 8) (or `--rank`, capped at D − 1) and
/// batch B = 16 (or `--batch`), at the same budget of score evaluations (`--budget`, default 10⁵),
/// seeds 1…max(`--seeds`, 3) as in the trust experiment; ADVI's Adam at each `--advi-rates` step
/// size, decaying linearly to 1e-5 over the run. `--tail-lambda x` adds pBaM with
/// `LearningRateSchedule.withTail` (the default schedule, then λ = x for the last `--tail-fraction`
/// of the budget). Each fit is
/// scored by sampling: `--scoring-draws` draws from q (default 10⁵; their own seeded stream), each mapped through
/// `constrained`, give per-parameter means and sds, compared with the reference as
/// |mean − ref mean| / ref sd (median and max over parameters) and q sd / ref sd (min, median, max);
/// the fit's own PSIS k̂ (1000 draws) and wall seconds are reported too. A fit that throws is
/// recorded as failed with the error's description. Writes `posteriordb.csv` (one row per fit) and
/// `posteriordb-summary.md` (medians over seeds; pBaM against the best ADVI next to z₀, the median z
/// that q = p would score given the reference's bulk ESS and the scoring draws; every failure) under
/// the output folder.
struct PosteriorDBExperiment {
    let seeds: Int
    let budget: Int
    let batch: Int
    let rank: Int?
    let adviRates: [Double]
    /// Also run pBaM with the constant λ = `tailLambda` for the last `tailFraction` of the budget.
    let tailLambda: Double?
    let tailFraction: Double
    /// Lower-cased algorithm families to run (pBaM, BaM, ADVI-LR, ADVI-D, ADVI-full); empty: all.
    let algorithms: Set<String>
    /// Posteriors to run, matched as case-insensitive parts of ``PosteriorDBTarget/name``; empty: all six.
    let posteriorFilter: [String]
    /// Draws from q per fit for the constrained-scale means and sds.
    let scoringDraws: Int
    let output: String
    let progress: Progress

    func run() throws -> String {
        var rows = [PosteriorDBRow]()
        let targets = PosteriorDB.all.filter { target in
            posteriorFilter.isEmpty || posteriorFilter.contains { target.name.lowercased().contains($0.lowercased()) }
        }
        guard !targets.isEmpty else {
            throw ValidationError("--posteriors \(posteriorFilter.joined(separator: " ")) matches none of "
                                  + PosteriorDB.all.map(\.name).joined(separator: ", "))
        }
        guard scoringDraws >= 2 else { throw ValidationError("--scoring-draws must be at least 2, got \(scoringDraws)") }
        for target in targets {
            let k = min(target.dimension - 1, rank ?? 8)
            for method in methods(rank: k) {
                for seed in 1...seeds {
                    let row = score(method, on: target, seed: UInt64(seed))
                    progress.note("[posteriordb] \(target.name) \(method.family) \(method.setting) seed \(seed): "
                                  + (row.error.map { "FAILED \($0)" } ?? String(format: "max |Δμ|/sd %.3g, %.2f s", row.maxZ, row.seconds)))
                    rows.append(row)
                }
            }
        }
        let csv = ([PosteriorDBRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
        try csv.write(toFile: "\(output)/posteriordb.csv", atomically: true, encoding: .utf8)
        let summary = summaryTable(rows)
        try summary.write(toFile: "\(output)/posteriordb-summary.md", atomically: true, encoding: .utf8)
        return summary + "\nWrote \(output)/posteriordb.csv and \(output)/posteriordb-summary.md."
    }

    /// The algorithms at rank k, filtered by `algorithms`.
    private func methods(rank k: Int) -> [PosteriorDBMethod] {
        let b = batch, steps = max(1, budget / batch)
        func adam(_ rate: Double) throws -> Adam {
            try Adam(schedule: .linearDecay(initial: rate, final: 1e-5, steps: steps))
        }
        var list = [PosteriorDBMethod(family: "pBaM", setting: "K=\(k) B=\(b)") { try PatchedBaM(rank: k, batchSize: b) },
                    PosteriorDBMethod(family: "BaM", setting: "B=\(b)") { try BatchAndMatch(batchSize: b) }]
        if let tail = tailLambda {
            let fraction = tailFraction, budget = budget
            list.insert(PosteriorDBMethod(family: "pBaM", setting: "K=\(k) B=\(b) then λ=\(tail) for the last \(fraction)") {
                try PatchedBaM(rank: k, batchSize: b, schedule: try .withTail(lambda: tail, fraction: fraction,
                                                                               gradientEvaluations: budget, batchSize: b))
            }, at: 1)
        }
        for rate in adviRates {
            list.append(PosteriorDBMethod(family: "ADVI-LR", setting: "K=\(k) B=\(b) lr=\(rate)->1e-5") {
                try ADVILowRank(rank: k, batchSize: b, optimizer: try adam(rate))
            })
        }
        for rate in adviRates {
            list.append(PosteriorDBMethod(family: "ADVI-D", setting: "B=\(b) lr=\(rate)->1e-5") {
                try ADVIDiagonal(batchSize: b, optimizer: try adam(rate))
            })
        }
        for rate in adviRates {
            list.append(PosteriorDBMethod(family: "ADVI-full", setting: "B=\(b) lr=\(rate)->1e-5") {
                try ADVIFullRank(batchSize: b, optimizer: try adam(rate))
            })
        }
        return algorithms.isEmpty ? list : list.filter { algorithms.contains($0.family.lowercased()) }
    }

    /// One fit, scored; a thrown error becomes a failed row.
    private func score(_ method: PosteriorDBMethod, on target: any PosteriorDBTarget, seed: UInt64) -> PosteriorDBRow {
        var row = PosteriorDBRow(posterior: target.name, dimension: target.dimension, algorithm: method.family,
                                 setting: method.setting, seed: seed, budget: budget)
        var generator = Xoshiro256StarStar(seed: seed)
        let outcome: PosteriorDBFit
        do {
            outcome = try method.fit(target, &generator, FitOptions(maxGradientEvaluations: budget))
        } catch {
            row.error = String(describing: error)
            return row
        }
        row.iterations = outcome.iterations
        row.evaluations = outcome.evaluations
        row.seconds = outcome.seconds
        row.paretoShape = outcome.paretoShape
        row.warnings = outcome.warnings
        row.warningKinds = outcome.warningKinds
        row.reverted = outcome.reverted
        row.retries = outcome.retries
        var drawGenerator = Xoshiro256StarStar(seed: 1_000 + seed)
        let draws = outcome.approximation.sample(count: scoringDraws, using: &drawGenerator)
        var constrained = [[Double]]()
        var firstDrawError: String?
        for s in 0..<draws.columns {
            do {
                constrained.append(try target.constrained(draws.column(s)))
            } catch {
                firstDrawError = firstDrawError ?? String(describing: error)
            }
        }
        row.badDraws = draws.columns - constrained.count
        guard constrained.count >= 2 else {
            row.error = "every draw from q failed constrained(): \(firstDrawError ?? "no draws")"
            return row
        }
        let n = Double(constrained.count)
        var z = [Double](), ratios = [Double]()
        for j in 0..<target.dimension {
            let mean = constrained.reduce(0) { $0 + $1[j] } / n
            let sd = (constrained.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / (n - 1)).squareRoot()
            z.append(abs(mean - target.referenceMean[j]) / target.referenceSD[j])
            ratios.append(sd / target.referenceSD[j])
        }
        row.medianZ = median(z)
        row.exactMedianZ = 0.6745 * median(target.referenceBulkESS.map { (1 / $0 + 1 / n).squareRoot() })
        row.maxZ = z.max() ?? .nan
        if let worst = z.indices.max(by: { z[$0] < z[$1] }) { row.worstParameter = target.parameterNames[worst] }
        row.sdRatioMin = ratios.min() ?? .nan
        row.sdRatioMedian = median(ratios)
        row.sdRatioMax = ratios.max() ?? .nan
        return row
    }

    /// Per posterior and algorithm, the medians over the seeds that did not fail, then every failure.
    private func summaryTable(_ rows: [PosteriorDBRow]) -> String {
        var text = "## posteriordb: constrained-scale error against the reference NUTS draws\n\n"
        text += "Budget \(budget) score evaluations, \(seeds) seeds, \(scoringDraws) draws from q per fit; "
            + "medians over the seeds that did not fail. z = |mean − ref mean| / ref sd over parameters; "
            + "sd ratio = q sd / ref sd.\n\n"
        text += "| posterior | D | algorithm | setting | failed | median z | max z | sd ratio min | median | max | k̂ "
            + "| s/fit | reverted | warnings (fits) |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        var keys = [String]()
        var groups = [String: [PosteriorDBRow]]()
        for row in rows {
            let key = "\(row.posterior)|\(row.algorithm)|\(row.setting)"
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(row)
        }
        func cell(_ values: [Double]) -> String {
            let numbers = values.filter { !$0.isNaN }
            return numbers.isEmpty ? "–" : String(format: "%.3g", median(numbers))
        }
        func warningCounts(_ group: [PosteriorDBRow]) -> String {
            var counts = [String: Int]()
            for row in group { for kind in Set(row.warningKinds) { counts[kind, default: 0] += 1 } }
            return counts.isEmpty ? "–" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        for key in keys {
            let group = groups[key] ?? []
            guard let first = group.first else { continue }
            let ok = group.filter { $0.error == nil }
            text += "| \(first.posterior) | \(first.dimension) | \(first.algorithm) | \(first.setting) | "
                + "\(group.count - ok.count)/\(group.count) | \(cell(ok.map(\.medianZ))) | \(cell(ok.map(\.maxZ))) | "
                + "\(cell(ok.map(\.sdRatioMin))) | \(cell(ok.map(\.sdRatioMedian))) | \(cell(ok.map(\.sdRatioMax))) | "
                + "\(cell(ok.compactMap(\.paretoShape))) | \(cell(ok.map(\.seconds))) | "
                + "\(cell(ok.map { Double($0.reverted) })) | \(warningCounts(ok)) |\n"
        }
        text += comparison(keys.compactMap { groups[$0] })
        let failures = rows.filter { $0.error != nil }
        text += "\n### Failures (\(failures.count) of \(rows.count) fits)\n\n"
        text += failures.isEmpty ? "none\n" : failures.map {
            "- \($0.posterior), \($0.algorithm) \($0.setting), seed \($0.seed): \($0.error ?? "")\n"
        }.joined()
        text += "\nWarnings: k̂ = PSIS k̂ above its threshold, F-grew = the relative Fisher divergence grew, "
            + "F-high = it ends above 0.25, reverted = over a tenth of the steps reverted, patch-cap = pBaM's patch at its "
            + "pass cap, check-failed = the importance check failed, λ-decayed = BaM's λ_t fell below 0.1 with F still high, "
            + "λ-large = BaM's λ_t still ≥ 1 at the end with F high (full texts in the CSV).\n"
        return text
    }
}

/// Per posterior, each pBaM setting's median z (over seeds) against the smallest median z of any
/// ADVI setting, next to z₀, the median z that q = p would score given the reference's Monte Carlo
/// error; both below 2·z₀ means neither is distinguishable from an exact fit by this reference (an
/// exact q's median z over 3–13 parameters stays below 2·z₀ with probability 0.92–0.997).
private func comparison(_ groups: [[PosteriorDBRow]]) -> String {
    func medianZ(_ group: [PosteriorDBRow]) -> Double {
        let z = group.filter { $0.error == nil }.map(\.medianZ)
        return z.isEmpty ? .infinity : median(z)
    }
    var text = "\n### pBaM against the best ADVI\n\n"
    text += "z₀ = the median z of q = p itself (reference bulk ESS and scoring draws); "
        + "\"within 2·z₀\" = both medians below 2·z₀, a tie the reference cannot resolve.\n\n"
    text += "| posterior | D | pBaM setting | pBaM z | best ADVI z | best ADVI | z₀ | verdict |\n|---|---|---|---|---|---|---|---|\n"
    var posteriors = [String]()
    for group in groups { if let p = group.first?.posterior, !posteriors.contains(p) { posteriors.append(p) } }
    var ahead = 0, compared = 0, ties = 0
    for posterior in posteriors {
        let mine = groups.filter { $0.first?.posterior == posterior }
        let advi = mine.filter { $0.first?.algorithm.hasPrefix("ADVI") == true }
        guard let best = advi.min(by: { medianZ($0) < medianZ($1) }), let reference = best.first else { continue }
        let bestZ = medianZ(best)
        for pbam in mine where pbam.first?.algorithm == "pBaM" {
            guard let first = pbam.first else { continue }
            let z = medianZ(pbam)
            let floor = median(pbam.map(\.exactMedianZ).filter { !$0.isNaN })
            let tie = max(z, bestZ) < 2 * floor
            let verdict: String
            if z.isFinite && bestZ.isFinite {
                verdict = (z <= bestZ ? "ahead" : "behind") + (tie ? ", within 2·z₀" : "")
                if !first.setting.contains("then") {
                    compared += 1
                    ahead += z <= bestZ ? 1 : 0
                    ties += tie ? 1 : 0
                }
            } else {
                verdict = z.isFinite ? "every ADVI fit failed" : "every pBaM fit failed"
            }
            text += "| \(first.posterior) | \(first.dimension) | \(first.setting) | " + String(format: "%.3g | %.3g", z, bestZ)
                + " | \(reference.algorithm) \(reference.setting) | " + String(format: "%.2g", floor) + " | \(verdict) |\n"
        }
    }
    text += "\npBaM at its defaults is at most the best ADVI's median z on \(ahead) of \(compared) posteriors "
        + "with fits that did not all fail; on \(ties) of the \(compared) both medians are within 2·z₀.\n"
    return text
}

/// The median of a non-empty array (NaN when empty).
private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted(), m = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m])
}

/// What a fit hands back for scoring.
private struct PosteriorDBFit {
    let approximation: any GaussianApproximation
    let iterations: Int
    let evaluations: Int
    let seconds: Double
    let paretoShape: Double?
    let warnings: [String]
    let warningKinds: [String]
    let reverted: Int
    let retries: Int
}

/// An algorithm with its label, type-erased: builds it and fits it.
private struct PosteriorDBMethod {
    let family: String
    let setting: String
    let fit: (any PosteriorDBTarget, inout Xoshiro256StarStar, FitOptions) throws -> PosteriorDBFit

    init<A: VariationalAlgorithm>(family: String, setting: String, _ make: @escaping () throws -> A) {
        self.family = family
        self.setting = setting
        fit = { target, generator, options in
            let result = try VariationalInference.fit(try make(), model: target, using: &generator, options: options)
            return PosteriorDBFit(approximation: result.approximation, iterations: result.iterations,
                                  evaluations: result.gradientEvaluations, seconds: result.elapsedSeconds,
                                  paretoShape: result.diagnostics?.paretoShape,
                                  warnings: result.warnings.map(\.description),
                                  warningKinds: result.warnings.map(kind), reverted: result.revertedSteps,
                                  retries: result.retries)
        }
    }
}

/// A short label for a warning's kind, for the summary table.
private func kind(_ warning: FitWarning) -> String {
    switch warning {
    case .paretoShapeAboveThreshold: return "k̂"
    case .fisherDivergenceNotDecreasing: return "F-grew"
    case .fisherDivergenceHigh: return "F-high"
    case .manyRevertedSteps: return "reverted"
    case .patchAtCap: return "patch-cap"
    case .diagnosticsFailed: return "check-failed"
    case .learningRateDecayed: return "λ-decayed"
    case .learningRateStillLarge: return "λ-large"
    }
}

/// One fit's line of the CSV.
private struct PosteriorDBRow {
    let posterior: String
    let dimension: Int
    let algorithm: String
    let setting: String
    let seed: UInt64
    let budget: Int
    var iterations = 0
    var evaluations = 0
    var seconds = Double.nan
    var medianZ = Double.nan
    /// The median z that q = p itself would score: the reference means' Monte Carlo error (bulk ESS)
    /// and the scoring draws' combined, 0.6745·median_j √(1/ESS_j + 1/draws).
    var exactMedianZ = Double.nan
    var maxZ = Double.nan
    var worstParameter = ""
    var sdRatioMin = Double.nan
    var sdRatioMedian = Double.nan
    var sdRatioMax = Double.nan
    var paretoShape: Double?
    var badDraws = 0
    var warnings = [String]()
    var warningKinds = [String]()
    var reverted = 0
    var retries = 0
    /// The error's description for a failed fit; nil otherwise.
    var error: String?

    static let csvHeader = "posterior,D,algorithm,setting,seed,budget,iterations,evaluations,reverted,retries,failed,seconds,median_z,exact_median_z,max_z,"
        + "worst_parameter,sd_ratio_min,sd_ratio_median,sd_ratio_max,khat,bad_draws,warnings,error"

    var csvLine: String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\"" }
        let numbers = [seconds, medianZ, exactMedianZ, maxZ].map { String(format: "%.6g", $0) }
        let ratios = [sdRatioMin, sdRatioMedian, sdRatioMax].map { String(format: "%.6g", $0) }
        return [posterior, String(dimension), algorithm, quoted(setting), String(seed), String(budget), String(iterations),
                String(evaluations), String(reverted), String(retries), error == nil ? "0" : "1"].joined(separator: ",") + ","
            + numbers.joined(separator: ",") + ",\(quoted(worstParameter)),"
            + ratios.joined(separator: ",") + "," + (paretoShape.map { String(format: "%.4g", $0) } ?? "")
            + ",\(badDraws),\(quoted(warnings.joined(separator: "; "))),\(quoted(error ?? ""))"
    }
}
