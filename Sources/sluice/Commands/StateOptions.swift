import ArgumentParser
import Foundation
import SluiceAgent

/// `--state-dir` (and `--pin-dir`): which agent instance a command is about. Every command
/// takes them, so agents running side by side are addressed by their folder.
struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The agent's state folder: local socket, saved state.", valueName: "dir"))
    var stateDirectory: String = StateLayout.defaultDirectory

    @Option(
        name: .customLong("pin-dir"),
        help: ArgumentHelp("bpffs folder for pins (default: derived from --state-dir).", valueName: "dir"))
    var pinDirectory: String?

    func layout() throws -> StateLayout {
        try StateLayout(directory: stateDirectory, pinDirectory: pinDirectory)
    }
}

