import Foundation
import GRDB
@testable import RegistryCore

/// A registry in a fresh temporary folder, with shortcuts for calling methods by name as
/// the JSON-RPC server and the command line do.
final class TestRegistry {
    let folder: String
    let registry: Registry

    init(scope: MigrantScope = .county, county: String = "411525") throws {
        folder = NSTemporaryDirectory() + "registry-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        registry = try Registry.initialize(path: folder + "/registry.sqlite",
                                           settings: RegistrySettings(countyCode: county, countyName: "固始县", migrantScope: scope))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var path: String { registry.path }

    /// A generated county (300 residents: 175 units) in `folder/gen` with its areas
    /// imported, and its units file cut in two halves with the header each (`units1.csv`,
    /// `units2.csv`).
    /// - Returns: the folder and the units file's lines, header first.
    func generatedUnitsInHalves(residents: Int = 300) throws -> (out: String, lines: [Substring]) {
        let out = folder + "/gen"
        _ = try CountyGenerator(residents: residents, seed: 5).write(to: out)
        _ = try CSVImport(kind: .areas).run(registry, path: out + "/areas.csv", operator: "import")
        let lines = try String(contentsOfFile: out + "/units.csv", encoding: .utf8).split(separator: "\r\n", omittingEmptySubsequences: true)
        let cut = lines.count / 2
        for (name, rows) in [("units1", lines[1..<cut]), ("units2", lines[cut...])] {
            try Data((([lines[0]] + rows).joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: "\(out)/\(name).csv"))
        }
        return (out, lines)
    }

    /// Calls `method` with `params` (a JSON object's text).
    func call(_ method: String, _ params: String = "{}", operator actor: String = "tester") -> Result<JSONValue, RegistryError> {
        guard let value = try? JSONParser.parse(Data(params.utf8)) else {
            return .failure(RegistryError.invalid("params", "the test's params are not JSON: \(params)"))
        }
        do {
            return .success(try registry.perform(method: method, params: value, operator: actor))
        } catch {
            return .failure(error)
        }
    }

    /// Calls `method` and returns its result, failing the test's expectation by throwing.
    @discardableResult
    func ok(_ method: String, _ params: String = "{}", operator actor: String = "tester") throws -> JSONValue {
        try call(method, params, operator: actor).get()
    }

    /// The refusal of a call that must fail.
    func refusal(_ method: String, _ params: String = "{}") -> RegistryError? {
        if case let .failure(error) = call(method, params) { return error }
        return nil
    }

    /// Every row of every table, as text: two equal snapshots mean an unchanged database.
    func snapshot() throws -> String {
        try registry.read { db in
            var out = ""
            for table in ["registry", "area", "unit", "resident", "residence", "household", "household_member", "ledger_event", "audit_entry"] {
                out += "# \(table)\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1") { out += "\(row)\n" }
            }
            return out
        }
    }

    /// Xiushui subdistrict, 日出东方社区 and two grids; Liaocheng with one community and grid.
    func addAreas() throws {
        try ok("area.add", #"{"code":"411525003","name":"秀水街道","level":"subdistrict","parent":"411525"}"#)
        try ok("area.add", #"{"code":"411525003001","name":"日出东方社区","level":"community","parent":"411525003"}"#)
        try ok("area.add", #"{"code":"411525003001001","name":"第一网格","level":"grid","parent":"411525003001"}"#)
        try ok("area.add", #"{"code":"411525003001002","name":"第二网格","level":"grid","parent":"411525003001"}"#)
        try ok("area.add", #"{"code":"411525001","name":"蓼城街道","level":"subdistrict","parent":"411525"}"#)
        try ok("area.add", #"{"code":"411525001001","name":"蓼北社区","level":"community","parent":"411525001"}"#)
        try ok("area.add", #"{"code":"411525001001001","name":"第一网格","level":"grid","parent":"411525001001"}"#)
    }

    /// Adds a unit and returns its id.
    @discardableResult
    func addUnit(_ id: String, grid: String = "411525003001001", kind: String = "rental", discovered: String = "2025-01-01",
                 registered: String? = nil) throws -> String {
        var params = #"{"unitId":"\#(id)","grid":"\#(grid)","address":"秀水路\#(id)号","kind":"\#(kind)","discoveredOn":"\#(discovered)""#
        if let registered { params += #","registeredOn":"\#(registered)""# }
        params += "}"
        return try ok("unit.add", params)["unitId"]!.stringValue!
    }

    /// Registers a person moving in.
    @discardableResult
    func moveIn(_ idNumber: String, _ unit: String, on date: String, name: String = "张三", extra: String = "") throws -> JSONValue {
        try ok("resident.register", #"{"idNumber":"\#(idNumber)","name":"\#(name)","unitId":"\#(unit)","movedIn":"\#(date)"\#(extra)}"#)
    }
}

/// Valid ID numbers for tests: `makeID(prefix: "341522", birth: "19900101", sequence: 123)`.
func makeID(prefix: String = "411525", birth: String = "19900101", sequence: Int = 1) -> String {
    let body = prefix + birth + String(format: "%03d", sequence)
    return body + String(IDNumber.checkCharacter(for: body))
}
