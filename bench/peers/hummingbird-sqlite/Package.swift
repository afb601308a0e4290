// swift-tools-version: 6.0
// A reference peer for bench/inbound-throughput.sh, outside the product: Hummingbird 2 with its
// stock form decoder and one SQLite insert per inbound webhook. Not part of Handoff's build.
import PackageDescription

let package = Package(
    name: "hummingbird-sqlite-peer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .executableTarget(
            name: "PeerServer",
            dependencies: ["CSQLite", .product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
