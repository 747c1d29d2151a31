
extension Xoshiro256StarStar {
    /// A vector of `count` independent standard normal draws. Cost O(count).
    public mutating func standardNormals(_ count: Int) -> [Double] {
        (0..<count).map { _ in nextStandardNormal() }
    }

    /// A `rows`×`columns` matrix of independent standard normal draws, filled column by column.
    public mutating func standardNormalMatrix(rows: Int, columns: Int) -> Matrix {
        var m = Matrix(rows: rows, columns: columns)
        fillStandardNormal(&m)
        return m
    }

    /// Overwrites every entry of `m` (column-major order) with a standard normal draw, reusing its
    /// storage.
    public mutating func fillStandardNormal(_ m: inout Matrix) {
        m.withElements { e in
            for i in e.indices { e[i] = nextStandardNormal() }
        }
    }

    /// A vector of `count` independent uniform draws from [low, high).
    public mutating func uniforms(_ count: Int, in range: Range<Double> = 0..<1) -> [Double] {
        (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * nextUniform() }
    }
}
