// swift-tools-version:6.0
import PackageDescription

// Dependencies flow one way, down this list: RecData knows nothing of tensors,
// T5 knows nothing of recommendation, only the CLI imports ArgumentParser.
let package = Package(
    name: "IDGenRec",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "IDGenRecKit", targets: ["DurableFiles", "Cluster", "TensorEngine", "NN", "T5", "Generation", "Tokenization", "RecData", "IDGenRec"]),
        .executable(name: "idgenrec", targets: ["idgenrec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("sentencepiece_train")]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "DurableFiles"),
        .target(name: "Cluster"),
        .target(name: "TensorEngine", dependencies: ["DurableFiles"]),
        .target(name: "NN", dependencies: ["TensorEngine"]),
        .target(name: "T5", dependencies: ["DurableFiles", "TensorEngine", "NN", "Generation"]),
        .target(name: "Generation", dependencies: ["TensorEngine"]),
        .target(name: "Tokenization", dependencies: ["CSentencePiece", "DurableFiles"]),
        .target(name: "RecData", dependencies: ["CZlib", "DurableFiles"]),
        .target(name: "IDGenRec", dependencies: ["DurableFiles", "Cluster", "TensorEngine", "NN", "T5", "Generation", "Tokenization", "RecData"]),
        .executableTarget(
            name: "idgenrec",
            dependencies: [
                "DurableFiles", "Cluster", "TensorEngine", "T5", "Generation", "Tokenization", "RecData", "IDGenRec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "generate-text", dependencies: ["T5", "Generation", "Tokenization"], path: "Examples/GenerateText"),
        .executableTarget(name: "recommend-example", dependencies: ["IDGenRec"], path: "Examples/Recommend"),
        .testTarget(name: "CLITests", dependencies: ["idgenrec", "recommend-example", "generate-text", "T5", "TensorEngine"]),
        .testTarget(name: "IDGenRecTests", dependencies: ["IDGenRec", "Cluster", "RecData", "T5", "Tokenization", "Generation", "TensorEngine", "DurableFiles"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine"]),
        .testTarget(name: "DurableFilesTests", dependencies: ["DurableFiles"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(name: "RecDataTests", dependencies: ["RecData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation"], resources: [.copy("Fixtures")]),
        .testTarget(name: "T5Tests", dependencies: ["TensorEngine", "NN", "T5", "Generation"], resources: [.copy("Fixtures")]),
    ],
    cxxLanguageStandard: .cxx17
)
