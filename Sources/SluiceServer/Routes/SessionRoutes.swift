import Foundation
import Hummingbird
import SluiceCore

/// Login, logout, who am I, and API tokens.
extension ServerApp {
    func addSessionRoutes(_ routes: RouteBuilder) {
        routes.anyone(.post, "/api/v1/login") { request, context in
            try await self.login(request, context)
        }
        routes.user(.post, "/api/v1/logout", .viewer) { _, _, principal in
            _ = try await self.store.revokeAPIToken(id: principal.token.id, ownerID: principal.user.id, actor: principal.actor)
            var response = Response(status: .noContent)
            if principal.csrfToken != nil { response.headers[.setCookie] = SessionCookie.clearCookie(secure: self.configuration.tls != nil) }
            return response
        }
        routes.user(.get, "/api/v1/session", .viewer) { _, _, principal in
            // A reloaded console page asks for its CSRF token again: the cookie survives, the page's memory does not.
            guard let csrf = principal.csrfToken else {
                throw APIError.badRequest("this request came with a bearer token, not a console session cookie")
            }
            return try JSONResponse.make(SessionCreated(user: principal.user.info, csrfToken: csrf, expires: self.sessionExpiry(principal.token)))
        }
        routes.user(.get, "/api/v1/me", .viewer) { _, _, principal in
            try JSONResponse.make(MeResponse(user: principal.user.info, token: principal.token.info))
        }
        routes.user(.get, "/api/v1/tokens", .viewer) { request, _, principal in
            // `all=true`: an admin sees everyone's.
            let all = try request.query("all") == "true"
            if all && principal.user.role < .admin { throw APIError.forbidden("listing every user's tokens needs the admin role") }
            return try JSONResponse.make(try await self.store.apiTokens(userID: all ? nil : principal.user.id).map(\.info))
        }
        routes.user(.post, "/api/v1/tokens", .viewer) { request, _, principal in
            let body = try await request.decode(CreateAPITokenRequest.self, limit: 16 << 10)
            try Limits.check(name: body.name, "name")
            let secret = Secrets.make(.apiToken)
            let token = try await self.store.createAPIToken(
                user: principal.user, name: body.name, hash: Secrets.digest(secret), prefix: Secrets.displayPrefix(secret),
                actor: principal.actor, action: "token.create")
            return try JSONResponse.make(APITokenCreated(token: secret, info: token.info, user: principal.user.info), status: .created)
        }
        routes.user(.delete, "/api/v1/tokens/:id", .viewer) { _, context, principal in
            let id = try context.parameters.require("id", as: Int64.self)
            // Your own; an admin may revoke anyone's.
            let owner = principal.user.role == .admin ? nil : principal.user.id
            return try JSONResponse.make(try await self.store.revokeAPIToken(id: id, ownerID: owner, actor: principal.actor).info)
        }
    }

    private func login(_ request: Request, _ context: ServerContext) async throws -> Response {
        let body = try await request.decode(LoginRequest.self, limit: 16 << 10)
        guard !body.name.isEmpty, body.name.count <= 64, body.password.utf8.count <= 1024 else {
            throw APIError.badRequest("name (1 to 64 characters) and password are required")
        }
        let session = body.session ?? false
        let tokenName = session ? SessionCookie.tokenName : (body.tokenName ?? "login")
        try Limits.check(name: tokenName, "token_name")
        let keys = ["user:" + body.name.lowercased(), "peer:" + context.peer]
        if let wait = throttle.attempt(keys) {
            throw APIError.tooManyRequests("too many failed logins; wait \(wait) s", retryAfter: wait)
        }
        let user = try await store.user(named: body.name)
        // The same bcrypt work whether the user exists or not.
        let matches = try await passwords.verify(body.password, hash: user?.passwordHash)
        guard let user, matches, !user.disabled else {
            try? await store.audit(
                actor: "peer:\(context.peer)", action: "login.failed", target: body.name,
                details: ["reason": user?.disabled == true && matches ? "disabled" : "bad credentials"])
            throw APIError.unauthorized("wrong user name or password")
        }
        throttle.succeeded(user: keys[0], peer: keys[1])
        if session, let previous = SessionCookie.secret(request),
            let old = try await store.principal(tokenHash: Secrets.digest(previous)), old.token.name == SessionCookie.tokenName,
            old.token.revokedUs == nil
        {
            // Signing in again in the same browser replaces its session rather than leaving one behind.
            _ = try await store.revokeAPIToken(id: old.token.id, ownerID: nil, actor: "user:\(user.name)")
        }
        let secret = Secrets.make(.apiToken)
        let token = try await store.createAPIToken(
            user: user, name: tokenName, hash: Secrets.digest(secret), prefix: Secrets.displayPrefix(secret), actor: "user:\(user.name)",
            action: "login")
        guard session else {
            return try JSONResponse.make(APITokenCreated(token: secret, info: token.info, user: user.info), status: .created)
        }
        // The secret goes only into the HttpOnly cookie: no script of the page can read it.
        var response = try JSONResponse.make(
            SessionCreated(user: user.info, csrfToken: SessionCookie.csrfToken(secret: secret), expires: sessionExpiry(token)), status: .created)
        response.headers[.setCookie] = SessionCookie.setCookie(secret: secret, secure: configuration.tls != nil)
        return response
    }

    private func sessionExpiry(_ token: APITokenRecord) -> Date {
        Micros.date(token.createdUs + SessionCookie.lifetimeSeconds * 1_000_000)
    }
}
