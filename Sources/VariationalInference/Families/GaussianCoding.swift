import LowRankLinalg

// The families encode their parameters only; decoding goes through the validating initializers
// (which recompute the factorizations), so a decoded approximation is checked like a new one.

extension LowRankGaussian: Codable {
    private enum CodingKeys: String, CodingKey { case mean, psi, lambda }

    /// Decodes {mean, psi, lambda} and validates them as `init(mean:psi:lambda:)` does.
    /// - Throws: a `DecodingError`, or the errors of `init(mean:psi:lambda:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(mean: try container.decode([Double].self, forKey: .mean),
                      psi: try container.decode([Double].self, forKey: .psi),
                      lambda: try container.decode(Matrix.self, forKey: .lambda))
    }

    /// Encodes {mean, psi, lambda}: D(K + 2) numbers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mean, forKey: .mean)
        try container.encode(psi, forKey: .psi)
        try container.encode(lambda, forKey: .lambda)
    }
}

extension DiagonalGaussian: Codable {
    private enum CodingKeys: String, CodingKey { case mean, variances }

    /// Decodes {mean, variances} and validates them as `init(mean:variances:)` does.
    /// - Throws: a `DecodingError`, or the errors of `init(mean:variances:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(mean: try container.decode([Double].self, forKey: .mean),
                      variances: try container.decode([Double].self, forKey: .variances))
    }

    /// Encodes {mean, variances}: 2D numbers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mean, forKey: .mean)
        try container.encode(variances, forKey: .variances)
    }
}

extension DenseGaussian: Codable {
    private enum CodingKeys: String, CodingKey { case mean, covariance }

    /// Decodes {mean, covariance} and factors the covariance as `init(mean:covariance:)` does.
    /// - Throws: a `DecodingError`, or the errors of `init(mean:covariance:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(mean: try container.decode([Double].self, forKey: .mean),
                      covariance: try container.decode(Matrix.self, forKey: .covariance))
    }

    /// Encodes {mean, covariance}: D(D + 1) numbers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mean, forKey: .mean)
        try container.encode(covariance, forKey: .covariance)
    }
}
