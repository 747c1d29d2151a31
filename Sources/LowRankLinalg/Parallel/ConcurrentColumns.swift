import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Matrix {
    /// The number of processors online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1: the natural
    /// worker count for `fillColumnsConcurrently(from:workers:_:)`.
    public static var onlineProcessorCount: Int { Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Sets column j of this matrix to `body`'s output for column j of `source`, for every j, on up
    /// to `workers` threads, with a result bit-identical to a serial loop whatever the thread timing.
    ///
    /// - Shapes: `source` is m×B and this matrix n×B. `body(j, input, &output)` receives the column
    ///   index j, column j of `source` (length m) and an output buffer of length n, which it must fill
    ///   and leave of length n. On entry the buffer holds the previous output of the same worker (or
    ///   zeros), so `body` must not read it.
    /// - Determinism: W = min(workers, B) workers; worker w takes columns w, w + W, w + 2W, … in
    ///   increasing order, with one input and one output buffer of its own, allocated once per call
    ///   and reused for all its columns; column j is written only from the output of `body` for
    ///   column j, so the result does not depend on W or on which thread runs what.
    /// - Errors: a worker stops at its first throwing column. When every worker is done, the error
    ///   of the lowest failing column is rethrown, which is the error a serial loop would throw. The
    ///   matrix's contents are then unspecified.
    /// - Threading: W = 1 runs on the calling thread, without Dispatch and without touching the
    ///   OpenBLAS thread count. Otherwise the W workers run under `DispatchQueue.concurrentPerform`
    ///   (the calling thread takes part and waits for all), so `body` must be safe to call from
    ///   several threads at once. While they run, OpenBLAS is kept on one thread (`BLAS.threadCount`
    ///   is 1; the previous count is restored afterwards, also on error, and overlapping calls from
    ///   other threads restore it when the last one ends): the workers already fill the cores, and
    ///   BLAS threads inside `body` would oversubscribe them. Setting and restoring the count costs
    ///   tens of nanoseconds, next to about a microsecond for the Dispatch fork and join.
    /// - Cost: B calls of `body`, plus O((m + n)·B) copies; memory W·(m + n) doubles.
    /// - Precondition: `workers ≥ 1` and `source.columns == columns`; `body` keeps the output's length.
    public mutating func fillColumnsConcurrently(
        from source: Matrix, workers: Int,
        _ body: @Sendable (_ column: Int, _ input: [Double], _ output: inout [Double]) throws -> Void
    ) throws {
        shapePrecondition(workers >= 1, "Matrix.fillColumnsConcurrently: \(workers) workers")
        shapePrecondition(source.columns == columns,
                     "Matrix.fillColumnsConcurrently: source has \(source.columns) columns, the matrix \(columns)")
        let workerCount = Swift.min(workers, columns)
        guard workerCount > 0 else { return }
        let rows = self.rows
        let failure = withElements { elements in
            elements.withUnsafeMutableBufferPointer { storage in
                let writer = ColumnWriter(storage: storage, rows: rows)
                guard workerCount > 1 else {
                    return fillShare(of: 0, among: 1, from: source, into: writer, body)
                }
                let lowestFailure = Mutex<ColumnFailure?>(nil)
                BLAS.withSingleThread {
                    DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
                        guard let failure = fillShare(of: worker, among: workerCount, from: source, into: writer, body)
                        else { return }
                        lowestFailure.withLock { lowest in
                            if failure.column < lowest?.column ?? .max { lowest = failure }
                        }
                    }
                }
                return lowestFailure.withLock { $0 }
            }
        }
        if let failure { throw failure.error }
    }
}

/// The column at which a worker stopped, and what `body` threw there.
private struct ColumnFailure: Sendable {
    let column: Int
    let error: any Error
}

/// Worker `worker` of `count`: columns worker, worker + count, … in order, through one input and one
/// output buffer; stops at the first column whose `body` throws and returns it.
private func fillShare(
    of worker: Int, among count: Int, from source: Matrix, into writer: ColumnWriter,
    _ body: (_ column: Int, _ input: [Double], _ output: inout [Double]) throws -> Void
) -> ColumnFailure? {
    let m = source.rows
    var input = [Double](repeating: 0, count: m)
    var output = [Double](repeating: 0, count: writer.rows)
    for j in stride(from: worker, to: source.columns, by: count) {
        for i in 0..<m { input[i] = source.elements[i + j * m] }
        do {
            try body(j, input, &output)
        } catch {
            return ColumnFailure(column: j, error: error)
        }
        writer.write(output, toColumn: j)
    }
    return nil
}

/// Writes whole columns into a matrix's column-major storage from several threads at once.
///
/// `@unchecked Sendable` is safe because the workers write disjoint columns (worker w only the
/// columns j ≡ w mod W), so no element is touched by two threads, and `concurrentPerform` returns
/// only when every worker is done, inside the `withUnsafeMutableBufferPointer` scope that keeps the
/// storage alive and uniquely owned.
private struct ColumnWriter: @unchecked Sendable {
    let storage: UnsafeMutableBufferPointer<Double>
    let rows: Int

    /// Copies `column` (length `rows`) into column j.
    func write(_ column: [Double], toColumn j: Int) {
        shapePrecondition(column.count == rows,
                     "Matrix.fillColumnsConcurrently: an output of length \(column.count), expected \(rows)")
        for i in 0..<rows { storage[i + j * rows] = column[i] }
    }
}
