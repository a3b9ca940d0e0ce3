import ArgumentParser
import RegistryCore

struct AreaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "area", abstract: "Subdistricts, communities and grids.",
        subcommands: [AreaAdd.self, AreaList.self])
}

/// `registry area add`: `area.add`.
struct AreaAdd: MethodCommand {
    static let method = AddArea.method
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a subdistrict, community or grid.")
    @Option(help: "The area's division code; it starts with its parent's code.") var code: String
    @Option(help: "The area's name.") var name: String
    @Option(help: "subdistrict, community or grid.") var level: AreaLevel
    @Option(help: "The parent's code (the county's for a subdistrict).") var parent: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params { $0.set("code", code); $0.set("name", name); $0.set("level", level); $0.set("parent", parent) }
    }
}

/// `registry area list`: `area.list`.
struct AreaList: MethodCommand {
    static let method = ListAreas.method
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List every area, or those directly under --parent.")
    @Option(help: "Only the areas directly under this one.") var parent: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("parent", parent) } }
}
