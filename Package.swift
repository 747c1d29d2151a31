// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ScoreVI",
    products: [
        .library(name: "LowRankLinalg", targets: ["LowRankLinalg"]),
        .library(name: "VariationalInference", targets: ["VariationalInference"]),
        .library(name: "Targets", targets: ["Targets"]),
        .library(name: "ScoreVI", targets: ["ScoreVI"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
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
        .target(name: "Targets", dependencies: ["LowRankLinalg", "VariationalInference"]),
        .target(name: "ScoreVI", dependencies: ["LowRankLinalg", "VariationalInference", "Targets"]),
        .target(name: "AllocationCounter", path: "Benchmarks/AllocationCounter"),
        .executableTarget(
            name: "bench",
            dependencies: [
                "LowRankLinalg", "VariationalInference", "Targets", "AllocationCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/bench"
        ),
        .target(name: "TestSupport", dependencies: ["LowRankLinalg"], path: "Tests/TestSupport"),
        .testTarget(name: "LowRankLinalgTests", dependencies: ["LowRankLinalg", "TestSupport"]),
        .testTarget(
            name: "VariationalInferenceTests",
            dependencies: ["LowRankLinalg", "VariationalInference", "Targets", "ScoreVI", "TestSupport"],
            resources: [.copy("Resources")]
        ),
        .testTarget(name: "TargetsTests", dependencies: ["LowRankLinalg", "VariationalInference", "Targets", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
