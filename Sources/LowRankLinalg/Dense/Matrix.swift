/// A dense, column-major matrix of `Double` with value semantics (copy-on-write through `[Double]`).
///
/// Element (i, j) is stored at `elements[i + j * rows]`; the leading dimension is always `rows`, so
/// every matrix is a contiguous block that BLAS and LAPACK read without copying. Memory: 8·rows·columns
/// bytes.
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns (changed only by `resizeColumns(to:)`).
    public private(set) var columns: Int
    /// The entries in column-major order; `elements.count == rows * columns` always holds.
    public private(set) var elements: [Double]

    /// A `rows`×`columns` matrix with every entry equal to `value`. Cost O(rows·columns).
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        shapePrecondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over the given column-major entries; `elements.count` must equal `rows * columns`.
    public init(rows: Int, columns: Int, elements: [Double]) {
        shapePrecondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        shapePrecondition(elements.count == rows * columns,
                     "Matrix: \(elements.count) elements for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix whose entry (i, j) is `entry(i, j)`, filled column by column. Cost O(rows·columns).
    public init(rows: Int, columns: Int, entry: (_ row: Int, _ column: Int) throws -> Double) rethrows {
        self.init(rows: rows, columns: columns)
        for j in 0..<columns {
            for i in 0..<rows { elements[i + j * rows] = try entry(i, j) }
        }
    }

    /// A matrix whose columns are the given vectors, all of the same length.
    public init(columns vectors: [[Double]]) {
        let rows = vectors.first?.count ?? 0
        shapePrecondition(vectors.allSatisfy { $0.count == rows }, "Matrix(columns:): columns of unequal length")
        self.init(rows: rows, columns: vectors.count, elements: vectors.flatMap { $0 })
    }

    /// The blocks side by side, [A₁ A₂ …]; all must have the same number of rows. Cost O(total size).
    public init(concatenatingColumnsOf blocks: [Matrix]) {
        let rows = blocks.first?.rows ?? 0
        shapePrecondition(blocks.allSatisfy { $0.rows == rows },
                     "Matrix(concatenatingColumnsOf:): row counts \(blocks.map(\.rows)) differ")
        let totalColumns = blocks.reduce(0) { $0 + $1.columns }
        var elements: [Double] = []
        elements.reserveCapacity(rows * totalColumns)
        for block in blocks { elements.append(contentsOf: block.elements) }
        self.init(rows: rows, columns: totalColumns, elements: elements)
    }

    /// A new block of `y`'s shape written by `fill`: the allocating form of an into-buffer
    /// operation (`multiply(_:into:)`, `solve(_:into:)`).
    static func filled(like y: Matrix, by fill: (inout Matrix) -> Void) -> Matrix {
        var out = Matrix(rows: y.rows, columns: y.columns)
        fill(&out)
        return out
    }

    /// The vector x as an n×1 matrix.
    init(column x: [Double]) {
        self.init(rows: x.count, columns: 1, elements: x)
    }

    /// The n×n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }

    /// The square matrix with `diagonal` on its diagonal and zeros elsewhere (for small sizes only).
    public static func diagonal(_ diagonal: [Double]) -> Matrix {
        let n = diagonal.count
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i + i * n] = diagonal[i] }
        return m
    }

    /// Entry (row, column), both 0-based. Bounds are checked.
    public subscript(row: Int, column: Int) -> Double {
        get {
            shapePrecondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix: index (\(row), \(column)) outside \(rows)×\(columns)")
            return elements[row + column * rows]
        }
        set {
            shapePrecondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix: index (\(row), \(column)) outside \(rows)×\(columns)")
            elements[row + column * rows] = newValue
        }
    }

    /// A copy of column `j`. Cost O(rows).
    public func column(_ j: Int) -> [Double] {
        shapePrecondition(j >= 0 && j < columns, "Matrix.column: \(j) outside 0..<\(columns)")
        return Array(elements[(j * rows)..<((j + 1) * rows)])
    }

    /// A copy of the columns in `range`, as a rows×range.count matrix. Cost O(rows·range.count).
    public func columns(_ range: Range<Int>) -> Matrix {
        shapePrecondition(range.lowerBound >= 0 && range.upperBound <= columns,
                     "Matrix.columns: \(range) outside 0..<\(columns)")
        return Matrix(rows: rows, columns: range.count,
                      elements: Array(elements[(range.lowerBound * rows)..<(range.upperBound * rows)]))
    }

    /// The transpose, as a new matrix. Cost O(rows·columns).
    public func transposed() -> Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { t.elements[j + i * columns] = elements[i + j * rows] }
        }
        return t
    }

    /// Gives `body` in-place access to the column-major entries. The count must not change.
    public mutating func withElements<R>(_ body: (inout [Double]) throws -> R) rethrows -> R {
        let count = elements.count
        defer { shapePrecondition(elements.count == count, "Matrix.withElements: the element count changed") }
        return try body(&elements)
    }

    /// Reserves storage for `count` columns, so that `resizeColumns(to:)` up to `count` never
    /// allocates. Allocates at most once. Cost O(rows·count) when it allocates.
    public mutating func reserveColumnCapacity(_ count: Int) {
        shapePrecondition(count >= 0, "Matrix.reserveColumnCapacity: \(count) < 0")
        elements.reserveCapacity(rows * count)
    }

    /// Sets the number of columns to `count`: the first min(count, columns) columns are kept and new
    /// columns are zero. Within the capacity reserved by `reserveColumnCapacity(_:)` (and when the
    /// storage is not shared) no memory is allocated, so one workspace buffer can serve as a D×B block
    /// in one phase and a D×(B+1) block in the next. Cost O(rows·|count − columns|).
    public mutating func resizeColumns(to count: Int) {
        shapePrecondition(count >= 0, "Matrix.resizeColumns: \(count) < 0")
        if count < columns {
            elements.removeLast((columns - count) * rows)
        } else if count > columns {
            elements.append(contentsOf: repeatElement(0, count: (count - columns) * rows))
        }
        columns = count
    }

    /// Whether every entry is finite (no NaN, no ±∞). Cost O(rows·columns).
    public var isFinite: Bool { elements.allSatisfy(\.isFinite) }

    /// The Frobenius norm √(Σ aᵢⱼ²). Cost O(rows·columns).
    public var frobeniusNorm: Double { Vector.norm(elements) }

    /// Replaces a square matrix by (A + Aᵀ)/2. Cost O(n²).
    public mutating func symmetrize() {
        shapePrecondition(rows == columns, "Matrix.symmetrize: \(rows)×\(columns) is not square")
        for j in 0..<columns {
            for i in (j + 1)..<Swift.max(j + 1, rows) {
                let average = 0.5 * (elements[i + j * rows] + elements[j + i * rows])
                elements[i + j * rows] = average
                elements[j + i * rows] = average
            }
        }
    }

    /// Copies the `from` triangle of a square matrix onto the other one, making it symmetric. Cost O(n²).
    public mutating func fillSymmetric(from triangle: Triangle) {
        shapePrecondition(rows == columns, "Matrix.fillSymmetric: \(rows)×\(columns) is not square")
        for j in 0..<columns {
            for i in (j + 1)..<Swift.max(j + 1, rows) {
                switch triangle {
                case .lower: elements[j + i * rows] = elements[i + j * rows]
                case .upper: elements[i + j * rows] = elements[j + i * rows]
                }
            }
        }
    }

    /// The diagonal of a square matrix.
    public var diagonal: [Double] {
        shapePrecondition(rows == columns, "Matrix.diagonal: \(rows)×\(columns) is not square")
        return (0..<rows).map { elements[$0 + $0 * rows] }
    }

    /// The trace of a square matrix.
    public var trace: Double { diagonal.reduce(0, +) }
}

