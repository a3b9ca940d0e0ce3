import Foundation
import Testing

@Suite("registry serve --stdio, end to end", .serialized)
struct ServeTests {
    @Test("one response line per request line, in order; notifications and blank lines get none; exit 0 at end of input")
    func stream() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let input = [
            #"{"jsonrpc":"2.0","id":1,"method":"unit.add","params":{"unitId":"U1","grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01"}}"#,
            "",
            "   ",
            #"{"jsonrpc":"2.0","method":"unit.register","params":{"unitId":"U1","date":"2025-02-01"}}"#,
            #"{"jsonrpc":"2.0","id":"two","method":"unit.get","params":{"unitId":"U1"}}"#,
            "not json",
            #"{"jsonrpc":"2.0","id":3,"method":"metrics.registrationRate","params":{"level":"grid","asOf":"2025-06-30"}}"#,
        ].joined(separator: "\n") + "\n"
        let run = try b.run(["serve", "--stdio", "--operator", "nightly-script"], stdin: input)
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5)
        #expect(lines.last == "")
        #expect(lines[0] == #"{"jsonrpc":"2.0","id":1,"result":{"unitId":"U1"}}"#)
        #expect(lines[1].contains(#""id":"two""#) && lines[1].contains(#""status":"registered""#))
        #expect(lines[2].contains("-32700"))
        #expect(lines[3].contains(#""rate":1.0"#))
        let events = try b.run("ledger", "events", "--json").stdout
        #expect(events.contains("nightly-script"))
    }

    @Test("a line over --max-line-bytes is refused with line_too_long and the server goes on")
    func longLine() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let long = #"{"jsonrpc":"2.0","id":1,"method":"area.list","params":{"parent":""# + String(repeating: "9", count: 10_000) + #""}}"#
        let input = long + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"area.list"}"# + "\n"
        let run = try b.run(["serve", "--stdio", "--max-line-bytes", "1000"], stdin: input)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].contains("line_too_long") && lines[0].contains(#""id":null"#))
        #expect(lines[1].hasPrefix(#"{"jsonrpc":"2.0","id":2,"result""#))
    }

    @Test("a thousand registrations piped at once are all answered and all stored")
    func throughput() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        var input = #"{"jsonrpc":"2.0","id":0,"method":"unit.add","params":{"unitId":"U1","grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01"}}"# + "\n"
        for i in 1...1000 {
            let body = "41152219900101" + String(format: "%03d", i - 1)
            let check = checkCharacter(body)
            input += #"{"jsonrpc":"2.0","id":\#(i),"method":"resident.register","params":{"idNumber":"\#(body)\#(check)","name":"人\#(i)","unitId":"U1","movedIn":"2025-02-01"}}"# + "\n"
        }
        let run = try b.run(["serve", "--stdio"], stdin: input)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1001)
        #expect(lines.allSatisfy { $0.contains(#""result""#) })
        #expect(lines.last?.contains(#""id":1000"#) == true)
        let found = try b.run("resident", "find", "--limit", "1000", "--json").stdout
        #expect(found.components(separatedBy: #""idNumber""#).count - 1 == 1000)
    }
}

func checkCharacter(_ body: String) -> Character {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body.utf8, weights).reduce(0) { $0 + Int($1.0 - 48) * $1.1 }
    return Array("10X98765432")[sum % 11]
}
