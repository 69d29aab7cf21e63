import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceKernel
import SluiceTestSupport
import Testing

/// The agent's own errors name the file, field and cause: callers match on the case.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct AgentErrorTests {
    /// A stop token file in a fresh folder with `text` and `mode`, removed afterwards.
    private func withTokenFile(_ text: String, mode: mode_t, _ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/stop-token"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        try body(path)
    }

    @Test func stopTokenFilesAreRefusedWithTheCause() throws {
        try withTokenFile("short\n", mode: 0o600) { path in
            #expect(throws: AgentError.stopTokenTooShort(path: path, length: 5, minimum: ProtectSettings.minimumTokenLength)) {
                try ProtectSettings.load(tokenFile: path)
            }
        }
        try withTokenFile("0123456789abcdef0123", mode: 0o644) { path in
            #expect(throws: AgentError.stopTokenExposed(path: path, owner: 0, mode: 0o644)) { try ProtectSettings.load(tokenFile: path) }
        }
        try withTokenFile("0123456789abcdef0123", mode: 0o600) { path in
            #expect(throws: AgentError.stopTokenUnreadable(path: path + ".missing", errno: ENOENT)) {
                try ProtectSettings.load(tokenFile: path + ".missing")
            }
            let folder = (path as NSString).deletingLastPathComponent
            #expect(throws: AgentError.stopTokenNotRegularFile(path: folder)) { try ProtectSettings.load(tokenFile: folder) }
            let settings = try ProtectSettings.load(tokenFile: path)
            #expect(settings.accepts("0123456789abcdef0123"))
        }
        let missing = AgentError.stopTokenUnreadable(path: "/x", errno: ENOENT)
        #expect(missing.description == "cannot open the stop token file /x: ENOENT (No such file or directory)")
    }

    @Test func explainRequestsNameTheFieldAtFault() throws {
        let cgroups = try CgroupFS.discover()
        func failure(_ request: ExplainRequest) -> ExplainError? {
            do {
                _ = try request.flowQuery(cgroups: cgroups)
                return nil
            } catch {
                return error as? ExplainError
            }
        }
        let good = ExplainRequest(executable: nil, cgroup: nil, destination: "127.0.0.1", port: 80, transport: "tcp")
        #expect(failure(good) == nil)

        var request = good
        request.destination = "example.com"
        guard case .notAnAddress("example.com") = failure(request) else { Issue.record("a name is not an address"); return }
        request = good
        request.transport = "sctp"
        guard case .unknownProtocol("sctp") = failure(request) else { Issue.record("sctp is not a protocol rules name"); return }
        request = good
        request.domain = "bad..name"
        guard case .badDomain("bad..name", _) = failure(request) else { Issue.record("a bad domain is refused"); return }
        request = good
        request.executable = "/nonexistent/sluice-explain"
        guard case .executable(.missing) = failure(request) else { Issue.record("a missing executable is named"); return }
        request = good
        request.cgroup = "sluice-no-such-cgroup-\(UUID().uuidString)"
        guard case .cgroup(let path, _) = failure(request), path == request.cgroup else { Issue.record("a missing cgroup is named"); return }
    }
}
