import ArgumentParser
import SluiceCore

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Application firewall: decides every outgoing connection in the kernel, per executable and cgroup.",
        version: SluiceVersion.current,
        subcommands: [
            AgentCommand.self, EventsCommand.self, StatusCommand.self, PolicyCommand.self, ReloadCommand.self,
            UnloadCommand.self,
        ])
}
