import ArgumentParser
import Foundation
import SluiceAgent

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the running agent through its local API (the way to stop an agent in protect mode).",
        discussion: """
            An agent started with --protect refuses signals from every other process, root's included; \
            it stops when given the token it was started with (--stop-token-file). Enforcement stays \
            pinned after it stops; `sluice unload` then removes it.
            """)

    @Option(name: .customLong("token-file"), help: ArgumentHelp("File holding the stop token of an agent in protect mode.", valueName: "file"))
    var tokenFile: String?

    @OptionGroup var state: StateOptions

    func run() async throws {
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw CommandFailure.file(path: tokenFile, .read, reason: String(cString: strerror(errno)))
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let layout = try state.layout()
        _ = try await AgentClient(layout: layout).post("/v1/stop", bearer: token)
        print("the agent with \(layout.directory) is stopping; enforcement stays pinned in \(layout.pinDirectory)")
    }
}
