import Foundation
import SluiceAPI
import SluiceCore

/// Where the admin commands find the server and their credential: `--server`/`--ca` or
/// `$SLUICE_SERVER`/`$SLUICE_CA`, and `$SLUICE_TOKEN` or what `sluice login` saved.
struct ServerCredentials: Codable {
    var server: String
    var token: String
    var user: String
    var certificateAuthority: String?
    /// The server was reached over plain HTTP on purpose at login (`--allow-insecure-http`).
    var allowPlainHTTP: Bool?

    static var path: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let base = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"] ?? home + "/.config"
        return base + "/sluice/credentials.json"
    }

    static func load() -> ServerCredentials? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ServerCredentials.self, from: data)
    }

    func save() throws {
        let url = URL(fileURLWithPath: Self.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try JSONEncoder().encode(self).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: Self.path)
    }
}

import ArgumentParser

struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server (https://host:port); default: $SLUICE_SERVER or the one `sluice login` saved.", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) that signed the server's certificate.", valueName: "file"))
    var ca: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// server URL (or $SLUICE_ALLOW_INSECURE_HTTP=1; remembered by login).")
    var allowInsecureHTTP = false

    /// Whether plain HTTP was asked for, by flag or environment.
    var plainHTTPAsked: Bool {
        allowInsecureHTTP || ProcessInfo.processInfo.environment["SLUICE_ALLOW_INSECURE_HTTP"] == "1"
    }

    /// Runs `body` with a connection to the server (with the saved or given credential) and
    /// closes it when `body` returns: a stream read inside `body` cannot outlive its client.
    /// `token` overrides `$SLUICE_TOKEN` and the saved one (`sluice gateway --token`).
    func with<Result: Sendable>(
        needsToken: Bool = true, token given: String? = nil, _ body: (ServerConnection) async throws -> Result
    ) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        let saved = ServerCredentials.load()
        guard let url = server ?? environment["SLUICE_SERVER"] ?? saved?.server else {
            throw CommandFailure.noServer
        }
        let token = given ?? environment["SLUICE_TOKEN"] ?? (saved?.server == url ? saved?.token : nil)
        if needsToken && token == nil {
            throw CommandFailure.notLoggedIn(server: url)
        }
        return try await ServerConnection.with(
            server: url, credential: token, certificateAuthority: ca ?? environment["SLUICE_CA"] ?? saved?.certificateAuthority,
            allowPlainHTTP: plainHTTPAsked || (saved?.server == url && saved?.allowPlainHTTP == true),
            userAgent: "sluice-cli/\(SluiceVersion.current)", body)
    }

    /// One call of the generated client: `try await server.call { try await $0.listNodes().ok.body.json }`.
    func call<Result: Sendable>(needsToken: Bool = true, _ operation: (Client) async throws -> Result) async throws -> Result {
        try await with(needsToken: needsToken) { connection in try await connection.call(operation) }
    }
}

extension FleetJSON {
    /// A document for people: indented, keys sorted, times as the API writes them.
    static func pretty(_ value: some Encodable) throws -> String {
        let encoder = FleetJSON.encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
