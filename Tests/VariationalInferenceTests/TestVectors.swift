import Foundation
import LowRankLinalg

/// The float64 reference values of `Resources/pbam-test-vectors.json` (an independent numpy
/// implementation of algorithm.md; D = 6, K = 2, B = 3, λ = 2.5).
struct TestVectors {
    let json: [String: Any]

    /// Parses the bundled JSON (10 kB; each test parses its own copy).
    init() {
        self.init(resource: "pbam-test-vectors")
    }

    /// Parses `Resources/<resource>.json`.
    init(resource: String) {
        let url = Bundle.module.url(forResource: resource, withExtension: "json", subdirectory: "Resources")!
        json = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// Wraps one entry of a JSON list of cases.
    init(json: [String: Any]) {
        self.json = json
    }

    /// The entries of the JSON list under `key`, each as its own `TestVectors`.
    func cases(_ key: String) -> [TestVectors] {
        (json[key] as! [[String: Any]]).map(TestVectors.init(json:))
    }

    func number(_ key: String, in block: String? = nil) -> Double {
        (section(block)[key] as! NSNumber).doubleValue
    }

    func vector(_ key: String, in block: String? = nil) -> [Double] {
        (section(block)[key] as! [NSNumber]).map(\.doubleValue)
    }

    /// A JSON list of rows as a Matrix.
    func matrix(_ key: String, in block: String? = nil) -> Matrix {
        let rows = (section(block)[key] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
        return Matrix(rows: rows.count, columns: rows.first?.count ?? 0) { i, j in rows[i][j] }
    }

    private func section(_ block: String?) -> [String: Any] {
        block.map { json[$0] as! [String: Any] } ?? json
    }
}
