import Foundation
import HTTPTypes
import Hummingbird
import RegistryCore

/// Adds the security headers to every response (errors included), and
/// `Cache-Control: no-store` to everything but the stylesheet: pages and `/rpc` carry
/// personal data, which no cache may keep.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = RegistryRequestContext

    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[Self.contentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        if !request.uri.path.hasPrefix("/assets/") {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

/// Finds who is signed in: the `registry_session` cookie's session, or an
/// `Authorization: Bearer TOKEN` header's account. A disabled account's sessions and tokens
/// stop at once (the core checks the account on every request).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = RegistryRequestContext
    let registry: Registry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        // Async reads only: a blocking read here would hold one of the few cooperative
        // threads while waiting for a reader connection, and under load stall them all.
        if let id = request.cookies[HTTPService.sessionCookie]?.value, id.count == 64 {
            context.session = try? await registry.sessionAsync(id: id)
            context.sessionId = context.session == nil ? nil : id
        }
        if context.session == nil, let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            if token.count == 64 { context.bearerToken = token }
        }
        return try await next(request, context)
    }
}
