import ArgumentParser
import RegistryCore

struct ResidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resident", abstract: "Residents and where they live.",
        subcommands: [ResidentRegister.self, ResidentMoveOut.self, ResidentGet.self, ResidentFind.self])
}

/// `registry resident register`: `resident.register`.
struct ResidentRegister: MethodCommand {
    static let method = RegisterResident.method
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Register a person moving into a unit.")
    @Option(help: "The citizen ID number (18 characters, or 15 digits).") var idNumber: String
    @Option(help: "The person's name.") var name: String
    @Option(help: "The unit's id.") var unitId: String
    @Option(help: "The move-in day.") var movedIn: CivilDate
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "Hukou division code (default: the ID number's first 6 digits).") var hukouCode: String?
    @Option(help: "The household to join.") var householdId: Int?
    @Option(help: "Relation to the household head.") var relation: Relation?
    @Flag(help: "Close the person's open residence on the move-in day.") var transfer = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params {
            $0.set("idNumber", idNumber); $0.set("name", name); $0.set("unitId", unitId); $0.set("movedIn", movedIn)
            $0.set("phone", phone); $0.set("hukouCode", hukouCode); $0.set("householdId", householdId)
            $0.set("relation", relation); $0.set("transfer", transfer ? true : nil)
        }
    }
}

/// `registry resident move-out`: `resident.moveOut`.
struct ResidentMoveOut: MethodCommand {
    static let method = MoveOutResident.method
    static let configuration = CommandConfiguration(commandName: "move-out", abstract: "End a person's open residence.")
    @Option(help: "The citizen ID number.") var idNumber: String
    @Option(help: "The move-out day.") var date: CivilDate
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("idNumber", idNumber); $0.set("date", date) } }
}

/// `registry resident get`: `resident.get`.
struct ResidentGet: MethodCommand {
    static let method = GetResident.method
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a person's profile and residences.")
    @Option(help: "The citizen ID number.") var idNumber: String
    @Flag(help: "Show the full ID number (needs --purpose; audited).") var reveal = false
    @Option(help: "Why the full ID number is needed.") var purpose: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params { $0.set("idNumber", idNumber); $0.set("reveal", reveal ? true : nil); $0.set("purpose", purpose) }
    }
}

/// `registry resident find`: `resident.find`.
struct ResidentFind: MethodCommand {
    static let method = FindResidents.method
    static let configuration = CommandConfiguration(commandName: "find", abstract: "Find people by name, unit, area or migrant status.")
    @Option(help: "Names starting with this text.") var name: String?
    @Option(help: "Living in this unit now.") var unitId: String?
    @Option(help: "Living in this area now.") var area: String?
    @Option(help: "true: migrants only; false: locals only.") var migrant: Bool?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @Option(help: "The cursor from the previous page's next.") var after: Int?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params {
            $0.set("name", name); $0.set("unitId", unitId); $0.set("area", area); $0.set("migrant", migrant)
            $0.set("limit", limit); $0.set("after", after)
        }
    }
}
