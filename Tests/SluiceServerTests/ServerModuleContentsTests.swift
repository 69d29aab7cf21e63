import Foundation
import Testing

/// What ships in the server module: only what the server runs. Benchmark helpers (the simulated
/// agent) live with the benchmarks in Tools/Bench.
@Suite struct ServerModuleContentsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theSimulatedAgentIsNotInTheServerModule() throws {
        let server = Self.repository.appendingPathComponent("Sources/SluiceServer")
        let files = try #require(FileManager.default.enumerator(at: server, includingPropertiesForKeys: nil))
        var swiftFiles = 0
        for case let url as URL in files where url.pathExtension == "swift" {
            swiftFiles += 1
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(!text.contains("class SimulatedAgent"), "\(url.path)")
        }
        #expect(swiftFiles > 10)
        let bench = Self.repository.appendingPathComponent("Tools/Bench/SimulatedAgent.swift")
        #expect(FileManager.default.fileExists(atPath: bench.path))
    }
}
