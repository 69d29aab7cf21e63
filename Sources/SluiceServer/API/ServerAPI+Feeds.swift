import Foundation
import SluiceAPI
import SluiceCore

/// Threat-intelligence feeds: admins add, sync and remove them; viewers read them.
extension ServerAPI {
    func listFeeds(_ input: Operations.ListFeeds.Input) async throws -> Operations.ListFeeds.Output {
        .ok(.init(body: .json(try await store.feeds().map(\.info))))
    }

    func addFeed(_ input: Operations.AddFeed.Input) async throws -> Operations.AddFeed.Output {
        let principal = try user()
        let request = switch input.body { case .json(let body): body }
        let spec = try FeedSpec(request)
        let feed = try await store.addFeed(spec, actor: principal.actor)
        await app.feedPoller.layoutChanged()
        app.logger.info("feed added", metadata: ["feed.name": "\(spec.name)", "feed.kind": "\(spec.kind.rawValue)"])
        // The first sync runs in the poller's next pass; its outcome shows in `feeds show`.
        return .created(.init(body: .json(feed.info)))
    }

    func showFeed(_ input: Operations.ShowFeed.Input) async throws -> Operations.ShowFeed.Output {
        let limit = try QueryCheck.int(input.query.limit, "limit", range: 1...AdminAPI.maximumLimit) ?? 100
        guard let feed = try await store.feed(name: input.path.name) else { throw APIError.notFound("no feed \(input.path.name)") }
        let indicators = try await store.feedIndicators(feedID: feed.id, limit: limit).map {
            Components.Schemas.FeedIndicatorEntry(indicator: $0.indicator, target: $0.target, expires: $0.expiresUs.map { Micros.date($0) })
        }
        return .ok(.init(body: .json(.init(feed: feed.info, indicators: indicators))))
    }

    func removeFeed(_ input: Operations.RemoveFeed.Input) async throws -> Operations.RemoveFeed.Output {
        let principal = try user()
        try await store.removeFeed(name: input.path.name, actor: principal.actor)
        await app.feedPoller.layoutChanged()
        return .noContent(.init())
    }

    func syncFeed(_ input: Operations.SyncFeed.Input) async throws -> Operations.SyncFeed.Output {
        _ = try user()
        guard let feed = try await store.feed(name: input.path.name) else { throw APIError.notFound("no feed \(input.path.name)") }
        await app.feedPoller.syncAfterRunning(feed)
        guard let after = try await store.feed(name: feed.spec.name) else { throw APIError.notFound("feed \(feed.spec.name) was removed meanwhile") }
        return .ok(.init(body: .json(after.info)))
    }
}

extension FeedSpec {
    /// A request checked: every problem is a 400 naming the field.
    init(_ request: Components.Schemas.FeedRequest) throws {
        func bad(_ message: String) -> APIError { APIError.badRequest(message) }
        let namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/
        guard request.name.wholeMatch(of: namePattern) != nil else {
            throw bad("name: '\(request.name.prefix(80))' must be 1 to 63 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
        }
        let kind: Kind = request.kind == .taxii ? .taxii : .list
        let format: FeedFormat? = kind == .list ? (request.format.flatMap { FeedFormat(rawValue: $0.rawValue) } ?? .list) : nil
        if kind == .taxii, request.format != nil { throw bad("format: a TAXII feed carries STIX; format is for lists") }
        try Limits.check(request.url, "url", max: 2048)
        let url = request.url.trimmingCharacters(in: .whitespaces)
        let http = url.hasPrefix("https://") || url.hasPrefix("http://")
        if http {
            guard let parsed = URL(string: url), parsed.host != nil else { throw bad("url: '\(url.prefix(80))' is not a URL") }
        } else {
            guard kind == .list, url.hasPrefix("/") else { throw bad("url: a TAXII feed needs an http(s) URL; a list an http(s) URL or an absolute file path") }
        }
        var collection: String?
        if kind == .taxii {
            guard let id = request.collection, !id.isEmpty, id.count <= 256 else { throw bad("collection: a TAXII feed needs its collection id") }
            collection = id
        }
        let auth: Auth
        switch request.auth ?? Components.Schemas.FeedRequest.AuthPayload.none {
        case .none: auth = .none
        case .basic:
            guard let user = request.username, !user.isEmpty, let password = request.secret, !password.isEmpty else {
                throw bad("auth basic needs username and secret")
            }
            auth = .basic(user: user, password: password)
        case .bearer:
            guard let token = request.secret, !token.isEmpty else { throw bad("auth bearer needs secret (the token)") }
            auth = .bearer(token: token)
        }
        if auth != .none, !http { throw bad("auth: a file needs no credentials") }
        let pollSeconds = request.pollSeconds ?? 3600
        guard (1...604_800).contains(pollSeconds) else { throw bad("poll_seconds must be 1 to 604800") }
        let confidence = request.minConfidence ?? 0
        guard (0...100).contains(confidence) else { throw bad("min_confidence must be 0 to 100") }
        if let expiry = request.expirySeconds, expiry < 60 { throw bad("expiry_seconds must be at least 60") }
        let selector = request.nodeSelector?.additionalProperties ?? [:]
        if let problem = NodeSelector.validate(selector) { throw bad("node_selector: \(problem)") }
        if let caFile = request.caFile, !caFile.hasPrefix("/") { throw bad("ca_file must be an absolute path") }
        self.init(
            name: request.name, kind: kind, format: format, url: url, collection: collection, auth: auth, caFile: request.caFile,
            pollSeconds: pollSeconds, action: request.action == .deny ? .deny : .alert, nodeSelector: selector, minimumConfidence: confidence,
            expirySeconds: request.expirySeconds)
    }
}

extension StoredFeed {
    /// The wire form: never the secret.
    var info: Components.Schemas.FeedInfo {
        .init(
            name: spec.name, kind: spec.kind == .taxii ? .taxii : .list, format: spec.format?.rawValue, url: spec.url, collection: spec.collection,
            auth: Components.Schemas.FeedInfo.AuthPayload(rawValue: spec.auth.name) ?? .none, caFile: spec.caFile, pollSeconds: spec.pollSeconds,
            action: spec.action == .deny ? .deny : .alert, nodeSelector: .init(spec.nodeSelector), minConfidence: spec.minimumConfidence,
            expirySeconds: spec.expirySeconds, createdBy: createdBy, created: Micros.date(createdUs), lastFetch: lastFetchUs.map { Micros.date($0) },
            lastSuccess: lastSuccessUs.map { Micros.date($0) }, lastError: lastError, indicators: Int(indicatorCount), unusable: Int(unusable),
            fetches: Int(fetches), notModified: Int(notModified))
    }
}
