import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RegistryCore
@testable import RegistryHTTP

@Suite("The web service: roles, areas, sign-in, CSRF, headers", .serialized)
struct HTTPServiceTests {
    /// Each method with params that work in Xiushui, and which roles the contract lets call it.
    static let methods: [(String, String, Set<Role>)] = {
        let everyone: Set<Role> = [.admin, .clerk, .liaison, .viewer]
        let readers: Set<Role> = [.admin, .clerk, .liaison]
        let changers: Set<Role> = [.admin, .clerk]
        return [
            ("area.add", #"{"code":"411525003001002","name":"第二网格","level":"grid","parent":"411525003001"}"#, [.admin]),
            ("area.list", "{}", everyone),
            ("unit.add", #"{"grid":"411525003001001","address":"新房","kind":"rental","discoveredOn":"2025-03-01"}"#, changers),
            ("unit.get", #"{"unitId":"XS-1"}"#, readers),
            ("unit.register", #"{"unitId":"XS-1","date":"2025-03-01"}"#, changers),
            ("household.create", #"{"unitId":"XS-1"}"#, changers),
            ("household.get", #"{"householdId":1}"#, readers),
            ("resident.register", #"{"idNumber":"11010519491231002X","name":"李","unitId":"XS-1","movedIn":"2025-03-01"}"#, changers),
            ("resident.get", #"{"idNumber":"\#(HTTPFixture.xiushuiPerson)"}"#, readers),
            ("resident.find", "{}", readers),
            ("resident.moveOut", #"{"idNumber":"\#(HTTPFixture.xiushuiPerson)","date":"2025-04-01"}"#, changers),
            ("metrics.registrationRate", #"{"level":"grid","asOf":"2025-03-01"}"#, everyone),
            ("metrics.trend", #"{"area":"411525003","from":"2025-01-01","to":"2025-03-01","step":"month"}"#, everyone),
            ("analysis.demographics", #"{"level":"subdistrict","asOf":"2025-03-01"}"#, everyone),
            ("ledger.events", "{}", readers),
            ("ledger.roster", #"{"asOf":"2025-03-01"}"#, readers),
            ("audit.list", "{}", [.admin]),
            ("worklist.unregisteredUnits", #"{"asOf":"2025-03-01"}"#, readers),
            ("worklist.permitEligible", #"{"asOf":"2025-09-01"}"#, readers),
            ("worklist.duplicates", "{}", readers),
            ("metrics.timeliness", #"{"level":"subdistrict","from":"2025-01-01","to":"2025-03-01"}"#, everyone),
            ("ledger.diff", #"{"from":"2025-01-01","to":"2025-03-01"}"#, readers),
        ]
    }()

    @Test("every role × every method through POST /rpc: allowed, or -32010 role_forbids")
    func roleMatrix() async throws {
        for role in [Role.admin, .clerk, .liaison, .viewer] {
            // A fresh registry per role, so that one role's changes do not change another's answers.
            let fixture = try HTTPFixture()
            try await fixture.app().test(.router) { client in
                for (method, params, allowed) in Self.methods {
                    let response = try await HTTPFixture.rpc(client, token: fixture.tokens[role],
                                                             #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
                    #expect(response.status == .ok)
                    if allowed.contains(role) {
                        #expect(response.json?["result"] != nil, "\(role) \(method): \(response.text)")
                    } else {
                        #expect(response.rpcReason == "role_forbids", "\(role) \(method): \(response.text)")
                        #expect((response.json?["error"] as? [String: Any])?["code"] as? Int == -32010)
                    }
                }
            }
        }
    }

    @Test("a Xiushui clerk is refused Liaocheng's objects, and lists leave them out")
    func areas() async throws {
        let fixture = try HTTPFixture()
        let clerk = fixture.tokens[.clerk]
        try await fixture.app().test(.router) { client in
            for (method, params) in [
                ("unit.get", #"{"unitId":"LC-1"}"#), ("unit.register", #"{"unitId":"LC-1","date":"2025-03-01"}"#),
                ("unit.add", #"{"grid":"411525001001001","address":"x","kind":"rental","discoveredOn":"2025-03-01"}"#),
                ("resident.get", #"{"idNumber":"\#(HTTPFixture.liaochengPerson)"}"#),
                ("resident.moveOut", #"{"idNumber":"\#(HTTPFixture.liaochengPerson)","date":"2025-04-01"}"#),
                ("resident.register", #"{"idNumber":"11010519491231002X","name":"李","unitId":"LC-1","movedIn":"2025-03-01"}"#),
            ] {
                let response = try await HTTPFixture.rpc(client, token: clerk, #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
                #expect(response.rpcReason == "out_of_area", "\(method): \(response.text)")
            }
            let found = try await HTTPFixture.rpc(client, token: clerk, #"{"jsonrpc":"2.0","id":1,"method":"resident.find","params":{}}"#)
            let people = ((found.json?["result"] as? [String: Any])?["residents"] as? [[String: Any]]) ?? []
            #expect(people.map { $0["unitId"] as? String } == ["XS-1"])
            let events = try await HTTPFixture.rpc(client, token: clerk, #"{"jsonrpc":"2.0","id":1,"method":"ledger.events","params":{}}"#)
            let units = Set((((events.json?["result"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []).compactMap { $0["unitId"] as? String })
            #expect(units == ["XS-1"])
            // Aggregates: every area.
            let rates = try await HTTPFixture.rpc(client, token: clerk, #"{"jsonrpc":"2.0","id":1,"method":"metrics.registrationRate","params":{"level":"subdistrict","asOf":"2025-03-01"}}"#)
            #expect((((rates.json?["result"] as? [String: Any])?["rows"] as? [Any]) ?? []).count == 2)
            // A person moving in from Liaocheng (a transfer) is allowed: the unit moved into is Xiushui's.
            let transfer = try await HTTPFixture.rpc(client, token: clerk, #"{"jsonrpc":"2.0","id":1,"method":"resident.register","params":{"idNumber":"\#(HTTPFixture.liaochengPerson)","name":"王五","unitId":"XS-1","movedIn":"2025-03-01","transfer":true}}"#)
            #expect(transfer.json?["result"] != nil, "\(transfer.text)")
            // Events are recorded under the username.
            let audit = try fixture.registry.read { try String.fetchOne($0, sql: "SELECT operator FROM ledger_event ORDER BY seq DESC LIMIT 1") }
            #expect(audit == "xiushui")
        }
    }

    @Test("POST /rpc: 401 without credentials, 415 without JSON, 204 for notifications; a disabled account or revoked token stops at once")
    func rpcEdges() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            let anonymous = try await HTTPFixture.rpc(client, token: nil, #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            #expect(anonymous.text == #"{"error":"unauthenticated"}"#)
            let wrongToken = try await HTTPFixture.rpc(client, token: String(repeating: "a", count: 64), #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#)
            #expect(wrongToken.status == .unauthorized)
            let text = try await HTTPFixture.rpc(client, token: fixture.tokens[.admin], "{}", contentType: "text/plain")
            #expect(text.status == .unsupportedMediaType)
            let notification = try await HTTPFixture.rpc(client, token: fixture.tokens[.admin], #"{"jsonrpc":"2.0","method":"area.list"}"#)
            #expect(notification.status == .noContent)
            let batch = try await HTTPFixture.rpc(client, token: fixture.tokens[.admin],
                                                  #"[{"jsonrpc":"2.0","id":1,"method":"area.list"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#)
            #expect(batch.text.hasPrefix("[{") && batch.text.contains("-32601"))
            try fixture.registry.setDisabled(username: "xiushui", true, operator: "admin")
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.clerk], #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#).status == .unauthorized)
            try fixture.registry.revokeToken(id: 1, operator: "admin")
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.admin], #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#).status == .unauthorized)
            let huge = try await client.execute(uri: "/rpc", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(fixture.tokens[.liaison]!)"],
                                                body: ByteBuffer(repeating: 0x20, count: (8 << 20) + 1))
            #expect(huge.status == .contentTooLarge)
        }
    }

    @Test("the service keeps tokens' accounts in memory, yet a change by another process (the command line) holds from the next request")
    func tokenCacheSeesOtherProcesses() async throws {
        let fixture = try HTTPFixture()
        // Another process: its own connections to the same file, as `registry user …` opens it.
        let commandLine = try Registry.open(path: fixture.registry.path)
        let areaList = #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#
        let otherPerson = #"{"jsonrpc":"2.0","id":1,"method":"resident.get","params":{"idNumber":"\#(HTTPFixture.liaochengPerson)"}}"#
        try await fixture.app().test(.router) { client in
            // Each token used once, so that the service keeps its account.
            for role in Role.allCases {
                #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[role], areaList).status == .ok)
            }
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.clerk], otherPerson).text.contains("out_of_area"))
            // An insider gives the Xiushui clerk Liaocheng too, behind the registry's back:
            // the service must not go on with the areas it kept (nor, below, with a revoked token).
            try await commandLine.pool.write { db in
                try db.execute(sql: "INSERT INTO account_area (account, area) SELECT id, '411525001' FROM account WHERE username = 'xiushui'")
            }
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.clerk], otherPerson).text.contains(#""result""#))
            try commandLine.setDisabled(username: "xiushui", true, operator: "cli")
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.clerk], areaList).status == .unauthorized)
            let police = try #require(try commandLine.listTokens().first { $0.username == "police" })
            try commandLine.revokeToken(id: police.tokenId, operator: "cli")
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.liaison], areaList).status == .unauthorized)
            // The others' tokens still work.
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.admin], areaList).status == .ok)
            #expect(try await HTTPFixture.rpc(client, token: fixture.tokens[.viewer], areaList).status == .ok)
        }
        // A kept token is still checked for expiry on every use.
        let expiring = try fixture.registry.createToken(username: "admin", label: nil, expiresDays: 1, operator: "setup").token
        #expect(try fixture.registry.principal(forToken: expiring) != nil)
        #expect(try fixture.registry.principal(forToken: expiring, now: Date().addingTimeInterval(2 * 86_400)) == nil)
    }

    @Test("sign-in: one message for a wrong name or password, 429 after 5 failures even with the right password, audited")
    func signIn() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            let wrongName = try await HTTPFixture.post(client, "/login", session: nil, form: [("username", "nobody"), ("password", "whatever-123")])
            let wrongPassword = try await HTTPFixture.post(client, "/login", session: nil, form: [("username", "admin"), ("password", "whatever-123")])
            #expect(wrongName.status == .ok && wrongPassword.status == .ok)
            #expect(wrongName.text.contains("用户名或密码不正确") && wrongPassword.text.contains("用户名或密码不正确"))
            for _ in 0..<4 { _ = try await HTTPFixture.post(client, "/login", session: nil, form: [("username", "admin"), ("password", "wrong-wrong-1")]) }
            let locked = try await HTTPFixture.post(client, "/login", session: nil, form: [("username", "admin"), ("password", HTTPFixture.password)])
            #expect(locked.status == .tooManyRequests)
            #expect(try await HTTPFixture.signIn(client, "xiushui") != nil, "another username is not locked")
            let actions = try fixture.registry.read { try String.fetchAll($0, sql: "SELECT action FROM audit_entry WHERE action LIKE 'login%'") }
            #expect(actions.filter { $0 == "login_failed" }.count == 7)
            #expect(actions.contains("login"))
        }
    }

    @Test("sessions: the cookie's attributes, sign-out, idle and absolute expiry, a disabled account")
    func sessions() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            let response = try await HTTPFixture.post(client, "/login", session: nil, form: [("username", "admin"), ("password", HTTPFixture.password)])
            #expect(response.status == .seeOther && response.headers[.location] == "/")
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/") && !cookie.contains("Secure"))
            let session = try #require(try await HTTPFixture.signIn(client, "admin"))
            #expect(try await HTTPFixture.get(client, "/", session: session).status == .ok)
            let csrf = try await HTTPFixture.csrf(client, "/", session: session)
            #expect(try await HTTPFixture.post(client, "/logout", session: session, form: [("csrf", csrf)]).status == .seeOther)
            #expect(try await HTTPFixture.get(client, "/", session: session).status == .seeOther, "signed out")
            // Disabled: its session stops at once.
            let clerk = try #require(try await HTTPFixture.signIn(client, "xiushui"))
            try fixture.registry.setDisabled(username: "xiushui", true, operator: "admin")
            #expect(try await HTTPFixture.get(client, "/", session: clerk).status == .seeOther)
        }
        // Expiry, against the core's clock.
        let start = Date()
        let (id, _) = try fixture.registry.signIn(username: "police", password: HTTPFixture.password, now: start)
        #expect(try fixture.registry.session(id: id, now: start.addingTimeInterval(29 * 60)) != nil)
        #expect(try fixture.registry.session(id: id, now: start.addingTimeInterval(29 * 60 + 31 * 60)) == nil, "idle for 31 minutes")
        var (kept, _) = try fixture.registry.signIn(username: "police", password: HTTPFixture.password, now: start)
        for minutes in stride(from: 20, through: 460, by: 20) {
            let alive = try fixture.registry.session(id: kept, now: start.addingTimeInterval(Double(minutes) * 60)) != nil
            #expect(alive == (minutes < 480), "\(minutes) minutes after signing in")
        }
        (kept, _) = try fixture.registry.signIn(username: "police", password: HTTPFixture.password, now: start)
        #expect(try fixture.registry.session(id: kept, now: start.addingTimeInterval(8 * 3600 + 60)) == nil, "8 hours after signing in")
    }

    @Test("pages: sign-in needed, roles see only their pages, CSRF on every changing form, a refused form comes back with its values")
    func pages() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            let anonymous = try await HTTPFixture.get(client, "/units", session: nil)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/login")
            let viewer = try #require(try await HTTPFixture.signIn(client, "leader"))
            #expect(try await HTTPFixture.get(client, "/", session: viewer).status == .ok)
            for page in ["/units", "/units/XS-1", "/units/new", "/residents/new", "/residents/lookup", "/ledger", "/audit"] {
                #expect(try await HTTPFixture.get(client, page, session: viewer).status == .forbidden, "viewer on \(page)")
            }
            let clerk = try #require(try await HTTPFixture.signIn(client, "xiushui"))
            #expect(try await HTTPFixture.get(client, "/audit", session: clerk).status == .forbidden)
            #expect(try await HTTPFixture.get(client, "/units/LC-1", session: clerk).status == .forbidden, "another subdistrict's unit")
            let unitPage = try await HTTPFixture.get(client, "/units/XS-1", session: clerk)
            #expect(unitPage.status == .ok && unitPage.text.contains("341522********0012") && !unitPage.text.contains(HTTPFixture.xiushuiPerson))
            // CSRF.
            let form: [(String, String)] = [("grid", "411525003001001"), ("address", "秀水路9号"), ("kind", "rental"), ("discoveredOn", "2025-03-01")]
            #expect(try await HTTPFixture.post(client, "/units/new", session: clerk, form: form).status == .forbidden)
            #expect(try await HTTPFixture.post(client, "/units/new", session: clerk, form: form + [("csrf", String(repeating: "0", count: 64))]).status == .forbidden)
            let csrf = try await HTTPFixture.csrf(client, "/units/new", session: clerk)
            let added = try await HTTPFixture.post(client, "/units/new", session: clerk, form: form + [("csrf", csrf)])
            #expect(added.status == .seeOther)
            // A refused form: 422, the values kept, the message beside the field.
            let bad = try await HTTPFixture.post(client, "/residents/new", session: clerk, form: [
                ("csrf", csrf), ("idNumber", "341522199001010013"), ("name", "赵六"), ("unitId", "XS-1"), ("movedIn", "2025-03-01"),
            ])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains(#"value="赵六""#))
            #expect(bad.text.contains(#"<p class="error" id="idNumber-error">身份证号码不正确"#))
            // Lookup by POST; a reveal needs a purpose and is audited.
            let masked = try await HTTPFixture.post(client, "/residents/lookup", session: clerk, form: [("csrf", csrf), ("idNumber", HTTPFixture.xiushuiPerson)])
            #expect(masked.status == .ok && masked.text.contains("1990-**-**") && masked.text.contains("138****5852"))
            let noPurpose = try await HTTPFixture.post(client, "/residents/lookup", session: clerk, form: [("csrf", csrf), ("idNumber", HTTPFixture.xiushuiPerson), ("reveal", "true")])
            #expect(noPurpose.status == .unprocessableContent)
            let revealed = try await HTTPFixture.post(client, "/residents/lookup", session: clerk, form: [
                ("csrf", csrf), ("idNumber", HTTPFixture.xiushuiPerson), ("reveal", "true"), ("purpose", "核对租户"),
            ])
            #expect(revealed.text.contains(HTTPFixture.xiushuiPerson) && revealed.text.contains("13800005852"))
            let reveals = try fixture.registry.read { try String.fetchAll($0, sql: "SELECT operator FROM audit_entry WHERE action = 'reveal'") }
            #expect(reveals == ["xiushui"])
            // The ledger download: CSV of the clerk's areas only.
            let download = try await HTTPFixture.post(client, "/ledger", session: clerk, form: [("csrf", csrf), ("format", "csv")])
            #expect(download.status == .ok)
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(download.text.contains("XS-1") && !download.text.contains("LC-1"))
            let workbook = try await HTTPFixture.post(client, "/ledger", session: clerk, form: [("csrf", csrf), ("format", "xlsx")])
            #expect(workbook.status == .ok && workbook.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(workbook.headers[.contentDisposition]?.hasSuffix(".xlsx\"") == true)
            #expect(workbook.text.hasPrefix("PK\u{03}\u{04}") && workbook.text.contains("xl/worksheets/sheet1.xml"))
            let unknown = try await HTTPFixture.post(client, "/ledger", session: clerk, form: [("csrf", csrf), ("format", "pdf")])
            #expect(unknown.status == .unprocessableContent)
        }
    }

    @Test("今日待办 and the weekly reconciliation: within the account's areas, links to where the clerk acts, CSV behind CSRF")
    func worklistPages() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            let clerk = try #require(try await HTTPFixture.signIn(client, "xiushui"))
            let todo = try await HTTPFixture.get(client, "/todo", session: clerk)
            #expect(todo.status == .ok)
            #expect(todo.text.contains(#"<a href="/units/XS-1">XS-1</a>"#), "the oldest unregistered rental, linked to its page")
            #expect(!todo.text.contains("LC-1"), "not another subdistrict's")
            let viewer = try #require(try await HTTPFixture.signIn(client, "leader"))
            #expect(try await HTTPFixture.get(client, "/todo", session: viewer).status == .forbidden)
            #expect(try await HTTPFixture.get(client, "/weekly", session: viewer).status == .forbidden)
            let liaison = try #require(try await HTTPFixture.signIn(client, "police"))
            let weekly = try await HTTPFixture.get(client, "/weekly?to=2025-02-05", session: liaison)
            #expect(weekly.status == .ok && weekly.text.contains("迁入") && weekly.text.contains("341522********0012"))
            #expect(!weekly.text.contains("420102"), "a Xiushui liaison sees Xiushui's changes only")
            #expect(try await HTTPFixture.post(client, "/weekly", session: liaison, form: [("from", "2025-01-29"), ("to", "2025-02-05")]).status == .forbidden)
            let csrf = try await HTTPFixture.csrf(client, "/weekly", session: liaison)
            let csv = try await HTTPFixture.post(client, "/weekly", session: liaison, form: [("csrf", csrf), ("from", "2025-01-29"), ("to", "2025-02-05")])
            #expect(csv.status == .ok && csv.text.contains("change,id_number,name,unit_id,from_unit_id,date") && csv.text.contains("arrived,341522********0012"))
            let xlsx = try await HTTPFixture.post(client, "/weekly", session: liaison, form: [("csrf", csrf), ("from", "2025-01-29"), ("to", "2025-02-05"), ("format", "xlsx")])
            #expect(xlsx.status == .ok && xlsx.text.hasPrefix("PK\u{03}\u{04}"))
            #expect(xlsx.headers[.contentDisposition] == "attachment; filename=\"diff-2025-01-29-2025-02-05.xlsx\"")
            // A crafted form cannot make the in-memory download cover years.
            let years = try await HTTPFixture.post(client, "/weekly", session: liaison, form: [("csrf", csrf), ("from", "2015-01-01"), ("to", "2025-02-05"), ("format", "xlsx")])
            #expect(years.status == .unprocessableContent && years.text.contains("92"))
        }
    }

    @Test("every response carries the security headers; pages and /rpc are not cached")
    func headers() async throws {
        let fixture = try HTTPFixture()
        try await fixture.app().test(.router) { client in
            for response in [
                try await HTTPFixture.get(client, "/login", session: nil),
                try await HTTPFixture.get(client, "/healthz", session: nil),
                try await HTTPFixture.get(client, "/nowhere", session: nil),
                try await HTTPFixture.rpc(client, token: fixture.tokens[.admin], #"{"jsonrpc":"2.0","id":1,"method":"area.list"}"#),
            ] {
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                #expect(response.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            let login = try await HTTPFixture.get(client, "/login", session: nil)
            #expect(login.text.contains(#"<html lang="zh-CN">"#) && !login.text.contains("<script"))
        }
    }
}
