import LowRankLinalg
import Synchronization
import VariationalInference

/// A model that wraps another and misbehaves on a schedule: NaN scores on every `nanEvery`-th batch,
/// or a thrown error on every call.
final class FaultyModel<Base: LogDensityModel>: LogDensityModel {
    let base: Base
    let nanEvery: Int?
    /// The 1-based batch from which every batch's scores hold a NaN.
    let nanFrom: Int?
    let alwaysThrow: ModelError?
    /// 1-based batch numbers on which a recoverable "overflow" ModelError is thrown. A batch is a call
    /// with more than one column; the one-column calls with which an algorithm rescores a failed
    /// batch column by column fail too, until the next batch.
    let failingBatches: ClosedRange<Int>?
    private(set) var batches = 0
    private var failing = false

    init(_ base: Base, nanEvery: Int? = nil, nanFrom: Int? = nil, alwaysThrow: ModelError? = nil,
         failingBatches: ClosedRange<Int>? = nil) {
        self.base = base
        self.nanEvery = nanEvery
        self.nanFrom = nanFrom
        self.alwaysThrow = alwaysThrow
        self.failingBatches = failingBatches
    }

    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try base.logDensityAndGradient(at: x, gradient: &gradient)
    }
    func gradients(at points: Matrix, into scores: inout Matrix) throws {
        if points.columns > 1 {
            batches += 1
            failing = failingBatches?.contains(batches) ?? false
        }
        if let error = alwaysThrow { throw error }
        if failing { throw ModelError("overflow") }
        try base.gradients(at: points, into: &scores)
        if let n = nanEvery, batches % n == 0 { scores[0, 0] = .nan }
        if let n = nanFrom, batches >= n { scores[0, 0] = .nan }
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

/// A plain `LogDensityModel` that forwards everything but `gradients` to its base, so that its batch
/// scores come from the serial default even when the base is a `ConcurrentLogDensityModel`.
struct SerialModel<Base: LogDensityModel>: LogDensityModel {
    let base: Base
    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try base.logDensityAndGradient(at: x, gradient: &gradient)
    }
}

/// A concurrent model with the worker count of the caller's choice.
struct WorkerCountModel<Base: ConcurrentLogDensityModel>: ConcurrentLogDensityModel {
    let base: Base
    let scoreWorkers: Int
    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try base.logDensityAndGradient(at: x, gradient: &gradient)
    }
}

/// log p(x) = −½‖x‖² on two workers, counting reads of `scoreWorkers`: only the concurrent default
/// of `gradients` reads it, so the count shows which default a call reached.
final class WorkerReadCountingModel: ConcurrentLogDensityModel {
    let dimension: Int
    private let reads = Mutex(0)

    init(dimension: Int) { self.dimension = dimension }

    /// How many times `scoreWorkers` was read.
    var workerReads: Int { reads.withLock { $0 } }
    var scoreWorkers: Int {
        reads.withLock { $0 += 1 }
        return 2
    }
    func logDensity(at x: [Double]) throws -> Double { -0.5 * x.reduce(0) { $0 + $1 * $1 } }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        for i in 0..<x.count { gradient[i] = -x[i] }
        return try logDensity(at: x)
    }
}

/// A concurrent model that throws `ModelError("column k")` at the points whose first coordinate is
/// k ∈ `failingColumns` (the tests put k in column k), and otherwise returns the point as its score.
struct FailingColumnsModel: ConcurrentLogDensityModel {
    let dimension: Int
    let failingColumns: Set<Int>
    let scoreWorkers: Int
    func logDensity(at x: [Double]) throws -> Double { 0 }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        let column = Int(x[0])
        if failingColumns.contains(column) { throw ModelError("column \(column)") }
        gradient = x
        return 0
    }
}

/// A concurrent model whose gradient has the wrong length.
struct ConcurrentShortGradientModel: ConcurrentLogDensityModel {
    let dimension: Int
    var scoreWorkers: Int { 2 }
    func logDensity(at x: [Double]) throws -> Double { 0 }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        gradient = [Double](repeating: 0, count: dimension - 1)
        return 0
    }
}
