import ArgumentParser
import RegistryCore

struct HouseholdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "household", abstract: "Households (户) living in a unit.",
        subcommands: [HouseholdCreate.self, HouseholdGet.self])
}

/// `registry household create`: `household.create`.
struct HouseholdCreate: MethodCommand {
    static let method = CreateHousehold.method
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a household in a unit.")
    @Option(help: "The unit's id.") var unitId: String
    @Option(help: "The head's ID number (they must live in the unit).") var headIdNumber: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("unitId", unitId); $0.set("headIdNumber", headIdNumber) } }
}

/// `registry household get`: `household.get`.
struct HouseholdGet: MethodCommand {
    static let method = GetHousehold.method
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a household and its members.")
    @Option(help: "The household's id.") var householdId: Int
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("householdId", householdId) } }
}
