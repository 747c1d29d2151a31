// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ScoreVI",
    products: [
        .library(name: "LowRankLinalg", targets: ["LowRankLinalg"]),
        .library(name: "VariationalInference", targets: ["VariationalInference"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLapack",
            path: "Modules/CLapack",
            pkgConfig: "lapacke",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "LowRankLinalg", dependencies: ["CLapack"]),
        .target(name: "VariationalInference", dependencies: ["LowRankLinalg"]),
        .executableTarget(
            name: "bench",
            dependencies: ["LowRankLinalg", "VariationalInference"],
            path: "Benchmarks/bench"
        ),
        .testTarget(name: "LowRankLinalgTests", dependencies: ["LowRankLinalg", "VariationalInference"]),
        .testTarget(
            name: "VariationalInferenceTests",
            dependencies: ["LowRankLinalg", "VariationalInference"],
            resources: [.copy("Resources")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
