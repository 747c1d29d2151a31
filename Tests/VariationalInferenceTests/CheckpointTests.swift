import Foundation
import LowRankLinalg
import Targets
import Testing
@testable import VariationalInference

/// Save and resume: the families and checkpoints round-trip through JSON, and a fit resumed from a
/// checkpoint continues the schedule where it stopped.
@Suite("Save and resume") struct CheckpointTests {
    static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    static func target() throws -> LowRankGaussianTarget {
        var generator = Xoshiro256StarStar(seed: 41)
        return try LowRankGaussianTarget.synthetic(dimension: 12, rank: 2, using: &generator)
    }

    @Test func familiesRoundTripThroughJSON() throws {
        var generator = Xoshiro256StarStar(seed: 42)
        let lowRank = try LowRankGaussian(mean: generator.standardNormals(5), psi: generator.uniforms(5, in: 0.5..<1),
                                          lambda: generator.standardNormalMatrix(rows: 5, columns: 2))
        let back = try Self.roundTrip(lowRank)
        #expect(back.mean == lowRank.mean && back.psi == lowRank.psi && back.lambda == lowRank.lambda)
        #expect(back.logDeterminant == lowRank.logDeterminant)
        let diagonal = try DiagonalGaussian(mean: [1, 2], variances: [3, 4])
        #expect(try Self.roundTrip(diagonal).variances == [3, 4])
        let dense = try DenseGaussian(mean: [1, 2], covariance: Matrix(rows: 2, columns: 2, elements: [2, 0.5, 0.5, 1]))
        #expect(try Self.roundTrip(dense).covariance == dense.covariance)
        var replay = try Self.roundTrip(generator)
        #expect(replay.next() == generator.next())
        let broken = Data(#"{"mean":[0,0],"psi":[1,-1],"lambda":{"rows":2,"columns":1,"elements":[1,1]}}"#.utf8)
        #expect(throws: LinearAlgebraError.self) { try JSONDecoder().decode(LowRankGaussian.self, from: broken) }
        let short = Data(#"{"rows":2,"columns":2,"elements":[1,1,1]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Matrix.self, from: short) }
    }

    /// Dense BaM and ADVI-D: 6 iterations, save (checkpoint and generator, through JSON), resume for 6
    /// more: bit-identical to 12 uninterrupted iterations. pBaM resumes at t = 6 with λ₆ (a restart
    /// from `.given(q)` would use λ₀ again).
    @Test func aResumedFitContinuesTheSchedule() throws {
        let model = try Self.target()
        let options = FitOptions(maxIterations: 6, diagnosticDraws: 0)
        let twelve = FitOptions(maxIterations: 12, diagnosticDraws: 0)

        let bam = try BatchAndMatch(batchSize: 6, schedule: .decaying(initial: 50, exponent: 1))
        var generator = Xoshiro256StarStar(seed: 43)
        let whole = try fit(bam, model: model, using: &generator, options: twelve)
        generator = Xoshiro256StarStar(seed: 43)
        let first = try fit(bam, model: model, using: &generator, options: options)
        let saved = try Self.roundTrip(bam.checkpoint(of: first.state))
        var savedGenerator = try Self.roundTrip(generator)
        let resumed = try fit(bam, model: model, using: &savedGenerator, options: options, from: try bam.state(resuming: saved))
        #expect(resumed.approximation.mean == whole.approximation.mean)
        #expect(resumed.approximation.covariance == whole.approximation.covariance)

        let advi = try ADVIDiagonal(batchSize: 4, optimizer: try Adam(schedule: .linearDecay(initial: 0.1, final: 0.01, steps: 12)))
        generator = Xoshiro256StarStar(seed: 44)
        let wholeADVI = try fit(advi, model: model, using: &generator, options: twelve)
        generator = Xoshiro256StarStar(seed: 44)
        let firstADVI = try fit(advi, model: model, using: &generator, options: options)
        let savedADVI = try Self.roundTrip(advi.checkpoint(of: firstADVI.state))
        let resumedADVI = try fit(advi, model: model, using: &generator, options: options,
                                  from: try advi.state(resuming: savedADVI))
        #expect(resumedADVI.approximation.mean == wholeADVI.approximation.mean)
        #expect(resumedADVI.approximation.variances == wholeADVI.approximation.variances)

        let pBaM = try PatchedBaM(rank: 2, batchSize: 6, schedule: .decaying(initial: 72, exponent: 1))
        generator = Xoshiro256StarStar(seed: 45)
        let firstPBaM = try fit(pBaM, model: model, using: &generator, options: options)
        let savedPBaM = try Self.roundTrip(pBaM.checkpoint(of: firstPBaM.state))
        #expect(savedPBaM.iteration == 6)
        var resumedState = try pBaM.state(resuming: savedPBaM)
        let report = try pBaM.step(&resumedState, model: model, using: &generator)
        #expect(report.learningRate == 72.0 / 7)
        #expect(throws: VariationalInferenceError.self) {
            try PatchedBaM(rank: 3, batchSize: 6).state(resuming: savedPBaM)
        }
        var noMoments = savedADVI
        noMoments.moments = nil
        #expect(throws: VariationalInferenceError.self) { try advi.state(resuming: noMoments) }
    }
}
