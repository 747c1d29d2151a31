import Foundation
import LowRankLinalg

let threads = BLAS.threadCount
print("OpenBLAS threads: \(threads) (OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"))")
for shape in KernelShape.standard {
    let result = measureGemm(shape)
    print(result.formatted)
}
