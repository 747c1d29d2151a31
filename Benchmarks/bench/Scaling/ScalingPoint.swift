import AllocationCounter
import Foundation
import LowRankLinalg
import Targets
import VariationalInference

/// What one (algorithm, D) point of the scaling experiment measured, in its own process so that its
/// peak resident memory is its own. Times are medians over the steady-state iterations (all but the
/// first, whose patch starts cold). The child process hands it to the parent as one JSON line
/// (`jsonLine`, non-finite values as strings).
struct ScalingMeasurement: Codable {
    var algorithm: String
    var dimension: Int
    var rank: Int
    var batch: Int
    var iterations: Int
    var secondsPerIteration: Double
    var sampling: Double
    var scores: Double
    var update: Double
    var patch: Double
    var emSteps: Double
    var secondsPerEMStep: Double
    var firstIterationSeconds: Double
    var baselineBytes: Double
    var peakBytes: Double
    var factorBytes: Double
    var flopsPerIteration: Double
    var gemmRateNN: Double
    var gemmRateTN: Double
    var largeAllocationsPerIteration: Double
    var otherLargeAllocationsPerIteration: Double
    var blasThreads: Int

    static let csvHeader = "algorithm,D,K,B,iterations,s_per_iter,sampling_s,scores_s,update_s,patch_s,em_steps,s_per_em_step,"
        + "first_iter_s,baseline_rss_mb,peak_rss_mb,factor_mb,gflop_per_iter,gflops,gemm_nn_gflops,gemm_tn_gflops,"
        + "gemm_fraction,d_sized_allocs_per_iter,other_large_allocs_per_iter,blas_threads"

    /// The flop rate of the iteration (flops of the linear algebra and the scores over the median time).
    var rate: Double { flopsPerIteration / secondsPerIteration }
    /// That rate over the better of the two `dgemm` rates measured on the iteration's shapes.
    var gemmFraction: Double { rate / max(gemmRateNN, gemmRateTN) }

    var csvLine: String {
        let mb = 1.0 / Double(1 << 20)
        let values: [String] = [
            algorithm, "\(dimension)", "\(rank)", "\(batch)", "\(iterations)",
            g(secondsPerIteration), g(sampling), g(scores), g(update), g(patch), g(emSteps), g(secondsPerEMStep),
            g(firstIterationSeconds), g(baselineBytes * mb), g(peakBytes * mb), g(factorBytes * mb),
            g(flopsPerIteration / 1e9), g(rate / 1e9), g(gemmRateNN / 1e9), g(gemmRateTN / 1e9), g(gemmFraction),
            g(largeAllocationsPerIteration), g(otherLargeAllocationsPerIteration), "\(blasThreads)",
        ]
        return values.joined(separator: ",")
    }

    private func g(_ v: Double) -> String { String(format: "%.6g", v) }
}

extension ScalingMeasurement {
    /// The measurement as one line of JSON, exact (NaN and ±∞ as the strings "nan", "inf", "-inf").
    var jsonLine: String {
        get throws {
            let encoder = JSONEncoder()
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                          nan: "nan")
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }

    /// The measurement that `jsonLine` wrote.
    init(jsonLine: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        self = try decoder.decode(Self.self, from: Data(jsonLine.utf8))
    }
}

