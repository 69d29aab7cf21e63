import Foundation
import SluiceAPI
import SluiceCore

/// Login, logout, who am I, and API tokens.
extension ServerAPI {
    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        let body = switch input.body { case .json(let body): body }
        guard !body.name.isEmpty, body.name.count <= 64, body.password.utf8.count <= 1024 else {
            throw APIError.badRequest("name (1 to 64 characters) and password are required")
        }
        let scope = try scope
        // A page on another site can post a form (text/plain, urlencoded, multipart) here
        // without asking first, and sign the browser in as someone else: JSON only.
        guard Self.isJSON(scope.request.headerFields[.contentType]) else {
            throw APIError(.unsupportedMediaType, "send the login as Content-Type: application/json")
        }
        let session = body.session ?? false
        let tokenName = session ? SessionCookie.tokenName : (body.tokenName ?? "login")
        try Limits.check(name: tokenName, "token_name")
        let keys = LoginThrottle.loginKeys(peer: scope.peer, user: body.name, limits: configuration.logins)
        if let wait = app.throttle.attempt(keys) {
            throw APIError.tooManyRequests("too many failed logins from this address; wait \(wait) s", retryAfter: wait)
        }
        let user = try await store.user(named: body.name)
        // The same bcrypt work whether the user exists or not, and all of it within one bound:
        // logins for made-up names from many addresses cannot queue bcrypt work without limit.
        let checked = try await app.passwordChecks.run { try await app.passwords.verify(body.password, hash: user?.passwordHash) }
        guard let matches = checked else {
            app.throttle.refund(keys)
            throw APIError.unavailable("too many logins are being checked; retry shortly", retryAfter: 1)
        }
        guard let user, matches, !user.disabled else {
            try? await store.audit(
                actor: "peer:\(scope.peer)", action: "login.failed", target: body.name,
                details: ["reason": user?.disabled == true && matches ? "disabled" : "bad credentials"])
            throw APIError.unauthorized("wrong user name or password")
        }
        app.throttle.succeeded(keys)
        if session, let previous = SessionCookie.secret(scope.request),
            let old = try await store.principal(tokenHash: Secrets.digest(previous)), old.token.name == SessionCookie.tokenName,
            old.token.revokedUs == nil
        {
            // Signing in again in the same browser replaces its session rather than leaving one behind.
            _ = try await store.revokeAPIToken(id: old.token.id, ownerID: nil, actor: "user:\(user.name)")
        }
        let secret = Secrets.make(.apiToken)
        // A browser session lives as long as its cookie; a CLI login a month unless asked otherwise.
        let expires =
            session
            ? Micros.now() + SessionCookie.lifetimeSeconds * 1_000_000 : try TokenLifetime.expiry(body.expiresIn, standard: TokenLifetime.login)
        let token = try await store.createAPIToken(
            user: user, name: tokenName, hash: Secrets.digest(secret), prefix: Secrets.displayPrefix(secret), expiresUs: expires,
            actor: "user:\(user.name)", action: "login")
        guard session else {
            return .created(.init(body: .json(.APITokenCreated(.init(token: secret, info: token.info, user: user.info)))))
        }
        // The secret goes only into the HttpOnly cookie: no script of the page can read it.
        let created = Components.Schemas.SessionCreated(user: user.info, csrfToken: SessionCookie.csrfToken(secret: secret), expires: sessionExpiry(token))
        // Not the generated `setCookie` header: it would percent-encode the cookie's attributes.
        scope.addResponseHeaders([.setCookie: SessionCookie.setCookie(secret: secret, secure: configuration.tls != nil)])
        return .created(.init(body: .json(.SessionCreated(created))))
    }

    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        let principal = try user()
        _ = try await store.revokeAPIToken(id: principal.token.id, ownerID: principal.user.id, actor: principal.actor)
        if principal.csrfToken != nil {
            // The generated output has no header for this answer: the scope carries it out.
            try scope.addResponseHeaders([.setCookie: SessionCookie.clearCookie(secure: configuration.tls != nil)])
        }
        return .noContent(.init())
    }

    func session(_ input: Operations.Session.Input) async throws -> Operations.Session.Output {
        let principal = try user()
        // A reloaded console page asks for its CSRF token again: the cookie survives, the page's memory does not.
        guard let csrf = principal.csrfToken else {
            throw APIError.badRequest("this request came with a bearer token, not a console session cookie")
        }
        return .ok(.init(body: .json(.init(user: principal.user.info, csrfToken: csrf, expires: sessionExpiry(principal.token)))))
    }

    func me(_ input: Operations.Me.Input) async throws -> Operations.Me.Output {
        let principal = try user()
        return .ok(.init(body: .json(.init(user: principal.user.info, token: principal.token.info))))
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let principal = try user()
        // `all=true`: an admin sees everyone's.
        let all = input.query.all == true
        if all && principal.user.role < .admin { throw APIError.forbidden("listing every user's tokens needs the admin role") }
        return .ok(.init(body: .json(try await store.apiTokens(userID: all ? nil : principal.user.id).map(\.info))))
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        try Limits.check(name: body.name, "name")
        let secret = Secrets.make(.apiToken)
        let token = try await store.createAPIToken(
            user: principal.user, name: body.name, hash: Secrets.digest(secret), prefix: Secrets.displayPrefix(secret),
            expiresUs: try TokenLifetime.expiry(body.expiresIn, standard: TokenLifetime.apiToken), actor: principal.actor, action: "token.create")
        return .created(.init(body: .json(.init(token: secret, info: token.info, user: principal.user.info))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let principal = try user()
        // Your own; an admin may revoke anyone's.
        let owner = principal.user.role == .admin ? nil : principal.user.id
        return .ok(.init(body: .json(try await store.revokeAPIToken(id: Int64(input.path.id), ownerID: owner, actor: principal.actor).info)))
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json"
    }

    private func sessionExpiry(_ token: APITokenRecord) -> Date {
        Micros.date(token.createdUs + SessionCookie.lifetimeSeconds * 1_000_000)
    }
}
