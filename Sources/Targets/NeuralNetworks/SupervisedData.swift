import Foundation
import LowRankLinalg
import VariationalInference

/// A supervised-learning table with a fixed train/test split, its inputs standardized by the
/// training rows' statistics.
///
/// Each input column is centred and scaled by the mean and standard deviation (denominator n) of its
/// training rows; a column that is constant on the training rows keeps scale 1. For a regression
/// the response is standardized the same way (``Response/continuous(mean:scale:)`` keeps the mean
/// and scale, so that predictions can be mapped back to the original units); for a classification it
/// holds the class index 0..<C as a `Double`. The test rows use the training statistics. Immutable
/// and `Sendable`; the two embedded tables cost O(table) to parse, once per process.
public struct SupervisedData: Sendable {
    /// What the response is.
    public enum Response: Sendable, Equatable {
        /// A real response, standardized: original = mean + scale · stored value.
        case continuous(mean: Double, scale: Double)
        /// A class index in 0..<classes.
        case categorical(classes: Int)
    }

    /// A short name ("diabetes", "digits").
    public let name: String
    /// The standardized training inputs, N_train × P (one row per observation).
    public let trainInputs: Matrix
    /// The training responses, N_train values (standardized, or class indices).
    public let trainResponses: [Double]
    /// The standardized test inputs, N_test × P.
    public let testInputs: Matrix
    /// The test responses, N_test values (standardized, or class indices).
    public let testResponses: [Double]
    /// Whether the response is continuous (with its original mean and scale) or categorical.
    public let response: Response
    /// The rows of the source table that form the test split, 0-based, increasing.
    public let testRows: [Int]

    /// The number of inputs P.
    public var inputCount: Int { trainInputs.columns }

    /// A data set from raw rows: standardizes the inputs (and a continuous response) with the
    /// training rows' mean and standard deviation.
    /// - Parameters:
    ///   - name: a short name.
    ///   - inputs: one array of P finite values per row, all of the same length P ≥ 1.
    ///   - responses: one finite value per row; for a categorical response an integer in 0..<classes.
    ///   - isTest: per row, whether it belongs to the test split; both splits must be non-empty and
    ///     the training split must have at least 2 rows.
    ///   - classes: nil for a continuous response, else the number of classes C ≥ 2.
    /// - Throws: `VariationalInferenceError.invalidArgument` for ragged or empty inputs, an empty
    ///   split, C < 2, a class index outside 0..<C, or a continuous response that is constant on the
    ///   training rows; `.dimensionMismatch` when the three arrays differ in length; `.nonFinite` for
    ///   a non-finite value.
    public init(name: String, inputs: [[Double]], responses: [Double], isTest: [Bool], classes: Int? = nil) throws {
        let n = inputs.count
        guard n == responses.count else {
            throw VariationalInferenceError.dimensionMismatch(what: "\(name) responses", expected: n, actual: responses.count)
        }
        guard n == isTest.count else {
            throw VariationalInferenceError.dimensionMismatch(what: "\(name) split flags", expected: n, actual: isTest.count)
        }
        guard let p = inputs.first?.count, p >= 1, inputs.allSatisfy({ $0.count == p }) else {
            throw VariationalInferenceError.invalidArgument("\(name): the inputs must be non-empty rows of one common length P ≥ 1")
        }
        guard inputs.allSatisfy(Vector.isFinite), Vector.isFinite(responses) else {
            throw VariationalInferenceError.nonFinite(what: "\(name) data")
        }
        let trainRows = (0..<n).filter { !isTest[$0] }, testRows = (0..<n).filter { isTest[$0] }
        guard trainRows.count >= 2, !testRows.isEmpty else {
            throw VariationalInferenceError.invalidArgument("\(name): needs ≥ 2 training rows and ≥ 1 test row, got \(trainRows.count) and \(testRows.count)")
        }
        if let c = classes {
            guard c >= 2 else { throw VariationalInferenceError.invalidArgument("\(name): a classification needs C ≥ 2 classes, got \(c)") }
            guard responses.allSatisfy({ $0 >= 0 && $0 < Double(c) && $0 == $0.rounded() }) else {
                throw VariationalInferenceError.invalidArgument("\(name): every class label must be an integer in 0..<\(c)")
            }
        }
        func statistics(_ values: [Double]) -> (mean: Double, scale: Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            return (mean, variance > 0 ? variance.squareRoot() : 1)
        }
        let columns = (0..<p).map { j in statistics(trainRows.map { inputs[$0][j] }) }
        func table(_ rows: [Int]) -> Matrix {
            Matrix(rows: rows.count, columns: p) { i, j in (inputs[rows[i]][j] - columns[j].mean) / columns[j].scale }
        }
        if let c = classes {
            response = .categorical(classes: c)
            trainResponses = trainRows.map { responses[$0] }
            testResponses = testRows.map { responses[$0] }
        } else {
            let (mean, scale) = statistics(trainRows.map { responses[$0] })
            guard scale != 1 || Set(trainRows.map { responses[$0] }).count > 1 else {
                throw VariationalInferenceError.invalidArgument("\(name): the response is constant on the training rows")
            }
            response = .continuous(mean: mean, scale: scale)
            trainResponses = trainRows.map { (responses[$0] - mean) / scale }
            testResponses = testRows.map { (responses[$0] - mean) / scale }
        }
        self.name = name
        trainInputs = table(trainRows)
        testInputs = table(testRows)
        self.testRows = testRows
    }

    /// The diabetes data of Efron et al. (2004): 442 patients, P = 10 baseline variables (age, sex,
    /// body mass index, blood pressure, six serum measurements), a continuous response (disease
    /// progression after one year); 353 training and 89 test rows. Copied from scikit-learn 1.9.1
    /// (BSD 3-Clause) with the split of `scripts/reference/uci-export.py`.
    public static let diabetes: SupervisedData = parse(UCIData.diabetes, name: "diabetes", classes: nil) { line in
        let fields = line.split(separator: ",")
        return (fields[0..<10].map { Double($0) ?? .nan }, Double(fields[10]) ?? .nan, fields[11] == "test")
    }

    /// The UCI optical digits (Alpaydin 1998, scikit-learn's copy): 1,797 8×8 images, P = 64 pixel
    /// counts 0…16, C = 10 classes; 1,437 training and 360 test rows.
    public static let digits: SupervisedData = parse(UCIData.digits, name: "digits", classes: 10) { line in
        let fields = line.split(separator: ",")
        let pixels = fields[0].map { Double(Int(String($0), radix: 17) ?? -1) }
        return (pixels, Double(fields[1]) ?? .nan, fields[2] == "test")
    }

    /// Parses an embedded table; a failure is a packaging bug and stops the process with its reason.
    private static func parse(_ text: String, name: String, classes: Int?,
                              row: (Substring) -> (inputs: [Double], response: Double, isTest: Bool)) -> SupervisedData {
        let parsed = text.split(separator: "\n").map(row)
        do {
            return try SupervisedData(name: name, inputs: parsed.map(\.inputs), responses: parsed.map(\.response),
                                      isTest: parsed.map(\.isTest), classes: classes)
        } catch {
            preconditionFailure("the embedded \(name) table does not parse: \(error)")
        }
    }
}
