import Foundation
import LowRankLinalg

/// `bench --experiment scaling`: pBaM and ADVI-LR on the E1 target for several D, each point in a
/// child process of this executable (so that each peak resident memory is its own), then a table,
/// the fitted exponents of time against D, a CSV and an SVG plot.
struct ScalingExperiment {
    let dimensions: [Int]
    let rank: Int
    let batch: Int
    let iterations: Int
    let emSteps: Int
    let output: String
    let progress: Progress

    func run() throws {
        var rows: [ScalingMeasurement] = []
        for d in dimensions {
            for algorithm in ["pbam", "advi-lr"] {
                progress.note("scaling: \(algorithm) D=\(d) (\(iterations) iterations)")
                rows.append(try child(algorithm: algorithm, dimension: d))
            }
        }
        let csv = ([ScalingMeasurement.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
        try csv.write(toFile: "\(output)/scaling.csv", atomically: true, encoding: .utf8)
        let table = table(rows)
        print("\n" + table)
        try table.write(toFile: "\(output)/scaling-summary.md", atomically: true, encoding: .utf8)
        try Self.plot(rows).render().write(toFile: "\(output)/scaling.svg", atomically: true, encoding: .utf8)
        print("Wrote \(output)/scaling.csv, \(output)/scaling-summary.md and \(output)/scaling.svg.")
    }

    /// Runs one point in a child process and decodes the JSON line it prints last.
    private func child(algorithm: String, dimension: Int) throws -> ScalingMeasurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--experiment", "scaling-point", "--algorithm", algorithm, "--dimension", "\(dimension)",
                             "--rank", "\(rank)", "--batch", "\(batch)", "--iterations", "\(iterations)",
                             "--em-steps", "\(emSteps)", "--quiet"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let row = try? ScalingMeasurement(jsonLine: String(line)) else {
            throw ValidationErrorMessage("scaling point \(algorithm) D=\(dimension) failed (status \(process.terminationStatus)): \(text)")
        }
        return row
    }

    /// The least-squares slope of log(time) against log(D) over the points with D ≥ `from`.
    static func exponent(_ rows: [ScalingMeasurement], from: Int, _ time: (ScalingMeasurement) -> Double) -> Double {
        let points = rows.filter { $0.dimension >= from }.map { (log(Double($0.dimension)), log(time($0))) }
        guard points.count >= 2 else { return .nan }
        let mx = points.map(\.0).reduce(0, +) / Double(points.count), my = points.map(\.1).reduce(0, +) / Double(points.count)
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxy / sxx
    }

    func table(_ rows: [ScalingMeasurement]) -> String {
        func f(_ v: Double, _ format: String) -> String { v.isFinite ? String(format: format, v) : "—" }
        var lines = [
            "## Scaling: E1 Gaussian, K = B = \(rows.first?.rank ?? 0), OpenBLAS threads \(rows.first?.blasThreads ?? 0), "
                + (emSteps > 0 ? "\(emSteps) EM steps per patch" : "default patch (KL-change test)"),
            "",
            "| algorithm | D | s/iter | sampling | scores | match/update | patch | EM steps | s/EM step | first iter s | peak RSS MB (baseline) | pBaM factors MB | GFLOP/s | gemm NN / TN GFLOP/s | fraction of gemm | D-sized allocs/iter (other ≥ 8D B) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows {
            let mb = 1.0 / Double(1 << 20)
            lines.append("| \(r.algorithm) | \(r.dimension) | \(f(r.secondsPerIteration, "%.4g")) | \(f(r.sampling, "%.3g")) | "
                + "\(f(r.scores, "%.3g")) | \(f(r.update, "%.3g")) | \(f(r.patch, "%.3g")) | \(f(r.emSteps, "%.0f")) | "
                + "\(f(r.secondsPerEMStep, "%.3g")) | \(f(r.firstIterationSeconds, "%.3g")) | "
                + "\(f(r.peakBytes * mb, "%.0f")) (\(f(r.baselineBytes * mb, "%.0f"))) | \(f(r.factorBytes * mb, "%.0f")) | "
                + "\(f(r.rate / 1e9, "%.1f")) | \(f(r.gemmRateNN / 1e9, "%.1f")) / \(f(r.gemmRateTN / 1e9, "%.1f")) | "
                + "\(f(r.gemmFraction, "%.2f")) | \(f(r.largeAllocationsPerIteration, "%.1f")) (\(f(r.otherLargeAllocationsPerIteration, "%.0f"))) |")
        }
        lines.append("")
        for algorithm in ["pbam", "advi-lr"] {
            let subset = rows.filter { $0.algorithm == algorithm }
            lines.append("- \(algorithm): time exponent (least squares, D ≥ 10⁴) per iteration "
                + "\(f(Self.exponent(subset, from: 10_000, \.secondsPerIteration), "%.3f"))"
                + (algorithm == "pbam"
                    ? ", per EM step \(f(Self.exponent(subset, from: 10_000, \.secondsPerEMStep), "%.3f"))"
                        + ", of the iteration's time without the patch "
                        + "\(f(Self.exponent(subset, from: 10_000) { $0.sampling + $0.scores + $0.update }, "%.3f"))"
                    : ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func plot(_ rows: [ScalingMeasurement]) -> SVGPlot {
        func series(_ name: String, _ algorithm: String, _ y: (ScalingMeasurement) -> Double) -> SVGPlot.Series {
            SVGPlot.Series(name: name, points: rows.filter { $0.algorithm == algorithm }.map { (Double($0.dimension), y($0)) })
        }
        return SVGPlot(title: "Seconds per iteration against D (E1, K = B = \(rows.first?.rank ?? 0), medians)",
                       xLabel: "dimension D", yLabel: "seconds per iteration",
                       series: [
                           series("pBaM, whole iteration", "pbam", \.secondsPerIteration),
                           series("pBaM, patch (EM)", "pbam", \.patch),
                           series("pBaM, match", "pbam", \.update),
                           series("pBaM, scores", "pbam", \.scores),
                           series("pBaM, one EM step", "pbam", \.secondsPerEMStep),
                           series("ADVI-LR, whole iteration", "advi-lr", \.secondsPerIteration),
                       ])
    }
}
