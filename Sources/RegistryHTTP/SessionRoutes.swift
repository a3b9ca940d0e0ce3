import Foundation
import HTTPTypes
import Hummingbird
import RegistryCore

/// Signing in and out: `GET /login` (the form), `POST /login`, `POST /logout`.
struct SessionRoutes {
    let service: HTTPService

    func add(to router: Router<RegistryRequestContext>) {
        router.get("/login") { _, context in
            if context.session != nil { return Self.redirect("/") }
            return HTML.response(Self.form(username: nil, message: nil))
        }
        router.post("/login") { request, context in
            let form = try await FormData.read(request, context: context)
            let username = form["username"] ?? ""
            do {
                let registry = service.registry, password = form.fields["password"] ?? ""
                // bcrypt takes a quarter of a second: off the cooperative threads.
                let (id, _) = try await Blocking.run { () throws(RegistryError) in try registry.signIn(username: username, password: password) }
                var response = Self.redirect("/")
                response.headers[.setCookie] = cookie(id, maxAge: nil)
                return response
            } catch let error as RegistryError {
                if error.reason == .lockedOut {
                    return HTML.response(Self.form(username: username, message: "登录失败次数过多，此用户名已锁定 15 分钟。"), status: .tooManyRequests)
                }
                return HTML.response(Self.form(username: username, message: "用户名或密码不正确。"))
            }
        }
        router.post("/logout") { request, context in
            let form = try await FormData.read(request, context: context)
            guard let session = context.session, let id = context.sessionId else { return Self.redirect("/login") }
            guard form["csrf"] == session.csrf else { return PageRoutes.forbidden(session) }
            let registry = service.registry
            try? await Blocking.run { () throws(RegistryError) in try registry.endSession(id: id) }
            var response = Self.redirect("/login")
            response.headers[.setCookie] = cookie("", maxAge: 0)
            return response
        }
    }

    /// The session cookie: `HttpOnly; SameSite=Strict; Path=/`, and `Secure` behind TLS.
    func cookie(_ value: String, maxAge: Int?) -> String {
        var text = "\(HTTPService.sessionCookie)=\(value); HttpOnly; SameSite=Strict; Path=/"
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        if service.secureCookies { text += "; Secure" }
        return text
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func form(username: String?, message: String?) -> String {
        HTML.page(title: "登录", session: nil, body: """
            \(message.map { "<p class=\"alert\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/login" class="card">
            \(HTML.field("username", label: "用户名", value: username, error: nil, required: true))
            \(HTML.field("password", label: "密码", value: nil, error: nil, type: "password", required: true))
            <button type="submit">登录</button>
            </form>
            """)
    }
}
