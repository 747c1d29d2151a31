import LowRankLinalg

/// The buffers of a ``LowRankGaussian`` (μ and ψ of length D, Λ D×K), without its K×K factor.
struct LowRankStorage: Sendable {
    var mean: [Double]
    var psi: [Double]
    var lambda: Matrix
}

/// At most one spare `LowRankStorage`: the buffers of an approximation that an algorithm no longer
/// needs, kept so that the next approximation is built without allocating. An algorithm takes the
/// storage before an update, gives it back when the update fails, and recycles the approximation
/// that an accepted update replaces.
struct LowRankStoragePool: Sendable {
    private var spare: LowRankStorage?

    /// An empty pool.
    init() {}

    /// The spare storage when there is one, else new zeroed buffers for dimension D and rank K.
    mutating func take(dimension d: Int, rank k: Int) -> LowRankStorage {
        if let storage = spare.take(), storage.mean.count == d, storage.lambda.columns == k { return storage }
        return LowRankStorage(mean: [Double](repeating: 0, count: d), psi: [Double](repeating: 0, count: d),
                              lambda: Matrix(rows: d, columns: k))
    }

    /// Keeps storage taken for an update that failed.
    mutating func giveBack(_ storage: consuming LowRankStorage) {
        spare = storage
    }

    /// Keeps the buffers of an approximation that is no longer needed. They are reused without a
    /// copy only if nothing else still refers to them.
    mutating func recycle(_ q: consuming LowRankGaussian) {
        spare = LowRankStorage(mean: q.mean, psi: q.psi, lambda: q.lambda)
    }
}
