import Foundation
import SQLKit
import SluiceCore

/// A version as stored: the wire form, and what the server needs of it besides.
struct StoredPolicyVersion: Sendable, Hashable {
    var version: PolicyVersion
    /// The fleet revision the version was made at.
    var revision: Int64
    /// The policy raises an alert for each deny it decides.
    var alertOnDeny: Bool

    init(row: any SQLRow) throws {
        version = PolicyVersion(
            name: try row.string("name"), version: Int(try row.int64("version")), yaml: try row.string("yaml"),
            author: try row.string("author"), message: try row.string("message"), created: Micros.date(try row.int64("created_us")),
            nodeSelector: JSONColumn.decodeMap(try row.string("node_selector")), deleted: try row.bool("deleted"))
        revision = try row.int64("revision")
        alertOnDeny = try row.bool("alert_on_deny")
    }
}

/// What a push, rollback or delete wants a policy to become.
struct PolicyContent: Sendable, Hashable {
    var name: String
    var yaml: String
    var nodeSelector: [String: String]
    var deleted: Bool
    var alertOnDeny: Bool

    /// Whether `version` already is this.
    func isSame(as version: StoredPolicyVersion?) -> Bool {
        guard let version else { return deleted }
        return version.version.deleted == deleted && (deleted || (version.version.yaml == yaml && version.version.nodeSelector == nodeSelector))
    }
}

extension Store {
    static func bumpRevision(_ session: ServerDatabase.Session) async throws -> Int64 {
        let row = try await session.sql.raw("UPDATE fleet_state SET revision = revision + 1 WHERE id = 1 RETURNING revision").first()
        return try row!.int64("revision")
    }

    func currentRevision() async throws -> Int64 {
        try await fleetState().revision
    }

    /// The fleet revision and the count of node revocations and relabellings.
    private func fleetState() async throws -> (revision: Int64, nodeChanges: Int64) {
        try await database.read { sql in
            try await sql.raw("SELECT revision, node_changes FROM fleet_state WHERE id = 1").first().map {
                (try $0.int64("revision"), try $0.int64("node_changes"))
            } ?? (0, 0)
        }
    }

    /// Counts a revocation or relabelling, in its transaction (`NodeCredentialCache.nodeChanges`).
    static func countNodeChange(_ session: ServerDatabase.Session) async throws {
        try await session.sql.raw("UPDATE fleet_state SET node_changes = node_changes + 1 WHERE id = 1").run()
    }

    /// Advances `watcher` to the revision in the database. A revision learnt this way rather than
    /// by its notification may come before the node notifications another replica sent with it
    /// (a relabelling), so every node is forgotten when it moves: the polls it wakes read theirs.
    /// A node change counted that this replica did not hear of (a notification lost) does the same.
    func catchUp(_ watcher: RevisionWatcher) async throws -> Int64 {
        let state = try await fleetState()
        credentials.nodeChanges(state.nodeChanges)
        if state.revision > watcher.revision { credentials.forgetAll() }
        watcher.advance(to: state.revision)
        return state.revision
    }

    private static let latestSelect: SQLQueryString = """
        SELECT p.* FROM policy_versions p
        JOIN (SELECT name, MAX(version) AS latest FROM policy_versions GROUP BY name) m ON m.name = p.name AND m.latest = p.version
        """

    /// The latest version of every policy (deleted ones only when asked), by name.
    func latestPolicies(includeDeleted: Bool) async throws -> [StoredPolicyVersion] {
        try await database.read { sql in
            let filter: SQLQueryString = includeDeleted ? "" : " WHERE p.deleted = \(bind: false)"
            return try await sql.raw("\(Store.latestSelect)\(filter) ORDER BY p.name").all().map { try StoredPolicyVersion(row: $0) }
        }
    }

    /// The revision and the policies in force at it, read together.
    func policySnapshot() async throws -> (revision: Int64, policies: [StoredPolicyVersion]) {
        // A transaction so the revision and the versions agree.
        try await database.transaction { session in
            let revision = try await session.sql.raw("SELECT revision FROM fleet_state WHERE id = 1").first().map { try $0.int64("revision") } ?? 0
            let policies = try await session.sql.raw("\(Store.latestSelect) WHERE p.deleted = \(bind: false) ORDER BY p.name").all()
                .map { try StoredPolicyVersion(row: $0) }
            return (revision, policies)
        }
    }

    func policyHistory(name: String) async throws -> [StoredPolicyVersion] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM policy_versions WHERE name = \(bind: name) ORDER BY version DESC").all()
                .map { try StoredPolicyVersion(row: $0) }
        }
    }

    func policyVersion(name: String, version: Int) async throws -> StoredPolicyVersion? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM policy_versions WHERE name = \(bind: name) AND version = \(bind: Int64(version))").first()
                .map { try StoredPolicyVersion(row: $0) }
        }
    }

    /// Writes new versions for the contents that differ from their policy's latest version, all
    /// at one new fleet revision; nothing (and no new revision) when none differ.
    func changePolicies(
        _ contents: [PolicyContent], author: String, actor: String, message: String, action: String, details: [String: String] = [:]
    ) async throws -> (revision: Int64, created: [StoredPolicyVersion], unchanged: [String]) {
        try await database.transaction { [self] session in
            // The fleet row's lock orders concurrent changes (PostgreSQL; SQLite has one writer).
            var revision = try await session.sql.raw("SELECT revision FROM fleet_state WHERE id = 1\(self.forUpdate)").first().map { try $0.int64("revision") } ?? 0
            var changed: [(PolicyContent, StoredPolicyVersion?)] = []
            var unchanged: [String] = []
            for content in contents {
                let latest = try await session.sql.raw(
                    "SELECT * FROM policy_versions WHERE name = \(bind: content.name) ORDER BY version DESC LIMIT 1"
                ).first().map { try StoredPolicyVersion(row: $0) }
                if content.isSame(as: latest) {
                    unchanged.append(content.name)
                } else {
                    changed.append((content, latest))
                }
            }
            guard !changed.isEmpty else { return (revision, [], unchanged) }
            revision = try await Store.bumpRevision(session)
            try await notify(session, .revision(revision))
            let now = Micros.now()
            var created: [StoredPolicyVersion] = []
            for (content, latest) in changed {
                let version = Int64((latest?.version.version ?? 0) + 1)
                // A deleted version keeps the last text, for the record and for diffs.
                let yaml = content.deleted ? (latest?.version.yaml ?? content.yaml) : content.yaml
                let selector = content.deleted ? (latest?.version.nodeSelector ?? content.nodeSelector) : content.nodeSelector
                let row = try await session.sql.raw(
                    """
                    INSERT INTO policy_versions (name, version, yaml, author, message, created_us, node_selector, deleted, alert_on_deny, revision)
                    VALUES (\(bind: content.name), \(bind: version), \(bind: yaml), \(bind: author), \(bind: message), \(bind: now),
                    \(bind: JSONColumn.encode(selector)), \(bind: content.deleted), \(bind: content.alertOnDeny), \(bind: revision)) RETURNING *
                    """
                ).first()
                let stored = try StoredPolicyVersion(row: row!)
                created.append(stored)
                var entry = details
                entry["version"] = String(version)
                entry["revision"] = String(revision)
                if !message.isEmpty { entry["message"] = message }
                if !selector.isEmpty { entry["node_selector"] = NodeSelector.format(selector) }
                try await Store.audit(session, actor: actor, action: action, target: content.name, details: entry)
            }
            return (revision, created, unchanged)
        }
    }
}
