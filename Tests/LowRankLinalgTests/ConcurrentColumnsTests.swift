import Dispatch
import Foundation
import LowRankLinalg
import Synchronization
import Testing

/// `Matrix.fillColumnsConcurrently`: bit-identical to a serial loop, each column once, the lowest
/// failing column's error, and OpenBLAS on one thread while workers run. Serialized because two tests
/// set the process-wide OpenBLAS thread count.
@Suite("Concurrent column fill", .serialized) struct ConcurrentColumnsTests {
    /// An error that names its column.
    struct ColumnError: Error, Equatable {
        let column: Int
    }

    /// A column map whose rounding depends on the order of its operations: yᵢ = Σₖ sin(j + xₖ)·x_{(k+i) mod m}.
    @Sendable static func transform(_ j: Int, _ x: [Double], _ y: inout [Double]) {
        for i in 0..<y.count {
            var sum = 0.0
            for k in 0..<x.count { sum += sin(Double(j) + x[k]) * x[(k + i) % x.count] }
            y[i] = sum
        }
    }

    @Test(arguments: [1, 2, 3, 5], [1, 2, 7, 32])
    func matchesSerialLoopBitForBit(workers: Int, columns: Int) throws {
        var rng = Xoshiro256StarStar(seed: 31)
        let source = rng.standardNormalMatrix(rows: 9, columns: columns)
        var expected = Matrix(rows: 4, columns: columns)
        var y = [Double](repeating: 0, count: 4)
        for j in 0..<columns {
            Self.transform(j, source.column(j), &y)
            for i in 0..<4 { expected[i, j] = y[i] }
        }
        var filled = Matrix(rows: 4, columns: columns, repeating: .nan)
        try filled.fillColumnsConcurrently(from: source, workers: workers, Self.transform)
        #expect(filled == expected)
    }

    @Test func eachColumnIsEvaluatedOnceWithItsOwnInput() throws {
        let source = Matrix(rows: 2, columns: 10) { i, j in Double(10 * j + i) }
        let calls = Mutex([Int](repeating: 0, count: 10))
        var filled = Matrix(rows: 2, columns: 10)
        try filled.fillColumnsConcurrently(from: source, workers: 3) { j, x, y in
            calls.withLock { $0[j] += 1 }
            y = x.map { -$0 }
        }
        #expect(calls.withLock { $0 } == [Int](repeating: 1, count: 10))
        #expect(filled == Matrix(rows: 2, columns: 10) { i, j in -Double(10 * j + i) })
    }

    @Test(arguments: [1, 2, 3], [[3, 6], [6, 1], [0, 7], [5]])
    func lowestFailingColumnIsRethrownOnceEveryWorkerStopped(workers: Int, failing: [Int]) {
        let columns = 8
        let source = Matrix(rows: 1, columns: columns)
        let evaluated = Mutex(Set<Int>())
        var filled = Matrix(rows: 1, columns: columns)
        #expect(throws: ColumnError(column: failing.min() ?? -1)) {
            try filled.fillColumnsConcurrently(from: source, workers: workers) { j, _, _ in
                evaluated.withLock { _ = $0.insert(j) }
                if failing.contains(j) { throw ColumnError(column: j) }
            }
        }
        var expected = Set<Int>()
        for worker in 0..<workers {
            for j in stride(from: worker, to: columns, by: workers) {
                expected.insert(j)
                if failing.contains(j) { break }
            }
        }
        #expect(evaluated.withLock { $0 } == expected, "each worker stops at its own first failure")
    }

    @Test func smallLAPACKCallsRunOnOneThreadAndPassTheirErrorsOn() throws {
        let original = BLAS.threadCount
        defer { BLAS.setThreadCount(original) }
        BLAS.setThreadCount(2)
        var seen = 0
        BLAS.runSmall(order: BLAS.smallOrder) { seen = BLAS.threadCount }
        #expect(seen == 1)
        #expect(eventually { BLAS.threadCount == 2 }, "restored after success")
        #expect(throws: LinearAlgebraError.singularTriangularFactor(diagonalIndex: 3)) {
            try BLAS.runSmall(order: 4) { () throws(LinearAlgebraError) in throw .singularTriangularFactor(diagonalIndex: 3) }
        }
        #expect(eventually { BLAS.threadCount == 2 }, "restored after an error")
    }

    @Test func blasIsSingleThreadedInsideAndRestoredAfterSuccessAndError() throws {
        let original = BLAS.threadCount
        defer { BLAS.setThreadCount(original) }
        BLAS.setThreadCount(2)
        let source = Matrix(rows: 3, columns: 4, repeating: 1)
        let inside = Mutex(Set<Int>())
        var filled = Matrix(rows: 3, columns: 4)
        try filled.fillColumnsConcurrently(from: source, workers: 2) { _, x, y in
            inside.withLock { _ = $0.insert(BLAS.threadCount) }
            y = x
        }
        #expect(inside.withLock { $0 } == [1])
        #expect(eventually { BLAS.threadCount == 2 }, "restored after success")
        #expect(throws: ColumnError(column: 1)) {
            try filled.fillColumnsConcurrently(from: source, workers: 2) { j, _, _ in
                if j >= 1 { throw ColumnError(column: j) }
            }
        }
        #expect(eventually { BLAS.threadCount == 2 }, "restored after an error")
        try filled.fillColumnsConcurrently(from: source, workers: 2) { _, x, y in
            BLAS.setThreadCount(3)
            inside.withLock { _ = $0.insert(BLAS.threadCount) }
            y = x
        }
        #expect(inside.withLock { $0 } == [1], "a count set inside a section waits for it to close")
        #expect(eventually { BLAS.threadCount == 3 })
    }

    /// Section A opens, B opens, A closes, B closes: B must still see one BLAS thread after A closed,
    /// and the count A saved comes back when B closes.
    @Test func overlappingSectionsRestoreWhenTheLastCloses() throws {
        let original = BLAS.threadCount
        defer { BLAS.setThreadCount(original) }
        BLAS.setThreadCount(2)
        let aOpen = DispatchSemaphore(value: 0), bOpen = DispatchSemaphore(value: 0)
        let aClosed = DispatchSemaphore(value: 0)
        let source = Matrix(rows: 1, columns: 2)
        Thread {
            var filled = Matrix(rows: 1, columns: 2)
            try? filled.fillColumnsConcurrently(from: source, workers: 2) { j, _, _ in
                guard j == 0 else { return }
                aOpen.signal()
                _ = bOpen.wait(timeout: .now() + 5)
            }
            aClosed.signal()
        }.start()
        #expect(aOpen.wait(timeout: .now() + 5) == .success)
        let seenAfterAClosed = Mutex<Int?>(nil)
        var filled = Matrix(rows: 1, columns: 2)
        try filled.fillColumnsConcurrently(from: source, workers: 2) { j, _, _ in
            guard j == 0 else { return }
            bOpen.signal()
            if aClosed.wait(timeout: .now() + 5) == .success {
                seenAfterAClosed.withLock { $0 = BLAS.threadCount }
            }
        }
        #expect(seenAfterAClosed.withLock { $0 } == 1)
        #expect(eventually { BLAS.threadCount == 2 })
    }
}

/// Whether `condition` holds within two seconds. Other suites may hold a single-threaded section open
/// for a moment (scoring a batch of a concurrent model); the count settles when the last one closes.
private func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .seconds(2)
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        Thread.sleep(forTimeInterval: 0.001)
    }
    return true
}
