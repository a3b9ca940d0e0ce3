import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RegistryCore
import RegistryRPC

/// `registry serve --http`: the web service on Hummingbird 2 — `POST /rpc` for scripts,
/// sign-in and pages in Chinese for people. A thin adapter: every request reaches the core
/// through ``Registry/call(method:params:as:committer:)`` or the JSON-RPC handler, for the
/// signed-in account, and the core checks roles and areas.
///
/// ```swift
/// let service = HTTPService(registry: registry, secureCookies: false)
/// try await service.run(host: "127.0.0.1", port: 8080) { port in print("listening on \(port)") }
/// ```
public struct HTTPService: Sendable {
    /// The session cookie's name.
    public static let sessionCookie = "registry_session"

    let registry: Registry
    let committer: GroupCommitter
    let rpc: JSONRPCServer
    /// The dashboard's figures, per set of areas, for half a minute.
    let figures = FigureCache()
    /// Adds `Secure` to the session cookie (behind a TLS proxy).
    let secureCookies: Bool

    public init(registry: Registry, secureCookies: Bool = false) {
        self.registry = registry
        committer = GroupCommitter(registry: registry)
        rpc = JSONRPCServer(registry: registry, operator: "http")
        self.secureCookies = secureCookies
    }

    /// The routes, with the security headers and authentication in front of all of them.
    public func router() -> Router<RegistryRequestContext> {
        let router = Router(context: RegistryRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: AuthenticationMiddleware(registry: registry))
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/assets/style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
        router.post("/rpc") { request, context in try await self.rpcCall(request, context: context) }
        SessionRoutes(service: self).add(to: router)
        PageRoutes(service: self).add(to: router)
        WorklistPages(service: self).add(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT: then it stops accepting connections, answers the
    /// requests in flight (their changes committed), and returns. `ready` gets the port
    /// (the real one when `port` is 0).
    public func run(host: String, port: Int, ready: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "registry-http")
        logger.logLevel = .warning
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "registry"),
            onServerRunning: { channel in ready(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
        committer.close()
    }

    /// `POST /rpc`: one JSON-RPC request or batch, for the signed-in caller.
    func rpcCall(_ request: Request, context: RegistryRequestContext) async throws -> Response {
        let unauthenticated = Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "application/json"],
                                       body: .init(byteBuffer: ByteBuffer(string: #"{"error":"unauthenticated"}"#)))
        guard context.session != nil || context.bearerToken != nil else { return unauthenticated }
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            return Response(status: .unsupportedMediaType, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":"content type must be application/json"}"#)))
        }
        var request = request
        let body = Data(buffer: try await request.collectBody(upTo: context.maxUploadSize))
        let answer: String?
        if let session = context.session {
            answer = await rpc.respond(toBody: body, as: session.principal, committer: committer)
        } else {
            guard case let .answered(text) = await rpc.respond(toBody: body, token: context.bearerToken ?? "", committer: committer) else {
                return unauthenticated
            }
            answer = text
        }
        guard let answer else { return Response(status: .noContent) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
    }

    /// Runs a method for a page, as the signed-in account.
    func call(_ method: String, _ params: [(String, JSONValue)], as principal: Principal) async -> Result<JSONValue, RegistryError> {
        await registry.call(method: method, params: .object(params), as: principal, committer: committer)
    }
}
