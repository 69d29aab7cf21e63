import Foundation
import SluiceAPI
import SluiceCore

/// Users, join tokens and the audit log: the admin's.
extension ServerAPI {
    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        .ok(.init(body: .json(try await store.users().map(\.info))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        try Limits.check(name: body.name, "name")
        let hash = try await newPasswordHash(body.password)
        let user = try await store.createUser(name: body.name, passwordHash: hash, role: Role(body.role), actor: principal.actor)
        return .created(.init(body: .json(user.info)))
    }

    /// Admins change anything; anyone may change their own password (and nothing else).
    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        let principal = try user()
        let name = input.path.name
        let body = switch input.body { case .json(let body): body }
        let own = name == principal.user.name
        if principal.user.role < .admin {
            guard own, body.role == nil, body.disabled == nil else {
                throw APIError.forbidden("changing users needs the admin role; you may change your own password")
            }
        }
        if own && body.disabled == true { throw APIError.conflict("you cannot disable yourself") }
        var hash: String?
        if own, body.password != nil {
            let current = body.currentPassword ?? ""
            guard current.utf8.count <= 1024, try await app.passwords.verify(current, hash: principal.user.passwordHash) else {
                throw APIError.forbidden("current_password is missing or wrong: give your current password to change it")
            }
        }
        if let password = body.password {
            hash = try await newPasswordHash(password)
        }
        let user = try await store.updateUser(
            name: name, role: body.role.map(Role.init), passwordHash: hash, disabled: body.disabled, actor: principal.actor,
            keepingToken: own ? principal.token.id : nil)
        return .ok(.init(body: .json(user.info)))
    }

    /// A password a user chooses is held to the rules before it is hashed: a weak one is the
    /// client's mistake (400), not the server's.
    private func newPasswordHash(_ password: String) async throws -> String {
        if let problem = PasswordHasher.problem(with: password) { throw APIError.badRequest(problem) }
        return try await app.passwords.hash(password)
    }

    func listJoinTokens(_ input: Operations.ListJoinTokens.Input) async throws -> Operations.ListJoinTokens.Output {
        .ok(.init(body: .json(try await store.joinTokens().map(\.info))))
    }

    func createJoinToken(_ input: Operations.CreateJoinToken.Input) async throws -> Operations.CreateJoinToken.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        try Limits.check(name: body.name, "name")
        let labels = body.labels?.additionalProperties ?? [:]
        if let problem = NodeSelector.validate(labels) { throw APIError.badRequest(problem.description) }
        let expires = try TokenLifetime.expiry(body.expiresIn, standard: TokenLifetime.joinToken)
        if let uses = body.maxUses, !(1...1_000_000).contains(uses) { throw APIError.badRequest("max_uses must be 1 to 1000000") }
        let claims: LabelClaims
        switch LabelClaims.parse(body.claimableLabels ?? []) {
        case .success(let parsed): claims = parsed
        case .failure(let problem): throw APIError.badRequest("claimable_labels: \(problem)")
        }
        let secret = Secrets.make(.joinToken)
        let token = try await store.createJoinToken(
            name: body.name, labels: labels, claims: claims, reuseNames: body.reuseNames ?? false, hash: Secrets.digest(secret), expiresUs: expires,
            maxUses: body.maxUses, actor: principal.actor)
        return .created(.init(body: .json(.init(token: secret, info: token.info))))
    }

    func revokeJoinToken(_ input: Operations.RevokeJoinToken.Input) async throws -> Operations.RevokeJoinToken.Output {
        let principal = try user()
        return .ok(.init(body: .json(try await store.revokeJoinToken(id: Int64(input.path.id), actor: principal.actor).info)))
    }

    func audit(_ input: Operations.Audit.Input) async throws -> Operations.Audit.Output {
        let query = input.query
        let filter = Store.AuditFilter(
            actor: try QueryCheck.text(query.actor, "actor", maxLength: 128), action: try QueryCheck.text(query.action, "action", maxLength: 64),
            target: try QueryCheck.text(query.target, "target", maxLength: 256), sinceUs: try QueryCheck.time(query.since, "since"),
            untilUs: try QueryCheck.time(query.until, "until"), cursor: try QueryCheck.cursor(query.cursor),
            limit: try QueryCheck.int(query.limit, "limit", range: 1...AdminAPI.maximumLimit) ?? 100)
        return .ok(.init(body: .json(try await store.auditEntries(filter))))
    }
}
