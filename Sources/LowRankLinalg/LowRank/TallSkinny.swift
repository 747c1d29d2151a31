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

    /// out ← out + scale·rowdot(A, C), over all columns or over the given range of columns of both.
    /// Cost 2Dm flops, no allocation.
    public static func rowdot(_ a: Matrix, _ c: Matrix, columns range: Range<Int>? = nil, scale: Double,
                              accumulatingInto out: inout [Double]) {
        shapePrecondition(a.rows == c.rows && a.columns == c.columns,
                     "TallSkinny.rowdot: \(a.rows)×\(a.columns) vs \(c.rows)×\(c.columns)")
        shapePrecondition(out.count == a.rows, "TallSkinny.rowdot: output has \(out.count) slots for \(a.rows) rows")
        let columns = range ?? 0..<a.columns
        shapePrecondition(columns.lowerBound >= 0 && columns.upperBound <= a.columns,
                     "TallSkinny.rowdot: columns \(columns) outside 0..<\(a.columns)")
        let d = a.rows
        a.elements.withUnsafeBufferPointer { pa in
            c.elements.withUnsafeBufferPointer { pc in
                out.withUnsafeMutableBufferPointer { po in
                    for j in columns {
                        let base = j * d
                        for i in 0..<d { po[i] += scale * (pa[base + i] * pc[base + i]) }
                    }
                }
            }
        }
    }

    /// Y ← diag(s)·Y: row i of the D×m block scaled by sᵢ (s is a D-vector). Cost Dm flops.
    public static func scaleRows(_ y: inout Matrix, by s: [Double]) {
        shapePrecondition(s.count == y.rows, "TallSkinny.scaleRows: \(s.count) scales for \(y.rows) rows")
        combineRows(of: nil, with: s, into: &y, *)
    }

    /// Y ← diag(s)⁻¹·Y: row i of the D×m block divided by sᵢ. Cost Dm flops.
    public static func divideRows(_ y: inout Matrix, by s: [Double]) {
        shapePrecondition(s.count == y.rows, "TallSkinny.divideRows: \(s.count) divisors for \(y.rows) rows")
        combineRows(of: nil, with: s, into: &y, /)
    }

    /// diag(s)·Y as a new block. Cost Dm flops.
    public static func rowScaled(_ y: Matrix, by s: [Double]) -> Matrix {
        var out = y
        scaleRows(&out, by: s)
        return out
    }

    /// Y·diag(s) as a new block (column j scaled by sⱼ). Cost Dm flops.
    public static func columnScaled(_ y: Matrix, by s: [Double]) -> Matrix {
        var out = y
        scaleColumns(&out, by: s)
        return out
    }

    /// Y ← Y·diag(s): column j scaled by sⱼ (s has m entries). Cost Dm flops.
    public static func scaleColumns(_ y: inout Matrix, by s: [Double]) {
        shapePrecondition(s.count == y.columns, "TallSkinny.scaleColumns: \(s.count) scales for \(y.columns) columns")
        let d = y.rows
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                for j in 0..<s.count { for i in 0..<d { pe[j * d + i] *= s[j] } }
            }
        }
    }

    /// The mean of the m columns of a D×m block, (1/m)·Σⱼ yⱼ, a D-vector (one `dgemv`). Cost 2Dm flops.
    public static func columnMean(_ y: Matrix) -> [Double] {
        shapePrecondition(y.columns > 0, "TallSkinny.columnMean: no columns")
        return BLAS.gemv(y, [Double](repeating: 1, count: y.columns), alpha: 1 / Double(y.columns))
    }

    /// Y ← scale·(Y − v·1ᵀ) on all columns or on the given range of columns: each has the D-vector v
    /// subtracted, then is scaled. (With v the column mean and scale 1/√m this gives the centred batch
    /// X̃ of algorithm.md §2.2.) Cost 2Dm flops.
    public static func centerColumns(_ y: inout Matrix, around v: [Double], scale: Double = 1, columns range: Range<Int>? = nil) {
        shapePrecondition(v.count == y.rows, "TallSkinny.centerColumns: vector of \(v.count) for \(y.rows) rows")
        let d = y.rows, columns = range ?? 0..<y.columns
        shapePrecondition(columns.lowerBound >= 0 && columns.upperBound <= y.columns,
                     "TallSkinny.centerColumns: columns \(columns) outside 0..<\(y.columns)")
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                v.withUnsafeBufferPointer { pv in
                    for j in columns { for i in 0..<d { pe[j * d + i] = scale * (pe[j * d + i] - pv[i]) } }
                }
            }
        }
    }

    /// Copies the columns `source` of X into the columns starting at `destination` of Y (same number of
    /// rows), scaled by `scale`: Y[:, destination + j] ← scale·X[:, source.lowerBound + j]. With an
    /// optional D-vector `subtracting`, writes scale·(X[:, ·] − v) instead. Cost O(D·|source|).
    public static func copyColumns(of x: Matrix, _ source: Range<Int>, into y: inout Matrix, at destination: Int,
                                   scale: Double = 1, subtracting v: [Double]? = nil) {
        shapePrecondition(x.rows == y.rows, "TallSkinny.copyColumns: \(x.rows) rows into \(y.rows)")
        shapePrecondition(source.lowerBound >= 0 && source.upperBound <= x.columns,
                     "TallSkinny.copyColumns: columns \(source) outside 0..<\(x.columns)")
        shapePrecondition(destination >= 0 && destination + source.count <= y.columns,
                     "TallSkinny.copyColumns: \(source.count) columns at \(destination) outside 0..<\(y.columns)")
        if let v { shapePrecondition(v.count == x.rows, "TallSkinny.copyColumns: vector of \(v.count) for \(x.rows) rows") }
        let d = x.rows
        x.elements.withUnsafeBufferPointer { px in
            y.withElements { e in
                e.withUnsafeMutableBufferPointer { py in
                    for (offset, j) in source.enumerated() {
                        let from = j * d, to = (destination + offset) * d
                        if let v {
                            for i in 0..<d { py[to + i] = scale * (px[from + i] - v[i]) }
                        } else {
                            for i in 0..<d { py[to + i] = scale * px[from + i] }
                        }
                    }
                }
            }
        }
    }

    /// Column j of Y ← scale·v for a D-vector v. Cost O(D).
    public static func setColumn(_ y: inout Matrix, _ j: Int, to v: [Double], scale: Double = 1) {
        shapePrecondition(v.count == y.rows && j >= 0 && j < y.columns,
                     "TallSkinny.setColumn: vector of \(v.count) into column \(j) of \(y.rows)×\(y.columns)")
        let d = y.rows
        y.withElements { e in
            for i in 0..<d { e[j * d + i] = scale * v[i] }
        }
    }

    /// Y ← Y·diag(s) on the columns `range` (s has range.count entries). Cost D·|range| flops.
    public static func scaleColumns(_ y: inout Matrix, _ range: Range<Int>, by s: [Double]) {
        shapePrecondition(s.count == range.count && range.lowerBound >= 0 && range.upperBound <= y.columns,
                     "TallSkinny.scaleColumns: \(s.count) scales for columns \(range) of \(y.columns)")
        let d = y.rows
        y.withElements { e in
            e.withUnsafeMutableBufferPointer { pe in
                for (offset, j) in range.enumerated() { for i in 0..<d { pe[j * d + i] *= s[offset] } }
            }
        }
    }

    /// Y ← Y + v·1ᵀ: the D-vector v added to every column. Cost Dm flops.
    public static func addToColumns(_ y: inout Matrix, _ v: [Double]) {
        shapePrecondition(v.count == y.rows, "TallSkinny.addToColumns: vector of \(v.count) for \(y.rows) rows")
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
        shapePrecondition(out.rows == y.rows && out.columns == y.columns,
                     "TallSkinny.rowScaled: output \(out.rows)×\(out.columns) for \(y.rows)×\(y.columns)")
        shapePrecondition(s.count == y.rows, "TallSkinny.rowScaled: \(s.count) scales for \(y.rows) rows")
        combineRows(of: y, with: s, into: &out, *)
    }

    /// out ← diag(s)⁻¹·Y (row i divided by sᵢ; out and Y both D×m), into existing storage.
    /// Cost Dm flops.
    public static func rowDivided(_ y: Matrix, by s: [Double], into out: inout Matrix) {
        shapePrecondition(out.rows == y.rows && out.columns == y.columns,
                     "TallSkinny.rowDivided: output \(out.rows)×\(out.columns) for \(y.rows)×\(y.columns)")
        shapePrecondition(s.count == y.rows, "TallSkinny.rowDivided: \(s.count) scales for \(y.rows) rows")
        combineRows(of: y, with: s, into: &out, /)
    }

    /// The one row kernel behind `scaleRows`, `divideRows`, `rowScaled(_:by:into:)` and
    /// `rowDivided(_:by:into:)`: outᵢⱼ ← op(Yᵢⱼ, sᵢ) over the D×m block, with Y = out itself (in
    /// place) when `y` is nil. The caller has checked the shapes. Cost Dm flops, no allocation.
    @inline(__always)
    private static func combineRows(of y: Matrix?, with s: [Double], into out: inout Matrix,
                                    _ op: (Double, Double) -> Double) {
        let d = out.rows, m = out.columns
        s.withUnsafeBufferPointer { ps in
            out.withElements { e in
                e.withUnsafeMutableBufferPointer { po in
                    if let y {
                        y.elements.withUnsafeBufferPointer { py in
                            for j in 0..<m { for i in 0..<d { po[j * d + i] = op(py[j * d + i], ps[i]) } }
                        }
                    } else {
                        for j in 0..<m { for i in 0..<d { po[j * d + i] = op(po[j * d + i], ps[i]) } }
                    }
                }
            }
        }
    }

    /// Y ← (1 − w)·Y + w·X for blocks of the same shape (an over-relaxed or damped step). Cost 3Dm flops.
    public static func blend(_ y: inout Matrix, toward x: Matrix, weight w: Double) {
        shapePrecondition(x.rows == y.rows && x.columns == y.columns,
                     "TallSkinny.blend: \(y.rows)×\(y.columns) toward \(x.rows)×\(x.columns)")
        x.elements.withUnsafeBufferPointer { px in
            y.withElements { e in
                e.withUnsafeMutableBufferPointer { py in
                    for i in 0..<py.count { py[i] = (1 - w) * py[i] + w * px[i] }
                }
            }
        }
    }

    /// out ← scale·(mean of the columns of Y) (Y D×m, out a D-vector), into existing storage.
    /// Cost Dm flops.
    public static func columnMean(_ y: Matrix, into out: inout [Double]) {
        shapePrecondition(y.columns > 0, "TallSkinny.columnMean: no columns")
        shapePrecondition(out.count == y.rows, "TallSkinny.columnMean: output has \(out.count) slots for \(y.rows) rows")
        let d = y.rows, m = y.columns
        y.elements.withUnsafeBufferPointer { py in
            out.withUnsafeMutableBufferPointer { po in
                for i in 0..<d { po[i] = 0 }
                for j in 0..<m { for i in 0..<d { po[i] += py[j * d + i] } }
                let inverse = 1 / Double(m)
                for i in 0..<d { po[i] *= inverse }
            }
        }
    }
}
