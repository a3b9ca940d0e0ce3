import Foundation

/// The shipped demo data: Gushi County (固始县, 411525) as made by ``CountyGenerator``
/// with fixed parameters. The files in `seed/` are exactly this generator's output (a test
/// holds them to it), so the binary needs no resource files: `registry seed` and `registry
/// demo` make the same files again in a temporary folder and import them.
public enum DemoSeed {
    public static let countyCode = "411525"
    public static let countyName = "固始县"
    public static let residents = 4000
    public static let seed: UInt64 = 20250401

    public static var generator: CountyGenerator {
        CountyGenerator(residents: residents, seed: seed, countyCode: countyCode, countyName: countyName)
    }

    /// Loads the demo into `registry`, which must hold no units or residents yet.
    /// - Returns: the rows imported per file.
    @discardableResult
    public static func load(into registry: Registry, operator actor: String) throws -> [CSVImport.Kind: Int] {
        guard registry.settings.countyCode == countyCode else {
            throw RegistryError.conflict(.countyMismatch, field: "db",
                                         "the demo data is for \(countyCode) \(countyName); this database keeps \(registry.settings.countyCode)")
        }
        let held = try registry.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM unit) + (SELECT count(*) FROM resident)") ?? 0
        }
        guard held == 0 else {
            throw RegistryError.conflict(.notEmpty, field: "db", "\(registry.path) already holds units or residents; seed only a new database")
        }
        let directory = NSTemporaryDirectory() + "registry-seed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try generator.write(to: directory)
        var counts: [CSVImport.Kind: Int] = [:]
        for kind in CSVImport.Kind.allCases {
            counts[kind] = try CSVImport(kind: kind, encoding: .utf8).run(registry, path: "\(directory)/\(kind.rawValue).csv", operator: actor).rows
        }
        return counts
    }
}
