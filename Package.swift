// swift-tools-version:6.2
import PackageDescription

/// galsync: keeps Exchange Online mailbox contacts in step with the directory.
///
/// Arrows point one way: executables → engine → Graph/store/system adapters → C system libraries.
/// The simulator depends on the crypto adapter only (to verify real signatures), never on the engine.
let package = Package(
    name: "galsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "galsync", targets: ["galsync"]),
        .executable(name: "galsync-sim", targets: ["galsync-sim"]),
        .executable(name: "galsync-bench", targets: ["galsync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C system libraries, found through pkg-config (see scripts/setup for the apt packages).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Thin C shims for what Swift cannot call directly (variadic curl_easy_setopt, OpenSSL macros).
        .target(name: "CShims", dependencies: ["CCurl", "COpenSSL"]),

        // Google's libphonenumber (C++, Debian's libphonenumber-dev has no pkg-config file) behind
        // a C function, and phone formats for contacts on top of it.
        .target(name: "CPhoneNumber", linkerSettings: [.linkedLibrary("phonenumber"), .linkedLibrary("stdc++")]),
        .target(name: "GalsyncPhone", dependencies: ["CPhoneNumber"]),

        // Shared value types.
        .target(name: "GalsyncJSON"),
        // Text from the network made safe for terminals, logs and sd_notify (no dependencies).
        .target(name: "GalsyncText"),
        // The OData $filter subset: parsed to a small AST, evaluated on JSON objects.
        .target(name: "GraphFilter", dependencies: ["GalsyncJSON"]),

        // Adapters.
        .target(name: "GalsyncCrypto", dependencies: ["COpenSSL", "CShims"]),
        .target(name: "GraphHTTP", dependencies: ["CCurl", "CShims"]),
        .target(name: "GalsyncConfig", dependencies: ["GraphFilter", "GalsyncJSON"]),
        .target(name: "GraphClient", dependencies: ["GraphHTTP", "GalsyncCrypto", "GalsyncJSON", "GalsyncText"]),
        .target(name: "SyncStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // Optional shared state for many nodes: tenants' leases (with fencing tokens) and state
        // snapshots in PostgreSQL, through postgres-nio. Nothing here runs unless [store] url is set.
        .target(
            name: "GalsyncPostgres",
            dependencies: ["GalsyncConfig", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .target(name: "SystemdSupport", dependencies: ["CSystemd", "GalsyncText", .product(name: "Logging", package: "swift-log")]),

        // The engine, in layers (arrows one way): run loop → engine → sources and writer → plan.
        // Scope, projections and each mailbox's plan.
        .target(
            name: "GalsyncPlan",
            dependencies: ["GalsyncConfig", "GalsyncCrypto", "GalsyncJSON", "GalsyncPhone", "GalsyncText", "GraphClient", "GraphFilter", "GraphHTTP", "SyncStore"]
        ),
        // Carrying plans out: the batch scheduler, the batch writer and per-mailbox pacing.
        .target(
            name: "GalsyncWriter",
            dependencies: ["GalsyncPlan", "GalsyncJSON", "GalsyncText", "GraphClient", "SyncStore", .product(name: "Logging", package: "swift-log")]
        ),
        // Where desired state comes from: the directory's delta, groups, hidden users, org contacts,
        // mailbox folders that lists copy, and mailbox purposes; read in paged $batch rounds.
        .target(
            name: "GalsyncSources",
            dependencies: ["GalsyncPlan", "GalsyncConfig", "GalsyncCrypto", "GalsyncJSON", "GraphClient", "GraphFilter", "GraphHTTP", "SyncStore"]
        ),
        // One cycle (directory read, plan, write), preflight, purge and certificates.
        .target(
            name: "GalsyncCore",
            dependencies: [
                "GalsyncSources", "GalsyncPlan", "GalsyncWriter", "GalsyncConfig", "GraphClient", "GraphHTTP", "GalsyncCrypto", "GalsyncJSON", "GalsyncText", "SyncStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The cycle runner, the long-running service, status and metrics.
        .target(
            name: "GalsyncRun",
            dependencies: [
                "GalsyncCore", "GalsyncSources", "GalsyncPlan", "GalsyncWriter", "GraphHTTP", "GraphClient", "GalsyncConfig", "GalsyncCrypto", "GalsyncJSON", "GalsyncText", "SyncStore", "SystemdSupport", "GalsyncPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "galsync",
            dependencies: [
                "GalsyncRun", "GalsyncCore", "GalsyncWriter", "GalsyncConfig", "GalsyncJSON", "GalsyncText", "SyncStore", "SystemdSupport", "CShims", "GalsyncPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(name: "galsync-bench", dependencies: ["GalsyncPlan", "GalsyncConfig", "GalsyncJSON"]),

        // The simulated tenant's data: users, groups, mailboxes, photos, the seed, settings,
        // throttling state, counters, the contact schema, requests and answers.
        .target(name: "GraphSimulatorModel", dependencies: ["GalsyncCrypto", "GalsyncJSON", "GraphFilter"]),
        // The Microsoft identity platform + Graph simulator.
        .target(
            name: "GraphSimulator",
            dependencies: [
                "GraphSimulatorModel", "GalsyncCrypto", "GalsyncJSON", "GraphFilter",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "galsync-sim",
            dependencies: [
                "GraphSimulator", "GalsyncCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "GalsyncCryptoTests", dependencies: ["GalsyncCrypto"]),
        // The fuzz suites' shared seed, time box and draws (test support, not shipped).
        .target(name: "FuzzSupport", dependencies: ["GraphSimulator"], path: "Tests/FuzzSupport"),
        // Children started with posix_spawn, not Foundation.Process (test support, not shipped).
        .target(name: "ProcessSupport", path: "Tests/ProcessSupport"),
        .testTarget(name: "GalsyncJSONTests", dependencies: ["GalsyncJSON", "FuzzSupport", "GraphSimulator"]),
        .testTarget(name: "GalsyncConfigTests", dependencies: ["GalsyncConfig", "FuzzSupport", "GraphSimulator", "ProcessSupport"]),
        .testTarget(name: "GalsyncPlanTests", dependencies: ["GalsyncPlan", "GalsyncCrypto", "GalsyncJSON"]),
        .testTarget(name: "GalsyncWriterTests", dependencies: ["GalsyncWriter", "GalsyncPlan", "GalsyncJSON"]),
        // The engine's integration tests (the simulator, the built binary) cover the run loop too.
        .testTarget(
            name: "GalsyncCoreTests",
            dependencies: ["GalsyncCore", "GalsyncSources", "GalsyncRun", "GalsyncWriter", "GalsyncPlan", "GalsyncConfig", "GraphSimulator", "GalsyncCrypto", "SyncStore", "FuzzSupport", "ProcessSupport", "GalsyncPostgres",
                           .product(name: "InMemoryLogging", package: "swift-log")]
        ),
        .testTarget(name: "GalsyncRunTests", dependencies: ["GalsyncRun", "GalsyncCore", "GalsyncCrypto", "GalsyncConfig", "SyncStore"]),
        .testTarget(name: "SyncStoreTests", dependencies: ["SyncStore"]),
        .testTarget(name: "GalsyncPostgresTests", dependencies: ["GalsyncPostgres", "GalsyncConfig", "ProcessSupport"]),
        .testTarget(name: "GalsyncPhoneTests", dependencies: ["GalsyncPhone"]),
        .testTarget(name: "GraphFilterTests", dependencies: ["GraphFilter", "GalsyncJSON"]),
        .testTarget(name: "GalsyncTextTests", dependencies: ["GalsyncText", "SystemdSupport", "GraphClient", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "GraphClientTests", dependencies: ["GraphClient", "GraphSimulator", "GalsyncCrypto", "GraphHTTP", "ProcessSupport"], exclude: ["Python"]),
        .testTarget(name: "GraphSimulatorModelTests", dependencies: ["GraphSimulatorModel"]),
        .testTarget(
            name: "GraphSimulatorTests",
            dependencies: ["GraphSimulator", "GalsyncCrypto", "GraphHTTP", "ProcessSupport", .product(name: "Logging", package: "swift-log")],
            exclude: ["Python"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
