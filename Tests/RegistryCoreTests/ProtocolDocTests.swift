import Foundation
import Testing
@testable import RegistryCore
@testable import RegistryRPC

@Suite("docs/protocol.md")
struct ProtocolDocTests {
    @Test("every example of the protocol page gives exactly the responses it shows")
    func examples() throws {
        let text = try String(contentsOf: SchemaTests.root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```jsonrpc\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(!blocks.isEmpty)
        for block in blocks {
            let t = try TestRegistry()
            try t.ok("area.add", #"{"code":"411525003","name":"秀水街道","level":"subdistrict","parent":"411525"}"#)
            try t.ok("area.add", #"{"code":"411525003001","name":"日出东方社区","level":"community","parent":"411525003"}"#)
            try t.ok("area.add", #"{"code":"411525003001001","name":"第一网格","level":"grid","parent":"411525003001"}"#)
            let server = JSONRPCServer(registry: t.registry, operator: "docs")
            var expected: [String] = []
            var actual: [String] = []
            for line in block.split(separator: "\n").map(String.init) {
                if line.hasPrefix("--> ") {
                    actual += server.respond(to: [.line(Data(line.dropFirst(4).utf8))])
                } else if line.hasPrefix("<-- ") {
                    expected.append(String(line.dropFirst(4)))
                }
            }
            #expect(actual == expected)
        }
    }
}
