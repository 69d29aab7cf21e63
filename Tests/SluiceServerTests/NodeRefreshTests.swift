import Testing

@testable import SluiceServer

/// The node look-ups of polls a push woke, gathered into few queries: every poll still gets its
/// own node as it is after it asked.
@Suite struct NodeRefreshTests {
    @Test(arguments: Backend.enabled)
    func manyPollsAtOnceEachGetTheirOwnNodeAsItIsNow(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let store = server.app.store
            var ids: [String] = []
            for index in 0..<40 { ids.append(try await api.enroll("node-\(index)").id) }
            _ = try await store.revokeNode(id: ids[7], actor: "test")
            let refresh = NodeRefresh(store: store)
            let answers = try await withThrowingTaskGroup(of: (asked: String, found: NodeRecord?).self) { group in
                for id in ids {
                    for _ in 0..<5 { group.addTask { (id, try await refresh.node(id: id, wokenAt: .now)) } }
                }
                var answers: [(asked: String, found: NodeRecord?)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.count == 200)
            #expect(answers.allSatisfy { $0.found?.id == $0.asked })
            #expect(answers.filter { $0.asked == ids[7] }.allSatisfy { $0.found?.revokedUs != nil })
            #expect(answers.filter { $0.asked != ids[7] }.allSatisfy { $0.found?.revokedUs == nil })

            // Asked after a change: the change is seen.
            _ = try await store.revokeNode(id: ids[8], actor: "test")
            #expect(try await refresh.node(id: ids[8], wokenAt: .now)?.revokedUs != nil)
            #expect(try await refresh.node(id: "n-unknown", wokenAt: .now) == nil)
        }
    }
}
