import Hummingbird
import RegistryCore

/// The request context of the web service: Hummingbird's core storage, plus who is signed
/// in (filled by ``AuthenticationMiddleware``) — a session from the cookie, or a bearer token.
public struct RegistryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The browser's session, when the `registry_session` cookie names a live one.
    public var session: WebSession?
    /// The session id from the cookie (to end it at sign-out).
    public var sessionId: String?
    /// The bearer token given (`POST /rpc` from scripts), looked up by the route with the
    /// request's own read (``HTTPService/rpcCall(_:context:)``).
    public var bearerToken: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }


    /// A body over 8 MiB is refused with 413.
    public var maxUploadSize: Int { 8 << 20 }
}
