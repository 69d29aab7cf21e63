import Foundation
import Hummingbird
import SluiceCore

/// Users, join tokens and the audit log: the admin's.
extension ServerApp {
    func addUserRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/users", .admin) { _, _, _ in
            try JSONResponse.make(try await self.store.users().map(\.info))
        }
        routes.user(.post, "/api/v1/users", .admin) { request, _, principal in
            let body = try await request.decode(CreateUserRequest.self, limit: 16 << 10)
            try Limits.check(name: body.name, "name")
            if let problem = PasswordHasher.problem(with: body.password) { throw APIError.badRequest(problem) }
            let hash = try await self.passwords.hash(body.password)
            let user = try await self.store.createUser(name: body.name, passwordHash: hash, role: body.role, actor: principal.actor)
            return try JSONResponse.make(user.info, status: .created)
        }
        // Admins change anything; anyone may change their own password (and nothing else).
        routes.user(.patch, "/api/v1/users/:name", .viewer) { request, context, principal in
            let name = try context.parameters.require("name")
            let body = try await request.decode(UpdateUserRequest.self, limit: 16 << 10)
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
                guard current.utf8.count <= 1024, try await self.passwords.verify(current, hash: principal.user.passwordHash) else {
                    throw APIError.forbidden("current_password is missing or wrong: give your current password to change it")
                }
            }
            if let password = body.password {
                if let problem = PasswordHasher.problem(with: password) { throw APIError.badRequest(problem) }
                hash = try await self.passwords.hash(password)
            }
            let user = try await self.store.updateUser(
                name: name, role: body.role, passwordHash: hash, disabled: body.disabled, actor: principal.actor,
                keepingToken: own ? principal.token.id : nil)
            return try JSONResponse.make(user.info)
        }
        routes.user(.get, "/api/v1/join-tokens", .admin) { _, _, _ in
            try JSONResponse.make(try await self.store.joinTokens().map(\.info))
        }
        routes.user(.post, "/api/v1/join-tokens", .admin) { request, _, principal in
            let body = try await request.decode(CreateJoinTokenRequest.self, limit: 64 << 10)
            try Limits.check(name: body.name, "name")
            let labels = body.labels ?? [:]
            if let problem = NodeSelector.validate(labels) { throw APIError.badRequest(problem.description) }
            var expires: Int64?
            if let seconds = body.expiresIn {
                guard (60...(366 * 86400)).contains(seconds) else { throw APIError.badRequest("expires_in must be 60 seconds to 366 days") }
                expires = Micros.now() + Int64(seconds) * 1_000_000
            }
            let secret = Secrets.make(.joinToken)
            let token = try await self.store.createJoinToken(
                name: body.name, labels: labels, hash: Secrets.digest(secret), expiresUs: expires, actor: principal.actor)
            return try JSONResponse.make(JoinTokenCreated(token: secret, info: token.info), status: .created)
        }
        routes.user(.delete, "/api/v1/join-tokens/:id", .admin) { _, context, principal in
            let id = try context.parameters.require("id", as: Int64.self)
            return try JSONResponse.make(try await self.store.revokeJoinToken(id: id, actor: principal.actor).info)
        }
        routes.user(.get, "/api/v1/audit", .admin) { request, _, _ in
            let filter = Store.AuditFilter(
                actor: try request.query("actor", maxLength: 128), action: try request.query("action", maxLength: 64),
                target: try request.query("target", maxLength: 256), sinceUs: try request.queryTime("since"),
                untilUs: try request.queryTime("until"), cursor: try Cursor.parse(try request.query("cursor", maxLength: 20)),
                limit: try request.queryInt("limit", range: 1...AdminAPI.maximumLimit) ?? 100)
            return try JSONResponse.make(try await self.store.auditEntries(filter))
        }
    }
}
