import Foundation
import Testing
@testable import RegistryCore
@testable import RegistryRPC

@Suite("JSON-RPC 2.0")
struct JSONRPCTests {
    func server(_ t: TestRegistry, maxLineBytes: Int = 1 << 20) -> JSONRPCServer {
        JSONRPCServer(registry: t.registry, operator: "script", maxLineBytes: maxLineBytes)
    }

    /// The responses to `lines`, sent as one group, parsed.
    func send(_ s: JSONRPCServer, _ lines: String...) throws -> [JSONValue] {
        try s.respond(to: lines.map { .line(Data($0.utf8)) }).map { try JSONParser.parse(Data($0.utf8)) }
    }

    func code(_ response: JSONValue) -> Int64? { response["error"]?["code"]?.intValue }

    /// When a group's commit fails, nothing of it is on disk: every request of a batch is
    /// answered with the storage error, a notification still not at all, and a member
    /// refused before running keeps its own refusal.
    @Test("a failed commit: a batch's requests answered with the storage error, its notification not, its early refusal kept")
    func failedCommitAnswers() throws {
        let t = try TestRegistry()
        let s = server(t)
        let batch = s.prepare(.line(Data(#"[{"jsonrpc":"2.0","id":1,"method":"area.list"},{"jsonrpc":"2.0","method":"area.list"},{"jsonrpc":"2.0","id":3,"method":"nope"}]"#.utf8)), today: .today())
        let text = try #require(batch.failed(with: RegistryError.storage("disk I/O error")))
        let answers = try #require(try JSONParser.parse(Data(text.utf8)).arrayValue)
        #expect(answers.count == 2)
        #expect(answers[0]["id"] == .int(1))
        #expect(answers[0]["result"] == nil)
        #expect(answers[0]["error"]?["data"]?["reason"] == .string("storage_error"))
        #expect(answers[1]["id"] == .int(3))
        #expect(code(answers[1]) == -32601)
        let notification = s.prepare(.line(Data(#"{"jsonrpc":"2.0","method":"area.list"}"#.utf8)), today: .today())
        #expect(notification.failed(with: RegistryError.storage("disk I/O error")) == nil)
    }

    @Test("specification §7: a call of a method that does not exist")
    func methodNotFound() throws {
        let t = try TestRegistry()
        let r = try send(server(t), #"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
        #expect(r.count == 1)
        #expect(code(r[0]) == -32601)
        #expect(r[0]["id"] == .string("1"))
        #expect(r[0]["jsonrpc"] == .string("2.0"))
        #expect(r[0]["result"] == nil)
    }

    @Test("specification §7: invalid JSON is a parse error with id null")
    func parseError() throws {
        let t = try TestRegistry()
        let r = try send(server(t), #"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
        #expect(code(r[0]) == -32700)
        #expect(r[0]["id"] == .null)
    }

    @Test("specification §7: an invalid request object")
    func invalidRequest() throws {
        let t = try TestRegistry()
        let r = try send(server(t), #"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
        #expect(code(r[0]) == -32600)
        #expect(r[0]["id"] == .null)
    }

    @Test("specification §7: a batch with invalid JSON is one parse error")
    func batchParseError() throws {
        let t = try TestRegistry()
        let r = try send(server(t), #"[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method" ]"#)
        #expect(r.count == 1)
        #expect(code(r[0]) == -32700)
    }

    @Test("specification §7: an empty array is one invalid request")
    func emptyBatch() throws {
        let t = try TestRegistry()
        let r = try send(server(t), "[]")
        #expect(code(r[0]) == -32600)
        #expect(r[0]["id"] == .null)
    }

    @Test("specification §7: an invalid batch answers each member", arguments: [("[1]", 1), ("[1,2,3]", 3)])
    func invalidBatch(line: String, count: Int) throws {
        let t = try TestRegistry()
        let r = try send(server(t), line)
        let answers = try #require(r[0].arrayValue)
        #expect(answers.count == count)
        #expect(answers.allSatisfy { code($0) == -32600 && $0["id"] == .null })
    }

    @Test("specification §7: a mixed batch, with the registry's own methods")
    func mixedBatch() throws {
        let t = try TestRegistry()
        let line = """
            [{"jsonrpc": "2.0", "method": "area.list", "params": {}, "id": "1"},
             {"jsonrpc": "2.0", "method": "area.list", "params": {}},
             {"jsonrpc": "2.0", "method": "area.list", "params": {"parent": "411525"}, "id": "2"},
             {"foo": "boo"},
             {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
             {"jsonrpc": "2.0", "method": "metrics.trend", "id": "9"}]
            """.replacingOccurrences(of: "\n", with: "")
        let answers = try #require(try send(server(t), line)[0].arrayValue)
        #expect(answers.count == 5)
        #expect(answers[0]["id"] == .string("1"))
        #expect(answers[0]["result"]?["areas"]?.arrayValue?.count == 1)
        #expect(answers[1]["result"] == .object([("areas", .array([]))]))
        #expect(code(answers[2]) == -32600)
        #expect(code(answers[3]) == -32601)
        #expect(answers[3]["id"] == .string("5"))
        #expect(code(answers[4]) == -32602)
        #expect(answers[4]["error"]?["data"]?["reason"] == .string("invalid_params"))
    }

    @Test("specification §7: notifications get no response, nor does an all-notification batch")
    func notifications() throws {
        let t = try TestRegistry()
        let s = server(t)
        #expect(try send(s, #"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#).isEmpty)
        #expect(try send(s, #"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#).isEmpty)
        // A notification still runs: the area exists afterwards.
        #expect(try send(s, #"{"jsonrpc":"2.0","method":"area.add","params":{"code":"411525003","name":"秀水街道","level":"subdistrict","parent":"411525"}}"#).isEmpty)
        #expect(try t.ok("area.list", #"{"parent":"411525"}"#)["areas"]?.arrayValue?.count == 1)
    }

    @Test("ids are echoed with their type")
    func ids() throws {
        let t = try TestRegistry()
        let r = try send(server(t), #"{"jsonrpc":"2.0","id":7,"method":"area.list"}"#, #"{"jsonrpc":"2.0","id":"seven","method":"area.list"}"#,
                         #"{"jsonrpc":"2.0","id":null,"method":"area.list"}"#, #"{"jsonrpc":"2.0","id":[1],"method":"area.list"}"#)
        #expect(r.map { $0["id"] } == [.int(7), .string("seven"), .null, .null])
        #expect(code(r[3]) == -32600)
        let raw = server(t).respond(to: [.line(Data(#"{"jsonrpc":"2.0","id":7,"method":"area.list"}"#.utf8))])[0]
        #expect(raw.hasPrefix(#"{"jsonrpc":"2.0","id":7,"result":"#))
    }

    @Test("the contract's errors carry code, reason and field")
    func contractErrors() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-01-01")
        let r = try send(server(t),
            #"{"jsonrpc":"2.0","id":1,"method":"resident.register","params":{"idNumber":"110105194912310021","name":"a","unitId":"U1","movedIn":"2025-01-01"}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"unit.get","params":{"unitId":"nope"}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"resident.register","params":{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-02-01"}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"resident.get","params":{"idNumber":"\#(id)","reveal":true}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"resident.get","params":["\#(id)"]}"#)
        #expect(r.map(code) == [-32602, -32004, -32009, -32010, -32602])
        #expect(r.map { $0["error"]?["data"]?["reason"]?.stringValue } == ["invalid_id_number", "unknown_unit", "open_residence", "purpose_required", "invalid_params"])
        #expect(r.map { $0["error"]?["data"]?["field"]?.stringValue } == ["idNumber", "unitId", "idNumber", "purpose", "params"])
    }

    @Test("in one group, a refused request changes nothing and the others are committed")
    func groupIsolation() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let r = try send(server(t),
            #"{"jsonrpc":"2.0","id":1,"method":"unit.add","params":{"unitId":"A","grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01"}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"unit.add","params":{"unitId":"A","grid":"411525003001001","address":"b","kind":"rental","discoveredOn":"2025-01-01"}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"unit.get","params":{"unitId":"A"}}"#)
        #expect(r[0]["result"] == .object([("unitId", .string("A"))]))
        #expect(r[1]["error"]?["data"]?["reason"] == .string("duplicate_unit"))
        #expect(r[2]["result"]?["address"] == .string("a"))
        let reopened = try Registry.open(path: t.path)
        let count = try reopened.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ledger_event") }
        #expect(count == 1)
        let operators = try reopened.read { try String.fetchAll($0, sql: "SELECT DISTINCT operator FROM ledger_event") }
        #expect(operators == ["script"])
    }

    @Test("hostile lines get errors, never a crash", arguments: [
        "\u{0}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"area.list\"}\u{0}", String(repeating: "[", count: 100_000),
        String(repeating: "{\"a\":", count: 50_000), "nul", "\"just a string\"", "12345678901234567890123456789",
        #"{"jsonrpc":"2.0","id":1e400,"method":"area.list"}"#, #"{"jsonrpc":"2.0","id":1,"method":"resident.find","params":{"limit":1e400}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"resident.find","params":{"name":"\u0000"}}"#, #"{"jsonrpc":"2.0","id":1,"method":"area.list","params":null}"#,
    ])
    func hostile(line: String) throws {
        let t = try TestRegistry()
        let responses = try send(server(t), line)
        #expect(responses.count == 1)
        #expect(responses[0]["jsonrpc"] == .string("2.0"))
    }

    @Test("invalid UTF-8 is a parse error")
    func invalidUTF8() throws {
        let t = try TestRegistry()
        let bytes = Data(#"{"jsonrpc":"2.0","id":1,"method":"area.list","params":{"parent":""#.utf8) + Data([0xFF, 0xFE]) + Data(#""}}"#.utf8)
        let r = server(t).respond(to: [.line(bytes)])
        #expect(r.count == 1)
        #expect(r[0].contains("-32700"))
    }

    @Test("the line reader splits lines, skips an over-long one and goes on")
    func lineReader() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let input = "one\n" + String(repeating: "x", count: 5000) + "\n\ntwo\nlast"
        _ = input.withCString { write(fds[1], $0, strlen($0)) }
        close(fds[1])
        var reader = LineReader(fd: fds[0], maxLineBytes: 100, chunkSize: 64)
        var items: [LineReader.Item] = []
        while let batch = reader.nextBatch() { items += batch }
        close(fds[0])
        #expect(items == [.line(Data("one".utf8)), .tooLong, .line(Data()), .line(Data("two".utf8)), .line(Data("last".utf8))])
    }

    @Test("an over-long line is answered with line_too_long and id null")
    func tooLong() throws {
        let t = try TestRegistry()
        let r = try server(t).respond(to: [.tooLong]).map { try JSONParser.parse(Data($0.utf8)) }
        #expect(code(r[0]) == -32600)
        #expect(r[0]["id"] == .null)
        #expect(r[0]["error"]?["data"]?["reason"] == .string("line_too_long"))
    }
}
