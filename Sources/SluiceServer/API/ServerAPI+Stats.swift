import Foundation
import SluiceAPI
import SluiceCore

/// Aggregates of stored events for charts and reports.
extension ServerAPI {
    func statsTimeline(_ input: Operations.StatsTimeline.Input) async throws -> Operations.StatsTimeline.Output {
        let query = input.query
        let (events, from, to) = try await statsQuery(from: query.from, to: query.to, exe: query.exe, defaultSpan: 3600)
        // Default: about 60 buckets over the span, at least a minute each.
        let span = Int((to - from) / 1_000_000)
        let bucket = try QueryCheck.int(query.bucket, "bucket", range: 10...86400) ?? max(60, span / 60)
        guard span / bucket <= 10_000 else { throw APIError.badRequest("bucket is too small for the range: at most 10000 buckets") }
        let buckets = try await bounded { try await store.timeline(events, bucketSeconds: bucket, bytes: query.measure == .bytes, budget: rowBudget) }
        return .ok(.init(body: .json(.init(from: Micros.date(from), to: Micros.date(to), bucketSeconds: bucket, buckets: buckets))))
    }

    func statsTop(_ input: Operations.StatsTop.Input) async throws -> Operations.StatsTop.Output {
        let query = input.query
        let (events, _, _) = try await statsQuery(from: query.from, to: query.to, exe: query.exe, defaultSpan: 3600)
        let dimension = Store.TopDimension(rawValue: query.by?.rawValue ?? "exe") ?? .exe
        let limit = try QueryCheck.int(query.limit, "limit", range: 1...100) ?? 10
        let bytes = query.measure == .bytes
        return .ok(.init(body: .json(try await bounded { try await store.top(events, by: dimension, bytes: bytes, limit: limit, budget: rowBudget) })))
    }

    func statsNewDestinations(_ input: Operations.StatsNewDestinations.Input) async throws -> Operations.StatsNewDestinations.Output {
        let (events, from, to) = try await statsQuery(from: input.query.from, to: input.query.to, defaultSpan: 7 * 86400)
        return .ok(.init(body: .json(try await bounded { try await store.newDestinations(sinceUs: from, untilUs: to, nodeIDs: events.nodeIDs, budget: rowBudget) })))
    }

    private var rowBudget: Int { configuration.limits.reportRowBudget }

    /// Runs one report within `statsReads`: beyond its line, 503 with Retry-After; one that would
    /// read more than the row budget, 400.
    private func bounded<Result: Sendable>(_ work: () async throws -> Result) async throws -> Result {
        let outcome: Result?
        do {
            outcome = try await app.statsReads.run(work)
        } catch let error as ReportTooCostly {
            throw APIError.badRequest(error.description)
        }
        guard let result = outcome else {
            throw APIError.unavailable("too many reports are being computed; retry shortly", retryAfter: 2)
        }
        return result
    }

    /// The range (`from`, `to`: RFC 3339 or a duration back from now) and filters (`node`, `exe`,
    /// `verdict`) shared by the stats operations.
    private func statsQuery(from fromText: String?, to toText: String?, exe: String? = nil, defaultSpan seconds: Int64) async throws -> (EventQuery, from: Int64, to: Int64) {
        let to = try QueryCheck.time(toText, "to") ?? Micros.now()
        let from = try QueryCheck.time(fromText, "from") ?? (to - seconds * 1_000_000)
        guard from < to else { throw APIError.badRequest("from must be before to") }
        var query = EventQuery()
        query.sinceUs = from
        query.untilUs = to
        query.nodeIDs = try await nodeIDs(try scope.queryList("node"))
        query.executable = try QueryCheck.text(exe, "exe", maxLength: 4096)
        query.verdicts = try verdicts().map(\.verdictName).sorted()
        return (query, from, to)
    }
}
