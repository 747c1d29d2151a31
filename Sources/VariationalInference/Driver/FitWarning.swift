/// A sign, found at the end of a fit, that its result should not be trusted as it is. Warnings go
/// on `FitResult.warnings`; the library never prints.
public enum FitWarning: Sendable, Equatable, CustomStringConvertible {
    /// PSIS k̂ of the final q is above the sample-size threshold: q misses mass that p has (a bad
    /// fit, a family that cannot express p, or a wrong gradient).
    case paretoShapeAboveThreshold(shape: Double, threshold: Double)
    /// The median relative Fisher divergence of the last quarter of the iterations is more than 10%
    /// above that of the first quarter (and above 1e-3): the fit moved q away from p.
    case fisherDivergenceNotDecreasing(early: Double, late: Double)
    /// The median relative Fisher divergence of the last quarter is above 0.25: q's score misses
    /// more than a quarter of p's (a converged fit inside the family reaches 1e-3 and below; the
    /// D = 50 regression fitted by pBaM with K = 40, KL 2.4, sits at 0.5). With B ≪ D a BaM step
    /// changes the covariance in few directions, so variances far from p's stay near their start:
    /// on the digits network (D = 9,610, B = 16) pBaM from the default start ends at test LPD
    /// −1.79, from ``ModeSearch``'s start at −0.64.
    case fisherDivergenceHigh(late: Double)
    /// More than a tenth of the iterations were reverted (non-finite scores or updates).
    case manyRevertedSteps(reverted: Int, iterations: Int)
    /// pBaM's patch stopped at its cap on passes in this many iterations after the first tenth:
    /// raised when that is at least 2 iterations and 5% of them, or when the last iteration's patch
    /// was capped (the returned q is then an unconverged projection). A single capped patch in a
    /// long fit is not a warning: the next iteration's patch starts from where it stopped.
    case patchAtCap(iterations: Int)
    /// The end-of-fit importance check could not run (the reason, cut at 200 characters).
    case diagnosticsFailed(String)
    /// BaM or pBaM ended with λ_t below 0.1 (each step moves q less than a tenth of the way to the
    /// batch's match) while the relative Fisher divergence of the last quarter is above 0.25: the
    /// decaying schedule has frozen a fit that is still far from p. Seen on posteriordb's sblrc-blr
    /// (D = 6, posterior sds 1e-3): dense BaM's default λ_t = B·D/(1+t) stalls at about 800 posterior
    /// sds from the mean, where a constant λ = 1e4 converges within 100 iterations. Not raised when
    /// the last λ is a constant the caller chose (`.constant`, the tail of `LearningRateSchedule.withTail`).
    case learningRateDecayed(lambda: Double, late: Double)
    /// BaM or pBaM ended with λ ≥ 1 (its last step moved q at least half way to one batch's match,
    /// so q carries that batch's noise) while the relative Fisher divergence of the last quarter is
    /// above 0.25. λ_t = B·D/(1 + t) stays ≥ 1 for B·D iterations, so this is the common case when
    /// B·D ≫ the iterations. Also raised for a large constant λ the caller chose:
    /// `withTail(.constant(λ), …)` keeps it as the base. Ending with a small constant λ
    /// (``LearningRateSchedule/withTail(_:lambda:fraction:gradientEvaluations:batchSize:)``) averages
    /// the last batches: on a D = 100 sinh-arcsinh target the ELBO rose from −28.8 to −13.5, on the
    /// README's networks the −ELBO fell by 3–35% (on the D = 9,610 one only from ``ModeSearch``'s
    /// start: from the default start the tail did not help, and the mode start did).
    case learningRateStillLarge(lambda: Double, late: Double)

