/// ScoreVI in one import: the linear algebra and the seeded generator (`LowRankLinalg`), the
/// families, algorithms and `fit` driver (`VariationalInference`), and the benchmark models
/// (`Targets`).
@_exported import LowRankLinalg
@_exported import Targets
@_exported import VariationalInference
