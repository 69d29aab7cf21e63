import AsyncHTTPClient

extension HTTPClientResponse {
    /// The body of a newline-delimited stream (the agent's and the server's live events), as the
    /// complete lines of each chunk as it arrives; a line split across chunks waits for its end.
    /// `owner` (the client the response came from) is kept until the stream ends.
    func lines(keepingAlive owner: (any Sendable & AnyObject)? = nil) -> AsyncThrowingStream<[String], any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                defer { withExtendedLifetime(owner) {} }
                var pending = [UInt8]()
                do {
                    for try await chunk in body {
                        pending += chunk.readableBytesView
                        guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                        continuation.yield(pending[..<last].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) })
                        pending.removeSubrange(...last)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
