// swift-tools-version: 6.1
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let hummingbirdTLS: Target.Dependency = .product(name: "HummingbirdTLS", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let bcrypt: Target.Dependency = .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")
let sqlKit: Target.Dependency = .product(name: "SQLKit", package: "sql-kit")
let sqliteKit: Target.Dependency = .product(name: "SQLiteKit", package: "sqlite-kit")
let postgresKit: Target.Dependency = .product(name: "PostgresKit", package: "postgres-kit")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let system: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")
let openAPIRuntime: Target.Dependency = .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
let openAPIHummingbird: Target.Dependency = .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird")
let openAPIClient: Target.Dependency = .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client")

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
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
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
        // Embeds the web console's files (Sources/SluiceServer/Console/Assets) in SluiceServer, the
        // OpenAPI document (Sources/SluiceAPI/openapi.yaml) in SluiceAPI and the Public Suffix List
        // (Tools/Models/public_suffix_list.dat) in SluiceCore.
        .executableTarget(name: "sluice-embed-assets", path: "Tools/EmbedAssets"),
        .plugin(
            name: "EmbedAssetsPlugin",
            capability: .buildTool(),
            dependencies: ["sluice-embed-assets"],
            path: "Tools/EmbedAssetsPlugin"
        ),
        // Safe owners of libbpf objects, cgroup and bpffs helpers.
        .target(
            name: "SluiceKernel",
            dependencies: ["SluiceABI", "CLibbpf", "CSystemShims", "SluiceCore", logging, system],
            plugins: ["EmbedBPFPlugin"]
        ),
        // The pure domain: policy model, parser, validator, compiler, precedence, events.
        .target(
            name: "SluiceCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            plugins: ["EmbedAssetsPlugin"]
        ),
        // The HTTP API: types, server interface and client generated from Sources/SluiceAPI/openapi.yaml.
        .target(
            name: "SluiceAPI",
            dependencies: ["SluiceCore", openAPIRuntime, openAPIHummingbird, openAPIClient, hummingbird, httpClient],
            plugins: [
                .plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"),
                "EmbedAssetsPlugin",
            ]
        ),
        // Firewall integrators outside the core: applying, reading back and removing what the
        // core renders (nftables through `nft`), for `sluice export` and `sluice gateway`.
        .target(name: "SluiceFirewall", dependencies: ["SluiceCore", logging, lifecycle]),
        // The node controller as services.
        .target(
            name: "SluiceAgent",
            dependencies: [
                "SluiceCore", "SluiceKernel", "SluiceAPI", "CSystemShims", logging, metrics, prometheus, lifecycle, hummingbird,
                httpClient, nioCore, nioHTTP1, nioSSL, openAPIRuntime, .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
        // The central server: storage, HTTP API, auth, alerts, console.
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceCore", "SluiceAPI", logging, metrics, prometheus, lifecycle, hummingbird, hummingbirdTLS, bcrypt, sqlKit,
                sqliteKit, postgresKit, crypto, httpClient, openAPIRuntime, openAPIHummingbird,
            ],
            exclude: ["Console/Assets"],
            plugins: ["EmbedAssetsPlugin"]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore", "SluiceKernel", "SluiceAgent", "SluiceServer", "SluiceAPI", "SluiceFirewall", argumentParser, logging, lifecycle,
                httpClient, openAPIRuntime, openAPIClient,
            ]
        ),
        // A small C client the kernel tests and benchmarks run as a real process in a test cgroup.
        .executableTarget(name: "sluice-probe", path: "Tools/Probe"),
        // Benchmarks that print figures (docs/benchmarks.md), never timed tests.
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "SluiceCore", "SluiceKernel", "SluiceAgent", "SluiceServer", "SluiceAPI", "SluiceTestSupport", argumentParser, logging,
                httpClient, nioCore, nioPosix, nioHTTP1, openAPIRuntime, openAPIClient,
            ],
            path: "Tools/Bench"
        ),
        // Labelled workloads, detectors and the report in docs/detection.md.
        .executableTarget(name: "sluice-eval", dependencies: ["SluiceCore", argumentParser], path: "Tools/Eval"),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        // The evaluation tool's capture readers, on small inline fixtures.
        .testTarget(name: "SluiceEvalTests", dependencies: ["sluice-eval", "SluiceCore"]),
        .testTarget(name: "SluiceAPITests", dependencies: ["SluiceAPI", "SluiceCore", openAPIRuntime]),
        .testTarget(
            name: "SluiceKernelTests",
            dependencies: ["SluiceKernel", "SluiceCore", "SluiceABI", "SluiceFirewall", "SluiceTestSupport", system]
        ),
        .testTarget(
            name: "SluiceServerTests",
            dependencies: [
                "SluiceServer", "SluiceCore", "SluiceAPI", hummingbirdTesting, "SluiceTestSupport", openAPIRuntime, httpClient,
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "SluiceAgentTests",
            dependencies: ["SluiceAgent", "SluiceKernel", "SluiceCore", "SluiceAPI", "SluiceTestSupport", openAPIRuntime]
        ),
        // Throwaway cgroups, pin folders, listeners and probe processes for the kernel tests.
        .target(
            name: "SluiceTestSupport",
            dependencies: ["SluiceKernel", "SluiceCore", "SluiceAPI", logging, httpClient, nioCore, nioHTTP1, openAPIRuntime, openAPIClient],
            path: "Tests/SluiceTestSupport"
        ),
    ]
)
