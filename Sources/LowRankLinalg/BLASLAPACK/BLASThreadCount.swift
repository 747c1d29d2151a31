import CLapack
import Synchronization

extension BLAS {
    /// The number of threads OpenBLAS uses now (`openblas_get_num_threads`): the environment variable
    /// `OPENBLAS_NUM_THREADS` or the last `setThreadCount(_:)`, except while a single-threaded section
    /// is open somewhere in the process (see `Matrix.fillColumnsConcurrently(from:workers:_:)`), when
    /// it is 1.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of OpenBLAS threads for all later calls (`openblas_set_num_threads`). While a
    /// single-threaded section is open, the count takes effect when the last one closes.
    public static func setThreadCount(_ count: Int) {
        shapePrecondition(count >= 1, "BLAS.setThreadCount: \(count) < 1")
        singleThreadedSections.withLock { sections in
            if sections.open == 0 {
                openblas_set_num_threads(Int32(count))
            } else {
                sections.countAfterwards = count
            }
        }
    }

    /// Runs `body` with OpenBLAS on one thread, then restores the thread count. Sections may overlap
    /// (several threads, each in its own): the first to open saves the count and sets 1, the last to
    /// close restores it, so no section sees BLAS turn multi-threaded under it and the process never
    /// stays single-threaded. Cost: two lock round trips, plus two `openblas_set_num_threads` calls
    /// when no other section is open.
    static func withSingleThread(_ body: () -> Void) {
        singleThreadedSections.withLock { sections in
            if sections.open == 0 {
                sections.countAfterwards = threadCount
                openblas_set_num_threads(1)
            }
            sections.open += 1
        }
        body()
        singleThreadedSections.withLock { sections in
            sections.open -= 1
            if sections.open == 0 { openblas_set_num_threads(Int32(sections.countAfterwards)) }
        }
    }
}

extension BLAS {
    /// The largest matrix order that `runSmall(order:_:)` runs on one thread.
    public static let smallOrder = 256

    /// Runs a LAPACK call on a small matrix (order ≤ `smallOrder`) with OpenBLAS on one thread, and a
    /// larger one as it is: the level-2 kernels of a small decomposition lose more to thread
    /// start-up than they gain (measured on 2 cores: a 96×96 SVD 1.4 ms on one thread, 2.7 ms on two;
    /// a 96×96 symmetric eigen decomposition 1.3 against 2.7 ms).
    /// - Throws: what `body` throws.
    public static func runSmall<E: Error>(order: Int, _ body: () throws(E) -> Void) throws(E) {
        guard order <= smallOrder, threadCount > 1 else { return try body() }
        var failure: E?
        withSingleThread {
            do throws(E) { try body() } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// The single-threaded sections open in the process, and the OpenBLAS thread count to set when the
/// last one closes.
private struct SingleThreadedSections {
    var open = 0
    var countAfterwards = 1
}

private let singleThreadedSections = Mutex(SingleThreadedSections())
