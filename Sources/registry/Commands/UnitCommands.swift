import ArgumentParser
import RegistryCore

struct UnitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit", abstract: "Rental and owner-occupied housing units.",
        subcommands: [UnitAdd.self, UnitRegister.self, UnitClose.self, UnitGet.self])
}

/// `registry unit add`: `unit.add`.
struct UnitAdd: MethodCommand {
    static let method = AddUnit.method
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Record a unit in a grid.")
    @Option(help: "The grid's code.") var grid: String
    @Option(help: "The unit's address.") var address: String
    @Option(help: "rental or owner.") var kind: UnitKind
    @Option(help: "The day the unit became known (YYYY-MM-DD).") var discoveredOn: CivilDate
    @Option(help: "The unit's id (made from the grid code when not given).") var unitId: String?
    @Option(help: "The landlord's name.") var landlordName: String?
    @Option(help: "The landlord's ID number.") var landlordIdNumber: String?
    @Option(help: "The landlord's phone.") var landlordPhone: String?
    @Option(help: "The day the rental filing was done, if it is.") var registeredOn: CivilDate?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if (landlordName == nil) != (landlordIdNumber == nil) || (landlordPhone != nil && landlordName == nil) {
            throw ValidationError("--landlord-name and --landlord-id-number go together (--landlord-phone needs them)")
        }
    }

    var params: Params {
        Params {
            $0.set("grid", grid); $0.set("address", address); $0.set("kind", kind); $0.set("discoveredOn", discoveredOn)
            $0.set("unitId", unitId); $0.set("registeredOn", registeredOn)
            if let landlordName, let landlordIdNumber {
                var landlord = Params()
                landlord.set("name", landlordName); landlord.set("idNumber", landlordIdNumber); landlord.set("phone", landlordPhone)
                $0.set("landlord", landlord.json)
            }
        }
    }
}

/// `registry unit register`: `unit.register`.
struct UnitRegister: MethodCommand {
    static let method = RegisterUnit.method
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Record a rental unit's filing.")
    @Option(help: "The unit's id.") var unitId: String
    @Option(help: "The day of the filing.") var date: CivilDate
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("unitId", unitId); $0.set("date", date) } }
}

/// `registry unit close`: `unit.close`.
struct UnitClose: MethodCommand {
    static let method = CloseUnit.method
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Record that a unit is no longer let.")
    @Option(help: "The unit's id.") var unitId: String
    @Option(help: "The day it closed.") var date: CivilDate
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("unitId", unitId); $0.set("date", date) } }
}

/// `registry unit get`: `unit.get`.
struct UnitGet: MethodCommand {
    static let method = GetUnit.method
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a unit and who lives there.")
    @Option(help: "The unit's id.") var unitId: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("unitId", unitId) } }
}
