// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "registry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "registry", targets: ["registry"]),
        .executable(name: "registry-bench", targets: ["registry-bench"]),
        .library(name: "RegistryCore", targets: ["RegistryCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", exact: "2.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // zlib (Debian's zlib1g-dev): deflate and CRC-32 for the xlsx exports' zip container.
        .systemLibrary(name: "CDeflate", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's malloc_trim: freed heap pages given back between an import's phases.
        .systemLibrary(name: "CAllocator"),
        // sqlite3_config, which Swift cannot call itself (it is variadic).
        .systemLibrary(name: "CSQLiteSetup"),
        // The domain and storage: every operation of the contract, defined once.
        .target(
            name: "RegistryCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                "CDeflate",
                "CAllocator",
                "CSQLiteSetup",
            ]
        ),
        // JSON-RPC 2.0 over standard input: a thin adapter over RegistryCore.
        .target(
            name: "RegistryRPC",
            dependencies: ["RegistryCore"]
        ),
        // The web service (Hummingbird 2): /rpc, sign-in, pages in Chinese. A thin adapter
        // over RegistryCore and RegistryRPC, in its own target so that the core's edit-build
        // loop does not rebuild the HTTP stack.
        .target(
            name: "RegistryHTTP",
            dependencies: [
                "RegistryCore",
                "RegistryRPC",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The `registry` command line: a thin adapter over RegistryCore, RegistryRPC and RegistryHTTP.
        .executableTarget(
            name: "registry",
            dependencies: [
                "RegistryCore",
                "RegistryRPC",
                "RegistryHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks that run the built `registry` and SQLite side by side (see BENCHMARKS.md).
        .executableTarget(
            name: "registry-bench",
            dependencies: [
                "RegistryCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The whole JSON-RPC handler under libFuzzer (scripts/fuzz builds it with
        // -sanitize=fuzzer -DFUZZING); built plainly, it replays inputs given as files.
        .executableTarget(
            name: "registry-fuzz",
            dependencies: ["RegistryCore", "RegistryRPC"],
            path: "Fuzz/RPC"
        ),
        .testTarget(
            name: "RegistryCoreTests",
            dependencies: ["RegistryCore", "RegistryRPC", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            // Fixtures are read from the source tree (#filePath), not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RegistryHTTPTests",
            dependencies: [
                "RegistryHTTP", "RegistryCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "RegistryEndToEndTests",
            // Depends on the executable so that `swift test` builds the binary it runs.
            dependencies: ["registry", "RegistryCore"]
        ),
    ]
)
