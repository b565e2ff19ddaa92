// swift-tools-version:6.0
import PackageDescription

// Dependencies flow one way, down this list: RecData knows nothing of tensors,
// T5 knows nothing of recommendation, only the CLI imports ArgumentParser.
let package = Package(
    name: "IDGenRec",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "IDGenRecKit", targets: ["TensorEngine", "NN", "T5", "Generation", "Tokenization", "RecData", "IDGenRec"]),
        .executable(name: "idgenrec", targets: ["idgenrec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CSentencePiece",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),
        .target(name: "TensorEngine"),
        .target(name: "NN", dependencies: ["TensorEngine"]),
        .target(name: "T5", dependencies: ["TensorEngine", "NN"]),
        .target(name: "Generation", dependencies: ["TensorEngine", "T5"]),
        .target(name: "Tokenization", dependencies: ["CSentencePiece"]),
        .target(name: "RecData"),
        .target(name: "IDGenRec", dependencies: ["TensorEngine", "NN", "T5", "Generation", "Tokenization", "RecData"]),
        .executableTarget(
            name: "idgenrec",
            dependencies: [
                "IDGenRec", "TensorEngine", "T5", "Generation", "Tokenization", "RecData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine"], resources: [.copy("Fixtures")]),
        .testTarget(name: "T5Tests", dependencies: ["TensorEngine", "NN", "T5", "Generation"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "TensorEngine"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RecDataTests", dependencies: ["RecData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["idgenrec"]),
    ]
)
