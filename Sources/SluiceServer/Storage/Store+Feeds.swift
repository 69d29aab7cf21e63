import Foundation
import SQLKit
import SluiceCore

/// A feed as stored: its spec and how its syncs went.
struct StoredFeed: Sendable, Hashable {
    var id: Int64
    var spec: FeedSpec
    var createdBy: String
    var createdUs: Int64
    var lastFetchUs: Int64?
    var lastSuccessUs: Int64?
    var lastError: String?
    var indicatorCount: Int64
    /// STIX indicators of the last sync whose pattern named nothing a layer can enforce.
    var unusable: Int64
    var etag: String?
    var lastModified: String?
    /// The TAXII `added_after` of the next sync (the last page's X-TAXII-Date-Added-Last).
    var addedAfter: String?
    var fetches: Int64
    /// Conditional fetches answered 304.
    var notModified: Int64

    init(row: any SQLRow) throws {
        id = try row.int64("id")
        let auth: FeedSpec.Auth
        switch try row.string("auth") {
        case "basic": auth = .basic(user: try row.optionalString("username") ?? "", password: try row.optionalString("secret") ?? "")
        case "bearer": auth = .bearer(token: try row.optionalString("secret") ?? "")
        default: auth = .none
        }
        spec = FeedSpec(
            name: try row.string("name"), kind: FeedSpec.Kind(rawValue: try row.string("kind")) ?? .list,
            format: try row.optionalString("format").flatMap(FeedFormat.init(rawValue:)), url: try row.string("url"),
            collection: try row.optionalString("collection"), auth: auth, caFile: try row.optionalString("ca_file"),
            pollSeconds: Int(try row.int64("poll_seconds")), action: FeedAction(rawValue: try row.string("action")) ?? .deny,
            nodeSelector: JSONColumn.decodeMap(try row.string("node_selector")), minimumConfidence: Int(try row.int64("min_confidence")),
            expirySeconds: try row.optionalInt64("expiry_seconds").map { Int($0) })
        createdBy = try row.string("created_by")
        createdUs = try row.int64("created_us")
        lastFetchUs = try row.optionalInt64("last_fetch_us")
        lastSuccessUs = try row.optionalInt64("last_success_us")
        lastError = try row.optionalString("last_error")
        indicatorCount = try row.int64("indicator_count")
        unusable = try row.int64("unusable")
        etag = try row.optionalString("etag")
        lastModified = try row.optionalString("last_modified")
        addedAfter = try row.optionalString("added_after")
        fetches = try row.int64("fetches")
        notModified = try row.int64("not_modified")
    }

    /// When the next scheduled sync is due.
    var dueUs: Int64 { (lastFetchUs ?? 0) + Int64(spec.pollSeconds) * 1_000_000 }
}

extension Store {
    func feeds() async throws -> [StoredFeed] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM feeds ORDER BY name").all().map { try StoredFeed(row: $0) }
        }
    }

    func feed(name: String) async throws -> StoredFeed? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM feeds WHERE name = \(bind: name)").first().map { try StoredFeed(row: $0) }
        }
    }

    /// Adds a feed; a name in use is a conflict. Which feeds target which nodes changed, so
    /// nodes get their whole set next.
    func addFeed(_ spec: FeedSpec, actor: String) async throws -> StoredFeed {
        try await database.transaction { session in
            if try await session.sql.raw("SELECT id FROM feeds WHERE name = \(bind: spec.name)").first() != nil {
                throw APIError.conflict("a feed named \(spec.name) exists; remove it first")
            }
            var user: String?
            var secret: String?
            switch spec.auth {
            case .none: break
            case .basic(let name, let password): (user, secret) = (name, password)
            case .bearer(let token): secret = token
            }
            let row = try await session.sql.raw(
                """
                INSERT INTO feeds (name, kind, format, url, collection, auth, username, secret, ca_file, poll_seconds, action,
                node_selector, min_confidence, expiry_seconds, created_by, created_us)
                VALUES (\(bind: spec.name), \(bind: spec.kind.rawValue), \(bind: spec.format?.rawValue), \(bind: spec.url),
                \(bind: spec.collection), \(bind: spec.auth.name), \(bind: user), \(bind: secret), \(bind: spec.caFile),
                \(bind: Int64(spec.pollSeconds)), \(bind: spec.action.rawValue), \(bind: JSONColumn.encode(spec.nodeSelector)),
                \(bind: Int64(spec.minimumConfidence)), \(bind: spec.expirySeconds.map { Int64($0) }), \(bind: actor), \(bind: Micros.now()))
                RETURNING *
                """
            ).first()
            try await Store.intelLayoutChanged(session)
            try await Store.audit(
                session, actor: actor, action: "feed.add", target: spec.name,
                details: ["kind": spec.kind.rawValue, "url": spec.url, "action": spec.action.rawValue])
            return try StoredFeed(row: row!)
        }
    }

    /// Removes a feed and its indicators; nodes drop its layer with their next (whole) set.
    func removeFeed(name: String, actor: String) async throws {
        try await database.transaction { session in
            guard let row = try await session.sql.raw("SELECT id FROM feeds WHERE name = \(bind: name)").first() else {
                throw APIError.notFound("no feed \(name)")
            }
            let id = try row.int64("id")
            try await session.sql.raw("DELETE FROM feed_indicators WHERE feed_id = \(bind: id)").run()
            try await session.sql.raw("DELETE FROM feeds WHERE id = \(bind: id)").run()
            try await Store.intelLayoutChanged(session)
            try await Store.audit(session, actor: actor, action: "feed.remove", target: name, details: [:])
        }
    }

    /// Records a refused or failed sync: the indicators stay as they were.
    func recordFeedFailure(id: Int64, error: String, attemptUs: Int64) async throws {
        try await database.transaction { session in
            try await session.sql.raw(
                "UPDATE feeds SET last_fetch_us = \(bind: attemptUs), last_error = \(bind: error), fetches = fetches + 1 WHERE id = \(bind: id)"
            ).run()
        }
    }

    /// The newest live indicators of a feed (a page for `feeds show`).
    func feedIndicators(feedID: Int64, limit: Int) async throws -> [(indicator: String, target: String, expiresUs: Int64?)] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT indicator, target, expires_us FROM feed_indicators WHERE feed_id = \(bind: feedID) AND removed = \(bind: false)
                ORDER BY seq DESC LIMIT \(bind: Int64(limit))
                """
            ).all().map { (try $0.string("indicator"), try $0.string("target"), try $0.optionalInt64("expires_us")) }
        }
    }
}