extension Matrix {
    /// Entry-wise sum. Shapes must match. Cost O(rows·columns).
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        shapePrecondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "Matrix +: \(lhs.rows)×\(lhs.columns) vs \(rhs.rows)×\(rhs.columns)")
        return Matrix(rows: lhs.rows, columns: lhs.columns, elements: zip(lhs.elements, rhs.elements).map(+))
    }

    /// Entry-wise difference. Shapes must match. Cost O(rows·columns).
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        shapePrecondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "Matrix -: \(lhs.rows)×\(lhs.columns) vs \(rhs.rows)×\(rhs.columns)")
        return Matrix(rows: lhs.rows, columns: lhs.columns, elements: zip(lhs.elements, rhs.elements).map(-))
    }

    /// Scalar multiple. Cost O(rows·columns).
    public static func * (scalar: Double, matrix: Matrix) -> Matrix {
        Matrix(rows: matrix.rows, columns: matrix.columns, elements: matrix.elements.map { scalar * $0 })
    }

    /// The product A·B by one `dgemm`. Cost 2·m·n·k flops.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        BLAS.gemm(lhs, rhs)
    }

    /// The product A·x by one `dgemv`. Cost 2·m·n flops.
    public static func * (lhs: Matrix, rhs: [Double]) -> [Double] {
        BLAS.gemv(lhs, rhs)
    }
}
