import ArgumentParser
import RegistryCore

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Rental registration rates (出租屋登记率).",
        subcommands: [MetricsRegistrationRate.self, MetricsTrend.self, MetricsTimeliness.self])
}

/// `registry metrics registration-rate`: `metrics.registrationRate`.
struct MetricsRegistrationRate: MethodCommand {
    static let method = RegistrationRate.method
    static let configuration = CommandConfiguration(commandName: "registration-rate", abstract: "Registered ÷ known rental units per area on a day.")
    @Option(help: "county, subdistrict, community or grid.") var level: AreaLevel
    @Option(help: "The day.") var asOf: CivilDate
    @Option(help: "Only the areas under this one.") var parent: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("level", level); $0.set("asOf", asOf); $0.set("parent", parent) } }
}

/// `registry metrics trend`: `metrics.trend`.
struct MetricsTrend: MethodCommand {
    static let method = RegistrationTrend.method
    static let configuration = CommandConfiguration(commandName: "trend", abstract: "An area's registration rate, weekly or monthly.")
    @Option(help: "The area's code.") var area: String
    @Option(help: "The first day.") var from: CivilDate
    @Option(help: "The last day.") var to: CivilDate
    @Option(help: "week or month.") var step: TrendStep
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("area", area); $0.set("from", from); $0.set("to", to); $0.set("step", step) } }
}

struct AnalysisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis", abstract: "Population profiles.",
        subcommands: [AnalysisDemographics.self])
}

/// `registry analysis demographics`: `analysis.demographics`.
struct AnalysisDemographics: MethodCommand {
    static let method = Demographics.method
    static let configuration = CommandConfiguration(commandName: "demographics", abstract: "Migrant share, sex, ages and origins per area.")
    @Option(help: "county, subdistrict, community or grid.") var level: AreaLevel
    @Option(help: "The day.") var asOf: CivilDate
    @Option(help: "Flag areas whose migrant share is at least this (default 0.5).") var threshold: Double?
    @Option(help: "Only the areas under this one.") var parent: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params { $0.set("level", level); $0.set("asOf", asOf); $0.set("threshold", threshold); $0.set("parent", parent) }
    }
}
