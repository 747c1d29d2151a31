import ArgumentParser
import Foundation
import LowRankLinalg

/// `swift run -c release bench`: KL-versus-gradient-evaluation comparisons of pBaM, BaM and ADVI on
/// the experiments of algorithm.md §8, written as CSV, a summary table and SVG plots.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare pBaM, BaM and ADVI: KL (or -ELBO) against gradient evaluations.")

    enum Experiment: String, ExpressibleByArgument, CaseIterable {
        case gaussian, illconditioned, sinharcsinh, poisson, lgcp, irt, patch, regression, all, kernels, scaling, trust
        case batchLambda = "batch-lambda", rank, schedules
        case emSettings = "em-settings"
        case fairADVI = "fair-advi"
        case scalingPoint = "scaling-point"
        case posteriordb, bnn
    }

    @Option(help: "Which experiment: \(Experiment.allCases.filter { $0 != .scalingPoint }.map(\.rawValue).joined(separator: ", ")).")
    var experiment: Experiment = .gaussian

    @Option(help: "Dimension D (default: the experiment's).")
    var dimension: Int?

    @Option(help: "Variational rank K, and the target's rank r for Gaussian targets (default: the experiment's).")
    var rank: Int?

    @Option(help: "pBaM / ADVI-LR batch size B (default: the experiment's).")
    var batch: Int?

    @Option(help: "Gradient-evaluation budget per run (default: the experiment's).")
    var budget: Int?

    @Option(help: "Number of seeds per algorithm (1, 2, … are used).")
    var seeds: Int = 1

    @Option(parsing: .upToNextOption, help: "ADVI learning rates.")
    var adviRates: [Double] = [1e-3, 1e-2, 1e-1]

    @Option(help: "Checkpoints per run (log-spaced in gradient evaluations).")
    var checkpoints: Int = 30

    @Option(help: "Draws for the -ELBO estimate of non-Gaussian targets.")
    var elboDraws: Int = 64

    @Option(help: "Folder for the CSV, tables and SVG plots.")
    var output: String = "bench-results"

    @Option(parsing: .upToNextOption,
            help: "Run only these algorithms (pBaM, BaM, ADVI-LR, ADVI-D, ADVI-full; case-insensitive; default: all).")
    var algorithms: [String] = []

    @Flag(help: "GP targets (poisson, lgcp): start every algorithm from its default instead of the GP prior N(0, K).")
    var defaultStart = false

    @Flag(help: "GP targets: the paper's long runs, 10,000 iterations of pBaM's batch for every algorithm.")
    var long = false

    @Flag(help: "GP targets: fit in the whitened coordinates u, z = Lu (the non-centred parameterization).")
    var whitened = false

    @Flag(help: "batch-lambda, rank, schedules and em-settings: the full budgets instead of the short default ones.")
    var full = false

    @Option(parsing: .upToNextOption,
            help: "bnn: only these networks (diabetes-H50, diabetes-H500, digits-softmax, digits-H128) or data sets (diabetes, digits).")
    var networks: [String] = []

    @Option(parsing: .upToNextOption,
            help: "posteriordb: only these posteriors (e.g. garch-garch11 arK-arK, or a part of the name such as garch).")
    var posteriors: [String] = []

    @Option(help: "posteriordb: draws from q per fit for the constrained-scale means and sds.")
    var scoringDraws: Int = 100_000

    @Option(help: "bnn: the factor in pBaM's λ_t = factor·B·D/(1 + t)^exponent (default 1, the library's).")
    var lambdaFactor: Double = 1

    @Option(help: "bnn: the exponent in pBaM's λ_t = factor·B·D/(1 + t)^exponent (default 1, the library's).")
    var lambdaExponent: Double = 1

    @Flag(help: "bnn: also run every method started at the mode (ModeSearch; its evaluations count in the budget).")
    var modeStart = false

    @Flag(help: "bnn: also run pBaM and ADVI-LR started at the prior's scale (q₀'s variances set to the prior's).")
    var priorStart = false

    @Option(help: "bnn, posteriordb: also run pBaM with LearningRateSchedule.withTail: the default λ_t, then this constant λ for the last --tail-fraction of the budget.")
    var tailLambda: Double?

    @Option(help: "bnn, posteriordb: the fraction of the budget run with --tail-lambda (default 0.25).")
    var tailFraction: Double = 0.25

    @Option(help: "fair-advi: every fit stops when the median relative Fisher divergence of 10 iterations is below this (default 1e-3).")
    var fisherStop: Double = 1e-3

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Option(parsing: .upToNextOption, help: "Dimensions of the scaling experiment.")
    var dimensions: [Int] = [1_000, 10_000, 100_000, 1_000_000]

    @Option(help: "Iterations per point of the scaling experiment (the first, cold, is excluded from the medians).")
    var iterations: Int = 6

    @Option(help: "EM steps per patch in the scaling experiment (0: the default patch with its convergence test).")
    var emSteps: Int = 20

    @Option(help: .hidden)
    var algorithm: String = "pbam"

    func validate() throws {
        if let d = dimension, d < 2 { throw ValidationError("--dimension must be ≥ 2, got \(d)") }
        if let k = rank, k < 1 { throw ValidationError("--rank must be ≥ 1, got \(k)") }
        if let k = rank, let d = dimension, k >= d { throw ValidationError("--rank (\(k)) must be < --dimension (\(d))") }
        if let b = batch, b < 1 { throw ValidationError("--batch must be ≥ 1, got \(b)") }
        if let n = budget, n < 1 { throw ValidationError("--budget must be ≥ 1, got \(n)") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be ≥ 1, got \(seeds)") }
        guard checkpoints >= 2 else { throw ValidationError("--checkpoints must be ≥ 2, got \(checkpoints)") }
        guard elboDraws >= 1 else { throw ValidationError("--elbo-draws must be ≥ 1, got \(elboDraws)") }
        guard lambdaFactor > 0, lambdaFactor.isFinite else { throw ValidationError("--lambda-factor must be finite and > 0") }
        if let tail = tailLambda { guard tail > 0, tail.isFinite else { throw ValidationError("--tail-lambda must be finite and > 0") } }
        guard tailFraction > 0, tailFraction < 1 else { throw ValidationError("--tail-fraction must be in (0, 1)") }
        guard lambdaExponent >= 0, lambdaExponent.isFinite else { throw ValidationError("--lambda-exponent must be finite and ≥ 0") }
        guard fisherStop > 0, fisherStop.isFinite else { throw ValidationError("--fisher-stop must be finite and > 0") }
        guard emSteps >= 0 else { throw ValidationError("--em-steps must be ≥ 0, got \(emSteps)") }
        guard iterations >= 3 else { throw ValidationError("--iterations must be ≥ 3, got \(iterations)") }
        guard dimensions.allSatisfy({ $0 > (rank ?? 32) }) else {
            throw ValidationError("--dimensions must all exceed the rank \(rank ?? 32)")
        }
        guard adviRates.allSatisfy({ $0 > 0 && $0.isFinite }), !adviRates.isEmpty else {
            throw ValidationError("--advi-rates must be positive numbers")
        }
    }

    func run() throws {
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
        print("OpenBLAS threads: \(BLAS.threadCount) (OPENBLAS_NUM_THREADS=\(threads)), cores: \(ProcessInfo.processInfo.activeProcessorCount)")
        switch experiment {
        case .kernels:
            KernelShape.standard.forEach { print(measureGemm($0).formatted) }
            try KernelBenchmarks(quiet: quiet).run()
            return
        case .scalingPoint:
            print(try measureScalingPoint(algorithm: algorithm, dimension: dimension ?? 10_000, rank: rank ?? 32,
                                          batch: batch ?? 32, iterations: iterations, emSteps: emSteps).jsonLine)
            return
        case .trust:
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            print(try TrustExperiment(seeds: Swift.max(seeds, 3), output: output, progress: Progress(quiet: quiet)).run())
            return
        case .posteriordb:
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            print(try PosteriorDBExperiment(seeds: Swift.max(seeds, 3), budget: budget ?? 100_000, batch: batch ?? 16, rank: rank,
                                            adviRates: adviRates, tailLambda: tailLambda, tailFraction: tailFraction,
                                            algorithms: Set(algorithms.map { $0.lowercased() }), posteriorFilter: posteriors, scoringDraws: scoringDraws,
                                            output: output, progress: Progress(quiet: quiet)).run())
            return
        case .bnn:
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            print(try BNNExperiment(seeds: seeds, budget: budget ?? 10_000, batch: batch ?? 16, rank: rank ?? 32,
                                    lambdaFactor: lambdaFactor, lambdaExponent: lambdaExponent, modeStart: modeStart, priorStart: priorStart,
                                    tailLambda: tailLambda, tailFraction: tailFraction, adviRates: adviRates, algorithms: Set(algorithms.map { $0.lowercased() }),
                                    targetFilter: networks, output: output, progress: Progress(quiet: quiet)).run())
            return
        case .fairADVI:
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            print(try FairADVIExperiment(seeds: Swift.max(seeds, 3), budget: budget ?? (full ? 64_000 : 16_000),
                                         rule: .fisherDivergence(below: fisherStop), output: output,
                                         progress: Progress(quiet: quiet)).run())
            return
        case .scaling:
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try ScalingExperiment(dimensions: dimensions, rank: rank ?? 32, batch: batch ?? 32, iterations: iterations,
                                  emSteps: emSteps, output: output, progress: Progress(quiet: quiet)).run()
            return
        default:
            break
        }
        let settings = ExperimentSettings(dimension: dimension, rank: rank, batch: batch, budget: budget,
                                          adviRates: adviRates, elboDraws: elboDraws, priorStart: !defaultStart, long: long, whitened: whitened, full: full)
        let progress = Progress(quiet: quiet)
        let seedList = (1...seeds).map(UInt64.init)
        let chosen: [Experiment] = experiment == .all
            ? [.gaussian, .illconditioned, .sinharcsinh, .poisson, .lgcp, .irt] : [experiment]
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var csv = Checkpoint.csvHeader + "\n"
        var tables = ""
        for name in chosen {
            let reports: [Report]
            switch name {
            case .gaussian: reports = [execute(try gaussianPlan(settings), seedList, progress)]
            case .illconditioned: reports = [execute(try illConditionedPlan(settings), seedList, progress)]
            case .sinharcsinh: reports = [execute(try sinhArcsinhPlan(settings), seedList, progress)]
            case .poisson: reports = [execute(try poissonPlan(settings), seedList, progress)]
            case .lgcp: reports = [execute(try coxProcessPlan(settings), seedList, progress)]
            case .irt: reports = [execute(try itemResponsePlan(settings), seedList, progress)]
            case .patch:
                reports = [execute(try patchGaussianPlan(settings), seedList, progress),
                           execute(try patchRegressionPlan(settings), seedList, progress)]
            case .regression: reports = [execute(try patchRegressionPlan(settings), seedList, progress)]
            case .batchLambda:
                reports = try batchLambdaPlans(settings).map { execute($0, seedList, progress) }
                    + [execute(try batchLambdaRegressionPlan(settings), seedList, progress)]
            case .rank: reports = try rankPlans(settings).map { execute($0, seedList, progress) }
            case .schedules:
                let (gaussian, regression) = try schedulePlans(settings)
                reports = [execute(gaussian, seedList, progress), execute(regression, seedList, progress)]
            case .emSettings: reports = [execute(try emSettingsPlan(settings), seedList, progress)]
            case .all, .kernels, .scaling, .scalingPoint, .trust, .posteriordb, .bnn, .fairADVI: continue
            }
            for report in reports {
                csv += report.rows.map(\.csvLine).joined(separator: "\n") + "\n"
                let table = report.table()
                print("\n" + table)
                tables += table + "\n"
                try report.plot().write(toFile: "\(output)/\(report.experiment).svg", atomically: true, encoding: .utf8)
                try report.timePlot().write(toFile: "\(output)/\(report.experiment)-seconds.svg", atomically: true, encoding: .utf8)
            }
            if name == .patch {
                let gaps = try patchGapTable(settings, progress: progress)
                print("\n" + gaps)
                tables += gaps + "\n"
            }
        }
        let stem = experiment.rawValue
        try csv.write(toFile: "\(output)/\(stem).csv", atomically: true, encoding: .utf8)
        try tables.write(toFile: "\(output)/\(stem)-summary.md", atomically: true, encoding: .utf8)
        print("Wrote \(output)/\(stem).csv, \(output)/\(stem)-summary.md and the SVG plots in \(output)/.")
    }

    private func execute<Model>(_ plan: ExperimentPlan<Model>, _ seeds: [UInt64], _ progress: Progress) -> Report {
        var plan = plan
        let wanted = Set(algorithms.map { $0.lowercased() })
        if !wanted.isEmpty { plan.algorithms.removeAll { !wanted.contains($0.name.lowercased()) } }
        let reference = plan.evaluation.reference.map { ($0.name, plan.evaluation.metrics($0.approximation)) }
        return Report(experiment: plan.name, description: plan.description,
                      rows: plan.execute(seeds: seeds, checkpoints: checkpoints, progress: progress), budget: plan.budget,
                      reference: reference)
    }
}
