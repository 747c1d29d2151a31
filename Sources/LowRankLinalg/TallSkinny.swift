/// Fused O(D·m) kernels on tall-skinny D×m blocks that BLAS does not provide.
///
/// Each is one pass over contiguous columns (vectorizable), allocates at most its D-vector result,
/// and has an `into:`/in-place form for hot loops.
public enum TallSkinny {
    /// rowdot(A, C)ᵢ = Σⱼ AᵢⱼCᵢⱼ, the diagonal of A·Cᵀ without forming it. A and C are D×m.
    /// Cost 2Dm flops.
    public static func rowdot(_ a: Matrix, _ c: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: a.rows)
        rowdot(a, c, scale: 1, accumulatingInto: &out)
        return out
    }

    /// out ← out + scale·rowdot(A, C). Cost 2Dm flops, no allocation.
    public static func rowdot(_ a: Matrix, _ c: Matrix, scale: Double, accumulatingInto out: inout [Double]) {
        precondition(a.rows == c.rows && a.columns == c.columns,
                     "TallSkinny.rowdot: \(a.rows)×\(a.columns) vs \(c.rows)×\(c.columns)")
        precondition(out.count == a.rows, "TallSkinny.rowdot: output has \(out.count) slots for \(a.rows) rows")
        let d = a.rows
        a.elements.withUnsafeBufferPointer { pa in
            c.elements.withUnsafeBufferPointer { pc in
                out.withUnsafeMutableBufferPointer { po in
                    for j in 0..<a.columns {
                        let base = j * d
                        for i in 0..<d { po[i] += scale * (pa[base + i] * pc[base + i]) }
                    }
                }
            }
        }
    }

    /// Y ← diag(s)·Y: row i of the D×m block scaled by sᵢ (s is a D-vector). Cost Dm flops.
    public static func scaleRows(_ y: inout Matrix, by s: [Double]) {
        precondition(s.count == y.rows, "TallSkinny.scaleRows: \(s.count) scales for \(y.rows) rows")
        let d = y.rows, m = y.columns
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                s.withUnsafeBufferPointer { ps in
                    for j in 0..<m { for i in 0..<d { pe[j * d + i] *= ps[i] } }
                }
            }
        }
    }

    /// diag(s)·Y as a new block. Cost Dm flops.
    public static func rowScaled(_ y: Matrix, by s: [Double]) -> Matrix {
        var out = y
        scaleRows(&out, by: s)
        return out
    }

    /// Y ← Y·diag(s): column j scaled by sⱼ (s has m entries). Cost Dm flops.
    public static func scaleColumns(_ y: inout Matrix, by s: [Double]) {
        precondition(s.count == y.columns, "TallSkinny.scaleColumns: \(s.count) scales for \(y.columns) columns")
        let d = y.rows
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                for j in 0..<s.count { for i in 0..<d { pe[j * d + i] *= s[j] } }
            }
        }
    }

    /// The mean of the m columns of a D×m block, (1/m)·Σⱼ yⱼ, a D-vector (one `dgemv`). Cost 2Dm flops.
    public static func columnMean(_ y: Matrix) -> [Double] {
        precondition(y.columns > 0, "TallSkinny.columnMean: no columns")
        return BLAS.gemv(y, [Double](repeating: 1, count: y.columns), alpha: 1 / Double(y.columns))
    }

    /// Y ← scale·(Y − v·1ᵀ): every column has the D-vector v subtracted, then is scaled.
    /// (With v the column mean and scale 1/√m this gives the centred batch X̃ of algorithm.md §2.2.)
    /// Cost 2Dm flops.
    public static func centerColumns(_ y: inout Matrix, around v: [Double], scale: Double = 1) {
        precondition(v.count == y.rows, "TallSkinny.centerColumns: vector of \(v.count) for \(y.rows) rows")
        let d = y.rows, m = y.columns
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                v.withUnsafeBufferPointer { pv in
                    for j in 0..<m { for i in 0..<d { pe[j * d + i] = scale * (pe[j * d + i] - pv[i]) } }
                }
            }
        }
    }

    /// Y ← Y + v·1ᵀ: the D-vector v added to every column. Cost Dm flops.
    public static func addToColumns(_ y: inout Matrix, _ v: [Double]) {
        precondition(v.count == y.rows, "TallSkinny.addToColumns: vector of \(v.count) for \(y.rows) rows")
        let d = y.rows, m = y.columns
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                v.withUnsafeBufferPointer { pv in
                    for j in 0..<m { for i in 0..<d { pe[j * d + i] += pv[i] } }
                }
            }
        }
    }

    /// out ← diag(s)·Y (out and Y both D×m), writing into existing storage. Cost Dm flops.
    public static func rowScaled(_ y: Matrix, by s: [Double], into out: inout Matrix) {
        precondition(out.rows == y.rows && out.columns == y.columns,
                     "TallSkinny.rowScaled: output \(out.rows)×\(out.columns) for \(y.rows)×\(y.columns)")
        precondition(s.count == y.rows, "TallSkinny.rowScaled: \(s.count) scales for \(y.rows) rows")
        let d = y.rows, m = y.columns
        y.elements.withUnsafeBufferPointer { py in
            s.withUnsafeBufferPointer { ps in
                out.withElements { e in
                    e.withUnsafeMutableBufferPointer { po in
                        for j in 0..<m { for i in 0..<d { po[j * d + i] = ps[i] * py[j * d + i] } }
                    }
                }
            }
        }
    }
}
