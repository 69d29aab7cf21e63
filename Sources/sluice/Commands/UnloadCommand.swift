import ArgumentParser
import SluiceAgent
import SluiceKernel

struct UnloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unload",
        abstract: "Detach and remove everything Sluice attached or pinned for this state folder.",
        discussion: "Stop the agent first: while it runs it owns the programs.")

    @OptionGroup var state: StateOptions

    func run() async throws {
        let layout = try state.layout()
        if let path = layout.deniedPath() { throw CommandFailure.permissionDenied(path: path) }
        if await AgentClient(layout: layout).isReachable {
            throw CommandFailure.agentRunning(stateDirectory: layout.directory)
        }
        if PinFolder.isLocked(layout.pinDirectory) {
            throw CommandFailure.pinFolderInUse(pinDirectory: layout.pinDirectory)
        }
        let pinned = PinnedDatapath(pins: layout.pins)
        guard pinned.exists else {
            print("nothing pinned in \(layout.pinDirectory)")
            return
        }
        let removed = try pinned.unload()
        print("detached and unpinned \(removed.count) objects from \(layout.pinDirectory)")
    }
}
