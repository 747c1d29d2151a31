import VariationalInference

/// One experiment: a target, how to score it, and the algorithms to compare on it.
struct ExperimentPlan<Model: LogDensityModel> {
    var name: String
    var description: String
    var evaluation: TargetEvaluation<Model>
    var algorithms: [AlgorithmChoice]
    var budget: Int

    /// Every algorithm for every seed; an algorithm that cannot be built is reported and skipped.
    func execute(seeds: [UInt64], checkpoints: Int, progress: Progress) -> [Checkpoint] {
        progress.note("== \(name): \(description), budget \(budget) gradient evaluations")
        var rows: [Checkpoint] = []
        for algorithm in algorithms {
            for seed in seeds {
                do {
                    rows += try algorithm.run(evaluation, experiment: name, seed: seed, budget: budget,
                                              checkpoints: checkpoints, progress: progress)
                } catch {
                    progress.note("\(algorithm.name) \(algorithm.setting): not run: \(error)")
                }
            }
        }
        return rows
    }
}