    /// What the warning means and what to try, in one line.
    public var description: String {
        switch self {
        case .paretoShapeAboveThreshold(let shape, let threshold):
            return "PSIS k̂ = \(rounded(shape, 2)) > \(rounded(threshold, 2)): q misses mass of p; check the gradient "
                + "(GradientCheck), fit longer or with a larger batch, or use a richer family"
        case .fisherDivergenceNotDecreasing(let early, let late):
            return "the relative Fisher divergence grew (\(rounded(early, 3)) early, \(rounded(late, 3)) late): "
                + "the fit is not approaching p; try a smaller learning rate or a larger batch"
        case .fisherDivergenceHigh(let late):
            return "the relative Fisher divergence is \(rounded(late, 3)) at the end (> 0.25): q's score misses more "
                + "than a quarter of p's; check the gradient, fit longer, start at the mode (ModeSearch; for pBaM and "
                + "ADVI-LR initialization: .mode(try ModeSearch())) when D is much larger than B, or use a richer family "
                + "(a larger K)"
        case .manyRevertedSteps(let reverted, let iterations):
            return "\(reverted) of \(iterations) iterations were reverted; lower the learning rate or check the scores"
        case .patchAtCap(let iterations):
            return "the patch stopped at its pass cap in \(iterations) iterations; raise maxPasses or lower λ"
        case .diagnosticsFailed(let reason):
            return "the importance check failed: \(reason.prefix(200))"
        case .learningRateDecayed(let lambda, let late):
            return "λ_t decayed to \(rounded(lambda, 3)) while the relative Fisher divergence is still \(rounded(late, 3)): "
                + "the fit may have stalled far from p; continue from its state with a constant λ "
                + "(schedule: .constant(1e4)) or a slower decay, or start at the mode (ModeSearch; for pBaM initialization: .mode(try ModeSearch()))"
        case .learningRateStillLarge(let lambda, let late):
            return "λ_t is still \(rounded(lambda, 3)) at the end while the relative Fisher divergence is \(rounded(late, 3)): "
                + "the last step moved q at least half way to one batch's match, so q carries that batch's noise; "
                + "end the fit with a small constant λ (schedule: try .withTail(yourSchedule, gradientEvaluations: budget, "
                + "batchSize: B))"
        }
    }
}

/// The warnings the driver derives from the iterations' records: Fisher trend and level, reverted
/// steps and patch caps (the k̂ warning is added with the importance check).
struct FitMonitor {
    private var fisher: [Double] = []
    private var patchCaps: [Int] = []
    private var lastPatchCapped = false
    private(set) var iterations = 0
    private var reverted = 0
    private var lastLearningRate: Double?
    private var lastLearningRateDecays = true
    /// Whether the learning rate is BaM's λ (BaM, pBaM), for the ``FitWarning/learningRateDecayed(lambda:late:)``
    /// and ``FitWarning/learningRateStillLarge(lambda:late:)`` checks.
    let proximal: Bool

    /// A monitor for a BaM-type fit (`proximal`) or another.
    init(proximal: Bool) {
        self.proximal = proximal
    }

    /// Records one iteration.
    mutating func record(_ report: StepReport) {
        if let value = report.relativeFisherDivergence, value.isFinite { fisher.append(value) }
        if report.patchConverged == false { patchCaps.append(iterations) }
        if report.patchConverged != nil { lastPatchCapped = report.patchConverged == false }
        if report.status == .reverted {
            reverted += 1
        } else {
            lastLearningRate = report.learningRate
            lastLearningRateDecays = report.learningRateDecays ?? true
        }
        iterations += 1
    }

    /// The median of the last `window` Fisher estimates, nil until there are that many.
    func recentFisherMedian(window: Int) -> Double? {
        fisher.count >= window ? median(fisher.suffix(window)) : nil
    }

    /// The warnings for the iterations recorded so far.
    var warnings: [FitWarning] {
        var found = [FitWarning]()
        if fisher.count >= 8 {
            let quarter = fisher.count / 4
            let early = median(fisher.prefix(quarter)), late = median(fisher.suffix(quarter))
            if late > 1.1 * early && late > 1e-3 { found.append(.fisherDivergenceNotDecreasing(early: early, late: late)) }
            if late > 0.25 { found.append(.fisherDivergenceHigh(late: late)) }
            if late > 0.25, proximal, lastLearningRateDecays, let lambda = lastLearningRate, lambda < 0.1 {
                found.append(.learningRateDecayed(lambda: lambda, late: late))
            }
            if late > 0.25, proximal, let lambda = lastLearningRate, lambda >= 1 {
                found.append(.learningRateStillLarge(lambda: lambda, late: late))
            }
        }
        if iterations > 0 && reverted * 10 > iterations {
            found.append(.manyRevertedSteps(reverted: reverted, iterations: iterations))
        }
        let lateCaps = patchCaps.filter { $0 >= iterations / 10 }.count
        let late = iterations - iterations / 10
        if lastPatchCapped || (lateCaps >= 2 && lateCaps * 20 >= late) {
            found.append(.patchAtCap(iterations: lateCaps))
        }
        return found
    }

    private func median(_ values: some Collection<Double>) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// BaM-type algorithms, whose learning rate is the proximal λ_t (``FitWarning/learningRateDecayed(lambda:late:)``,
/// ``FitWarning/learningRateStillLarge(lambda:late:)``).
protocol ProximalAlgorithm {}

extension BatchAndMatch: ProximalAlgorithm {}
extension PatchedBaM: ProximalAlgorithm {}
