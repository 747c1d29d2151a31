import Foundation
import LowRankLinalg
import VariationalInference

/// Micro-benchmarks of pBaM's kernels at a fixed D = 20,000, K = B = 32, through their public,
/// allocating entry points: the low-rank match (`LowRankBaMUpdate`), one EM step
/// (`FactorAnalysisPatch.emStep`) and the LR+D Woodbury solve of a D×B block. A few seconds in all,
/// so that they run in CI time; pBaM's in-place versions are timed per phase by `--experiment scaling`.
struct KernelBenchmarks {
    let quiet: Bool
    let dimension = 20_000, rank = 32, batch = 32

    func run() throws {
        var generator = Xoshiro256StarStar(seed: 7)
        let d = dimension, k = rank, b = batch
        let psi = generator.uniforms(d, in: 0.5..<1.5)
        let lambda = generator.standardNormalMatrix(rows: d, columns: k)
        let mean = generator.standardNormals(d)
        let points = generator.standardNormalMatrix(rows: d, columns: b)
        let scores = generator.standardNormalMatrix(rows: d, columns: b)
        let rate = Double(b * d)
        let r = Double(k + b + 1), p = Double(b + 1), dd = Double(d), kk = Double(k)
        print("Kernels at D = \(d), K = B = \(k):")

        let w = Double(k + 2 * b), bb = Double(b)
        let matchFlops = 4 * dd * bb * (bb - 1) + 6 * dd * w * w + 4 * dd * w
        try report("low-rank match (LowRankBaMUpdate)", flops: matchFlops) {
            _ = try LowRankBaMUpdate(mean: mean, psi: psi, lambda: lambda, points: points, scores: scores, learningRate: rate)
        }

        let update = try LowRankBaMUpdate(mean: mean, psi: psi, lambda: lambda, points: points, scores: scores, learningRate: rate)
        let target = update.covariance, diagonal = target.diagonal
        let emFlops = 4 * dd * kk * (r + p) + 6 * dd * kk * kk
        try report("one EM step (FactorAnalysisPatch.emStep)", flops: emFlops) {
            _ = try FactorAnalysisPatch.emStep(target: target, targetDiagonal: diagonal, psi: psi, lambda: lambda, jitter: 1e-6)
        }

        let sigma = try LowRankPlusDiagonal(psi: psi, lambda: lambda)
        var block = points
        report("Woodbury solve of a D×B block (LowRankPlusDiagonal.solveInPlace)", flops: 4 * dd * kk * Double(b)) {
            sigma.solveInPlace(&block)
        }
    }

    /// Times `body`: one warm-up, then repeats for about half a second; prints the median.
    private func report(_ name: String, flops: Double, _ body: () throws -> Void) rethrows {
        try body()
        let clock = ContinuousClock()
        var times: [Double] = []
        var total = 0.0
        while times.count < 5 || (total < 0.5 && times.count < 100) {
            let start = clock.now
            try body()
            let seconds = (clock.now - start).inSeconds
            times.append(seconds)
            total += seconds
        }
        times.sort()
        let median = times[times.count / 2]
        print(String(format: "  %@: median %.2f ms, %.1f GFLOP/s (%d runs)", name, median * 1e3, flops / median / 1e9, times.count))
    }
}
