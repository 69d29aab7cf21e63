import AsyncHTTPClient
import Foundation
import Logging
import SluiceCore

/// Syncs one feed: fetches it (TAXII, a list over HTTP(S) with a conditional request, or a
/// file), and applies the result in one transaction. A fetch or parse that fails records the
/// error on the feed and changes none of its indicators.
struct FeedSync: Sendable {
    let store: Store
    let limits: FeedLimits
    let metrics: ServerMetrics
    let logger: Logger

    /// Syncs `feed`; returns the intel sequence after (nil when the sync failed).
    @discardableResult
    func sync(_ feed: StoredFeed) async -> Int64? {
        let started = Micros.now()
        do {
            let fetch = try await self.fetch(feed, now: Micros.date(started))
            let (count, seq) = try await store.applyFeedFetch(
                id: feed.id, feed: feed.spec.name, fetch, attemptUs: started, maximumIndicators: limits.maximumIndicators)
            metrics.feedSyncs[true]?.increment()
            logger.info("feed synced", metadata: ["feed.name": "\(feed.spec.name)", "feed.indicators": "\(count)"])
            return seq
        } catch {
            let message = (error as? FeedError)?.description ?? "feed \(feed.spec.name): \(error)"
            metrics.feedSyncs[false]?.increment()
            logger.warning("feed sync failed", metadata: ["feed.name": "\(feed.spec.name)", "feed.error": "\(message)"])
            try? await store.recordFeedFailure(id: feed.id, error: message, attemptUs: started)
            return nil
        }
    }

    func fetch(_ feed: StoredFeed, now: Date) async throws -> FeedFetch {
        let spec = feed.spec
        let expires = spec.expirySeconds.map { now.addingTimeInterval(Double($0)) }
        if spec.kind == .list, spec.isFile {
            let body = try await Offload.run { try Self.readFile(spec, limit: limits.maximumBytes) }
            let items = try await Offload.run { try FeedListParser(feed: spec.name, format: spec.format ?? .list, limits: limits).parse(body, expires: expires) }
            return FeedFetch(change: .replace(items), unusable: 0)
        }
        let client = try FeedHTTP.client(for: spec)
        defer { client.shutdown { _ in } }
        let http = FeedHTTP(feed: spec, client: client, limits: limits)
        switch spec.kind {
        case .taxii:
            let result = try await TAXIIClient(http: http).fetch(collection: spec.collection ?? "", addedAfter: feed.addedAfter)
            let sources = result.indicators.map { ($0.id, $0.items(now: now, minimumConfidence: spec.minimumConfidence)) }
            return FeedFetch(change: .merge(sources.map { (source: $0.0, items: $0.1) }), addedAfter: result.addedAfter, unusable: result.unusable)
        case .list:
            var headers: [(String, String)] = []
            if let etag = feed.etag { headers.append(("If-None-Match", etag)) }
            if let modified = feed.lastModified { headers.append(("If-Modified-Since", modified)) }
            let response = try await http.get(spec.url, headers: headers)
            if response.status == 304 { return FeedFetch(change: .unchanged, unusable: 0) }
            guard response.status == 200 else { throw http.failure("GET \(spec.url) answered \(response.status)") }
            let items = try await Offload.run { try FeedListParser(feed: spec.name, format: spec.format ?? .list, limits: limits).parse(response.body, expires: expires) }
            return FeedFetch(
                change: .replace(items), etag: response.headers.first(name: "ETag"), lastModified: response.headers.first(name: "Last-Modified"),
                unusable: 0)
        }
    }

    /// A list file's bytes, refused past `limit`.
    private static func readFile(_ spec: FeedSpec, limit: Int) throws(FeedError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: spec.url) else { throw FeedError(feed: spec.name, reason: .fetch("cannot read \(spec.url)")) }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw FeedError(feed: spec.name, reason: .fetch("reading \(spec.url): \(error.localizedDescription)"))
        }
        guard data.count <= limit else { throw FeedError(feed: spec.name, reason: .tooLarge(limit: limit)) }
        return Array(data)
    }
}