/// Runs one scaling point in this process: E1 target of dimension D and rank r = K, then `iterations`
/// steps of pBaM (λ_t = BD/(1+t); a patch of exactly `emSteps` EM steps, or the default patch with
/// its convergence test when `emSteps` is 0) or ADVI-LR (Adam at 1e-2), each timed by phase.
/// The `AllocationCounter` malloc interposer counts, over the iterations from t = 2 on (t = 0 starts
/// the patch cold, t = 1 allocates the spare approximation that later iterations recycle), the
/// allocations of Swift arrays of m·D doubles (D-sized buffers) and, apart, the other allocations of
/// at least 8D bytes (OpenBLAS's per-call thread buffers of 512 KiB when 8D ≤ 512 KiB).
func measureScalingPoint(algorithm name: String, dimension d: Int, rank k: Int, batch b: Int,
                         iterations: Int, emSteps fixedEMSteps: Int) throws -> ScalingMeasurement {
    var generator = Xoshiro256StarStar(seed: 1)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: k, using: &generator)
    let baseline = ProcessMemory.resident
    let reports: [StepReport]
    var allocations = (dSized: 0, other: 0)
    switch name {
    case "pbam":
        let patch: PatchSolver = fixedEMSteps > 0 ? .em(try FactorAnalysisPatch(maxSteps: fixedEMSteps, tolerance: 0)) : .standard
        let algorithm = try PatchedBaM(rank: k, batchSize: b, schedule: .decaying(initial: Double(b * d), exponent: 1),
                                       patch: patch)
        (reports, allocations) = try timedSteps(algorithm, target, iterations, &generator)
    case "advi-lr":
        let algorithm = try ADVILowRank(rank: k, batchSize: b, optimizer: try Adam(schedule: .constant(1e-2)))
        (reports, allocations) = try timedSteps(algorithm, target, iterations, &generator)
    default:
        throw ValidationErrorMessage("unknown scaling algorithm \(name)")
    }
    let peak = ProcessMemory.peakResident
    let steady = Array(reports.dropFirst())
    func median(_ f: (StepReport) -> Double) -> Double {
        let values = steady.map(f).sorted()
        return values.isEmpty ? .nan : values[values.count / 2]
    }
    let emSteps = median { Double($0.emSteps ?? 0) }
    let seconds = median { $0.timings.total }
    // The E1 score is 4DrB flops (two products with the target's D×r Woodbury factor); ADVI-LR's
    // iteration has no flop count in algorithm.md beyond its order, so it gets no rate.
    let count = fixedEMSteps > 0
        ? PatchedBaMFlopCount(dimension: d, rank: k, batchSize: b, emSteps: Int(emSteps))
        : PatchedBaMFlopCount(dimension: d, rank: k, batchSize: b, profilePasses: Int(emSteps),
                              oversampling: ProfilePatch.standard.oversampling)
    let flops = name == "pbam" ? count.total + 4 * Double(d * k * b) : .nan
    let perEMStep = steady.compactMap { r -> Double? in
        guard let n = r.emSteps, n > 0 else { return nil }
        return r.timings.patch / Double(n)
    }.sorted()
    let factorColumns = name == "pbam" ? k + 2 * b + 1 : k + b + 2
    let nn = measureGemm(KernelShape(name: "NN", m: d, k: k + 2 * b, n: k))
    let tn = measureGemm(KernelShape(name: "TN", m: k + 2 * b, k: d, n: k, transA: .transpose))
    return ScalingMeasurement(
        algorithm: name, dimension: d, rank: k, batch: b, iterations: reports.count, secondsPerIteration: seconds,
        sampling: median { $0.timings.sampling }, scores: median { $0.timings.scores },
        update: median { $0.timings.update }, patch: median { $0.timings.patch }, emSteps: emSteps,
        secondsPerEMStep: perEMStep.isEmpty ? .nan : perEMStep[perEMStep.count / 2],
        firstIterationSeconds: reports.first?.timings.total ?? .nan, baselineBytes: baseline, peakBytes: peak,
        factorBytes: 8 * Double(d * factorColumns), flopsPerIteration: flops,
        gemmRateNN: nn.flops / nn.medianSeconds, gemmRateTN: tn.flops / tn.medianSeconds,
        largeAllocationsPerIteration: Double(allocations.dSized) / Double(max(1, reports.count - 2)),
        otherLargeAllocationsPerIteration: Double(allocations.other) / Double(max(1, reports.count - 2)),
        blasThreads: BLAS.threadCount)
}

/// `iterations` steps from a fresh state; returns their reports and the allocations of D-sized
/// Swift arrays and of other blocks of at least 8D bytes made by the steps from t = 2 on.
private func timedSteps<Algorithm: VariationalAlgorithm, Model: LogDensityModel>(
    _ algorithm: Algorithm, _ model: Model, _ iterations: Int, _ generator: inout Xoshiro256StarStar
) throws -> ([StepReport], (dSized: Int, other: Int)) {
    var state = try algorithm.initialState(dimension: model.dimension, using: &generator)
    var reports: [StepReport] = []
    reports.reserveCapacity(iterations)
    for t in 0..<iterations {
        if t == 2 { allocation_counter_start(8 * model.dimension, 32) }
        reports.append(try algorithm.step(&state, model: model, using: &generator))
    }
    allocation_counter_stop()
    guard iterations > 2 else { return (reports, (0, 0)) }
    let dSized = allocation_counter_unit_count()
    return (reports, (dSized, allocation_counter_large_count() - dSized))
}

/// A thrown message for the bench's own input errors.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
