import LowRankLinalg
import VariationalInference

/// A model that wraps another and misbehaves on a schedule: NaN scores on every `nanEvery`-th batch,
/// or a thrown error on every call.
final class FaultyModel<Base: LogDensityModel>: LogDensityModel {
    let base: Base
    let nanEvery: Int?
    let alwaysThrow: ModelError?
    /// 1-based batch numbers on which a recoverable "overflow" ModelError is thrown.
    let failingBatches: ClosedRange<Int>?
    private(set) var batches = 0

    init(_ base: Base, nanEvery: Int? = nil, alwaysThrow: ModelError? = nil, failingBatches: ClosedRange<Int>? = nil) {
        self.base = base
        self.nanEvery = nanEvery
        self.alwaysThrow = alwaysThrow
        self.failingBatches = failingBatches
    }

    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try base.logDensityAndGradient(at: x, gradient: &gradient)
    }
    func gradients(at points: Matrix, into scores: inout Matrix) throws {
        batches += 1
        if let error = alwaysThrow { throw error }
        if let range = failingBatches, range.contains(batches) { throw ModelError("overflow") }
        try base.gradients(at: points, into: &scores)
        if let n = nanEvery, batches % n == 0 { scores[0, 0] = .nan }
    }
}

/// A model whose gradient has the wrong length.
struct ShortGradientModel: LogDensityModel {
    let dimension: Int
    func logDensity(at x: [Double]) throws -> Double { 0 }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        gradient = [Double](repeating: 0, count: dimension - 1)
        return 0
    }
}
