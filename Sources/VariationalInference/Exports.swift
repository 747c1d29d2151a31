/// The linear algebra and the seeded generator that every public signature of this module uses
/// (`Matrix`, `Xoshiro256StarStar`, …), visible with `import VariationalInference` alone.
@_exported import LowRankLinalg
