import Foundation
import VariationalInference

/// One algorithm with its settings, as a line in a benchmark plot.
enum AlgorithmChoice {
    /// pBaM with the reference experiment settings unless stated: Lawrence EM, warm start,
    /// pre-patch mean; `referenceStart` uses the scripts' unscaled Λ₀ and the N(0, I) first batch.
    case pbam(rank: Int, batch: Int, schedule: LearningRateSchedule, patch: PatchSolver, referenceStart: Bool)
    /// Dense BaM (small D only).
    case bam(batch: Int, schedule: LearningRateSchedule)
    /// ADVI-LR; with `decay`, the rate falls linearly to 1e-5 over the run (the reference scripts);
    /// `referenceStart` uses the scripts' unscaled Λ₀, otherwise the library default (as pBaM).
    case adviLowRank(rank: Int, batch: Int, rate: Double, decay: RateDecay, referenceStart: Bool)
    /// ADVI-D.
    case adviDiagonal(batch: Int, rate: Double, decay: RateDecay)
    /// Full-rank ADVI (small D only).
    case adviFullRank(batch: Int, rate: Double, decay: RateDecay)

    var name: String {
        switch self {
        case .pbam: return "pBaM"
        case .bam: return "BaM"
        case .adviLowRank: return "ADVI-LR"
        case .adviDiagonal: return "ADVI-D"
        case .adviFullRank: return "ADVI-full"
        }
    }

    var setting: String {
        switch self {
        case .pbam(let k, let b, let schedule, let solver, let referenceStart):
            let start = (referenceStart ? " ref-start" : "") + " K=\(k) B=\(b)"
            switch solver {
            case .profile(let patch):
                return "\(describe(schedule)) profile tol=\(patch.tolerance) cap=\(patch.maxPasses)\(start)"
            case .em(let patch):
                let minimum = patch.minimumSteps == 5 ? "" : " minEM=\(patch.minimumSteps)"
                let test = patch.convergenceTest == .klChange ? "KL-change" : "F-ratio"
                return "\(describe(schedule)) EM eta=\(patch.relaxation) \(test) tol=\(patch.tolerance)\(minimum)\(start)"
            case .truncatedEigen(let patch):
                return "\(describe(schedule)) truncated-eigen cap=\(patch.maxPasses)\(start)"
            }
        case .bam(let b, let schedule): return "\(describe(schedule)) B=\(b)"
        case .adviLowRank(_, _, let rate, let decay, let referenceStart):
            return "lr=\(rate)\(decay.label)\(referenceStart ? " ref-start" : "")"
        case .adviDiagonal(_, let rate, let decay), .adviFullRank(_, let rate, let decay):
            return "lr=\(rate)\(decay.label)"
        }
    }

    var batch: Int {
        switch self {
        case .pbam(_, let b, _, _, _), .bam(let b, _), .adviLowRank(_, let b, _, _, _), .adviDiagonal(let b, _, _),
             .adviFullRank(let b, _, _):
            return b
        }
    }

    var rank: Int {
        switch self {
        case .pbam(let k, _, _, _, _), .adviLowRank(let k, _, _, _, _): return k
        case .bam, .adviDiagonal, .adviFullRank: return 0
        }
    }

