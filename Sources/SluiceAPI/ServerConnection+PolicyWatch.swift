import OpenAPIRuntime
import SluiceCore

extension ServerConnection {
    /// Opens the node's policy watch (`watchPolicy`) from revision `after` (nil: the current
    /// bundle first). By default the stream lasts as long as the server keeps it: a reader catches
    /// silence itself (keepalives come every 15 s), no deadline ends it; a test may set one.
    public func watchPolicy(after: Int?, timeout: Duration = .seconds(365 * 86_400)) async throws(APIClientError)
        -> PolicyWatchStream
    {
        PolicyWatchStream(
            body: try await call(timeout: timeout) {
                try await $0.watchPolicy(query: .init(after: after)).ok.body.applicationXNdjson
            })
    }
}

/// An open policy watch's lines, grouped as they arrive (`LineGroups`), each read with the
/// stream's codec (`PolicyWatchLine`).
public struct PolicyWatchStream: AsyncSequence, Sendable {
    public typealias Element = [PolicyWatchLine]
    let body: HTTPBody

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lines: LineGroups(body).makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: LineGroups<HTTPBody>.AsyncIterator

        public mutating func next() async throws -> [PolicyWatchLine]? {
            try await lines.next()?.map { line throws(APIClientError) in try PolicyWatchLine(line: line) }
        }
    }
}
