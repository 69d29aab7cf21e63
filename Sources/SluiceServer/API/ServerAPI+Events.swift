import Foundation
import OpenAPIRuntime
import SluiceAPI
import SluiceCore

/// Event queries (NDJSON pages, newest first) and the live stream (NDJSON, pushed as batches
/// arrive). Lines are the core's event codec (`DecisionEvent.jsonLine`) as stored.
extension ServerAPI {
    func queryEvents(_ input: Operations.QueryEvents.Input) async throws -> Operations.QueryEvents.Output {
        let parameters = input.query
        var query = EventQuery()
        query.sinceUs = try QueryCheck.time(parameters.since, "since")
        query.untilUs = try QueryCheck.time(parameters.until, "until")
        query.nodeIDs = try await nodeIDs(try scope.queryList("node"))
        query.executable = try QueryCheck.text(parameters.exe, "exe", maxLength: 4096)
        if let prefix = try Self.destination(parameters.dst) { query.destination = AddressKey.range(prefix) }
        query.domain = try Self.domain(parameters.domain)
        query.port = try QueryCheck.int(parameters.port, "port", range: 1...65535).map(Int64.init)
        query.verdicts = try verdicts().map(\.verdictName).sorted()
        query.kinds = try kinds().map(\.rawValue).sorted()
        query.policy = try QueryCheck.text(parameters.policy, "policy", maxLength: 256)
        query.cursor = try QueryCheck.cursor(parameters.cursor)
        query.limit = try QueryCheck.int(parameters.limit, "limit", range: 1...EventUpload.maximumEvents) ?? 100
        let (lines, next) = try await store.events(query)
        return .ok(.init(headers: .init(sluiceNextCursor: next.map(String.init)), body: .applicationXNdjson(Self.ndjson(lines))))
    }

    func streamEvents(_ input: Operations.StreamEvents.Input) async throws -> Operations.StreamEvents.Output {
        let parameters = input.query
        var filter = EventLineHub.Filter()
        let nodes = try scope.queryList("node")
        if !nodes.isEmpty { filter.nodeIDs = Set(try await nodeIDs(nodes) ?? []) }
        filter.executable = try QueryCheck.text(parameters.exe, "exe", maxLength: 4096)
        filter.destination = try Self.destination(parameters.dst)
        filter.domain = try Self.domain(parameters.domain)
        filter.port = try QueryCheck.int(parameters.port, "port", range: 1...65535).map { UInt16($0) }
        filter.verdicts = try verdicts()
        filter.kinds = try kinds()
        filter.policy = try QueryCheck.text(parameters.policy, "policy", maxLength: 256)
        guard app.hub.count < configuration.limits.maximumStreams else {
            throw APIError.unavailable("too many live event streams are open; retry later", retryAfter: 10)
        }
        let lines = EventStreamLines(hub: app.hub, filter: filter)
        return .ok(.init(headers: .init(xAccelBuffering: "no"), body: .applicationXNdjson(HTTPBody(lines, length: .unknown, iterationBehavior: .single))))
    }

    /// Lines as one NDJSON body, each newline-terminated.
    static func ndjson(_ lines: [String]) -> HTTPBody {
        var body = ""
        body.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
        for line in lines {
            body += line
            body += "\n"
        }
        return HTTPBody(body)
    }

    /// Node ids for `node` filter values (ids or names); nil when no filter was given.
    func nodeIDs(_ values: [String]) async throws -> [String]? {
        guard !values.isEmpty else { return nil }
        guard values.count <= 100 else { throw APIError.badRequest("at most 100 node filters") }
        var ids: [String] = []
        for value in values { ids += try await store.nodeIDs(matching: value) }
        return ids
    }

    static func destination(_ value: String?) throws -> IPPrefix? {
        guard let text = try QueryCheck.text(value, "dst", maxLength: 64) else { return nil }
        if let address = IPAddress(text) { return IPPrefix(covering: address, length: address.family.bitWidth) }
        switch IPPrefix.parse(text) {
        case .success(let prefix): return prefix
        case .failure(let error): throw APIError.badRequest("dst: \(error)")
        }
    }

    static func domain(_ value: String?) throws -> DomainFilter? {
        guard let text = try QueryCheck.text(value, "domain", maxLength: 255) else { return nil }
        do {
            return try DomainFilter(parsing: text)
        } catch {
            throw APIError.badRequest("domain: \(error)")
        }
    }

    /// The `kind` filter: repeated or comma-separated.
    func kinds() throws -> Set<EventKind> {
        try names("kind", allowed: "decision or flow", EventKind.init(rawValue:))
    }

    /// The `verdict` filter: repeated or comma-separated.
    func verdicts() throws -> Set<RuleAction> {
        try names("verdict", allowed: "allow, alert, rate-limited, redirected, quota or deny", RuleAction.init(verdictName:))
    }

    /// A filter of names, repeated or comma-separated, each read by `parse`; `allowed` lists the
    /// names for the error.
    private func names<Value: Hashable>(_ field: String, allowed: String, _ parse: (String) -> Value?) throws -> Set<Value> {
        var values: Set<Value> = []
        for text in try scope.queryList(field) {
            guard let value = parse(text) else { throw APIError.badRequest("\(field) must be \(allowed), not \(text)") }
            values.insert(value)
        }
        return values
    }
}
