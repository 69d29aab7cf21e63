import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceCore

/// Event queries (NDJSON pages, newest first) and the live stream (NDJSON, pushed as batches
/// arrive).
extension ServerApp {
    func addEventRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/events", .viewer) { request, _, _ in
            var query = EventQuery()
            query.sinceUs = try request.queryTime("since")
            query.untilUs = try request.queryTime("until")
            query.nodeIDs = try await self.nodeIDs(try request.queryList("node"))
            query.executable = try request.query("exe", maxLength: 4096)
            if let prefix = try Self.destination(request) { query.destination = AddressKey.range(prefix) }
            query.port = try request.queryInt("port", range: 1...65535).map(Int64.init)
            query.verdicts = try Self.verdicts(request).map(\.rawValue).sorted()
            query.policy = try request.query("policy", maxLength: 256)
            query.cursor = try Cursor.parse(try request.query("cursor", maxLength: 20))
            query.limit = try request.queryInt("limit", range: 1...EventUpload.maximumEvents) ?? 100
            let (lines, next) = try await self.store.events(query)
            var body = ""
            body.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
            for line in lines {
                body += line
                body += "\n"
            }
            var headers: HTTPFields = [.contentType: "application/x-ndjson; charset=utf-8"]
            if let next { headers[HTTPField.Name(AdminAPI.nextCursorHeader)!] = String(next) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        routes.user(.get, "/api/v1/events/stream", .viewer) { request, _, _ in
            var filter = EventLineHub.Filter()
            let nodes = try request.queryList("node")
            if !nodes.isEmpty { filter.nodeIDs = Set(try await self.nodeIDs(nodes) ?? []) }
            filter.executable = try request.query("exe", maxLength: 4096)
            filter.destination = try Self.destination(request)
            filter.port = try request.queryInt("port", range: 1...65535).map { UInt16($0) }
            filter.verdicts = try Self.verdicts(request)
            filter.policy = try request.query("policy", maxLength: 256)
            guard self.hub.count < self.configuration.limits.maximumStreams else {
                throw APIError.unavailable("too many live event streams are open; retry later", retryAfter: 10)
            }
            let subscription = self.hub.subscribe(filter)
            let hub = self.hub
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    defer { hub.unsubscribe(subscription) }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: .seconds(15))
                                subscription.keepalive()
                            }
                        }
                        for await chunk in subscription.stream {
                            let dropped = subscription.takeDropped()
                            if dropped > 0 { try await writer.write(ByteBuffer(string: EventStreamNotice.dropped(count: dropped).jsonLine + "\n")) }
                            try await writer.write(ByteBuffer(string: chunk.text))
                            subscription.consumed(chunk)
                        }
                        group.cancelAll()
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// Node ids for `node` filter values (ids or names); nil when no filter was given.
    func nodeIDs(_ values: [String]) async throws -> [String]? {
        guard !values.isEmpty else { return nil }
        guard values.count <= 100 else { throw APIError.badRequest("at most 100 node filters") }
        var ids: [String] = []
        for value in values { ids += try await store.nodeIDs(matching: value) }
        return ids
    }

    static func destination(_ request: Request) throws -> IPPrefix? {
        guard let text = try request.query("dst", maxLength: 64) else { return nil }
        if let address = IPAddress(text) { return IPPrefix(covering: address, length: address.family.bitWidth) }
        switch IPPrefix.parse(text) {
        case .success(let prefix): return prefix
        case .failure(let error): throw APIError.badRequest("dst: \(error)")
        }
    }

    static func verdicts(_ request: Request) throws -> Set<RuleAction> {
        var verdicts: Set<RuleAction> = []
        for value in try request.queryList("verdict") {
            guard let verdict = RuleAction(rawValue: value) else { throw APIError.badRequest("verdict must be allow, alert or deny, not \(value)") }
            verdicts.insert(verdict)
        }
        return verdicts
    }
}
