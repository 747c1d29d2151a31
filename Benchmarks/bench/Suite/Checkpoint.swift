/// One row of the benchmark output: the state of one run at one checkpoint.
struct Checkpoint {
    var labels: RunLabels
    var iteration: Int
    var gradientEvaluations: Int
    var wallSeconds: Double
    var metrics: Metrics
    /// Mean EM steps per iteration since the previous checkpoint (pBaM), or nil.
    var emSteps: Double?
    /// The most EM steps (patch passes) of one iteration since the previous checkpoint, over the
    /// iterations after t = 10 only (pBaM), or nil.
    var emStepsMaxAfter10: Int?
    var status: String

    static let csvHeader = "experiment,algorithm,dimension,rank,batch,setting,seed,iteration,grad_evals,wall_seconds,"
        + "kl_reverse,kl_forward,objective,mean_error,ref_mean_error,ref_sd_error,em_steps,em_steps_max_after_t10,status"

    /// The row as CSV (missing metrics are empty fields).
    var csvLine: String {
        func field(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        return [labels.experiment, labels.algorithm, "\(labels.dimension)", "\(labels.rank)", "\(labels.batch)",
                labels.setting, "\(labels.seed)", "\(iteration)",
                "\(gradientEvaluations)", "\(wallSeconds)", field(metrics.klReverse), field(metrics.klForward),
                field(metrics.objective), field(metrics.meanError), field(metrics.referenceMeanError),
                field(metrics.referenceSDError), field(emSteps),
                emStepsMaxAfter10.map { "\($0)" } ?? "", status].joined(separator: ",")
    }
}

/// Quality measures of an approximation at a checkpoint.
struct Metrics {
    /// KL(q‖p) in closed form (Gaussian targets).
    var klReverse: Double?
    /// KL(p‖q) in closed form (Gaussian targets).
    var klForward: Double?
    /// −ELBO, a Monte Carlo estimate with a fixed number of draws (all targets).
    var objective: Double?
    /// ‖μ − reference‖₂ / √D, against the target's known mean or latent field.
    var meanError: Double?
    /// Against the reference approximation (Laplace): the median over coordinates of |μᵢ − μ̂ᵢ|/σ̂ᵢ.
    var referenceMeanError: Double?
    /// Against the reference approximation: the median over coordinates of |σᵢ/σ̂ᵢ − 1|.
    var referenceSDError: Double?
}
