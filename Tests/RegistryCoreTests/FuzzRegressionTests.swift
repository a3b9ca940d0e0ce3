import Foundation
import Testing
@testable import RegistryCore
@testable import RegistryRPC

/// Inputs the fuzzers found crashing, kept in Fuzz/regressions/ and replayed here through the
/// JSON-RPC handler, as `registry serve --stdio` answers them.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test("every kept input gets well-formed answers and no internal error", arguments: inputs)
    func replay(_ name: String) throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("F1")
        let server = JSONRPCServer(registry: t.registry, operator: "fuzz")
        let bytes = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        let items = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { LineReader.Item.line(Data($0)) }
        let responses = server.respond(to: items)
        #expect(responses.count <= items.count)
        for line in responses {
            let value = try JSONParser.parse(Data(line.utf8))
            for response in value.arrayValue ?? [value] {
                #expect(response["jsonrpc"] == .string("2.0"))
                #expect(response["result"] != nil || response["error"]?["code"] != .int(-32603), "\(line)")
            }
        }
    }

    @Test("date arithmetic stays in the calendar: demographics of year 25, a trend to 9999-12-31")
    func calendarEdges() throws {
        #expect(CivilDate("0025-06-01")!.adding(years: -60) == CivilDate.earliest)
        #expect(CivilDate.latest.adding(months: 1) == CivilDate.latest)
        #expect(CivilDate.latest.adding(days: 7) == CivilDate.latest)
        #expect(CivilDate.earliest.adding(days: -1) == CivilDate.earliest)
        #expect(CivilDate("2025-01-31")!.adding(months: 1) == CivilDate("2025-02-28"))
        let t = try TestRegistry()
        try t.addAreas()
        let rows = try t.ok("analysis.demographics", #"{"level":"grid","asOf":"0025-06-01"}"#)["rows"]?.arrayValue
        #expect(rows?.count == 3)
        let points = try t.ok("metrics.trend", #"{"area":"411525","from":"9999-10-01","to":"9999-12-31","step":"month"}"#)["points"]?.arrayValue
        #expect(points?.count == 3)
    }
}
