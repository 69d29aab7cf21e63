import Foundation
import SQLKit
import SluiceAPI
import SluiceCore

struct UserRecord: Sendable, Hashable {
    var id: Int64
    var name: String
    var passwordHash: String
    var role: Role
    var disabled: Bool
    var createdUs: Int64

    var info: Components.Schemas.UserInfo { .init(name: name, role: role.schema, disabled: disabled, created: Micros.date(createdUs)) }

    init(row: any SQLRow, prefix: String = "") throws {
        id = try row.int64(prefix + "id")
        name = try row.string(prefix + "name")
        passwordHash = try row.string(prefix + "password_hash")
        role = Role(rawValue: try row.string(prefix + "role")) ?? .viewer
        disabled = try row.bool(prefix + "disabled")
        createdUs = try row.int64(prefix + "created_us")
    }
}

struct APITokenRecord: Sendable, Hashable, Revocable {
    var id: Int64
    var userID: Int64
    var owner: String
    var name: String
    var prefix: String
    var createdUs: Int64
    var lastUsedUs: Int64?
    var revokedUs: Int64?
    /// Nil: never expires (tokens made before expiry existed, or asked for with `expires_in: 0`).
    var expiresUs: Int64?

    var info: Components.Schemas.APITokenInfo {
        .init(
            id: Int(id), name: name, owner: owner, prefix: prefix, created: Micros.date(createdUs), lastUsed: Micros.date(lastUsedUs),
            revoked: Micros.date(revokedUs), expires: Micros.date(expiresUs))
    }

    init(row: any SQLRow) throws {
        id = try row.int64("token_id")
        userID = try row.int64("user_id")
        owner = try row.string("owner")
        name = try row.string("token_name")
        prefix = try row.string("prefix")
        createdUs = try row.int64("token_created_us")
        lastUsedUs = try row.optionalInt64("last_used_us")
        revokedUs = try row.optionalInt64("revoked_us")
        expiresUs = try row.optionalInt64("token_expires_us")
    }
}

struct JoinTokenRecord: Sendable, Hashable, Revocable {
    var id: Int64
    var name: String
    var labels: [String: String]
    var createdBy: String
    var createdUs: Int64
    var expiresUs: Int64?
    var revokedUs: Int64?
    var uses: Int
    /// Nil: any number of enrollments until it expires.
    var maxUses: Int?
    /// Labels a node may set itself beside the token's.
    var claims: LabelClaims
    /// Whether a node may take the name of an enrolled, unrevoked node.
    var reuseNames: Bool

    var info: Components.Schemas.JoinTokenInfo {
        .init(
            id: Int(id), name: name, labels: .init(labels), createdBy: createdBy, created: Micros.date(createdUs), expires: Micros.date(expiresUs),
            revoked: Micros.date(revokedUs), uses: uses, maxUses: maxUses, claimableLabels: claims.texts, reuseNames: reuseNames)
    }

    init(row: any SQLRow) throws {
        id = try row.int64("id")
        name = try row.string("name")
        labels = JSONColumn.decodeMap(try row.string("labels"))
        createdBy = try row.string("created_by")
        createdUs = try row.int64("created_us")
        expiresUs = try row.optionalInt64("expires_us")
        revokedUs = try row.optionalInt64("revoked_us")
        uses = Int(try row.int64("uses"))
        maxUses = try row.optionalInt64("max_uses").map { Int($0) }
        // Written by createJoinToken from parsed claims: a row that no longer parses claims nothing.
        claims = (try? LabelClaims.parse(JSONColumn.decode(fleet: [String].self, try row.string("claimable_labels")) ?? []).get()) ?? .none
        reuseNames = try row.bool("reuse_names")
    }
}

/// A signed-in user: who, and with which token.
struct UserPrincipal: Sendable, Hashable {
    var user: UserRecord
    var token: APITokenRecord
    /// The session's CSRF token when the request came with the console's cookie; nil for a bearer token.
    var csrfToken: String? = nil

    var actor: String { "user:\(user.name)" }
}

extension Store {
    private static let tokenColumns: SQLQueryString = """
        t.id AS token_id, t.user_id, u.name AS owner, t.name AS token_name, t.prefix, t.created_us AS token_created_us, \
        t.last_used_us, t.revoked_us, t.expires_us AS token_expires_us
        """

