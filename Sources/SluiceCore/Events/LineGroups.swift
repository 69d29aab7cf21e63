/// The complete lines of a newline-delimited byte stream (NDJSON events from the agent or the
/// server), grouped as they arrive: each element holds the lines that the latest chunks completed;
/// a line split across chunks waits for its end, and a last line without a newline still counts.
/// Pulls from its base as it is iterated, so it lives exactly as long as the loop that reads it.
public struct LineGroups<Base: AsyncSequence>: AsyncSequence where Base.Element: Sequence<UInt8> {
    public typealias Element = [String]
    let base: Base

    public init(_ base: Base) {
        self.base = base
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(upstream: base.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var upstream: Base.AsyncIterator
        var pending: [UInt8] = []
        var ended = false

        public mutating func next() async throws -> [String]? {
            while !ended {
                guard let chunk = try await upstream.next() else {
                    ended = true
                    break
                }
                pending += chunk
                guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let lines = pending[..<last].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
                pending.removeSubrange(...last)
                if !lines.isEmpty { return lines }
            }
            guard !pending.isEmpty else { return nil }
            defer { pending = [] }
            return [String(decoding: pending, as: UTF8.self)]
        }
    }
}
