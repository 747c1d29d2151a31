import CLapack

extension TallSkinny {
    /// A[:, columns] ← A[:, columns]·M in place, for a D×m block of A's columns and an m×m matrix M,
    /// without a second D×m buffer: a block of h = `scratch.rows` rows at a time is copied into
    /// `scratch` (h×m or wider) and multiplied back into A by `dgemm` (BLAS-3 on h×m·m×m blocks).
    /// Use it to rotate an orthonormal basis (Q ← Q·E) where memory for a copy is not available.
    /// Cost 2Dm² flops plus two passes over the block; no allocation.
    public static func multiplyRight(_ a: inout Matrix, columns range: Range<Int>, by m: Matrix,
                                     scratch: inout Matrix) {
        let width = range.count, d = a.rows, h = scratch.rows
        shapePrecondition(range.lowerBound >= 0 && range.upperBound <= a.columns,
                     "TallSkinny.multiplyRight: columns \(range) of A (\(a.columns))")
        shapePrecondition(m.rows == width && m.columns == width,
                     "TallSkinny.multiplyRight: M is \(m.rows)×\(m.columns), expected \(width)×\(width)")
        shapePrecondition(h >= 1 && scratch.columns >= width,
                     "TallSkinny.multiplyRight: scratch is \(h)×\(scratch.columns), needs ≥ 1 row and ≥ \(width) columns")
        guard d > 0, width > 0 else { return }
        let base = range.lowerBound * d
        m.elements.withUnsafeBufferPointer { pm in
            scratch.withElements { se in
                se.withUnsafeMutableBufferPointer { ps in
                    a.withElements { ae in
                        ae.withUnsafeMutableBufferPointer { pa in
                            var start = 0
                            while start < d {
                                let rows = Swift.min(h, d - start)
                                for j in 0..<width {
                                    for i in 0..<rows { ps[j * h + i] = pa[base + j * d + start + i] }
                                }
                                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, blasInt(rows), blasInt(width),
                                            blasInt(width), 1, ps.baseAddress, blasInt(h), pm.baseAddress,
                                            blasInt(width), 0, pa.baseAddress! + base + start, blasInt(d))
                                start += rows
                            }
                        }
                    }
                }
            }
        }
    }
}
