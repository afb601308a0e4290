// swift-tools-version: 6.1
// Handoff: continue a website chat over SMS. See README.md and ARCHITECTURE.md.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "handoff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "handoff", targets: ["handoff"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: imported only by SQLite, Gateway and Postgres, with `internal import`.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", providers: [.apt(["libpq-dev"])]),

        // Pure domain rules: no I/O, no dependencies.
        .target(name: "HandoffCore", swiftSettings: strictSettings),
        // HTTP values shared by the server and the libcurl client: method, status, headers, form.
        .target(name: "HTTPValues", swiftSettings: strictSettings),
        // Services and the group that starts them in order and stops them in reverse order.
        .target(name: "Lifecycle", swiftSettings: strictSettings),
        // HTTP/1.1 server on POSIX sockets and Dispatch; knows nothing about SMS.
        .target(name: "HTTPServer", dependencies: ["HTTPValues", "Lifecycle"], swiftSettings: strictSettings),
        // The storage driver seam: values, typed rows, StorageError and its kinds, and the
        // Connection and Database protocols that repositories use and each driver implements.
        .target(name: "DatabaseDriver", swiftSettings: strictSettings),
        // The SQLite driver: connection and statements, the group-commit writer and its log flush,
        // readers, checkpoints, backups, the database file's lock.
        .target(name: "SQLite", dependencies: ["CSQLite", "DatabaseDriver"], swiftSettings: strictSettings),
        // Handoff's repositories (the SQL of each table family) and the migrator, on the seam only.
        .target(
            name: "Storage",
            dependencies: [
                "DatabaseDriver", "HandoffCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // PostgreSQL driver on libpq: connections, prepared statements, pool, LISTEN/NOTIFY (issue 17).
        .target(name: "Postgres", dependencies: ["CPostgres", "DatabaseDriver"], swiftSettings: strictSettings),
        // libcurl client, the SMSGateway protocol, the Twilio adapter and its signatures.
        .target(
            name: "Gateway",
            dependencies: [
                "CCurl",
                "HandoffCore",
                "HTTPValues",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The Twilio-compatible simulator: a Messages API served by HTTPServer, simulated phones.
        .target(
            name: "GatewaySimulator",
            dependencies: ["Gateway", "HandoffCore", "HTTPServer", "HTTPValues", "Lifecycle"],
            swiftSettings: strictSettings
        ),
        // Use cases (chat, handoff, offers, inbound and outbound SMS, routing, administration), the
        // outbox and its dispatcher, event fan-out. Knows nothing about HTTP: no HTTPServer here.
        .target(
            name: "HandoffDomain",
            dependencies: [
                "HandoffCore", "DatabaseDriver", "Storage", "Gateway", "Lifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP edge: API routes, request decoding, middleware, CORS, cookies, event streams,
        // the HTTP rendering of use-case errors, static assets.
        .target(
            name: "HandoffHTTP",
            dependencies: [
                "HandoffCore", "HTTPServer", "HTTPValues", "DatabaseDriver", "Storage", "Gateway",
                "GatewaySimulator", "HandoffDomain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedAssets"]
        ),
        // Configuration, logging and the application wiring (HandoffApplication).
        .target(
            name: "HandoffService",
            dependencies: [
                "HandoffCore", "HTTPServer", "HTTPValues", "DatabaseDriver", "SQLite", "Postgres", "Storage",
                "Gateway", "GatewaySimulator", "HandoffDomain", "HandoffHTTP", "Lifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // Build-time embedding of openapi.yaml and web/ into HandoffHTTP.
        .executableTarget(name: "embed-assets", swiftSettings: strictSettings),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["embed-assets"]),
        // The daemon and its command line.
        .executableTarget(
            name: "handoff",
            dependencies: [
                "HandoffService", "HandoffDomain", "Lifecycle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // A minimal server on the HTTPServer module, used by bench/http.sh.
        .executableTarget(
            name: "HTTPBenchServer",
            dependencies: ["HTTPServer"],
            path: "bench/HTTPBenchServer",
            swiftSettings: strictSettings
        ),

        // Handoff's libcurl client against a C program on the same API, used by bench/curl.sh.
        .executableTarget(
            name: "CurlBench",
            dependencies: ["Gateway"],
            path: "bench/CurlBench",
            swiftSettings: strictSettings
        ),

        // Shared by the test targets: oracles, temporary directories, a live-server client.
        .target(
            name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "HandoffCoreTests", dependencies: ["HandoffCore", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPValues", "Lifecycle", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "DatabaseDriverTests", dependencies: ["DatabaseDriver"], swiftSettings: strictSettings),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle"], swiftSettings: strictSettings),
        .testTarget(
            name: "StorageTests", dependencies: ["DatabaseDriver", "SQLite", "Storage", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "GatewaySimulator", "HTTPServer", "HTTPValues", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "PostgresTests", dependencies: ["Postgres", "DatabaseDriver", "SQLite", "Storage", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "HandoffServiceTests",
            dependencies: [
                "HandoffService", "HandoffDomain", "HandoffHTTP", "GatewaySimulator", "HTTPServer", "HTTPValues",
                "DatabaseDriver", "SQLite", "Postgres", "Lifecycle", "Storage", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