    /// Runs this algorithm once and returns its checkpoints.
    func run<Model: LogDensityModel>(_ evaluation: TargetEvaluation<Model>, experiment: String, seed: UInt64, budget: Int,
                                     checkpoints: Int, progress: Progress) throws -> [Checkpoint] {
        let d = evaluation.model.dimension
        let labels = RunLabels(experiment: experiment, algorithm: name, setting: setting, dimension: d, rank: rank,
                               batch: batch, seed: seed)
        func adam(_ rate: Double, _ decay: RateDecay) throws -> Adam {
            try Adam(schedule: decay.schedule(rate, steps: max(1, budget / batch)))
        }
        let unscaled = LowRankInitialization.random(lambdaScale: Double(d * max(rank, 1)).squareRoot())
        func lowRankStart(_ k: Int) throws -> LowRankInitialization {
            try evaluation.starts.map { .given(try $0.lowRank(k)) } ?? .random(lambdaScale: 1)
        }
        switch self {
        case .pbam(let k, let b, let schedule, let patch, let referenceStart):
            let algorithm = try PatchedBaM(rank: k, batchSize: b, schedule: schedule, patch: patch,
                                           initialization: referenceStart ? unscaled : try lowRankStart(k),
                                           firstBatchFromStandardNormal: referenceStart)
            return runCheckpointed(algorithm, evaluation: evaluation, labels: labels, budget: budget,
                                   checkpoints: checkpoints, progress: progress)
        case .bam(let b, let schedule):
            return runCheckpointed(try BatchAndMatch(batchSize: b, schedule: schedule, initialization: evaluation.starts?.dense),
                                   evaluation: evaluation,
                                   labels: labels, budget: budget, checkpoints: checkpoints, progress: progress)
        case .adviLowRank(let k, let b, let rate, let decay, let referenceStart):
            let algorithm = try ADVILowRank(rank: k, batchSize: b, optimizer: adam(rate, decay),
                                            initialization: referenceStart ? unscaled : try lowRankStart(k))
            return runCheckpointed(algorithm, evaluation: evaluation, labels: labels, budget: budget,
                                   checkpoints: checkpoints, progress: progress)
        case .adviDiagonal(let b, let rate, let decay):
            return runCheckpointed(try ADVIDiagonal(batchSize: b, optimizer: adam(rate, decay),
                                                    initialization: evaluation.starts?.diagonal ?? nil), evaluation: evaluation,
                                   labels: labels, budget: budget, checkpoints: checkpoints, progress: progress)
        case .adviFullRank(let b, let rate, let decay):
            return runCheckpointed(try ADVIFullRank(batchSize: b, optimizer: adam(rate, decay)), evaluation: evaluation,
                                   labels: labels, budget: budget, checkpoints: checkpoints, progress: progress)
        }
    }
}

/// How an ADVI step size α changes over a run of T = budget / B steps.
enum RateDecay {
    /// α throughout.
    case none
    /// Linearly from α to 1e-5 (the reference scripts).
    case reference
    /// α / (1 + t)^s.
    case inverse(exponent: Double)
    /// Linearly from α to α/1000 over T.
    case linear
    /// A cosine from α to α/1000 over T.
    case cosine

    /// Adam's schedule for a run of `steps` steps.
    func schedule(_ rate: Double, steps: Int) -> StepSizeSchedule {
        switch self {
        case .none: return .constant(rate)
        case .reference: return .linearDecay(initial: rate, final: 1e-5, steps: steps)
        case .inverse(let exponent): return .decaying(initial: rate, exponent: exponent)
        case .linear: return .linearDecay(initial: rate, final: rate / 1000, steps: steps)
        case .cosine: return .cosineDecay(initial: rate, final: rate / 1000, steps: steps)
        }
    }

    /// The suffix of the setting's label.
    var label: String {
        switch self {
        case .none: return ""
        case .reference: return " linear->1e-5"
        case .inverse(let exponent): return exponent == 1 ? "/(1+t)" : "/(1+t)^\(exponent)"
        case .linear: return " linear->/1000"
        case .cosine: return " cosine->/1000"
        }
    }
}

private func describe(_ schedule: LearningRateSchedule) -> String {
    switch schedule {
    case .linearDecay(let initial, _, _): return "lambda=\(number(initial)) linear->/1000"
    case .cosineDecay(let initial, _, _): return "lambda=\(number(initial)) cosine->/1000"
    case .constant(let lambda): return "lambda=\(number(lambda))"
    case .decaying(let initial, let exponent):
        return exponent == 1 ? "lambda=\(number(initial))/(1+t)" : "lambda=\(number(initial))/(1+t)^\(exponent)"
    case .scaled(let factor, let exponent):
        return exponent == 1 ? "lambda=\(factor)BD/(1+t)" : "lambda=\(factor)BD/(1+t)^\(exponent)"
    case .switched(let first, let then, let iteration):
        return "\(describe(first)) then \(describe(then)) from t=\(iteration)"
    }
}

/// An integer-valued λ without its ".0", any other as Swift prints it.
private func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
}
