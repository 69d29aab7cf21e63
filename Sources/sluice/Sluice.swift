import ArgumentParser
@preconcurrency import Glibc
import SluiceCore

@main
struct Sluice: AsyncParsableCommand {
    /// A parent that blocks signals passes its mask on through posix_spawn; SIGTERM must always
    /// reach the agent's graceful shutdown.
    static func main() async {
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Application firewall: decides every outgoing connection in the kernel, per executable and cgroup.",
        version: SluiceVersion.current,
        subcommands: [
            AgentCommand.self, EventsCommand.self, StatusCommand.self, TopCommand.self, PolicyCommand.self, ReloadCommand.self,
            UnloadCommand.self, StopCommand.self, RulesCommand.self, LearnCommand.self, DetectCommand.self, LoginCommand.self, LogoutCommand.self,
            NodesCommand.self, TokensCommand.self, AlertsCommand.self, FeedsCommand.self, UsersCommand.self, ServerCommand.self, ExportCommand.self,
            GatewayCommand.self,
        ])
}
