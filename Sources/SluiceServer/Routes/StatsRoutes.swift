import Foundation
import Hummingbird
import SluiceCore

/// Aggregates of stored events for charts and reports.
extension ServerApp {
    func addStatsRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/stats/timeline", .viewer) { request, _, _ in
            let (query, from, to) = try await self.statsQuery(request, defaultSpan: 3600)
            // Default: about 60 buckets over the span, at least a minute each.
            let span = Int((to - from) / 1_000_000)
            let bucket = try request.queryInt("bucket", range: 10...86400) ?? max(60, span / 60)
            guard span / bucket <= 10_000 else { throw APIError.badRequest("bucket is too small for the range: at most 10000 buckets") }
            let buckets = try await self.store.timeline(query, bucketSeconds: bucket)
            return try JSONResponse.make(StatsTimeline(from: Micros.date(from), to: Micros.date(to), bucketSeconds: bucket, buckets: buckets))
        }
        routes.user(.get, "/api/v1/stats/top", .viewer) { request, _, _ in
            let (query, _, _) = try await self.statsQuery(request, defaultSpan: 3600)
            let by = try request.query("by") ?? "exe"
            guard let dimension = Store.TopDimension(rawValue: by) else { throw APIError.badRequest("by must be exe or dst, not \(by)") }
            let limit = try request.queryInt("limit", range: 1...100) ?? 10
            return try JSONResponse.make(try await self.store.top(query, by: dimension, limit: limit))
        }
        routes.user(.get, "/api/v1/stats/new-destinations", .viewer) { request, _, _ in
            let (query, from, to) = try await self.statsQuery(request, defaultSpan: 7 * 86400)
            return try JSONResponse.make(try await self.store.newDestinations(sinceUs: from, untilUs: to, nodeIDs: query.nodeIDs))
        }
    }

    /// The range (`from`, `to`: RFC 3339 or a duration back from now) and filters (`node`, `exe`,
    /// `verdict`) shared by the stats routes.
    private func statsQuery(_ request: Request, defaultSpan seconds: Int64) async throws -> (EventQuery, from: Int64, to: Int64) {
        let to = try request.queryTime("to") ?? Micros.now()
        let from = try request.queryTime("from") ?? (to - seconds * 1_000_000)
        guard from < to else { throw APIError.badRequest("from must be before to") }
        var query = EventQuery()
        query.sinceUs = from
        query.untilUs = to
        query.nodeIDs = try await nodeIDs(try request.queryList("node"))
        query.executable = try request.query("exe", maxLength: 4096)
        query.verdicts = try Self.verdicts(request).map(\.rawValue).sorted()
        return (query, from, to)
    }
}
