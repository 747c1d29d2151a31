import Foundation

/// The summary table, the CSV and the plot of one experiment's checkpoints.
struct Report {
    let experiment: String
    let description: String
    let rows: [Checkpoint]
    let budget: Int
    /// The reference approximation's name and metrics (Laplace for the GP targets), or nil.
    var reference: (name: String, metrics: Metrics)?

    /// The runs of each algorithm and setting, in first-seen order.
    private var groups: [(key: String, rows: [Checkpoint])] {
        var order: [String] = [], byKey: [String: [Checkpoint]] = [:]
        for row in rows {
            let key = "\(row.labels.algorithm) \(row.labels.setting)"
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(row)
        }
        return order.map { ($0, byKey[$0]!) }
    }

    private var isGaussian: Bool { rows.contains { $0.metrics.klReverse != nil } }

    /// The quantity plotted and tabulated: reverse KL for Gaussian targets, −ELBO otherwise.
    private func value(_ row: Checkpoint) -> Double? { isGaussian ? row.metrics.klReverse : row.metrics.objective }

    /// A Markdown table: for each algorithm, the value at 10% and 100% of the budget (median over
    /// seeds), gradient evaluations and wall seconds to reach KL thresholds (Gaussian targets) or the
    /// mean error, seconds per iteration, and pBaM's mean patch passes per iteration (weighted by the
    /// iterations between checkpoints) with the most passes of one iteration after t = 10.
    func table() -> String {
        let thresholds = [1.0, 0.1, 0.01]
        let name = isGaussian ? "KL(q||p)" : "-ELBO"
        var header = "| algorithm | setting | \(name) @ \(budget / 10) | \(name) @ \(budget) |"
        let gaps = [10.0, 2.0]
        let versus = reference.map { r in " mean err vs \(r.name) (sds) | sd err vs \(r.name) |"
            + gaps.map { " evals (s) to within \(Int($0)) nats |" }.joined() } ?? ""
        header += isGaussian ? thresholds.map { " evals (s) to KL<\($0) |" }.joined() : " mean error |" + versus
        let columns = isGaussian ? 9 : 7 + (reference == nil ? 0 : 2 + gaps.count)
        header += " s/iter | patch passes/iter (max after t=10) |\n|" + String(repeating: "---|", count: columns) + "\n"
        var out = "### \(experiment): \(description)\n\n" + header
        if let reference, !isGaussian {
            let value = format(reference.metrics.objective)
            out += "| reference | \(reference.name) | \(value) | \(value) | \(format(reference.metrics.meanError)) | 0 | 0 |"
                + String(repeating: " — |", count: gaps.count + 2) + "\n"
        }
        for (_, group) in groups {
            let seeds = Dictionary(grouping: group, by: \.labels.seed).values.map { $0.sorted { $0.gradientEvaluations < $1.gradientEvaluations } }
            func atBudget(_ b: Int) -> String {
                format(median(seeds.compactMap { run in run.last { $0.gradientEvaluations <= b }.flatMap(value) }))
            }
            var line = "| \(group[0].labels.algorithm) | \(group[0].labels.setting) | \(atBudget(budget / 10)) | \(atBudget(budget)) |"
            if isGaussian {
                for t in thresholds {
                    let reached = seeds.map { run in run.first { ($0.metrics.klReverse ?? .infinity) < t } }
                    guard !reached.contains(where: { $0 == nil }) else { line += " — |"; continue }
                    let evaluations = Int(median(reached.compactMap { $0.map { Double($0.gradientEvaluations) } }) ?? 0)
                    line += " \(evaluations) (\(format(median(reached.compactMap { $0?.wallSeconds }), digits: 3)) s) |"
                }
            } else {
                line += " \(format(median(seeds.compactMap { $0.last?.metrics.meanError }))) |"
                if let reference {
                    line += " \(format(median(seeds.compactMap { $0.last?.metrics.referenceMeanError }), digits: 3)) |"
                        + " \(format(median(seeds.compactMap { $0.last?.metrics.referenceSDError }), digits: 3)) |"
                    for gap in gaps {
                        let goal = (reference.metrics.objective ?? -.infinity) + gap
                        let reached = seeds.map { run in run.first { ($0.metrics.objective ?? .infinity) <= goal } }
                        guard !reached.contains(where: { $0 == nil }) else { line += " — |"; continue }
                        let evaluations = Int(median(reached.compactMap { $0.map { Double($0.gradientEvaluations) } }) ?? 0)
                        line += " \(evaluations) (\(format(median(reached.compactMap { $0?.wallSeconds }), digits: 3)) s) |"
                    }
                }
            }
            let perIteration = seeds.compactMap { run in run.last.map { $0.iteration > 0 ? $0.wallSeconds / Double($0.iteration) : nil } ?? nil }
            let maxAfter10 = group.compactMap(\.emStepsMaxAfter10).max()
            line += " \(format(median(perIteration))) | \(format(median(seeds.compactMap(meanPatchPasses)), digits: 3))"
                + (maxAfter10.map { " (\($0))" } ?? "") + " |"
            let statuses = Set(group.map(\.status).filter { $0 != "ok" })
            out += line + (statuses.isEmpty ? "" : " (\(statuses.sorted().last!))") + "\n"
        }
        return out
    }

    /// The mean patch passes per iteration of one run, each checkpoint's mean weighted by the
    /// iterations since the previous one; nil for algorithms without a patch.
    private func meanPatchPasses(_ run: [Checkpoint]) -> Double? {
        var total = 0.0, iterations = 0, previous = 0
        for row in run {
            if let steps = row.emSteps {
                total += steps * Double(row.iteration - previous)
                iterations += row.iteration - previous
            }
            previous = row.iteration
        }
        return iterations > 0 ? total / Double(iterations) : nil
    }

    /// The plot against gradient evaluations: one line per algorithm and setting (the first seed);
    /// log y unless some −ELBO ≤ 0.
    func plot() -> String { render(xLabel: "gradient evaluations") { Double($0.gradientEvaluations) } }

    /// The same plot against wall seconds (checkpoint metrics excluded from the time).
    func timePlot() -> String { render(xLabel: "wall seconds") { $0.wallSeconds } }

    private func render(xLabel: String, x: (Checkpoint) -> Double) -> String {
        let series = groups.map { key, group -> SVGPlot.Series in
            let seed = group[0].labels.seed
            return SVGPlot.Series(name: key, points: group.filter { $0.labels.seed == seed && x($0) > 0 }.compactMap { row in
                value(row).map { (x(row), $0) }
            })
        }
        var plot = SVGPlot(title: "\(experiment): \(description)", xLabel: xLabel,
                           yLabel: isGaussian ? "KL(q || p), closed form" : "-ELBO (Monte Carlo)", series: series)
        if let reference, !isGaussian, let y = reference.metrics.objective { plot.referenceLines = [(reference.name, y)] }
        let values = series.flatMap { $0.points.map(\.y) }
        plot.logY = isGaussian || values.allSatisfy { $0 > 0 }
        if !plot.logY {
            let finals = series.compactMap { $0.points.last?.y }.sorted()
            if let best = finals.first, let worst = finals.last { plot.yLimit = worst + (worst - best) + 1 }
        }
        return plot.render()
    }
}

private func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
}

private func format(_ v: Double?, digits: Int = 4) -> String { v.map { String(format: "%.\(digits)g", $0) } ?? "—" }
