import ArgumentParser
import RegistryCore

/// `registry`: the floating-population and rental registry (流动人口与出租屋登记).
@main
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "A floating-population and rental registry for a county's subdistricts.",
        discussion: "Every command that opens a database takes --db (or $REGISTRY_DB) and --operator (or $REGISTRY_OPERATOR).",
        subcommands: [
            InitCommand.self, SeedCommand.self, DemoCommand.self, ServeCommand.self,
            AreaCommand.self, UnitCommand.self, HouseholdCommand.self, ResidentCommand.self,
            MetricsCommand.self, AnalysisCommand.self, LedgerCommand.self, AuditCommand.self,
            ImportCommand.self, GenerateCommand.self, CheckCommand.self, RecountCommand.self, BackupCommand.self,
            UserCommand.self, TokenCommand.self, WorklistCommand.self,
        ])
}