    func userCount() async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM users").first().map { Int(try $0.int64("n")) } ?? 0
        }
    }

    func user(named name: String) async throws -> UserRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM users WHERE name = \(bind: name)").first().map { try UserRecord(row: $0) }
        }
    }

    func users() async throws -> [UserRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM users ORDER BY name").all().map { try UserRecord(row: $0) }
        }
    }

    /// Creates a user; 409 when the name is taken.
    func createUser(name: String, passwordHash: String, role: Role, actor: String) async throws -> UserRecord {
        try await database.transaction { session in
            if try await session.sql.raw("SELECT id FROM users WHERE name = \(bind: name)").first() != nil {
                throw APIError.conflict("a user named \(name) exists")
            }
            let now = Micros.now()
            let row = try await session.sql.raw(
                """
                INSERT INTO users (name, password_hash, role, disabled, created_us, updated_us)
                VALUES (\(bind: name), \(bind: passwordHash), \(bind: role.rawValue), \(bind: false), \(bind: now), \(bind: now)) RETURNING *
                """
            ).first()
            try await Store.audit(session, actor: actor, action: "user.create", target: name, details: ["role": role.rawValue])
            return try UserRecord(row: row!)
        }
    }

    /// Changes a user; refuses to leave the server without an enabled admin.
    /// A new password or a disabled account revokes every token of the user (CLI tokens, console
    /// sessions), except `keepingToken`: the one a user changing their own password is using.
    func updateUser(
        name: String, role: Role?, passwordHash: String?, disabled: Bool?, actor: String, keepingToken: Int64? = nil
    ) async throws -> UserRecord {
        try await database.transaction { [forUpdate] session in
            guard let row = try await session.sql.raw("SELECT * FROM users WHERE name = \(bind: name)\(forUpdate)").first() else {
                throw APIError.notFound("no user named \(name)")
            }
            let user = try UserRecord(row: row)
            let losesAdmin = user.role == .admin && !user.disabled && ((role.map { $0 != .admin } ?? false) || disabled == true)
            if losesAdmin {
                let admins = try await session.sql.raw(
                    "SELECT id FROM users WHERE role = 'admin' AND disabled = \(bind: false)\(forUpdate)"
                ).all()
                if admins.count <= 1 {
                    throw APIError.conflict("\(name) is the last enabled admin: make another user admin first")
                }
            }
            let now = Micros.now()
            let newRole = role ?? user.role
            let newHash = passwordHash ?? user.passwordHash
            let newDisabled = disabled ?? user.disabled
            let updated = try await session.sql.raw(
                """
                UPDATE users SET role = \(bind: newRole.rawValue), password_hash = \(bind: newHash), disabled = \(bind: newDisabled),
                updated_us = \(bind: now) WHERE id = \(bind: user.id) RETURNING *
                """
            ).first()
            var details: [String: String] = [:]
            if let role { details["role"] = role.rawValue }
            if passwordHash != nil { details["password"] = "changed" }
            if let disabled { details["disabled"] = String(disabled) }
            if passwordHash != nil || disabled == true {
                try await session.sql.raw(
                    """
                    UPDATE api_tokens SET revoked_us = \(bind: now)
                    WHERE user_id = \(bind: user.id) AND revoked_us IS NULL AND id <> \(bind: keepingToken ?? -1)
                    """
                ).run()
            }
            try await Store.audit(session, actor: actor, action: "user.update", target: name, details: details)
            return try UserRecord(row: updated!)
        }
    }

    // MARK: API tokens

    func createAPIToken(
        user: UserRecord, name: String, hash: String, prefix: String, expiresUs: Int64?, actor: String, action: String
    ) async throws -> APITokenRecord {
        try await database.transaction { session in
            let now = Micros.now()
            let row = try await session.sql.raw(
                """
                INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_us, expires_us)
                VALUES (\(bind: user.id), \(bind: name), \(bind: hash), \(bind: prefix), \(bind: now), \(bind: expiresUs)) RETURNING id
                """
            ).first()
            let id = try row!.int64("id")
            try await Store.audit(session, actor: actor, action: action, target: user.name, details: ["token": name, "token_id": String(id)])
            let token = try await session.sql.raw(
                "SELECT \(Store.tokenColumns) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = \(bind: id)"
            ).first()
            return try APITokenRecord(row: token!)
        }
    }

    /// The user behind a token hash, when the token is valid and the user enabled.
    func principal(tokenHash: String) async throws -> UserPrincipal? {
        try await database.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(Store.tokenColumns), u.id AS u_id, u.name AS u_name, u.password_hash AS u_password_hash, u.role AS u_role,
                    u.disabled AS u_disabled, u.created_us AS u_created_us
                    FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(bind: tokenHash)
                    """
                ).first()
            else { return nil }
            return UserPrincipal(user: try UserRecord(row: row, prefix: "u_"), token: try APITokenRecord(row: row))
        }
    }

    func touchToken(id: Int64, at time: Int64) async throws {
        try await database.transaction { session in
            try await session.sql.raw("UPDATE api_tokens SET last_used_us = \(bind: time) WHERE id = \(bind: id)").run()
        }
    }

    /// Tokens of one user, or of everyone.
    func apiTokens(userID: Int64?) async throws -> [APITokenRecord] {
        try await database.read { sql in
            let filter: SQLQueryString = userID.map { "WHERE t.user_id = \(bind: $0)" } ?? ""
            return try await sql.raw(
                "SELECT \(Store.tokenColumns) FROM api_tokens t JOIN users u ON u.id = t.user_id \(filter) ORDER BY t.id DESC"
            ).all().map { try APITokenRecord(row: $0) }
        }
    }

    /// Revokes a token: the owner's own, or any for an admin (`ownerID` nil).
    func revokeAPIToken(id: Int64, ownerID: Int64?, actor: String) async throws -> APITokenRecord {
        try await database.transaction { session in
            guard
                let row = try await session.sql.raw(
                    "SELECT \(Store.tokenColumns) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = \(bind: id)"
                ).first()
            else { throw APIError.notFound("no API token \(id)") }
            var token = try APITokenRecord(row: row)
            if let ownerID, token.userID != ownerID { throw APIError.notFound("no API token \(id) of yours") }
            try await Store.revokeOnce(
                &token, table: "api_tokens", id: id, session, actor: actor, action: "token.revoke", target: token.owner,
                details: ["token": token.name, "token_id": String(id)])
            return token
        }
    }

    // MARK: Join tokens

    func createJoinToken(
        name: String, labels: [String: String], claims: LabelClaims, reuseNames: Bool, hash: String, expiresUs: Int64?, maxUses: Int?,
        actor: String
    ) async throws -> JoinTokenRecord {
        try await database.transaction { session in
            let row = try await session.sql.raw(
                """
                INSERT INTO join_tokens (name, token_hash, labels, created_by, created_us, expires_us, uses, max_uses, claimable_labels, reuse_names)
                VALUES (\(bind: name), \(bind: hash), \(bind: JSONColumn.encode(labels)), \(bind: actor), \(bind: Micros.now()), \(bind: expiresUs), 0,
                \(bind: maxUses.map { Int64($0) }), \(bind: JSONColumn.encode(fleet: claims.texts)), \(bind: reuseNames))
                RETURNING *
                """
            ).first()
            let token = try JoinTokenRecord(row: row!)
            try await Store.audit(
                session, actor: actor, action: "join_token.create", target: name,
                details: [
                    "id": String(token.id), "labels": NodeSelector.format(labels), "claimable_labels": claims.texts.joined(separator: ","),
                    "reuse_names": String(reuseNames),
                ])
            return token
        }
    }

    func joinTokens() async throws -> [JoinTokenRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM join_tokens ORDER BY id DESC").all().map { try JoinTokenRecord(row: $0) }
        }
    }

    func revokeJoinToken(id: Int64, actor: String) async throws -> JoinTokenRecord {
        try await database.transaction { session in
            guard let row = try await session.sql.raw("SELECT * FROM join_tokens WHERE id = \(bind: id)").first() else {
                throw APIError.notFound("no join token \(id)")
            }
            var token = try JoinTokenRecord(row: row)
            try await Store.revokeOnce(
                &token, table: "join_tokens", id: id, session, actor: actor, action: "join_token.revoke", target: token.name,
                details: ["id": String(id)])
            return token
        }
    }
}
