import Foundation
import HTTPTypes
import SluiceAPI
import SluiceCore

/// Who may call a route.
enum Access: Sendable, Hashable, CustomStringConvertible {
    /// Anyone (health, metrics, the OpenAPI document, login).
    case anyone
    /// A node credential.
    case node
    /// A join token in the body (enrollment).
    case joinToken
    /// A user API token of at least this role.
    case user(Role)
    /// A viewer token, or nothing from the server's own host (Prometheus scraping beside it).
    case viewerOrLoopback

    var description: String {
        switch self {
        case .anyone: "anyone"
        case .node: "node"
        case .joinToken: "join token"
        case .user(let role): role.rawValue
        case .viewerOrLoopback: "viewer or loopback"
        }
    }
}

/// Checks bearer secrets. User tokens and node credentials live in different tables and carry
/// different prefixes: a node credential never passes as a user, nor a user token as a node.
struct Authenticator: Sendable {
    let store: Store

    static func bearer(_ request: HTTPRequest) throws -> String {
        guard let header = request.headerFields[.authorization] else {
            throw APIError.unauthorized("missing Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.unauthorized("the Authorization header must be Bearer <token>")
        }
        guard parts[1].count <= 256 else { throw APIError.unauthorized("the bearer token is too long") }
        return String(parts[1])
    }

    /// The user presenting an API token (bearer, or the console's session cookie with its CSRF
    /// token on state changes), with at least `role`.
    func user(_ request: HTTPRequest, role: Role) async throws -> UserPrincipal {
        let secret: String
        var viaCookie = false
        if request.headerFields[.authorization] == nil, let cookie = SessionCookie.secret(request) {
            secret = cookie
            viaCookie = true
        } else {
            secret = try Self.bearer(request)
        }
        switch Secrets.kind(of: secret) {
        case .nodeCredential: throw APIError.unauthorized("a node credential cannot call user endpoints; use an API token (sluice login)")
        case .joinToken: throw APIError.unauthorized("a join token only enrolls nodes; use an API token (sluice login)")
        case .apiToken, nil: break
        }
        guard var principal = try await store.principal(tokenHash: Secrets.digest(secret)) else {
            throw APIError.unauthorized("unknown API token; log in again")
        }
        if principal.token.revokedUs != nil { throw APIError.unauthorized("this API token was revoked; log in again") }
        if let expires = principal.token.expiresUs, expires <= Micros.now() {
            throw APIError.unauthorized("this API token expired at \(RFC3339.format(expires * 1000)); log in again (sluice login)")
        }
        if principal.user.disabled { throw APIError.unauthorized("user \(principal.user.name) is disabled") }
        // A console session ends after its lifetime however it is presented.
        if principal.token.name == SessionCookie.tokenName, Micros.now() - principal.token.createdUs > SessionCookie.lifetimeSeconds * 1_000_000 {
            throw APIError.unauthorized("the console session has expired; sign in again")
        }
        if viaCookie {
            guard principal.token.name == SessionCookie.tokenName else {
                throw APIError.unauthorized("the session cookie does not hold a console session; sign in again")
            }
            try SessionCookie.checkCSRF(request, secret: secret)
            principal.csrfToken = SessionCookie.csrfToken(secret: secret)
        }
        guard principal.user.role >= role else {
            throw APIError.forbidden("this needs the \(role.rawValue) role; \(principal.user.name) is \(principal.user.role.rawValue)")
        }
        let now = Micros.now()
        if now - (principal.token.lastUsedUs ?? 0) > 60_000_000 {
            try? await store.touchToken(id: principal.token.id, at: now)
        }
        return principal
    }

    /// The enrolled, unrevoked node presenting its credential, and the credential cache's
    /// generation read before its record was (`NodeCredentialCache.generation`).
    func node(_ request: HTTPRequest) async throws -> (NodeRecord, generation: UInt64) {
        let secret = try Self.bearer(request)
        switch Secrets.kind(of: secret) {
        case .apiToken: throw APIError.unauthorized("a user API token cannot call agent endpoints; agents use their node credential")
        case .joinToken: throw APIError.unauthorized("a join token only enrolls; send it in the body of an enroll request")
        case .nodeCredential, nil: break
        }
        let generation = store.credentials.generation
        guard let node = try await store.node(credentialHash: Secrets.digest(secret)) else {
            throw APIError.unauthorized("unknown node credential; enroll the node again with a join token")
        }
        if node.revokedUs != nil {
            throw APIError(
                .forbidden, "node \(node.name) (\(node.id)) was revoked; enroll it again with a join token to rejoin",
                headers: [HTTPField.Name(NodeAPI.revokedHeader)!: "true"])
        }
        return (node, generation)
    }
}
