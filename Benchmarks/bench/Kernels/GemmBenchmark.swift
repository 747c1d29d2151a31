import Foundation
import LowRankLinalg

/// One `dgemm` shape to time: op(A) (m×k) by (k×n), with A stored k×m when transposed.
struct KernelShape {
    let name: String
    let m: Int, k: Int, n: Int
    var transA: Transpose = .none

    /// The products the issue asks for: a square-ish 4096×64·64×4096 and pBaM's RᵀQ-sized
    /// D×(K+B+1) by (K+B+1)×(B+1) at D = 100,000, K = B = 32.
    static let standard = [
        KernelShape(name: "gemm 4096x64 * 64x4096", m: 4096, k: 64, n: 4096),
        KernelShape(name: "gemm D x (K+B+1) * (K+B+1) x (B+1), D=100000 K=B=32", m: 100_000, k: 65, n: 33),
    ]
}

/// The timing of one shape: best and median seconds over repeats, and the rate at the median.
struct GemmResult {
    let shape: KernelShape
    let medianSeconds: Double
    let bestSeconds: Double

    var flops: Double { 2 * Double(shape.m) * Double(shape.k) * Double(shape.n) }

    var formatted: String {
        let median = flops / medianSeconds / 1e9, best = flops / bestSeconds / 1e9
        return String(format: "%@: median %.2f ms = %.1f GFLOP/s (best %.1f GFLOP/s)",
                      shape.name, medianSeconds * 1e3, median, best)
    }
}

/// Times `dgemm` on a shape: one warm-up call, then enough repeats to cover about half a second.
func measureGemm(_ shape: KernelShape) -> GemmResult {
    let (rowsA, columnsA) = shape.transA == .none ? (shape.m, shape.k) : (shape.k, shape.m)
    let a = Matrix(rows: rowsA, columns: columnsA) { i, j in Double((i + 3 * j) % 17) / 17 - 0.5 }
    let b = Matrix(rows: shape.k, columns: shape.n) { i, j in Double((2 * i + j) % 13) / 13 - 0.5 }
    var c = Matrix(rows: shape.m, columns: shape.n)
    BLAS.gemm(a, b, transA: shape.transA, into: &c)
    var times: [Double] = []
    let clock = ContinuousClock()
    var total = 0.0
    while times.count < 5 || (total < 0.5 && times.count < 200) {
        let seconds = clock.measure { BLAS.gemm(a, b, transA: shape.transA, into: &c) }.inSeconds
        times.append(seconds)
        total += seconds
    }
    times.sort()
    return GemmResult(shape: shape, medianSeconds: times[times.count / 2], bestSeconds: times[0])
}
