import LowRankLinalg

/// What the ADVI safeguard policy needs of a state: the count of skipped steps.
protocol ADVIState {
    /// Steps skipped for non-finite values so far.
    var badUpdates: Int { get set }
}

extension ADVIState {
    /// One safeguarded ADVI step, the policy of all three ADVIs (algorithm.md §5.4 without λ): the
    /// `attempt` (draw, score, propose; it adds its score evaluations and phase times to the counters
    /// it is given) is redone after recoverable failures (`retrying`); an accepted proposal is
    /// handed to `commit`; a rejected one (non-finite scores or parameters) leaves the parameters
    /// and Adam's moments as they were and counts a skipped step (status `.reverted`).
    /// `learningRate` is read after the attempt, for the report.
    /// - Throws: `StepFailure` when the fit must stop: exhausted retries, a fatal error, or more than
    ///   `maxBadUpdates` skipped steps.
    mutating func safeguardedStep<Proposal>(
        maxRetries: Int, maxBadUpdates: Int, learningRate: () -> Double,
        attempt: (inout Self, inout Int, inout PhaseTimings) throws -> UpdateOutcome<Proposal>,
        commit: (inout Self, Proposal) -> Void
    ) throws -> StepReport {
        var evaluations = 0
        var timings = PhaseTimings()
        let (outcome, failures) = try retrying(maxRetries: maxRetries, evaluations: { evaluations }) {
            try attempt(&self, &evaluations, &timings)
        }
        switch outcome {
        case .accepted(let proposal, _):
            commit(&self, proposal)
            return StepReport(gradientEvaluations: evaluations, learningRate: learningRate(),
                              status: acceptedStatus(failures: failures), timings: timings)
        case .rejected, .nonFiniteScore:
            try countRejectedUpdate(&badUpdates, maxBadUpdates: maxBadUpdates, evaluations: evaluations)
            var report = StepReport(gradientEvaluations: evaluations, learningRate: learningRate(), status: .reverted,
                                    timings: timings)
            if case .nonFiniteScore(let location) = outcome { report.nonFiniteScore = location }
            return report
        }
    }
}

/// The state of an ADVI whose parameters the optimizer sees as one vector that it updates with
/// `Adam.descend` (ADVI-D, full-rank ADVI).
protocol PackedADVIState: ADVIState {
    /// Adam's moments and step count.
    var moments: AdamMoments { get set }
    /// The D×B score block every step reuses.
    var scores: Matrix { get set }
}

extension PackedADVIState {
    /// One safeguarded Adam step on the ELBO for a packed parameter vector: draws the D×B noise E,
    /// maps it to the points X = `transform(E)`, scores them, and descends from `parameters` along
    /// `lossGradient(G, E)` (the negated ELBO gradient); `approximation` turns the new, finite
    /// parameters into the next approximation (nil when they are not a valid one, which rejects the
    /// step), and `commit` stores it. Adam's moments move only with an accepted step.
    mutating func adamStep<Model: LogDensityModel, Next>(
        optimizer: Adam, batchSize: Int, maxRetries: Int, maxBadUpdates: Int, model: Model,
        using generator: inout Xoshiro256StarStar, dimension d: Int, parameters: [Double],
        transform: (Matrix) -> Matrix, lossGradient: (_ scores: Matrix, _ noise: Matrix) -> [Double],
        fisher: (_ points: Matrix, _ scores: Matrix) -> Double,
        approximation: ([Double]) -> Next?, commit: (inout Self, Next) -> Void
    ) throws -> StepReport {
        var moments = self.moments
        var rate = optimizer.schedule.value(at: moments.steps)
        var divergence: Double?
        var report = try safeguardedStep(maxRetries: maxRetries, maxBadUpdates: maxBadUpdates, learningRate: { rate }) {
            state, evaluations, timings in
            var clock = PhaseClock()
            divergence = nil
            var noise = generator.standardNormalMatrix(rows: d, columns: batchSize)
            var points = transform(noise)
            timings.sampling += clock.lap()
            let nonFinite = try evaluateScores(model, at: &points, into: &state.scores, redrawLimit: maxRetries,
                                            evaluations: &evaluations) { b, points in
                let fresh = generator.standardNormalMatrix(rows: d, columns: 1)
                TallSkinny.copyColumns(of: fresh, 0..<1, into: &noise, at: b)
                TallSkinny.copyColumns(of: transform(fresh), 0..<1, into: &points, at: b)
            }
            timings.scores += clock.lap()
            if let nonFinite { return UpdateOutcome<Next>.nonFiniteScore(nonFinite) }
            defer { timings.update += clock.lap() }
            divergence = fisher(points, state.scores)
            let gradient = lossGradient(state.scores, noise)
            var next = parameters
            moments = state.moments
            rate = try optimizer.descend(&next, gradient: gradient, moments: &moments)
            guard Vector.isFinite(next), let proposal = approximation(next) else { return .rejected(emSteps: nil) }
            return .accepted(proposal, emSteps: nil)
        } commit: { state, proposal in
            commit(&state, proposal)
            state.moments = moments
        }
        report.relativeFisherDivergence = divergence
        return report
    }
}
