import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import RegistryCore
@testable import RegistryHTTP

/// A registry with two subdistricts (秀水 and 蓼城), a unit and a person in each, the four
/// roles' accounts and a token for each, and the web service's router over it.
final class HTTPFixture: @unchecked Sendable {
    let folder: String
    let registry: Registry
    let service: HTTPService
    var tokens: [Role: String] = [:]
    static let password = "correct-horse-1"
    static let xiushuiPerson = "341522199001010012"
    static let liaochengPerson = "420102197306150035"

    init() throws {
        folder = NSTemporaryDirectory() + "registry-http-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        registry = try Registry.initialize(path: folder + "/registry.sqlite",
                                           settings: RegistrySettings(countyCode: "411525", countyName: "固始县", migrantScope: .county))
        for (code, name, level, parent) in [
            ("411525003", "秀水街道", "subdistrict", "411525"), ("411525003001", "日出东方社区", "community", "411525003"),
            ("411525003001001", "第一网格", "grid", "411525003001"), ("411525001", "蓼城街道", "subdistrict", "411525"),
            ("411525001001", "蓼北社区", "community", "411525001"), ("411525001001001", "第一网格", "grid", "411525001001"),
        ] {
            _ = try registry.perform(method: "area.add", params: .object([("code", .string(code)), ("name", .string(name)),
                                                                         ("level", .string(level)), ("parent", .string(parent))]), operator: "setup")
        }
        for (unit, grid) in [("XS-1", "411525003001001"), ("LC-1", "411525001001001")] {
            _ = try registry.perform(method: "unit.add", params: .object([("unitId", .string(unit)), ("grid", .string(grid)),
                                                                         ("address", .string("\(unit) 号")), ("kind", .string("rental")),
                                                                         ("discoveredOn", .string("2025-01-01"))]), operator: "setup")
        }
        for (person, unit) in [(Self.xiushuiPerson, "XS-1"), (Self.liaochengPerson, "LC-1")] {
            _ = try registry.perform(method: "resident.register", params: .object([("idNumber", .string(person)), ("name", .string("王五")),
                                                                                  ("unitId", .string(unit)), ("movedIn", .string("2025-02-01")),
                                                                                  ("phone", .string("13800005852"))]), operator: "setup")
        }
        _ = try registry.perform(method: "household.create", params: .object([("unitId", .string("XS-1"))]), operator: "setup")
        for (username, role, areas) in [("admin", Role.admin, [String]()), ("xiushui", .clerk, ["411525003"]),
                                         ("police", .liaison, ["411525003"]), ("leader", .viewer, [])] {
            _ = try registry.addUser(username: username, role: role, areas: areas, displayName: nil, password: Self.password, operator: "setup")
            tokens[role] = try registry.createToken(username: username, label: nil, expiresDays: nil, operator: "setup").token
        }
        service = HTTPService(registry: registry)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func app() -> some ApplicationProtocol {
        Application(router: service.router())
    }

    /// `POST /rpc` with a bearer token; the JSON body of the answer.
    static func rpc(_ client: some TestClientProtocol, token: String?, _ body: String,
                    contentType: String = "application/json") async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/rpc", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Signs in through `POST /login`; the session cookie's value.
    static func signIn(_ client: some TestClientProtocol, _ username: String, password: String = HTTPFixture.password) async throws -> String? {
        let response = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "username=\(username)&password=\(password)"))
        guard response.status == .seeOther, let cookie = response.headers[.setCookie] else { return nil }
        return cookie.split(separator: ";").first.map { String($0.dropFirst("registry_session=".count)) }
    }

    /// A GET with the session cookie.
    static func get(_ client: some TestClientProtocol, _ uri: String, session: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let session { headers[.cookie] = "registry_session=\(session)" }
        return try await client.execute(uri: uri, method: .get, headers: headers)
    }

    /// A form POST with the session cookie.
    static func post(_ client: some TestClientProtocol, _ uri: String, session: String?, form: [(String, String)]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let session { headers[.cookie] = "registry_session=\(session)" }
        let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// The CSRF token of the page at `uri`.
    static func csrf(_ client: some TestClientProtocol, _ uri: String, session: String) async throws -> String {
        let page = String(buffer: try await get(client, uri, session: session).body)
        guard let range = page.range(of: #"name="csrf" value=""#) else { return "" }
        return String(page[range.upperBound...].prefix(64))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }
    /// `error.data.reason` of a JSON-RPC answer, or `nil` for a result.
    var rpcReason: String? { ((json?["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String }
}
