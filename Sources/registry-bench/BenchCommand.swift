import ArgumentParser
import Foundation

/// `registry-bench`: measurements that run the built `registry` binary the way users do,
/// beside SQLite doing the same work, and print medians and ratios.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry-bench",
        abstract: "Benchmarks of the registry against SQLite itself.",
        subcommands: [RPCBench.self, QueriesBench.self, KillTrials.self])
}

/// Options shared by the benchmarks.
struct BenchOptions: ParsableArguments {
    @Option(help: "The registry binary to measure (default: the one beside this binary).")
    var registry: String?

    @Option(help: "How many times to run each measurement; the median is reported.")
    var repeats: Int = 3

    @Option(help: "A folder for the data and databases (default: a temporary one, removed afterwards).")
    var work: String?

    var registryPath: String {
        registry ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("registry").path
    }
}

/// The median of some measurements.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

/// Seconds taken by `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
