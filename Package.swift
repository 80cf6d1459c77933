// swift-tools-version:6.2
import PackageDescription

/// Settings every Brigade target shares: Swift 6 language mode (strict concurrency) comes with
/// the tools version; these add the upcoming features we hold ourselves to.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Brigade",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Brigade", targets: ["Brigade"]),
        .library(name: "BrigadeExecutors", targets: ["BrigadeExecutors"]),
        .library(name: "BrigadeHTTP", targets: ["BrigadeHTTP"]),
        .library(name: "BrigadePostgres", targets: ["BrigadePostgres"]),
        .library(name: "BrigadeMigrations", targets: ["BrigadeMigrations"]),
        .library(name: "BrigadeTesting", targets: ["BrigadeTesting"]),
        .executable(name: "hello", targets: ["Hello"]),
        .executable(name: "slowcalls", targets: ["SlowCalls"]),
        .executable(name: "pg-benchmark", targets: ["PostgresBenchmark"]),
        .executable(name: "bookstore", targets: ["Bookstore"]),
        .executable(name: "benchmarks", targets: ["Benchmarks"]),
        .executable(name: "overload", targets: ["Overload"]),
        .executable(name: "ticker", targets: ["Ticker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(
            url: "https://github.com/apple/swift-configuration",
            from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]
        ),
    ],
    targets: [
        // MARK: shared by both halves
        .target(
            name: "BrigadeExecutors",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: web half
        .target(
            name: "BrigadeHTTP",
            dependencies: [
                "BrigadeExecutors",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Brigade",
            dependencies: [
                "BrigadeExecutors",
                "BrigadeHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: data half
        .systemLibrary(
            name: "CBrigadeLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "BrigadePostgres",
            dependencies: [
                "CBrigadeLibPQ",
                "BrigadeExecutors",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BrigadeMigrations",
            dependencies: [
                "BrigadePostgres",
                "BrigadeExecutors",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: where the halves meet
        .target(
            name: "BrigadeTesting",
            dependencies: [
                "Brigade",
                "BrigadeHTTP",
                "BrigadePostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Hello",
            dependencies: ["Brigade"],
            path: "Examples/Hello",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SlowCalls",
            dependencies: ["Brigade"],
            path: "Examples/SlowCalls",
            exclude: ["slowcalls.png"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PostgresBenchmark",
            dependencies: ["BrigadePostgres", "BrigadeExecutors"],
            path: "Examples/PostgresBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Bookstore",
            dependencies: ["Brigade", "BrigadePostgres", "BrigadeMigrations"],
            path: "Examples/Bookstore",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "Benchmarks",
            dependencies: ["Brigade", "BrigadePostgres", "BrigadeMigrations"],
            path: "Examples/Benchmarks",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Ticker",
            dependencies: ["Brigade", "BrigadeExecutors", "BrigadePostgres"],
            path: "Examples/Ticker",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Overload",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Examples/Overload",
            swiftSettings: swiftSettings
        ),

        // MARK: tests
        .testTarget(
            name: "BrigadeExecutorsTests",
            dependencies: [
                "BrigadeExecutors",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrigadeHTTPTests",
            dependencies: [
                "BrigadeHTTP", "BrigadeTesting", "BrigadeExecutors",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrigadeTests",
            dependencies: [
                "Brigade", "BrigadeTesting", "Hello",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrigadeAsyncTests",
            dependencies: [
                "Brigade", "BrigadeTesting", "SlowCalls", "BrigadePostgres",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrigadePostgresTests",
            dependencies: [
                "BrigadePostgres", "BrigadeExecutors",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrigadeMigrationsTests",
            dependencies: [
                "BrigadeMigrations", "BrigadePostgres", "BrigadeExecutors",
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookstoreTests",
            dependencies: [
                "Bookstore", "Brigade", "BrigadeTesting", "BrigadePostgres", "BrigadeMigrations",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickerTests",
            dependencies: ["Ticker", "Brigade", "BrigadeTesting", "BrigadePostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BenchmarksTests",
            dependencies: [
                "Benchmarks", "Brigade", "BrigadeTesting", "BrigadePostgres", "BrigadeMigrations",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
