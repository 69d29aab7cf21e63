import ArgumentParser
import Foundation
@preconcurrency import Glibc
import SluiceAPI
import SluiceCore

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in to a server; the API token is saved for the other commands (0600).")

    @Option(help: "User name.")
    var user: String

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of asking.")
    var passwordStdin = false

    @Option(help: ArgumentHelp("How long the saved token works (30m, 24h, 7d; 0: until logout); default: 30 days.", valueName: "duration"))
    var expires: DurationArgument?

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let password = passwordStdin ? (readLine(strippingNewline: true) ?? "") : Password.ask("Password for \(user): ")
        let request = Components.Schemas.LoginRequest(
            name: user, password: password, tokenName: "cli@\(ProcessInfo.processInfo.hostName)", expiresIn: expires.map { Int($0.seconds) })
        let (url, answer) = try await server.with(needsToken: false) { connection in
            (connection.server, try await connection.call { try await $0.login(body: .json(request)).created.body.json })
        }
        guard case .APITokenCreated(let created) = answer else {
            throw APIClientError.unexpectedAnswer(status: 201, operation: "login (a console session instead of a token)")
        }
        try ServerCredentials(
            server: url, token: created.token, user: created.user.name, certificateAuthority: server.ca,
            allowPlainHTTP: server.plainHTTPAsked ? true : nil
        ).save()
        let until = created.info.expires.map { "until \(RFC3339.format(Int64($0.timeIntervalSince1970 * 1e9)))" } ?? "until logout"
        print("logged in to \(url) as \(created.user.name) (\(created.user.role.rawValue)), \(until); token saved in \(ServerCredentials.path)")
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke the saved API token and forget it.")

    @OptionGroup var server: ServerOptions

    func run() async throws {
        _ = try await server.call { try await $0.logout().noContent }
        try? FileManager.default.removeItem(atPath: ServerCredentials.path)
        print("logged out")
    }
}

/// Asks for a password on the terminal without echo.
enum Password {
    static func ask(_ prompt: String) -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        let isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return readLine(strippingNewline: true) ?? ""
    }
}
