import SluiceCore
import Testing

/// NDJSON lines come out whole however the bytes were cut into chunks.
struct LineGroupsTests {
    static func groups(_ chunks: [String]) async throws -> [[String]] {
        let stream = AsyncStream<[UInt8]> { continuation in
            for chunk in chunks { continuation.yield(Array(chunk.utf8)) }
            continuation.finish()
        }
        var result: [[String]] = []
        for try await group in LineGroups(stream) { result.append(group) }
        return result
    }

    @Test func aLineSplitAcrossChunksWaitsForItsEnd() async throws {
        #expect(try await Self.groups(["{\"a\":1}\n{\"b\"", ":2}\n", "{\"c\":3}\n{\"d\":4}\n"]) == [["{\"a\":1}"], ["{\"b\":2}"], ["{\"c\":3}", "{\"d\":4}"]])
    }

    @Test func aLastLineWithoutNewlineCountsAndEmptyLinesDoNot() async throws {
        #expect(try await Self.groups(["\n\nx\n", "\n", "tail"]) == [["x"], ["tail"]])
        #expect(try await Self.groups([]) == [])
    }
}
