// swift-tools-version:6.0
import PackageDescription

/// Kernel flags: AVX2/F16C/FMA baseline (x86-64-v3) and no bounds checks in release builds.
/// They go on every target whose code can be inlined into a hot loop (see docs/building.md).
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-Xcc", "-march=x86-64-v3"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "hubkit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hubkit", targets: ["hubkit"]),
        .library(name: "ModelHub", targets: ["ModelHub"]),
        .library(name: "Conversion", targets: ["Conversion"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
    ],
    targets: [
        // System libraries: a module map plus typed wrappers for curl's variadic setopt/getinfo.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        .target(name: "TensorCore", swiftSettings: fast),
        .target(
            name: "ModelHub",
            dependencies: [
                "TensorCore", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fast
        ),
        .target(name: "SafeTensors", dependencies: ["TensorCore"], swiftSettings: fast),
        .target(name: "PyTorchCheckpoint", dependencies: ["TensorCore", "SafeTensors"], swiftSettings: fast),
        .target(name: "Quantization", dependencies: ["TensorCore"], swiftSettings: fast),
        .target(name: "GGUF", dependencies: ["TensorCore", "Quantization"], swiftSettings: fast),
        .target(
            name: "Conversion",
            dependencies: ["TensorCore", "SafeTensors", "PyTorchCheckpoint", "Quantization", "GGUF"],
            resources: [],
            swiftSettings: fast
        ),
        .target(name: "Tokenization", dependencies: ["TensorCore"], swiftSettings: fast),
        .target(
            name: "Verification",
            dependencies: ["TensorCore", "SafeTensors", "PyTorchCheckpoint", "Quantization", "GGUF", "Conversion", "Tokenization", "CZstd"],
            swiftSettings: fast
        ),
        .target(
            name: "HubServer",
            dependencies: [
                "ModelHub",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hubkit",
            dependencies: [
                "TensorCore", "ModelHub", "HubServer", "SafeTensors", "PyTorchCheckpoint", "GGUF", "Conversion", "Tokenization", "Verification", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast
        ),
        // Seeded tiny models and the fault-injecting test hub: used by tests and by `hubkit demo`.
        .target(
            name: "TestSupport",
            dependencies: ["TensorCore", "ModelHub", "HubServer", "SafeTensors", .product(name: "Hummingbird", package: "hummingbird")]
        ),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", "HubServer", "TestSupport"]),
        .testTarget(name: "HubServerTests", dependencies: ["HubServer", "ModelHub", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TensorCore", "TestSupport"]),
        .testTarget(name: "PyTorchCheckpointTests", dependencies: ["PyTorchCheckpoint", "SafeTensors", "TensorCore", "TestSupport"], exclude: ["make_checkpoint.py"]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "TensorCore", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Quantization", "TensorCore", "TestSupport"]),
        .testTarget(name: "ConversionTests", dependencies: ["Conversion", "SafeTensors", "PyTorchCheckpoint", "GGUF", "TestSupport"], exclude: ["check_gguf.py"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification", "Tokenization", "SafeTensors", "GGUF", "Conversion", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "ModelHub"]),
    ],
    swiftLanguageModes: [.v6]
)
