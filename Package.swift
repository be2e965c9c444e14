// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "weijian",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "weijian", targets: ["weijian"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // Already built for HummingbirdTesting; `weijian bench booking` uses it as its HTTP client.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
    ],
    targets: [
        .target(
            name: "Storage",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FHIR",
            dependencies: ["Storage"],
            resources: [.copy("Definitions")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: ["Storage", "FHIR"],
            resources: [.copy("Data")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Access",
            dependencies: [
                "Storage", "FHIR", "Registry",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Messaging",
            dependencies: ["Storage", "FHIR"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Contracting",
            dependencies: ["Storage", "FHIR", "Registry"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ChronicCare",
            dependencies: ["Storage", "FHIR", "Registry", "Messaging"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Surveillance",
            dependencies: ["Storage", "FHIR", "Messaging"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Indicators",
            dependencies: ["Storage", "FHIR"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Referral",
            dependencies: ["Storage", "FHIR", "Registry"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Supervision",
            dependencies: ["Storage", "FHIR", "Registry", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Collaboration",
            dependencies: ["Storage", "FHIR", "Registry"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Portal",
            dependencies: ["Storage", "FHIR", "Registry"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "App",
            dependencies: [
                "Storage", "FHIR", "Registry", "Access", "Messaging", "Contracting", "ChronicCare", "Surveillance", "Referral", "Indicators", "Supervision", "Collaboration", "Portal",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            resources: [.copy("Static")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "weijian",
            dependencies: [
                "App", "Storage", "FHIR", "Registry", "Access", "Contracting", "ChronicCare", "Surveillance", "Referral", "Indicators", "Messaging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WeijianTesting",
            dependencies: ["App", "Storage", "Access", "FHIR", "Messaging", .product(name: "HummingbirdTesting", package: "hummingbird")],
            path: "Tests/WeijianTesting", swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SupervisionTests",
            dependencies: ["Supervision", "Referral", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CollaborationTests",
            dependencies: ["Collaboration", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortalTests",
            dependencies: ["Portal", "Supervision", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MessagingTests", dependencies: ["Messaging", "Storage", "WeijianTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "WeijianTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "FHIRTests", dependencies: ["FHIR", "Storage", "App", "WeijianTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "FHIR", "Storage", "App", "WeijianTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AccessTests",
            dependencies: ["Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContractingTests",
            dependencies: ["Contracting", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChronicCareTests",
            dependencies: ["ChronicCare", "Messaging", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SurveillanceTests",
            dependencies: ["Surveillance", "Access", "FHIR", "Storage", "App", "Registry", "Messaging", "WeijianTesting",
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IndicatorTests",
            dependencies: ["Indicators", "Access", "Storage", "FHIR", "App", "Registry", "Contracting", "Surveillance", "Referral", "Portal", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReferralTests",
            dependencies: ["Referral", "Access", "FHIR", "Storage", "App", "Registry", "WeijianTesting", .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App", "Storage", "FHIR", "Registry", "Access", "WeijianTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // Backup and restore, kill -9 of the real server binary, PostgreSQL stopped under a serving server.
        .testTarget(
            name: "ResilienceTests",
            dependencies: ["App", "Storage", "FHIR", "Registry", "Access", "Referral", "WeijianTesting",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
    ]
)
