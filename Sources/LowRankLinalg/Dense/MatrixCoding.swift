extension Matrix: Codable {
    private enum CodingKeys: String, CodingKey { case rows, columns, elements }

    /// Decodes {rows, columns, elements (column-major)}.
    /// - Throws: `DecodingError.dataCorrupted` for a negative shape or an element count other than
    ///   rows·columns.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try container.decode(Int.self, forKey: .rows)
        let columns = try container.decode(Int.self, forKey: .columns)
        let elements = try container.decode([Double].self, forKey: .elements)
        guard rows >= 0, columns >= 0, rows.multipliedReportingOverflow(by: columns) == (elements.count, false) else {
            throw DecodingError.dataCorruptedError(forKey: .elements, in: container,
                                                   debugDescription: "\(elements.count) elements for a \(rows)×\(columns) matrix")
        }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// Encodes {rows, columns, elements (column-major)}.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(columns, forKey: .columns)
        try container.encode(elements, forKey: .elements)
    }
}
