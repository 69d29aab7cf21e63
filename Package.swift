// swift-tools-version: 6.1
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Every struct, enum and constant shared by the kernel programs and Swift.
        .target(name: "SluiceABI", path: "Sources/SluiceABI"),
        .systemLibrary(
            name: "CLibbpf",
            path: "Sources/CLibbpf",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]
        ),
        // System calls Swift's Glibc module cannot reach (membarrier, open_by_handle_at).
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        // Compiles BPF/ with clang -target bpf and embeds the object in SluiceKernel.
        .executableTarget(name: "sluice-embed-bpf", path: "Tools/EmbedBPF"),
        .plugin(
            name: "EmbedBPFPlugin",
            capability: .buildTool(),
            dependencies: ["sluice-embed-bpf"],
            path: "Tools/EmbedBPFPlugin"
        ),
        // Safe owners of libbpf objects, cgroup and bpffs helpers.
        .target(
            name: "SluiceKernel",
            dependencies: ["SluiceABI", "CLibbpf", "CSystemShims", "SluiceCore", logging],
            plugins: ["EmbedBPFPlugin"]
        ),
        // The pure domain: policy model, parser, validator, compiler, precedence, events.
        .target(
            name: "SluiceCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // The node controller as services.
        .target(
            name: "SluiceAgent",
            dependencies: [
                "SluiceCore", "SluiceKernel", logging, metrics, prometheus, lifecycle, hummingbird,
                httpClient,
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: ["SluiceCore", "SluiceKernel", "SluiceAgent", argumentParser, logging, lifecycle]
        ),
        // A small C client the kernel tests and benchmarks run as a real process in a test cgroup.
        .executableTarget(name: "sluice-probe", path: "Tools/Probe"),
        // Benchmarks that print figures (docs/benchmarks.md), never timed tests.
        .executableTarget(
            name: "sluice-bench",
            dependencies: ["SluiceCore", "SluiceKernel", "SluiceAgent", "SluiceTestSupport", argumentParser, logging],
            path: "Tools/Bench"
        ),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        .testTarget(
            name: "SluiceKernelTests",
            dependencies: ["SluiceKernel", "SluiceCore", "SluiceABI", "SluiceTestSupport"]
        ),
        .testTarget(
            name: "SluiceAgentTests",
            dependencies: ["SluiceAgent", "SluiceKernel", "SluiceCore", "SluiceTestSupport"]
        ),
        // Throwaway cgroups, pin folders, listeners and probe processes for the kernel tests.
        .target(
            name: "SluiceTestSupport",
            dependencies: ["SluiceKernel", "SluiceCore", logging],
            path: "Tests/SluiceTestSupport"
        ),
    ]
)
